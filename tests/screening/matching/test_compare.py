"""compare() on hand-picked cases: what must match, what must not, and why."""

from __future__ import annotations

import pytest

from aegis.screening.entities import EntityType, ListEntity
from aegis.screening.matching import DEFAULT_THRESHOLD, Query, compare

P = EntityType.PERSON
ORG = EntityType.ORGANIZATION


def person(name: str, *aliases: str, **kw: object) -> ListEntity:
    return ListEntity(key="e1", type=P, name=name, aliases=aliases, **kw)  # type: ignore[arg-type]


def org(name: str, *aliases: str) -> ListEntity:
    return ListEntity(key="o1", type=ORG, name=name, aliases=aliases)


MATCHES = [
    # (query, listed name, why)
    ("Saddam Hussein al-Tikriti", "AL-TIKRITI, Saddam Hussein", "exact, reordered"),
    ("Mohammed Ali", "Muhammad ALI", "spelling variant"),
    ("Mohamed Yunis Ahmad", "AHMAD, Muhammad Yunis", "spelling variants"),
    ("Ivan Petrov", "PETROV, Ivan Sergeyevich", "missing patronymic"),
    ("Frank Bwambale", "BWAMBALE, Frank Kakolele", "missing middle name"),
    ("Frank Kakolele Bwambale", "Frank Bwambale", "missing middle name, other way"),
    ("BWAMBALE<<FRANK<KAKOL", "BWAMBALE, Frank Kakolele", "MRZ truncation"),
    ("Frank Kakolele Bwambalee", "BWAMBALE, Frank Kakolele", "one typo"),
    ("Frnak Kakolele Bwambale", "BWAMBALE, Frank Kakolele", "swapped letters"),
    ("Abdulrahman Mohammed", "ABDUL RAHMAN, Mohammed", "joined"),
    ("Abd al-Rahman Mohammed", "ABDULRAHMAN, Mohammed", "split across a particle"),
    ("Usama bin Laden", "BIN LADIN, Usama", "particle, vowel variant"),
    ("Dr. Ayman al-Zawahiri", "AL-ZAWAHIRI, Ayman", "honorific"),
    ("Sheikh Haji Ahmad Shah", "Ahmad SHAH", "honorifics"),
    ("صدام حسين التكريتي", "Saddam Hussein AL-TIKRITI", "Arabic script"),
    ("عزت ابراهيم الدوري", "Izzat Ibrahim AL-DURI", "Arabic script"),
    ("أسامة بن لادن", "Osama BIN LADEN", "Arabic script, particle"),
    ("Путин Владимир Владимирович", "Vladimir PUTIN", "Cyrillic, patronymic"),
    ("Евгений Пригожин", "Yevgeniy PRIGOZHIN", "Cyrillic"),
    ("张伟", "ZHANG, Wei", "Chinese"),
    ("Wei Zhang", "ZHANG, Wei", "Chinese order"),
    ("毛泽东", "Mao Ze-dong", "Chinese given name split"),
    ("Kim Jong Un", "김정은", "Korean"),
    ("Jang Song Thaek", "장성택", "Korean, McCune-Reischauer"),
]


@pytest.mark.parametrize(("query", "listed", "why"), MATCHES)
def test_matches(query: str, listed: str, why: str) -> None:
    result = compare(Query.of(query, type=P), person(listed))
    assert result.match, (why, result.explain())


ORG_MATCHES = [
    ("Al-Qaida", "AL QAIDA", "joined article"),
    ("Alqaida", "AL-QA'IDA", "joined article"),
    ("Banco Nacional de Cuba S.A.", "BANCO NACIONAL DE CUBA", "legal form"),
    ("Rosneft Oil Company PJSC", "ROSNEFT OIL COMPANY", "legal form"),
    ("Mersad Shiping Company Limited", "MERSAD SHIPPING COMPANY LIMITED", "typo"),
    ("DEY COMPANT", "DEY COMPANY", "typo in a legal form"),
]


@pytest.mark.parametrize(("query", "listed", "why"), ORG_MATCHES)
def test_organisations_match(query: str, listed: str, why: str) -> None:
    assert compare(Query.of(query, type=ORG), org(listed)).match, why


