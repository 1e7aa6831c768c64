"""Address matching: canonical tokens, unit formats, postcodes, Chinese units, windows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aegis.checks.address._text import clean_text
from aegis.checks.address.addresses import match_address, postcode_present, tokens_of
from aegis.checks.address.model import PoaAddress

BAKER = PoaAddress(
    lines=("Apartment 3", "12 Baker Street"), city="London", postcode="NW1 6XE", country="GB"
)


def doc(*address_lines: str) -> list[str]:
    text = "\n".join(
        ["NORTHWIND ENERGY LTD", "Mr John Smith", *address_lines, "Account 4417 2290 8812"]
    )
    return clean_text(text).split("\n")


def texts(s: str) -> list[str]:
    return [t.text for t in tokens_of(s)]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("12 Baker Street", "12 BAKER ST."),
        ("Flat 3", "Apt. 3"),
        ("Apartment 3", "#3"),
        ("Unit 3", "No. 3"),
        ("21st Avenue", "21 Ave"),
        ("North Road", "N Rd"),
        ("Rue de l'Église", "RUE DE L EGLISE"),
    ],
)
def test_spellings_of_one_address_give_the_same_tokens(a: str, b: str) -> None:
    assert texts(a) == texts(b)


def test_units_written_with_a_slash_or_hyphen_split_into_numbers() -> None:
    assert texts("3/12 Baker St") == texts("Flat 3, 12 Baker Street") == ["3", "12", "baker", "st"]


def test_ocr_letters_inside_numbers_are_read_as_digits() -> None:
    assert texts("I2 Baker St") == texts("12 Baker St")
    assert texts("1O0 Main Rd") == ["100", "main", "rd"]


def test_chinese_addresses_split_on_their_units() -> None:
    assert texts("广东省深圳市南山区科技园路1号2栋301室") == [
        "广东", "深圳", "南山", "科技园", "1", "2", "301",
    ]  # fmt: skip
    assert texts("深圳市 南山区 科技园路 1 号") == ["深圳", "南山", "科技园", "1"]


@pytest.mark.parametrize(
    "lines",
    [
        ("Flat 3, 12 Baker St", "LONDON", "NW1 6XE"),
        ("12 Baker Street Apt 3", "London NW1 6XE"),
        ("3/12 Baker St, London, NW16XE",),
    ],
)
def test_the_same_address_in_any_layout_passes(lines: tuple[str, ...]) -> None:
    match = match_address(doc(*lines), address=BAKER, window=6)
    assert (match.score, match.missing, match.postcode_found) == (100.0, 0, True)


def test_a_different_house_number_is_missing_and_scores_low() -> None:
    match = match_address(doc("Flat 3, 14 Baker St", "London NW1 6XE"), address=BAKER, window=6)
    assert match.missing == 1
    assert match.score < 85.0


def test_a_different_street_with_the_same_numbers_fails() -> None:
    match = match_address(doc("Flat 3, 12 Oxford St", "London NW1 6XE"), address=BAKER, window=6)
    assert match.missing == 1
    assert match.score < 85.0


def test_another_city_and_street_is_far_off() -> None:
    match = match_address(doc("44 Mill Lane", "Leeds LS1 4AP"), address=BAKER, window=6)
    assert match.missing >= 3
    assert match.postcode_found is False
    assert match.score < 50.0


def test_tokens_further_apart_than_the_window_do_not_add_up() -> None:
    lines = doc("Flat 3, 12 Baker St", *["filler text"] * 8, "London NW1 6XE")
    assert match_address(lines, address=BAKER, window=3).missing == 1
    assert match_address(lines, address=BAKER, window=12).missing == 0


def test_postcode_must_stand_alone_and_match_exactly() -> None:
    assert postcode_present("NW1 6XE", "London NW16XE")
    assert postcode_present("nw1-6xe", "LONDON NW1 6XE")
    assert not postcode_present("NW1 6XE", "London NW1 6XF")
    assert not postcode_present("10001", "Account 8100014")
    assert postcode_present("518057", "邮编518057")


def test_a_single_string_address_is_tokenised_whole() -> None:
    one_line = PoaAddress(lines=("Apartment 3, 12 Baker Street, London NW1 6XE",))
    match = match_address(doc("Flat 3, 12 Baker St", "LONDON NW1 6XE"), address=one_line, window=6)
    assert (match.score, match.missing, match.postcode_found) == (100.0, 0, None)


def test_a_chinese_address_without_its_province_still_matches() -> None:
    cn = PoaAddress(lines=("广东省深圳市南山区科技园路1号2栋301室",), country="CN")
    lines = clean_text("户名：张伟\n地 址 ： 深 圳 市 南 山 区 科 技 园 路 1 号 2 栋 301 室").split(
        "\n"
    )
    match = match_address(lines, address=cn, window=6)
    assert match.missing == 0
    assert match.score >= 85.0
    other = PoaAddress(lines=("广东省深圳市福田区深南大道1号2栋301室",), country="CN")
    assert match_address(lines, address=other, window=6).missing == 2


def test_an_empty_address_gives_no_tokens() -> None:
    assert match_address(doc("12 Baker St"), address=PoaAddress(), window=6).tokens == 0


_STREET_TYPES = [("Street", "St"), ("Road", "Rd"), ("Avenue", "Ave"), ("Lane", "Ln")]
_UNITS = ["Flat", "Apartment", "Apt", "Unit", "#", "No."]
_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=10)


@given(
    st.integers(1, 999),
    st.integers(1, 99),
    _NAME,
    st.sampled_from(_STREET_TYPES),
    _NAME,
    st.sampled_from(_UNITS),
    st.sampled_from(_UNITS),
    st.booleans(),
)
def test_any_address_matches_its_own_rewording(
    number: int,
    unit: int,
    street: str,
    street_type: tuple[str, str],
    city: str,
    unit_word: str,
    doc_unit_word: str,
    upper: bool,
) -> None:
    long_type, short_type = street_type
    declared = PoaAddress(
        lines=(f"{unit_word} {unit}", f"{number} {street} {long_type}"), city=city
    )
    shown = f"{doc_unit_word} {unit}, {number} {street} {short_type}."
    lines = [shown.upper() if upper else shown, city.upper()]
    match = match_address(lines, address=declared, window=6)
    assert (match.score, match.missing) == (100.0, 0)
