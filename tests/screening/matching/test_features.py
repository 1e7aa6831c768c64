"""Each feature on its own: value, weight, contribution, detail, documentation."""

from __future__ import annotations

import json

import pytest

from aegis.screening.entities import EntityType, ListEntity
from aegis.screening.matching import FEATURES, Query, compare
from aegis.screening.matching._similarity import token_similarity
from aegis.screening.matching._tokens import prepare_name

P = EntityType.PERSON


def entity(name: str = "PETROV, Ivan", **kw: object) -> ListEntity:
    return ListEntity(key="k", type=kw.pop("type", P), name=name, **kw)  # type: ignore[arg-type]


def token(text: str, rules: str = "unknown"):  # type: ignore[no-untyped-def]
    return prepare_name(text, rules).forms[0].tokens[0]


def test_every_feature_is_documented_and_in_every_result() -> None:
    result = compare(Query.of("Ivan Petrov"), entity())
    assert set(result.features) == set(FEATURES)
    assert set(FEATURES) == {
        "name_similarity",
        "name_missing_tokens",
        "name_conflicting_tokens",
        "name_single_token",
        "birth_date",
        "country",
        "id_number",
        "entity_type",
    }
    for name, doc in FEATURES.items():
        assert len(doc) > 80, name
        assert "\n" not in doc


def test_score_is_the_clamped_sum_of_contributions() -> None:
    result = compare(Query.of("Ivan Petrov", birth_date="1970"), entity(birth_dates=("1970",)))
    total = sum(f.contribution for f in result.features.values())
    assert result.score == pytest.approx(min(1.0, max(0.0, total)))
    for f in result.features.values():
        assert f.contribution == pytest.approx(f.value * f.weight)


def test_explain_is_json_ready() -> None:
    result = compare(Query.of("Muhammad Ali"), entity("ALI, Mohammed"))
    explained = result.explain()
    assert json.loads(json.dumps(explained)) == explained
    assert set(explained) >= {"score", "match", "threshold", "matched_name", "features"}
    detail = explained["features"]["name_similarity"]
    assert set(detail) == {"value", "weight", "contribution", "detail"}
    assert "'muhammad' ~ 'mohammed' (phonetic" in detail["detail"]


@pytest.mark.parametrize(
    ("a", "b", "method"),
    [
        ("mohammed", "mohammed", "exact"),
        ("mohammed", "muhammad", "phonetic"),
        ("hassan", "hasan", "fuzzy"),
        ("bwambale", "bwambael", "fuzzy"),
        ("kakolele", "kakol", "truncated"),
        ("alqaida", "qaida", "article"),
        ("bin", "ben", "particle"),
        ("j", "john", "initial"),
        ("ivanov", "ivanovich", "patronymic"),
        ("ahmadi", "ahmad", "nisba"),
    ],
)
def test_token_measures(a: str, b: str, method: str) -> None:
    score, how = token_similarity(token(a), token(b))
    assert how == method
    assert 0.0 < score <= 1.0


def test_edit_similarity_is_stricter_for_short_tokens() -> None:
    short, _ = token_similarity(token("mary"), token("marx"))
    long, _ = token_similarity(token("bwambale"), token("bwambalx"))
    assert short < long
    # A different first consonant costs more than a different last letter.
    first, _ = token_similarity(token("wang"), token("kang"))
    last, _ = token_similarity(token("wang"), token("wanx"))
    assert first < last


def test_arabic_skeleton_needs_compatible_vowels() -> None:
    arabic = prepare_name("جان", "unknown").forms[0].tokens[0]
    assert token_similarity(arabic, token("jaan")) == (0.9, "skeleton")
    assert token_similarity(arabic, token("jun"))[0] == 0.0
    ali = prepare_name("علي", "unknown").forms[0].tokens[0]
    assert token_similarity(ali, token("ali"))[0] >= 0.8
    assert token_similarity(ali, token("lei"))[0] == 0.0  # ayn starts the Latin with a vowel


