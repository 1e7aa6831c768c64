"""Mainland China: resident IDs (18 and 15 digits), HK/MO/TW permits, CN passports."""

from __future__ import annotations

import ast
import csv
from datetime import date

import pytest

from aegis.checks.identity.cn import region_status
from aegis.checks.identity.id_numbers import check_id_number, id_number_birth_date
from aegis.checks.result import CheckResult, Outcome
from tests.checks.helpers import SHARED_DATA, STABLE_REGIONS, make_ric, mod11_2_check

TODAY = date(2025, 6, 1)


def cn(number: str, dob: date | None = None, id_type: str = "national_id") -> CheckResult:
    return check_id_number(
        id_type=id_type, country="CN", number=number, date_of_birth=dob, today=TODAY
    )


def assert_no_pii(result: CheckResult, *secrets: str) -> None:
    text = repr(result.details)
    for secret in secrets:
        assert secret not in text


# --- 18-digit resident ID ------------------------------------------------------------


def test_valid_number_with_matching_birth_date_passes() -> None:
    result = cn("360426199101010071", date(1991, 1, 1))
    assert result.outcome is Outcome.PASS
    assert result.codes == ()
    assert result.details == {
        "id_type": "national_id",
        "country": "CN",
        "scheme": "cn_ric",
        "validated": "checksum",
        "region": "known",
        "dob_checked": True,
    }
    assert_no_pii(result, "360426", "1991", "19910101")


def test_lowercase_x_spaces_and_full_width_digits_are_normalised() -> None:
    assert cn("44011320141005001x", date(2014, 10, 5)).outcome is Outcome.PASS
    assert cn("4401 1320 1410 0500 1X", date(2014, 10, 5)).outcome is Outcome.PASS
    full_width = "３６０４２６１９９１０１０１００７１"
    assert cn(full_width, date(1991, 1, 1)).outcome is Outcome.PASS


def test_country_code_is_case_insensitive() -> None:
    result = check_id_number(
        id_type="national_id", country="cn", number="360426199101010071", date_of_birth=None
    )
    assert result.outcome is Outcome.PASS
    assert result.details["country"] == "CN"
    assert result.details["dob_checked"] is False


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("36042619910102009X", "checksum"),
        ("360426199101010072", "checksum"),
        ("T60426199101010078", "format"),
        ("3604261991010100X1", "format"),
        ("36042619910101007", "length"),
        ("3604261991010100711", "length"),
        ("", "length"),
        ("360426199113010079", "birth_date"),  # stdnum's invalid-date vector
    ],
)
def test_malformed_numbers_are_invalid(number: str, reason: str) -> None:
    result = cn(number)
    assert result.outcome is Outcome.FAIL
    assert result.codes == ("ID_NUMBER_INVALID",)
    assert result.details["reason"] == reason


@pytest.mark.parametrize(
    "born",
    ["19910230", "19911301", "18791231", "20250602", "00000000"],
    ids=["feb30", "month13", "before1880", "future", "zeros"],
)
def test_impossible_birth_date_is_invalid_even_with_a_good_checksum(born: str) -> None:
    body = f"110105{born}001"
    result = cn(body + mod11_2_check(body))
    assert result.codes == ("ID_NUMBER_INVALID",)
    assert result.details["reason"] == "birth_date"


def test_birth_date_mismatch_fails() -> None:
    result = cn("360426199101010071", date(1991, 1, 2))
    assert result.outcome is Outcome.FAIL
    assert result.codes == ("ID_NUMBER_DOB_MISMATCH",)
    assert_no_pii(result, "1991")


def test_unknown_region_goes_to_review() -> None:
    result = cn(make_ric("990426", date(1991, 12, 1), 7))
    assert result.outcome is Outcome.REVIEW
    assert result.codes == ("ID_NUMBER_REGION_UNKNOWN",)
    assert result.details["region"] == "unknown"


def test_region_abolished_before_birth_goes_to_review() -> None:
    result = cn("110201199312010077")  # 昌平县, withdrawn in 1982
    assert result.outcome is Outcome.REVIEW
    assert result.details["region"] == "abolished"


def test_region_created_after_birth_is_accepted() -> None:
    # 房山区 dates from 1986; a person born in 1980 is numbered when registered, later.
    result = cn("110111198012010078")
    assert result.outcome is Outcome.PASS
    assert region_status("110111", 1980) == "known"


def test_region_renamed_is_known_under_either_name() -> None:
    assert region_status("120110", 1980) == "known"  # 东郊区
    assert region_status("120110", 1995) == "known"  # 东丽区


def test_mismatch_and_unknown_region_keep_both_codes_and_fail() -> None:
    result = cn(make_ric("990426", date(1991, 12, 1), 7), date(1991, 12, 2))
    assert result.outcome is Outcome.FAIL
    assert result.codes == ("ID_NUMBER_DOB_MISMATCH", "ID_NUMBER_REGION_UNKNOWN")


