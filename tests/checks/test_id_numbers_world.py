"""Outside mainland China: stdnum-backed national IDs, HK/TW IDs, passports, generic."""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import date

import pytest
import stdnum

from aegis.checks.identity import world
from aegis.checks.identity.id_numbers import check_id_number, id_number_birth_date
from aegis.checks.result import CheckResult, Outcome

_EXAMPLE = re.compile(r">>> validate\('([^']+)'\)\n'([^']+)'")


def check(
    number: str, country: str, id_type: str = "national_id", dob: date | None = None
) -> CheckResult:
    return check_id_number(
        id_type=id_type, country=country, number=number, date_of_birth=dob, today=date(2025, 6, 1)
    )


def _docstring_examples() -> list[tuple[str, str, str, str]]:
    """(country, id_type, module, number) for every valid example stdnum documents."""
    rows = []
    tables = (
        ("national_id", world.NATIONAL_ID_MODULES),
        ("residence_permit", world.RESIDENCE_PERMIT_MODULES),
    )
    for id_type, table in tables:
        for cc, modules in table.items():
            for name in modules:
                doc = importlib.import_module(f"stdnum.{name}").__doc__ or ""
                rows += [(cc, id_type, name, n) for n, _ in _EXAMPLE.findall(doc)]
    return rows


EXAMPLES = _docstring_examples()


def test_most_table_modules_have_documented_examples() -> None:
    modules = {m for _, _, m, _ in EXAMPLES}
    assert len(modules) >= 35


@pytest.mark.parametrize(("cc", "id_type", "module", "number"), EXAMPLES)
def test_stdnum_documented_numbers_pass(cc: str, id_type: str, module: str, number: str) -> None:
    result = check(number, cc, id_type)
    assert result.outcome is Outcome.PASS, result
    assert result.details["validated"] == "stdnum"
    assert result.details["scheme"].startswith("stdnum:")


@pytest.mark.parametrize(("cc", "id_type", "module", "number"), EXAMPLES)
def test_stdnum_numbers_with_a_changed_digit_mostly_fail(
    cc: str, id_type: str, module: str, number: str
) -> None:
    # Change the last digit: for numbers with a check digit this must fail. Format-only
    # standards (AR DNI, NL document numbers...) legitimately accept it.
    digits = [i for i, c in enumerate(number) if c.isdigit()]
    pos = digits[-1]
    changed = number[:pos] + str((int(number[pos]) + 1) % 10) + number[pos + 1 :]
    result = check(changed, cc, id_type)
    if result.outcome is Outcome.FAIL:
        assert result.codes == ("ID_NUMBER_INVALID",)
        assert result.details["reason"] in {"checksum", "format", "length", "component"}


def test_stdnum_modules_exist() -> None:
    for table in (world.NATIONAL_ID_MODULES, world.RESIDENCE_PERMIT_MODULES):
        for modules in table.values():
            for name in modules:
                assert hasattr(importlib.import_module(f"stdnum.{name}"), "validate")


def test_every_stdnum_personalid_alias_is_a_decision() -> None:
    """A stdnum upgrade that adds a ``personalid`` alias must be used or excluded here."""
    for info in pkgutil.iter_modules(stdnum.__path__):
        if not info.ispkg or len(info.name.rstrip("_")) != 2:
            continue
        package = importlib.import_module(f"stdnum.{info.name}")
        alias = getattr(package, "personalid", None)
        if alias is None:
            continue
        cc = info.name.rstrip("_").upper()
        name = alias.__name__.removeprefix("stdnum.")
        assert name in world.NATIONAL_ID_MODULES.get(cc, ()) or cc in (
            world.PERSONALID_NOT_ON_CARD
        ), f"{cc}: stdnum offers {name} as personalid"


def test_either_number_on_a_two_number_card_is_accepted() -> None:
    assert check("111222333", "NL").details["scheme"] == "stdnum:nl.bsn"
    assert check("XR1001R58", "NL").details["scheme"] == "stdnum:nl.identiteitskaartnummer"


def test_invalid_stdnum_number_reports_the_first_module() -> None:
    result = check("111222334", "NL")
    assert result.codes == ("ID_NUMBER_INVALID",)
    assert result.details["scheme"] == "stdnum:nl.bsn"
    assert result.details["reason"] == "checksum"


def test_separators_that_carry_meaning_reach_stdnum() -> None:
    # The hyphen is HETU's century sign (1900s): without it the number is not a HETU.
    assert check("131052-308T", "FI").outcome is Outcome.PASS
    assert check("131052308T", "FI").outcome is Outcome.FAIL


def test_birth_date_from_stdnum_numbers() -> None:
    assert check("880320-0016", "SE", dob=date(1988, 3, 20)).outcome is Outcome.PASS
    mismatch = check("880320-0016", "SE", dob=date(1988, 3, 21))
    assert mismatch.codes == ("ID_NUMBER_DOB_MISMATCH",)
    assert mismatch.details["dob_checked"] is True
    assert id_number_birth_date(id_type="national_id", country="SE", number="880320-0016") == (
        date(1988, 3, 20)
    )
    assert id_number_birth_date(id_type="national_id", country="SE", number="880320-0017") is None
    assert id_number_birth_date(id_type="national_id", country="US", number="123456789") is None
    assert id_number_birth_date(id_type="residence_permit", country="BE", number="98472899765")