def test_missing_tokens_cost_little_then_more() -> None:
    one_of_three = compare(Query.of("Frank Bwambale"), entity("BWAMBALE, Frank Kakolele"))
    feature = one_of_three.features["name_missing_tokens"]
    assert feature.value == pytest.approx(1 / 3 + 1.5 / 9)
    assert feature.contribution == pytest.approx(-0.3 * feature.value)
    assert "only in name: 'kakolele'" in feature.detail
    two_of_four = compare(Query.of("Ali Hassan"), entity("ALI HASSAN, Majid Kamel"))
    assert two_of_four.features["name_missing_tokens"].value == pytest.approx(0.5 + 1.5 / 4)
    assert not two_of_four.match


def test_conflicting_tokens_cost_a_lot() -> None:
    result = compare(Query.of("Ali Hassan Karim"), entity("Ali Hassan MAHMOUD"))
    feature = result.features["name_conflicting_tokens"]
    assert feature.value == pytest.approx(1 / 3)
    assert feature.contribution == pytest.approx(-0.8 / 3)
    assert not result.match


def test_single_token_rule() -> None:
    result = compare(Query.of("John"), entity("SMITH, John"))
    assert result.features["name_single_token"].value == 1.0
    assert result.features["name_single_token"].contribution == -0.35
    assert not result.match
    # One token on both sides is fine, and so is one joined token explaining two.
    assert compare(Query.of("Hamas"), entity("HAMAS", type=EntityType.ORGANIZATION)).match
    joined = compare(Query.of("Abdulrahman"), entity("Abdul Rahman"))
    assert joined.features["name_single_token"].value == 0.0


@pytest.mark.parametrize(
    ("query_date", "listed", "value"),
    [
        ("1970-05-17", ("1970-05-17",), 0.6),
        ("1970", ("1970-05-17",), 0.3),
        ("1970-05", ("1970-05-17",), 0.3),
        ("1971-01-02", ("1970-05-17",), 0.0),
        ("1970-08-01", ("1970-05-17",), -0.3),
        ("1970-05-18", ("1970-05-17",), -0.3),
        ("1985-05-17", ("1970-05-17",), -1.0),
        ("1985", ("1970", "1985"), 0.3),  # the most favourable of several dates
        ("not a date", ("1970",), 0.0),
        (None, ("1970",), 0.0),
    ],
)
def test_birth_date(query_date: str | None, listed: tuple[str, ...], value: float) -> None:
    result = compare(Query.of("Ivan Petrov", birth_date=query_date), entity(birth_dates=listed))
    feature = result.features["birth_date"]
    assert feature.value == value
    assert feature.weight == 0.15


def test_country() -> None:
    listed = entity(nationalities=("RU",), countries=("CY",))
    shared = compare(Query.of("Ivan Petrov", countries=("cy",)), listed).features["country"]
    assert (shared.value, shared.detail) == (0.6, "shared: CY")
    other = compare(Query.of("Ivan Petrov", countries=("BR",)), listed).features["country"]
    assert other.value == -1.0
    unknown = compare(Query.of("Ivan Petrov"), listed).features["country"]
    assert unknown.value == 0.0


def test_id_number() -> None:
    listed = entity(id_numbers=("AB 123456",))
    same = compare(Query.of("Ivan Petrov", id_numbers=("ab-123456",)), listed)
    assert same.features["id_number"].value == 1.0
    assert same.features["id_number"].contribution == 0.3
    other = compare(Query.of("Ivan Petrov", id_numbers=("XY999999",)), listed)
    assert other.features["id_number"].value == 0.0  # people hold several documents
    short = compare(Query.of("Ivan Petrov", id_numbers=("1234",)), entity(id_numbers=("1234",)))
    assert short.features["id_number"].value == 0.0  # too short to identify anyone


@pytest.mark.parametrize(
    ("query_type", "listed_type", "value"),
    [
        (EntityType.PERSON, EntityType.PERSON, 0.0),
        (EntityType.PERSON, EntityType.ORGANIZATION, -1.0),
        (EntityType.ORGANIZATION, EntityType.VESSEL, -0.3),
        (None, EntityType.ORGANIZATION, 0.0),
        (EntityType.PERSON, EntityType.UNKNOWN, 0.0),
    ],
)
def test_entity_type(query_type: EntityType | None, listed_type: EntityType, value: float) -> None:
    result = compare(Query.of("Nordwind", type=query_type), entity("NORDWIND", type=listed_type))
    assert result.features["entity_type"].value == value
