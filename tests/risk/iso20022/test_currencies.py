"""The ISO 4217 table and exact decimal <-> minor-unit conversion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aegis.risk.iso20022.currencies import (
    ACTIVE_CODES,
    MAX_MINOR_UNITS,
    MINOR_UNITS,
    AmountError,
    check_currency,
    from_minor,
    is_active,
    minor_units,
    to_minor,
)


def test_codes_are_three_capital_letters_and_exponents_iso_values() -> None:
    assert all(len(c) == 3 and c.isascii() and c.isupper() for c in ACTIVE_CODES)
    assert set(MINOR_UNITS.values()) == {0, 2, 3, 4}
    expected = {"JPY": 0, "KRW": 0, "EUR": 2, "USD": 2, "BHD": 3, "KWD": 3, "CLF": 4}
    # Where CLDR's display digits differ from ISO 4217, ISO wins: these are ISO's.
    expected |= {"IQD": 3, "HUF": 2, "IDR": 2, "COP": 2, "ISK": 0}
    assert {c: minor_units(c) for c in expected} == expected


@pytest.mark.parametrize("code", ["HRK", "ANG", "BGN", "SLL", "ZWL", "CUC", "VEF", "DEM", "EEK"])
def test_withdrawn_codes_are_unknown(code: str) -> None:
    assert not is_active(code)
    with pytest.raises(AmountError) as info:
        check_currency(code)
    assert info.value.code == "currency_unknown"


@pytest.mark.parametrize("code", ["XAU", "XAG", "XDR", "XTS", "XXX"])
def test_codes_without_minor_unit_are_known_but_not_payable(code: str) -> None:
    assert is_active(code) and minor_units(code) is None
    with pytest.raises(AmountError) as info:
        to_minor(Decimal(1), code)
    assert info.value.code == "currency_not_payable"


def test_every_currency_cldr_calls_legal_tender_is_in_the_table() -> None:
    # An independent source for "still in use" (Babel is pinned in uv.lock, so this is stable).
    import babel
    from babel.numbers import get_territory_currencies

    tender: set[str] = set()
    for territory in babel.Locale("en").territories:
        try:
            tender.update(
                get_territory_currencies(str(territory), dt.date(2026, 12, 1), tender=True)
            )
        except Exception:  # CLDR territories without currency data
            continue
    assert tender - set(MINOR_UNITS) == set()
    # What ISO lists beyond CLDR's tender: fund and index codes, SVC and the digital VED.
    extra = {"BOV", "CHE", "CHW", "CLF", "COU", "MXV", "SVC", "USN", "UYI", "UYW", "VED"}
    assert set(MINOR_UNITS) - tender == extra


@pytest.mark.parametrize(
    ("text", "code", "minor"),
    [
        ("1", "JPY", 1),
        ("1.000", "JPY", 1),
        ("0.01", "EUR", 1),
        ("1.5", "BHD", 1500),
        ("2.0001", "CLF", 20001),
    ],
)
def test_exact_conversion(text: str, code: str, minor: int) -> None:
    assert to_minor(Decimal(text), code) == minor


@pytest.mark.parametrize(
    ("text", "code", "error"),
    [
        ("1.5", "JPY", "amount_precision"),
        ("0.001", "EUR", "amount_precision"),
        ("0.0001", "BHD", "amount_precision"),
        ("0", "EUR", "amount_not_positive"),
        ("-1", "EUR", "amount_not_positive"),
        ("NaN", "EUR", "amount_invalid"),
        ("Infinity", "EUR", "amount_invalid"),
        ("90071992547409.92", "USD", "amount_too_large"),
    ],
)
def test_refused_conversions(text: str, code: str, error: str) -> None:
    with pytest.raises(AmountError) as info:
        to_minor(Decimal(text), code)
    assert info.value.code == error


codes = st.sampled_from(sorted(MINOR_UNITS))


@given(code=codes, minor=st.integers(min_value=1, max_value=MAX_MINOR_UNITS))
def test_minor_units_round_trip(code: str, minor: int) -> None:
    assert to_minor(from_minor(minor, code), code) == minor


@given(code=codes, minor=st.integers(min_value=1, max_value=10**12), digit=st.integers(1, 9))
def test_one_digit_too_many_is_always_refused(code: str, minor: int, digit: int) -> None:
    exponent = MINOR_UNITS[code]
    over = from_minor(minor, code) + Decimal(digit).scaleb(-exponent - 1)
    with pytest.raises(AmountError) as info:
        to_minor(over, code)
    assert info.value.code == "amount_precision"
    assert str(over) not in str(info.value)  # the message names the rule, not the amount