@pytest.mark.parametrize("region", STABLE_REGIONS)
def test_stable_regions_used_by_the_property_tests_are_known(region: str) -> None:
    for year in (1900, 1950, 1990, 2024):
        assert region_status(region, year) == "known"


# --- 15-digit legacy numbers ----------------------------------------------------------


def test_legacy_number_is_rejected_as_legacy() -> None:
    result = cn("610104620927690", date(1962, 9, 27))
    assert result.outcome is Outcome.FAIL
    assert result.codes == ("ID_NUMBER_LEGACY",)
    assert result.details["scheme"] == "cn_ric_legacy15"
    assert result.details["region"] == "known"
    assert result.details["dob_checked"] is True


def test_legacy_number_with_other_birth_date_says_so_too() -> None:
    result = cn("610104620927690", date(1962, 9, 28))
    assert result.codes == ("ID_NUMBER_LEGACY", "ID_NUMBER_DOB_MISMATCH")


def test_legacy_number_with_impossible_date_is_invalid() -> None:
    result = cn("610104621327690")
    assert result.codes == ("ID_NUMBER_INVALID",)
    assert result.details == {
        "id_type": "national_id",
        "country": "CN",
        "scheme": "cn_ric_legacy15",
        "reason": "birth_date",
    }


def test_legacy_number_with_unknown_region_reports_it_in_details() -> None:
    result = cn("990426620927690")
    assert result.codes == ("ID_NUMBER_LEGACY",)
    assert result.details["region"] == "unknown"


# --- Hong Kong, Macau and Taiwan residents --------------------------------------------

HMT_SAMPLES = ("810000199408230021", "830000199201300022")  # Beijing PSB specimens


@pytest.mark.parametrize("number", HMT_SAMPLES)
def test_published_residence_permit_specimens_pass(number: str) -> None:
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    for country in ("CN", "HK", "MO", "TW"):
        result = check_id_number(
            id_type="hmt_residence_permit",
            country=country,
            number=number,
            date_of_birth=born,
            today=TODAY,
        )
        assert result.outcome is Outcome.PASS, result
        assert result.details["scheme"] == "cn_hmt_residence_permit"


def test_residence_permit_entered_as_national_id_is_validated_as_permit() -> None:
    result = cn(make_ric("820000", date(2000, 1, 1), 1))
    assert result.outcome is Outcome.PASS
    assert result.details["id_type"] == "national_id"
    assert result.details["scheme"] == "cn_hmt_residence_permit"


def test_residence_permit_holder_born_before_the_handover_is_fine() -> None:
    # stdnum dates 810000 from 1997; the permit number is assigned in 2018 or later.
    assert cn(make_ric("810000", date(1960, 5, 5), 11)).outcome is Outcome.PASS


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("810000199408230022", "checksum"),
        (make_ric("110105", date(1990, 1, 1), 1), "prefix"),
        ("81000019940823002", "length"),
        ("8100001994082300A1", "format"),
        ("81000019940230001" + mod11_2_check("81000019940230001"), "birth_date"),
    ],
)
def test_bad_residence_permits_are_invalid(number: str, reason: str) -> None:
    result = cn(number, id_type="hmt_residence_permit")
    assert result.codes == ("ID_NUMBER_INVALID",)
    assert result.details["reason"] == reason


def test_residence_permit_birth_date_is_checked() -> None:
    number = make_ric("830000", date(1992, 1, 30), 2)
    assert cn(number, date(1992, 1, 30), "hmt_residence_permit").outcome is Outcome.PASS
    assert cn(number, date(1992, 1, 31), "hmt_residence_permit").codes == (
        "ID_NUMBER_DOB_MISMATCH",
    )
    body = "83000019920230002"
    assert cn(body + mod11_2_check(body), None, "hmt_residence_permit").details["reason"] == (
        "birth_date"
    )


@pytest.mark.parametrize(
    ("number", "scheme"),
    [
        ("H12345678", "cn_home_return_permit"),
        ("M12345678", "cn_home_return_permit"),
        ("H1234567801", "cn_home_return_permit"),
        ("h 1234 5678", "cn_home_return_permit"),
        ("C12345678", "cn_exit_entry_permit"),
        ("CA0000001", "cn_exit_entry_permit"),
        ("CZ1234567", "cn_exit_entry_permit"),
    ],
)
def test_hk_macau_permits_by_format(number: str, scheme: str) -> None:
    result = cn(number, id_type="hk_macau_permit")
    assert result.outcome is Outcome.PASS
    assert result.details["scheme"] == scheme
    assert result.details["validated"] == "format"


