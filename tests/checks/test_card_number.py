"""Luhn, lengths and BIN lookup."""

from __future__ import annotations

import ast
import csv

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum import luhn

from aegis.checks.card.bins import ISSUER_BINS, SCHEME_RANGES, TEST_PANS, CardType, IssuerBin
from aegis.checks.card.luhn_bin import (
    BinInfo,
    TableBinLookup,
    check_card_number,
    lookup_bin,
    scheme_range,
)
from aegis.checks.result import Outcome
from tests.checks.helpers import SHARED_DATA, luhn_complete

# --- check_card_number -----------------------------------------------------------------


@pytest.mark.parametrize("pan", sorted(TEST_PANS))
def test_published_test_cards_pass_and_are_flagged(pan: str) -> None:
    result = check_card_number(pan)
    assert result.outcome is Outcome.PASS
    assert result.details["test_card"] is True
    assert result.details["scheme"] is not None
    assert pan[-4:] not in repr(result.details)


def test_separators_and_full_width_digits() -> None:
    assert check_card_number("4111 1111 1111 1111").outcome is Outcome.PASS
    assert check_card_number("4111-1111-1111-1111").outcome is Outcome.PASS
    assert check_card_number("４１１１１１１１１１１１１１１１").outcome is Outcome.PASS


@pytest.mark.parametrize(
    ("pan", "reason"),
    [
        ("4111111111111112", "checksum"),
        ("41111111111", "length"),
        ("41111111111111111111", "length"),
        ("", "format"),
        ("4111 1111 1111 111a", "format"),
        ("٤١١١١١١١١١١١١١١١", "format"),  # Arabic-Indic digits are not card digits
        ("3782822463100050", "length_for_scheme"),  # Amex is 15 digits
        ("41111111111111", "length_for_scheme"),  # Visa is 13, 16 or 19
    ],
)
def test_invalid_card_numbers(pan: str, reason: str) -> None:
    result = check_card_number(pan)
    assert result.outcome is Outcome.FAIL
    assert result.codes == ("CARD_NUMBER_INVALID",)
    assert result.details["reason"] == reason


def test_wrong_length_for_scheme_is_checked_on_a_luhn_valid_number() -> None:
    pan = luhn_complete("378282246310005"[:14] + "00")  # 17 digits, Luhn-valid, Amex prefix
    assert luhn.is_valid(pan)
    assert check_card_number(pan).details["reason"] == "length_for_scheme"


def test_unknown_scheme_is_checked_by_luhn_and_length_only() -> None:
    pan = luhn_complete("990000000000000")
    result = check_card_number(pan)
    assert result.outcome is Outcome.PASS
    assert result.details["scheme"] is None


def test_old_unionpay_cards_can_be_exempted_from_luhn() -> None:
    pan = "6222021234567890124"
    assert not luhn.is_valid(pan)
    assert check_card_number(pan).details["reason"] == "checksum"
    exempt = check_card_number(pan, unionpay_luhn_exempt=True)
    assert exempt.outcome is Outcome.PASS
    assert exempt.details["luhn"] == "exempt"
    # The exemption is UnionPay's only.
    assert check_card_number("4111111111111112", unionpay_luhn_exempt=True).outcome is (
        Outcome.FAIL
    )


@given(st.text(alphabet="0123456789", min_size=11, max_size=18))
def test_luhn_completed_numbers_pass_unless_their_scheme_forbids_the_length(partial: str) -> None:
    pan = luhn_complete(partial)
    rng = scheme_range(pan)
    result = check_card_number(pan)
    if rng is None or len(pan) in rng.lengths:
        assert result.outcome is Outcome.PASS
    else:
        assert result.details["reason"] == "length_for_scheme"


@given(st.text(alphabet="0123456789", min_size=15, max_size=15), st.data())
def test_any_single_digit_error_is_caught(partial: str, data: st.DataObject) -> None:
    pan = luhn_complete("4" + partial)  # a 16-digit Visa
    pos = data.draw(st.integers(min_value=0, max_value=15))
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != pan[pos]]))
    changed = pan[:pos] + new + pan[pos + 1 :]
    assume(changed[0] == "4")
    assert check_card_number(changed).codes == ("CARD_NUMBER_INVALID",)


LUHN_VECTORS = SHARED_DATA / "id_numbers" / "python_stdnum" / "stdnum_doctest_vectors.csv"


@pytest.mark.skipif(not LUHN_VECTORS.exists(), reason=f"shared test data absent: {LUHN_VECTORS}")
def test_stdnum_luhn_vectors_agree_with_our_luhn() -> None:
    with LUHN_VECTORS.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["module"] == "luhn"]
    checked = 0
    for row in rows:
        if row["function"] != "validate" or "alphabet" in row["args"]:
            continue
        digits = str(ast.literal_eval(row["args"]))
        valid = not row["exception"]
        assert luhn.is_valid(digits) == valid
        assert (luhn_complete(digits[:-1]) == digits) == valid
        if 12 <= len(digits) <= 19 and scheme_range(digits) is None:
            assert (check_card_number(digits).outcome is Outcome.PASS) == valid
        checked += 1
    assert checked >= 4