def test_two_digit_years_tolerate_a_century() -> None:
    # The NIK encodes 17-08-45; stdnum reads 1945, an applicant born 2045 does not exist,
    # but a reading a century off must not be called a mismatch.
    assert check("3171011708450001", "ID", dob=date(1945, 8, 17)).outcome is Outcome.PASS
    assert check("3171011708450001", "ID", dob=date(2045, 8, 17)).outcome is Outcome.PASS
    assert check("3171011708450001", "ID", dob=date(1945, 8, 18)).codes == (
        "ID_NUMBER_DOB_MISMATCH",
    )
    # A full four-digit reading gets no such tolerance.
    assert check("880320-0016", "SE", dob=date(1788, 3, 20)).codes == ("ID_NUMBER_DOB_MISMATCH",)


def test_unreliable_birth_dates_are_not_compared() -> None:
    result = check("770305-02-1234", "MY", dob=date(1999, 1, 1))
    assert result.outcome is Outcome.PASS
    assert result.details["dob_checked"] is False


# --- Hong Kong and Taiwan ------------------------------------------------------------


@pytest.mark.parametrize("number", ["A123456(3)", "A1234563", "Z437626A", "z437626(a)"])
def test_hkid_specimens(number: str) -> None:
    result = check(number, "HK")
    assert result.outcome is Outcome.PASS
    assert result.details == {
        "id_type": "national_id",
        "country": "HK",
        "scheme": "hk_hkid",
        "validated": "checksum",
    }


@pytest.mark.parametrize(
    ("number", "reason"),
    [("A123456(4)", "checksum"), ("A12345(6)", "format"), ("ABC123456(3)", "format")],
)
def test_hkid_invalid(number: str, reason: str) -> None:
    assert check(number, "HK").details["reason"] == reason


def test_two_letter_hkid() -> None:
    good = world.hkid_check_char("XA", "123456")
    assert check(f"XA123456({good})", "HK").outcome is Outcome.PASS


def test_taiwan_national_id() -> None:
    assert check("A123456789", "TW").outcome is Outcome.PASS
    assert check("A123456788", "TW").details["reason"] == "checksum"
    assert check("A323456789", "TW").details["reason"] == "format"
    assert check("A823456789", "TW").details["reason"] == "format"  # a resident certificate


def test_taiwan_resident_certificates() -> None:
    new_style = next(
        f"A8{body}" for body in (f"{n:08d}" for n in range(100)) if world.tw_id_valid(f"A8{body}")
    )
    result = check(new_style, "TW", "residence_permit")
    assert result.outcome is Outcome.PASS
    assert result.details["validated"] == "checksum"
    broken = new_style[:-1] + str((int(new_style[-1]) + 1) % 10)
    assert check(broken, "TW", "residence_permit").details["reason"] == "checksum"
    old_style = check("AB12345678", "TW", "residence_permit")
    assert old_style.outcome is Outcome.PASS
    assert old_style.details["validated"] == "format"


def test_taiwan_letter_values_follow_the_published_order() -> None:
    assert world._TW_LETTERS["A"] == 10
    assert world._TW_LETTERS["I"] == 34
    assert world._TW_LETTERS["O"] == 35
    assert world._TW_LETTERS["W"] == 32
    assert world._TW_LETTERS["Z"] == 33


# --- passports and everything else ----------------------------------------------------


@pytest.mark.parametrize(
    ("number", "validated"),
    [
        ("C01X00T47", "format"),  # German specimen
        ("123456789", "format"),
        ("ab 12345", "format"),
        ("L898902C3", "format"),  # ICAO 9303 specimen (Utopia)
        ("AB1234567890", "format_only"),  # overflows the 9-character MRZ field
    ],
)
def test_icao_passports(number: str, validated: str) -> None:
    result = check(number, "DE", "passport")
    assert result.outcome is Outcome.PASS
    assert result.details["scheme"] == "icao_9303"
    assert result.details["validated"] == validated


@pytest.mark.parametrize(
    "number", ["ABCDEFGH", "1234", "AB12345678901", "AB-12345<", "护照1234567"]
)
def test_icao_rejects(number: str) -> None:
    assert check(number, "GB", "passport").codes == ("ID_NUMBER_INVALID",)


@pytest.mark.parametrize(
    ("id_type", "country", "number"),
    [
        ("national_id", "US", "123-45-6789"),
        ("national_id", "MO", "1234567(8)"),
        ("driver_licence", "CN", "110105199001010010"),
        ("driver_licence", "GB", "MORGA753116SM9IJ"),
        ("residence_permit", "DE", "Y1234567"),
    ],
)
def test_unknown_combinations_pass_as_format_only(id_type: str, country: str, number: str) -> None:
    result = check(number, country, id_type)
    assert result.outcome is Outcome.PASS
    assert result.details["validated"] == "format_only"
    assert result.details["scheme"] == "generic"


@pytest.mark.parametrize("number", ["", "123", "ABCDEFG", "1234567890123456789012", "12 34 ☃ 56"])
def test_generic_sanity_rejects(number: str) -> None:
    assert check(number, "US", "driver_licence").codes == ("ID_NUMBER_INVALID",)


def test_unsupported_id_type() -> None:
    result = check("123456789", "US", "library_card")
    assert result.outcome is Outcome.FAIL
    assert result.codes == ("ID_TYPE_UNSUPPORTED",)
    assert result.details == {"reason": "id_type"}


@pytest.mark.parametrize("country", ["", "CHN", "C1", "中国"])
def test_bad_country_is_a_programming_error(country: str) -> None:
    with pytest.raises(ValueError, match="ISO 3166"):
        check("123456789", country)