@pytest.mark.parametrize(
    "number",
    ["H1234567", "H123456789", "K12345678", "W12345678", "CI1234567", "CO1234567", "C1234567"],
)
def test_hk_macau_permit_bad_formats(number: str) -> None:
    result = cn(number, id_type="hk_macau_permit")
    assert result.codes == ("ID_NUMBER_INVALID",)
    assert result.details["reason"] == "format"


@pytest.mark.parametrize("number", ["12345678", "1234567801", "0725 7456"])
def test_taiwan_permit_formats(number: str) -> None:
    result = cn(number, id_type="taiwan_permit")
    assert result.outcome is Outcome.PASS
    assert result.details["scheme"] == "cn_taiwan_permit"


@pytest.mark.parametrize("number", ["1234567", "123456789", "A1234567", "12345678901"])
def test_taiwan_permit_bad_formats(number: str) -> None:
    assert cn(number, id_type="taiwan_permit").codes == ("ID_NUMBER_INVALID",)


@pytest.mark.parametrize("id_type", ["hk_macau_permit", "taiwan_permit", "hmt_residence_permit"])
def test_greater_china_permits_from_elsewhere_are_unsupported(id_type: str) -> None:
    result = check_id_number(id_type=id_type, country="DE", number="H12345678", date_of_birth=None)
    assert result.outcome is Outcome.FAIL
    assert result.codes == ("ID_TYPE_UNSUPPORTED",)


# --- CN passports ---------------------------------------------------------------------


@pytest.mark.parametrize("number", ["E12345678", "EA1234567", "EH0000001", "G12345678"])
def test_cn_ordinary_passports(number: str) -> None:
    result = cn(number, id_type="passport")
    assert result.outcome is Outcome.PASS
    assert result.details["scheme"] == "cn_passport"


@pytest.mark.parametrize("number", ["E1234567", "E123456789", "EI1234567", "G1234567", "EAB12345"])
def test_cn_ordinary_passport_typos_fail(number: str) -> None:
    result = cn(number, id_type="passport")
    assert result.codes == ("ID_NUMBER_INVALID",)
    assert result.details["scheme"] == "cn_passport"


@pytest.mark.parametrize("number", ["D12345678", "SE1234567", "P1234567"])
def test_other_cn_passports_fall_back_to_icao(number: str) -> None:
    result = cn(number, id_type="passport")
    assert result.outcome is Outcome.PASS
    assert result.details["scheme"] == "icao_9303"


# --- birth dates ----------------------------------------------------------------------


def test_birth_date_from_numbers() -> None:
    def born(number: str, id_type: str = "national_id") -> date | None:
        return id_number_birth_date(id_type=id_type, country="CN", number=number)

    assert born("360426199101010071") == date(1991, 1, 1)
    assert born("44011320141005001x") == date(2014, 10, 5)
    assert born("610104620927690") == date(1962, 9, 27)
    assert born("810000199408230021", "hmt_residence_permit") == date(1994, 8, 23)
    assert born("360426199101010072") is None  # checksum
    assert born("E12345678", "passport") is None
    assert born("H12345678", "hk_macau_permit") is None


# --- python-stdnum's own vectors (shared data) ----------------------------------------

VECTORS = SHARED_DATA / "id_numbers" / "python_stdnum" / "stdnum_doctest_vectors.csv"


def _ric_rows() -> list[dict[str, str]]:
    if not VECTORS.exists():
        return []
    with VECTORS.open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["module"] == "ric"]


@pytest.mark.skipif(not VECTORS.exists(), reason=f"shared test data absent: {VECTORS}")
def test_stdnum_ric_vectors() -> None:
    rows = _ric_rows()
    assert len(rows) >= 10
    for row in rows:
        number = ast.literal_eval(row["args"])
        result = cn(number)
        if row["function"] == "get_birth_date":
            assert id_number_birth_date(id_type="national_id", country="CN", number=number) == (
                eval(row["expected"], {"datetime": __import__("datetime")})  # noqa: S307
            )
        elif row["function"] == "validate" and not row["exception"]:
            assert result.outcome is Outcome.PASS, row
        elif row["exception"] in ("InvalidFormat", "InvalidChecksum"):
            assert result.codes == ("ID_NUMBER_INVALID",), row
        elif row["comment"] in ("unknown county", "unknown birth place code"):
            # stdnum rejects; our policy sends an unknown region to a reviewer.
            assert result.outcome is Outcome.REVIEW, row
        elif row["comment"] == "county was not registered yet at birth year":
            assert result.outcome is Outcome.PASS, row  # see region_status
        elif row["comment"] == "county was deregistered at birth year":
            assert result.outcome is Outcome.REVIEW, row
        elif row["exception"] == "InvalidComponent":  # the impossible date
            assert result.codes == ("ID_NUMBER_INVALID",), row
        else:
            assert result.outcome is not Outcome.FAIL, row  # birth-place lookups that work
