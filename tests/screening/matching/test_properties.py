"""Properties: scores stay in range, names match themselves, comparison is symmetric
enough, and retrieval never loses what compare() would match."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aegis.screening.entities import EntityType, ListEntity
from aegis.screening.matching import DEFAULT_THRESHOLD, NameIndex, Query, compare
from aegis.screening.matching._compare import best_names
from aegis.screening.matching._similarity import _similarity
from aegis.screening.matching._tokens import name_rules, prepare_name
from aegis.screening.matching.testsets import (
    joined_split,
    missing_middle,
    misspelled,
    reordered,
    synthetic_customers,
    truncated,
)

TYPES = st.sampled_from([EntityType.PERSON, EntityType.ORGANIZATION, EntityType.UNKNOWN])
# Latin with accents and punctuation, Arabic, Cyrillic, Han, Hangul, kana.
LETTERS = st.characters(
    codec="utf-8",
    categories=("L", "Zs", "Pd", "Po"),
    exclude_characters="\x00",
)
NAMES = st.text(LETTERS, min_size=1, max_size=40)
WORDS = st.lists(
    st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=1, max_size=10),
    min_size=1,
    max_size=5,
).map(" ".join)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(a=NAMES, b=NAMES, qtype=TYPES, etype=TYPES, dob=st.sampled_from([None, "1970", "1990-02"]))
def test_score_is_in_range(
    a: str, b: str, qtype: EntityType, etype: EntityType, dob: str | None
) -> None:
    entity = ListEntity(key="k", type=etype, name=b, birth_dates=("1970-01-01",))
    result = compare(Query.of(a, type=qtype, birth_date=dob, countries=("US",)), entity)
    assert 0.0 <= result.score <= 1.0
    assert result.match is (result.score >= DEFAULT_THRESHOLD)


@SETTINGS
@given(name=NAMES, kind=TYPES)
def test_a_name_matches_itself(name: str, kind: EntityType) -> None:
    if not prepare_name(name, name_rules(kind)).forms:
        return  # nothing left to compare (punctuation only)
    assert compare(Query.of(name, type=kind), ListEntity(key="k", type=kind, name=name)).match


@SETTINGS
@given(a=WORDS, b=WORDS)
def test_name_score_is_symmetric_enough(a: str, b: str) -> None:
    pa, pb = prepare_name(a, "unknown"), prepare_name(b, "unknown")
    ab, _ = best_names((pa,), (pb,))
    ba, _ = best_names((pb,), (pa,))
    assert abs(ab - ba) <= 0.1


# Made-up listed names in the shapes the real lists have (none is a real listed person).
LISTED_NAMES = [
    "AL-RAWI, Ahmad Futayyih Khalifa",
    "BARAKAT, Hatim Ahmad",
    "ABD AL-RAHMAN, Yusuf Salih",
    "KARIMOV, Dmitri Olegovich",
    "SOKOLOVA, Natalia Ivanovna",
    "OCHOA VASCO, Fabio Enrique",
    "GARCIA BUITRAGO, Miyer Alberto",
    "ZHANG, Jianming",
    "LI, Xiaohong",
    "KIM, Yong-chol",
    "NKUNDA, Laurent",
    "MANSOOR, Abdul Latif",
    "HAQQANI, Sirajuddin",
    "ABU BAKR AL-BAGHDADI",
    "AL-NOUR TRADING COMPANY LLC",
    "PETROSERVICE HOLDING GMBH",
    "GREEN WAVE SHIPPING CO., LTD.",
    "محمد عبد الكريم الغماري",
    "عبد الله يحيى الحوثي",
    "Ахмед Ражапович Чатаев",
]
KINDS = (misspelled, reordered, truncated, missing_middle, joined_split)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_search_finds_what_compare_finds(seed: int) -> None:
    rng = random.Random(seed)
    listed = [
        ListEntity(
            key=f"l{i}",
            type=EntityType.ORGANIZATION
            if name.isupper() and "," not in name
            else EntityType.PERSON,
            name=name,
        )
        for i, name in enumerate(LISTED_NAMES)
    ]
    corpus = [*listed, *synthetic_customers(60, seed=seed)]
    index = NameIndex()
    for entity in corpus:
        index.add(entity.key, entity)
    for entity in listed:
        for make in KINDS:
            variant = make(entity.name, rng)
            if not variant:
                continue
            query = Query.of(variant, type=entity.type)
            expected = {e.key for e in corpus if compare(query, e).match}
            found = {ref for ref, _, _ in index.search(query, limit=1000)}
            assert expected <= found, (variant, expected - found)


@SETTINGS
@given(a=WORDS, b=WORDS)
def test_token_similarity_does_not_depend_on_the_order(a: str, b: str) -> None:
    """Exactly, not just enough: the similarity cache keeps the first order it computed
    for both, so an asymmetric pair would score by whichever query came first."""
    units = [
        [token for form in prepare_name(name, "unknown").forms for _, token in form.units]
        for name in (a, b)
    ]
    for ta in units[0]:
        for tb in units[1]:
            assert _similarity(ta, tb) == _similarity(tb, ta), (ta.text, tb.text)


def test_one_patronymic_of_two_tokens_of_one_length_caps_either_way_round() -> None:
    a, b = (prepare_name(n, "unknown").forms[0].tokens[0] for n in ("Petrovich", "Petrovics"))
    assert _similarity(a, b) == _similarity(b, a) == (0.7, "patronymic")
