"""The pure pieces: country names, birth dates, identity numbers, OFAC remarks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aegis.screening.lists._countries import country_code, is_blank
from aegis.screening.lists._ofac_remarks import parse_remarks
from aegis.screening.lists._values import birth_dates, id_number, is_identifier_type, un_birth_dates


@pytest.mark.parametrize(
    ("name", "code"),
    [
        # CLDR's English names
        ("Iran", "IR"),
        ("Germany", "DE"),
        ("United Kingdom", "GB"),
        ("Myanmar (Burma)", "MM"),
        ("Côte d’Ivoire", "CI"),
        ("Bosnia and Herzegovina", "BA"),
        ("Saint Kitts and Nevis", "KN"),
        ("St. Vincent and the Grenadines", "VC"),
        # OFAC's spellings
        ("Korea, North", "KP"),
        ("Korea, South", "KR"),
        ("Burma", "MM"),
        ("Congo, Democratic Republic of the", "CD"),
        ("Congo, Republic of the", "CG"),
        ("Virgin Islands, British", "VG"),
        ("Man, Isle of", "IM"),
        ("Bahamas, The", "BS"),
        ("The Gambia", "GM"),
        ("Palestinian", "PS"),
        ("West Bank", "PS"),
        ("Region: Gaza", "PS"),
        ("Region: Crimea", "UA"),
        ("possibly Palestinian", "PS"),
        ("Macedonia, The Former Yugoslav Republic of", "MK"),
        ("Czech Republic", "CZ"),
        ("Cote d Ivoire", "CI"),
        ("Turkey", "TR"),
        ("Hong Kong", "HK"),
        ("Macau", "MO"),
        ("Kosovo", "XK"),
        ("Cabo Verde.  Previously Cape Verde", "CV"),
        # The UN's official names
        ("Democratic People's Republic of Korea", "KP"),
        ("Democratic Republic of the Congo", "CD"),
        ("Congo", "CG"),
        ("Iran (Islamic Republic of)", "IR"),
        ("Syrian Arab Republic", "SY"),
        ("Russian Federation", "RU"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("United States of America", "US"),
        ("United Republic of Tanzania", "TZ"),
        ("Viet Nam", "VN"),
        ("Lao People's Democratic Republic", "LA"),
        ("Bolivia (Plurinational State of)", "BO"),
        ("Venezuela (Bolivarian Republic of)", "VE"),
        ("State of Palestine", "PS"),
        ("Türkiye", "TR"),
        ("China, Hong Kong Special Administrative Region", "HK"),
        # codes
        ("IR", "IR"),
        ("XK", "XK"),
        ("PRC", "CN"),
    ],
)
def test_country_names(name: str, code: str) -> None:
    assert country_code(name) == code


@pytest.mark.parametrize(
    "name",
    [
        "former Soviet Union",
        "Netherlands Antilles",
        "Region: Kafia Kingi",
        "Medellin",
        "NM",
        "ZZ",
        "EU",
    ],
)
def test_unknown_countries_are_not_guessed(name: str) -> None:
    assert country_code(name) is None
    assert not is_blank(name)


@pytest.mark.parametrize("name", ["", "-0-", "na", "None Identified", "undetermined", "Unknown"])
def test_blank_countries(name: str) -> None:
    assert country_code(name) is None
    assert is_blank(name)


def test_lower_case_na_is_not_namibia() -> None:
    assert country_code("na") is None
    assert country_code("NA") == "NA"


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("01 Jan 1960", ("1960-01-01",)),
        ("1 Jan 1960", ("1960-01-01",)),
        ("Jan 1960", ("1960-01",)),
        ("September 1960", ("1960-09",)),
        ("1962", ("1962",)),
        ("1962.", ("1962",)),
        ("circa 1955", ("1955",)),
        ("circa 01 Jan 1955", ("1955-01-01",)),
        ("1955 to 1958", ("1955", "1956", "1957", "1958")),
        ("circa 1955-1958", ("1955", "1956", "1957", "1958")),
        ("01 Jan 1960 to 31 Dec 1961", ("1960", "1961")),
        ("1950 to 1959", tuple(str(y) for y in range(1950, 1960))),
        ("1967-10-31", ("1967-10-31",)),
        ("1967-10", ("1967-10",)),
    ],
)
def test_birth_dates(text: str, dates: tuple[str, ...]) -> None:
    assert birth_dates(text) == dates


@pytest.mark.parametrize(
    "text",
    [
        "",
        "unknown",
        "31 Feb 1960",
        "1950 to 1960",
        "1960 to 1950",
        "13/13/1960",
        "0001",
        "Foo 1960",
    ],
)
def test_unreadable_birth_dates(text: str) -> None:
    assert birth_dates(text) == ()


def test_un_birth_dates() -> None:
    assert un_birth_dates(date="1941-11-30", year=None, from_year=None, to_year=None) == (
        "1941-11-30",
    )
    assert un_birth_dates(date=None, year="1943", from_year=None, to_year=None) == ("1943",)
    assert un_birth_dates(date=None, year=None, from_year="1945", to_year="1946") == (
        "1945",
        "1946",
    )
    assert un_birth_dates(date=None, year=None, from_year=None, to_year=None) == ()


@given(st.text(max_size=40))
def test_birth_dates_are_iso_prefixes(text: str) -> None:
    for date in birth_dates(text):
        assert len(date) in (4, 7, 10)
        assert date[:4].isdigit()


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("A1234567", "A1234567"),
        ("123-456 789", "123456789"),
        ("99.88.77", "998877"),
        ("RL 1794375", "RL1794375"),
        ("IMO 9187629", "IMO9187629"),
        ("CAR diplomatic passport no. D00000898", "D00000898"),
        ("181301-1 Cali", "1813011"),
        ("467323, Doc. 694710", "467323"),
        ("a1b2c3", "A1B2C3"),
        ("KDBKKPPY", "KDBKKPPY"),
        ("EP-MMH", "EPMMH"),
    ],
)
def test_id_numbers(raw: str, number: str) -> None:
    assert id_number(raw) == number


@pytest.mark.parametrize("raw", [None, "", "Provisional", "12", "and National ID were"])
def test_no_id_number(raw: str | None) -> None:
    assert id_number(raw) is None


@given(st.text(max_size=40))
def test_id_numbers_are_upper_alphanumerics(raw: str) -> None:
    number = id_number(raw)
    if number is not None:
        assert number.isascii() and number.isalnum() and number == number.upper()


@pytest.mark.parametrize(
    "label",
    [
        "Passport",
        "Diplomatic Passport",
        "National ID No.",
        "Cedula No.",
        "NIT #",
        "Tax ID No.",
        "Registration ID",
        "Vessel Registration Identification",
        "SWIFT/BIC",
        "Aircraft Manufacturer's Serial Number (MSN)",
        "C.U.R.P. #",
        "Matricula Mercantil No",
        "Unified Social Credit Code (USCC)",
    ],
)
def test_identifier_types(label: str) -> None:
    assert is_identifier_type(label)


@pytest.mark.parametrize(
    "label",
    [
        "Email Address",
        "Website",
        "Phone Number",
        "Digital Currency Address - XBT",
        "Gender",
        "Additional Sanctions Information -",
        "Secondary sanctions risk:",
        "Former Vessel Flag",
        "Organization Established Date",
        "Aircraft Model",
    ],
)
def test_not_identifier_types(label: str) -> None:
    assert not is_identifier_type(label)


def test_remarks() -> None:
    facts = parse_remarks(
        "DOB 01 Jan 1960; alt. DOB 1962; nationality Iran; citizen Korea, North; "
        "Nationality of Registration Panama; Passport A1234567 (Iran) issued 01 Jan 2010 "
        "expires 01 Jan 2020; alt. Passport B7654321; Phone Number 123456; "
        "a.k.a. 'AL-QA'IDA'; f.k.a. 'OLD NAME'; Linked To: ACME, S.A. DE C.V.; "
        "Linked To: OTHER CO."
    )
    assert facts.birth_dates == ["01 Jan 1960", "1962"]
    assert facts.nationalities == ["Iran", "Korea, North"]
    assert facts.countries == ["Panama"]
    assert facts.ids == [("A1234567", "Iran"), ("B7654321", None)]
    assert facts.weak_aliases == ["AL-QA'IDA", "OLD NAME"]
    assert facts.linked_to == ["ACME, S.A. DE C.V.", "OTHER CO"]


def test_empty_remarks() -> None:
    facts = parse_remarks(None)
    assert (facts.birth_dates, facts.ids, facts.weak_aliases) == ([], [], [])
