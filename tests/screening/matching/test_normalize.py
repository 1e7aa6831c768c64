"""Normalisation and transliteration: what a name becomes before it is compared."""

from __future__ import annotations

import pytest

from aegis.screening.matching._tokens import Kind, latin_skeleton, prepare_name
from aegis.screening.matching._translit import latin_tokens, romanize


def texts(name: str, rules: str = "unknown") -> list[list[str]]:
    return [[t.text for t in form.tokens] for form in prepare_name(name, rules).forms]


@pytest.mark.parametrize(
    ("raw", "tokens"),
    [
        ("JOSÉ  María  GARCÍA-LÓPEZ", ["jose", "maria", "garcia", "lopez"]),
        ("O'Brien, Seán", ["obrien", "sean"]),
        ("Müller Straße", ["muller", "strasse"]),
        ("ACME S.A.", ["acme", "sa"]),
        ("SMITH<<JOHN<PAUL", ["smith", "john", "paul"]),
        ("Łukasz Żółć", ["lukasz", "zolc"]),
    ],
)
def test_case_accents_punctuation(raw: str, tokens: list[str]) -> None:
    assert latin_tokens(raw) == tokens


def test_leading_titles_are_dropped_from_people() -> None:
    assert texts("Dr. Sheikh Haji Ahmed Ali", "person") == [["ahmed", "ali"]]
    # Not in the middle: there the word is more likely a name.
    assert texts("Ahmed Haji", "person") == [["ahmed", "haji"]]


def test_titles_and_legal_forms_are_light_when_the_type_is_unknown() -> None:
    tokens = prepare_name("General Trading Co Ltd", "unknown").forms[0].tokens
    kinds = {t.text: t.kind for t in tokens}
    assert kinds == {
        "general": Kind.LIGHT,
        "trading": Kind.COMMON,
        "co": Kind.LIGHT,
        "ltd": Kind.LIGHT,
    }


@pytest.mark.parametrize("form", ["ltd", "llc", "gmbh", "sarl", "jsc", "ooo", "pjsc", "fze"])
def test_legal_forms_of_organisations_weigh_little(form: str) -> None:
    tokens = prepare_name(f"Nordwind {form}", "organization").forms[0].tokens
    assert [t.kind for t in tokens] == [Kind.NAME, Kind.LIGHT]


def test_particles_weigh_little_and_joined_spans_are_compared() -> None:
    form = prepare_name("Abd al Rahman", "person").forms[0]
    assert [t.kind for t in form.tokens] == [Kind.NAME, Kind.LIGHT, Kind.NAME]
    joined = {t.text for span, t in form.units if len(span) > 1}
    assert joined == {"abdal", "alrahman", "abdalrahman"}


def test_arabic_keeps_a_consonant_skeleton_and_its_long_vowels() -> None:
    form = prepare_name("صدام حسين التكريتي", "person").forms[0]
    assert [t.text for t in form.tokens] == ["sdam", "hsyn", "al", "tkryty"]
    assert [t.skeleton for t in form.tokens] == ["SDM", "HSN", "L", "TKRT"]
    assert form.tokens[0].abjad and not form.tokens[2].abjad
    assert form.tokens[1].vowels == "I"  # the ya of Husayn
    assert latin_skeleton("saddam") == "SDM"
    assert latin_skeleton("hussein") == "HSN"
    assert latin_skeleton("tikriti") == "TKRT"


def test_arabic_abd_and_allah_join_their_neighbour() -> None:
    assert texts("عبد الله") == [["bdallh"]]
    assert texts("نجیب الله") == [["njyballh"]]


def test_cyrillic_is_spelt_both_ways() -> None:
    forms = texts("Юрий Щербаков")
    assert ["yuriy", "shcherbakov"] in forms
    assert ["iurii", "shcherbakov"] in forms
    assert ["javad"] in texts("Джавад")


def test_chinese_surname_then_given_name_joined() -> None:
    assert texts("毛泽东", "person") == [["mao", "zedong"]]
    assert texts("欧阳修", "person") == [["ouyang", "xiu"]]
    # A surname read as a surname, not as the common word.
    assert texts("曾国藩", "person") == [["zeng", "guofan"]]


def test_chinese_company_names_lose_their_legal_suffix() -> None:
    assert texts("华为技术有限公司", "organization") == [["hua", "wei", "ji", "shu"]]


def test_korean_surnames_get_their_customary_spellings() -> None:
    forms = texts("김정은", "person")
    assert ["kim", "jeongeun"] in forms
    assert ["kim", "jongun"] in forms
    assert ["gim", "jeongeun"] in forms
    assert ["lee", "sunsin"] in texts("이순신", "person")


def test_japanese_kana_romanised_by_syllable() -> None:
    assert texts("とうきょう") == [["tokyo"], ["toukyou"]]
    assert texts("サトウ ヨウコ") == [["sato", "yoko"], ["satou", "youko"]]


def test_a_name_in_two_scripts_gives_each_script_its_own_form() -> None:
    forms = romanize("حسن غول (Hassan Ghul)").forms
    assert [t for t, _, _ in forms[0]] == ["hsn", "ghwl"]
    assert [t for t, _, _ in forms[1]] == ["hassan", "ghul"]


def test_empty_and_punctuation_only_names_have_no_tokens() -> None:
    assert prepare_name("", "unknown").forms == ()
    assert prepare_name("-- , .", "unknown").forms == ()