NON_MATCHES = [
    ("John Smith", "SMITH, Robert", "only a surname in common"),
    ("John Smith", "JOHNSON, John Michael", "only a given name in common"),
    ("Mohammed Ali", "ALI, Hassan Mahmoud", "a common given name and surname"),
    ("Ali Hassan", "AL-MAJID, Ali Hussein Kamel", "Hassan is not Hussein"),
    ("Wei Zhang", "ZHAO, Wei", "another surname"),
    ("Maria Garcia", "GARCIA LOPEZ, Mario Alberto", "Maria is not Mario, half the name missing"),
    ("Mary Taylor", "TAYLOR, Marcus Anthony", "another given name"),
    ("Min Wang", "KANG, Min", "another first consonant"),
    ("Andrey Ivanov", "SHVED, Andrey Ivanovich", "a surname is not a patronymic"),
    ("Ali Ahmadi", "ALI, Ahmad", "a nisba is another name"),
    ("John", "SMITH, John", "a single name"),
    ("Li Lei", "علي ما يشو", "Arabic ayn is a vowel"),
]


@pytest.mark.parametrize(("query", "listed", "why"), NON_MATCHES)
def test_non_matches(query: str, listed: str, why: str) -> None:
    result = compare(Query.of(query, type=P), person(listed))
    assert not result.match, (why, result.explain())


def test_common_name_matches_only_an_entity_that_carries_it() -> None:
    listed = person("SMITH, John")
    assert compare(Query.of("John Smith"), listed).match
    assert compare(Query.of("Smith John"), listed).match
    assert not compare(Query.of("John Smithson"), listed).match
    assert not compare(Query.of("Joan Smith"), person("SMITH, John Paul Mark")).match


def test_aliases_match_like_the_name_and_weak_aliases_do_not() -> None:
    listed = ListEntity(
        key="e",
        type=P,
        name="KONY, Joseph",
        aliases=("Lakwena",),
        weak_aliases=("The Prophet",),
    )
    assert compare(Query.of("Lakwena"), listed).matched_name == "Lakwena"
    assert compare(Query.of("Lakwena"), listed).match
    assert not compare(Query.of("The Prophet"), listed).match


def test_best_of_the_query_names_is_reported() -> None:
    result = compare(Query(names=("Zzz Qqq", "Joseph Kony")), person("KONY, Joseph"))
    assert result.match
    assert result.query_name == "Joseph Kony"
    assert result.matched_name == "KONY, Joseph"


def test_birth_date_country_and_id_move_the_score() -> None:
    listed = person("PETROV, Ivan Sergeyevich", birth_dates=("1970-05-17",), nationalities=("RU",))
    base = compare(Query.of("Ivan Petrov"), listed).score
    assert base < 1.0
    same_day = compare(Query.of("Ivan Petrov", birth_date="1970-05-17"), listed)
    assert same_day.score == pytest.approx(base + 0.6 * 0.15)
    other = compare(Query.of("Ivan Petrov", birth_date="1985"), listed)
    assert other.score == pytest.approx(base - 0.15)
    assert not other.match  # a clearly different birth date rules the namesake out
    assert compare(Query.of("Ivan Petrov", countries=("BR",)), listed).score < base
    assert compare(Query.of("Ivan Petrov", countries=("RU",)), listed).score > base


def test_identical_id_number_lifts_a_fair_name_match() -> None:
    listed = person("CANO CORREA, Jhon Eidelber", id_numbers=("AF133955",))
    weak = Query.of("J. Cano", id_numbers=())
    strong = Query.of("J. Cano", id_numbers=("af-133955",))
    assert compare(strong, listed).score == pytest.approx(compare(weak, listed).score + 0.3)
    assert compare(strong, listed).features["id_number"].value == 1.0


def test_a_person_does_not_match_a_company_of_the_same_name() -> None:
    result = compare(Query.of("Hassan Ali", type=P), org("HASSAN ALI"))
    assert not result.match
    assert result.features["entity_type"].contribution < 0
    assert compare(Query.of("Hassan Ali"), org("HASSAN ALI")).match  # type unknown


def test_empty_query_matches_nothing() -> None:
    result = compare(Query(names=()), person("KONY, Joseph"))
    assert result.score == 0.0
    assert not result.match


def test_threshold_is_respected() -> None:
    result = compare(Query.of("Mohamed Ali"), person("Muhammad ALI"), threshold=0.99)
    assert result.threshold == 0.99
    assert result.match is (result.score >= 0.99)
    assert 0.5 < DEFAULT_THRESHOLD < 1.0
