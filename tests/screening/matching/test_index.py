"""NameIndex: retrieval without a full scan, in both directions, and search == compare."""

from __future__ import annotations

from aegis.screening.entities import EntityType, ListEntity
from aegis.screening.matching import NameIndex, Query, compare
from aegis.screening.matching.testsets import synthetic_customers

P = EntityType.PERSON

LISTED = [
    ListEntity(key="1", type=P, name="AL-TIKRITI, Saddam Hussein", aliases=("صدام حسين التكريتي",)),
    ListEntity(key="2", type=P, name="BWAMBALE, Frank Kakolele", birth_dates=("1970",)),
    ListEntity(key="3", type=P, name="ZHANG, Wei", nationalities=("CN",)),
    ListEntity(key="4", type=EntityType.ORGANIZATION, name="AL QAIDA", aliases=("Al-Qa'ida",)),
    ListEntity(key="5", type=P, name="PETROV, Ivan Sergeyevich", id_numbers=("RU7700112233",)),
    ListEntity(key="6", type=P, name="SMITH, Robert"),
]


def index() -> NameIndex:
    idx = NameIndex()
    for e in LISTED:
        idx.add(("test", e.key), e)
    return idx


def refs(hits: list) -> list:  # type: ignore[type-arg]
    return [ref for ref, _, _ in hits]


def test_len_counts_entities() -> None:
    assert len(index()) == len(LISTED)
    assert len(NameIndex(LISTED)) == len(LISTED)


def test_search_finds_variants_best_first() -> None:
    idx = index()
    assert refs(idx.search(Query.of("Saddam Hussein al-Tikriti"))) == [("test", "1")]
    assert refs(idx.search(Query.of("صدام حسين التكريتي"))) == [("test", "1")]
    assert refs(idx.search(Query.of("Frank Bwambale"))) == [("test", "2")]
    assert refs(idx.search(Query.of("Alqaida"))) == [("test", "4")]
    assert refs(idx.search(Query.of("张伟"))) == [("test", "3")]
    assert idx.search(Query.of("John Smith")) == []
    assert idx.search(Query.of("")) == []


def test_search_returns_what_compare_gives() -> None:
    idx = index()
    query = Query.of("Frank Kakolele Bwambale", birth_date="1970")
    [(_, entity, result)] = idx.search(query)
    assert entity is LISTED[1]
    assert result == compare(query, entity)


def test_search_respects_threshold_and_limit() -> None:
    idx = index()
    query = Query.of("Frank Bwambale")
    score = idx.search(query)[0][2].score
    assert idx.search(query, threshold=score + 0.01) == []
    assert len(idx.search(Query.of("Al Qaida"), limit=0)) == 0


def test_identical_id_number_makes_a_candidate() -> None:
    idx = index()
    query = Query.of("I. Petrov", id_numbers=("ru 7700112233",))
    assert ("test", "5") in idx.candidates(query)
    assert ("test", "5") not in idx.candidates(Query.of("I. Petrov"))


def test_candidates_need_two_tokens_in_common() -> None:
    idx = index()
    assert idx.candidates(Query.of("Robert Brown")) == []
    assert idx.candidates(Query.of("Robert Smith")) == [("test", "6")]


def test_additions_after_a_search_are_found() -> None:
    idx = index()
    assert idx.search(Query.of("Joseph Kony")) == []
    idx.add(("test", "7"), ListEntity(key="7", type=P, name="KONY, Joseph"))
    assert refs(idx.search(Query.of("Joseph Kony"))) == [("test", "7")]
    # Many more: merged into the arrays, still found.
    for c in synthetic_customers(3000, seed=1):
        idx.add(c.key, c)
    assert refs(idx.search(Query.of("Joseph Kony"))) == [("test", "7")]
    assert len(idx) == len(LISTED) + 1 + 3000


def test_customers_indexed_and_queried_with_a_list_entity() -> None:
    customers = synthetic_customers(2000, seed=5)
    target = ListEntity(key="cust-x", type=P, name="Frank Kakolele Bwambale")
    idx = NameIndex()
    for c in [*customers, target]:
        idx.add(c.key, c)
    hits = idx.search(Query.from_entity(LISTED[1]), limit=10_000)
    assert "cust-x" in refs(hits)
    # Every customer compare() would flag is found.
    query = Query.from_entity(LISTED[0])
    expected = {c.key for c in customers if compare(query, c).match}
    assert {ref for ref, _, _ in idx.search(query, limit=10_000)} == expected


def test_customers_sharing_a_name_are_all_returned() -> None:
    idx = NameIndex()
    for i in range(5):
        idx.add(f"c{i}", ListEntity(key=f"c{i}", type=P, name="Frank Bwambale"))
    hits = idx.search(Query.from_entity(LISTED[1]), limit=100)
    assert sorted(refs(hits)) == [f"c{i}" for i in range(5)]
    assert idx.nbytes() > 0