# --- BIN lookup ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "scheme"),
    [
        ("4000000", "visa"),
        ("5100000", "mastercard"),
        ("5599999", "mastercard"),
        ("5600000", None),
        ("2221000", "mastercard"),
        ("2720999", "mastercard"),
        ("2220999", None),
        ("2721000", None),
        ("3400000", "amex"),
        ("3700000", "amex"),
        ("3528000", "jcb"),
        ("3589999", "jcb"),
        ("3527999", None),
        ("6011000", "discover"),
        ("6440000", "discover"),
        ("6490000", "discover"),
        ("6500000", "discover"),
        ("6221260", "unionpay"),  # UnionPay range Discover also accepts
        ("6200000", "unionpay"),
        ("8171999", "unionpay"),
        ("3600000", "diners"),
        ("3000000", "diners"),
        ("3059999", "diners"),
        ("3060000", None),
        ("2200000", "mir"),
        ("2204999", "mir"),
        ("6759000", "maestro"),
        ("5018000", "maestro"),
        ("9999999", None),
    ],
)
def test_scheme_ranges(prefix: str, scheme: str | None) -> None:
    rng = scheme_range(prefix)
    assert (rng.scheme if rng else None) == scheme


def test_issuer_bins_win_over_scheme_only_answers() -> None:
    info = lookup_bin("6222021234567890123")
    assert info == BinInfo(
        prefix="622202",
        scheme="unionpay",
        card_type=CardType.DEBIT,
        issuer="Industrial and Commercial Bank of China",
        issuer_code="ICBC",
        country="CN",
    )
    visa_issuer = lookup_bin("4367421234567890123")
    assert visa_issuer is not None
    assert (visa_issuer.scheme, visa_issuer.issuer_code) == ("visa", "CCB")


def test_scheme_only_answer() -> None:
    assert lookup_bin("5500000000000004") == BinInfo(prefix="55", scheme="mastercard")


def test_unknown_or_short_input() -> None:
    assert lookup_bin("9999999999999995") is None
    assert lookup_bin("12345") is None
    assert lookup_bin("abcdefabcdef") is None


def test_test_cards_are_flagged_with_their_documented_type() -> None:
    prepaid = lookup_bin("5105 1051 0510 5100")
    assert prepaid is not None and prepaid.test_card and prepaid.card_type is CardType.PREPAID
    visa = lookup_bin("4111111111111111")
    assert visa is not None and visa.test_card and visa.card_type is None
    assert visa.scheme == "visa"


class RecordingLookup:
    """A stand-in for a commercial BIN service."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def lookup(self, bin_digits: str) -> BinInfo | None:
        self.seen.append(bin_digits)
        return BinInfo(prefix=bin_digits, scheme="visa", country="GB")


def test_the_port_sees_eight_digits_never_the_pan() -> None:
    service = RecordingLookup()
    info = lookup_bin("4000 0566 5566 5556", service)
    assert service.seen == ["40000566"]
    assert info is not None and info.country == "GB"
    assert info.test_card  # published test PAN, flagged whatever the service says


def test_custom_table() -> None:
    table = TableBinLookup(
        (IssuerBin("41111111", "Example Bank", "EXB", "GB", CardType.CREDIT, "high"),)
    )
    info = table.lookup("41111111")
    assert info is not None and info.issuer_code == "EXB" and info.scheme == "visa"
    assert table.lookup("41111112") == BinInfo(prefix="4", scheme="visa")


# --- the shipped table itself ---------------------------------------------------------


def test_table_is_well_formed() -> None:
    for rng in SCHEME_RANGES:
        assert len(rng.low) == len(rng.high) and rng.low <= rng.high
        assert rng.low.isdigit() and all(12 <= n <= 19 for n in rng.lengths)
    prefixes = [entry.prefix for entry in ISSUER_BINS]
    assert len(prefixes) == len(set(prefixes))
    for entry in ISSUER_BINS:
        assert len(entry.prefix) == 6 and entry.prefix.isdigit()
        assert scheme_range(entry.prefix) is not None, entry
        assert entry.confidence in {"high", "medium"}
        assert entry.country == "CN"
    for pan, _ in TEST_PANS.items():
        assert luhn.is_valid(pan), pan
        assert scheme_range(pan) is not None, pan


# --- navyxie/bankcardinfo vectors (shared data) ---------------------------------------

NAVYXIE = SHARED_DATA / "id_numbers" / "cn_bankcard_bin_vectors_navyxie_bankcardinfo.csv"
_EXPECTED_SCHEME = {"62": "unionpay", "5": "mastercard", "37": "amex"}


@pytest.mark.skipif(not NAVYXIE.exists(), reason=f"shared test data absent: {NAVYXIE}")
def test_navyxie_bin_vectors_never_contradict_us() -> None:
    """Our small table must agree wherever it answers; it need not answer everywhere.

    Only 2 of the 11 numbers pass Luhn, so this tests the lookup, not the checksum.
    """
    with NAVYXIE.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    answered = 0
    for row in rows:
        pan = row["card_number"]
        info = lookup_bin(pan)
        if not pan.isdigit() or len(pan) < 12:
            assert check_card_number(pan).outcome is Outcome.FAIL
            continue
        assert luhn.is_valid(pan) == (row["luhn_valid_per_stdnum"] == "True")
        expected_scheme = next(v for k, v in _EXPECTED_SCHEME.items() if pan.startswith(k))
        assert info is not None and info.scheme == expected_scheme, row
        if row["asserted_field"] == "bankCode" and info.issuer_code is not None:
            assert info.issuer_code == row["expected"], row
            answered += 1
        if row["asserted_field"] == "cardType":  # CC credit, SCC semi-credit
            assert info.card_type is not CardType.DEBIT, row
    # PSBC's 621799 is in both tables (found independently); the rest we do not claim.
    assert answered >= 1
