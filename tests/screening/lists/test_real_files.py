"""The real published lists in ../shared/data/sanctions (skipped where that folder is absent):
counts, every alias accounted for, and known entities read right."""

from __future__ import annotations

import csv
import time
from functools import cache
from pathlib import Path

from lxml import etree

from aegis.screening.entities import EntityType, ListEntity
from aegis.screening.lists import LoadedList, load_list
from tests.screening.lists.fixtures import real


@cache
def _load(fmt: str, *parts: str) -> LoadedList:
    return load_list(fmt, real(*parts))


def _by_key(loaded: LoadedList) -> dict[str, ListEntity]:
    return {e.key: e for e in loaded.entities}


def _every_alt_row_lands(folder: Path, alt_name: str, loaded: LoadedList) -> int:
    entities = _by_key(loaded)
    rows = 0
    with (folder / alt_name).open(encoding="latin-1", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) != 5:
                continue  # the DOS end-of-file mark
            rows += 1
            entity = entities[row[0].strip()]
            names = {n.casefold() for n in (*entity.names, *entity.weak_aliases)}
            assert " ".join(row[3].split()).casefold() in names, (row[0], row[1])
    return rows


def test_sdn_2021_07() -> None:
    started = time.perf_counter()
    loaded = load_list("ofac-csv", real("ofac_sdn_2021-07"))
    assert time.perf_counter() - started < 10
    assert loaded.source == "OFAC SDN"
    assert len(loaded.entities) == 8976
    assert _every_alt_row_lands(real("ofac_sdn_2021-07"), "alt.csv", loaded) == 11910
    types = {t: sum(1 for e in loaded.entities if e.type is t) for t in EntityType}
    assert types[EntityType.PERSON] == 4620
    assert types[EntityType.ORGANIZATION] == 3673
    assert types[EntityType.VESSEL] == 406
    assert types[EntityType.AIRCRAFT] == 277
    assert types[EntityType.UNKNOWN] == 0
    assert sum(1 for e in loaded.entities if e.birth_dates) > 4000
    assert sum(1 for e in loaded.entities if e.nationalities) > 2500
    assert sum(1 for e in loaded.entities if e.id_numbers) > 4500
    # Only places, former and disputed countries are unknown: no list spelling is missed.
    unknown = [w for w in loaded.warnings if w.startswith("unknown country")]
    assert len(unknown) <= 9, unknown


def test_sdn_2021_07_known_entities() -> None:
    entities = _by_key(_load("ofac-csv", "ofac_sdn_2021-07"))
    bank = entities["306"]
    assert bank.name == "BANCO NACIONAL DE CUBA"
    assert bank.aliases == ("NATIONAL BANK OF CUBA",)
    assert bank.weak_aliases == ("BNC",)
    assert bank.countries == ("CH", "ES", "JP", "PA")

    # The example of OFAC's FAQ 123 on weak aliases.
    allane = entities["8219"]
    assert allane.name == "ALLANE, Hacene"
    assert allane.aliases == ("ABDELHAY, al-Sheikh", "AHCENE, Cheib")
    assert allane.weak_aliases == ("ABU AL-FOUTOUH", "BOULAHIA", "HASSAN THE OLD")
    assert allane.birth_dates == ("1941-01-17",)

    cifuentes = entities["12300"]
    assert cifuentes.type is EntityType.PERSON
    assert cifuentes.birth_dates == ("1965-05-13", "1968-04-13", "1964-07-07")
    assert {"7548733", "AL720622", "CIVJ650513HNEFLR06", "1724897291"} <= set(cifuentes.id_numbers)
    # sdn_comments.csv continues the remarks cut off mid-word ("PROMO RAI" + "Z S.A.S.").
    assert "PROMO RAIZ S.A.S." in cifuentes.linked_to
    assert "FUNDACION SALVA LA SELVA" in cifuentes.linked_to

    tian = entities["28263"]
    assert tian.name == "TIAN, Yinyin"
    assert tian.birth_dates == ("1986-07-12",)
    assert tian.nationalities == ("CN",)
    assert tian.id_numbers == ("321284198607120616",)
    assert tian.weak_aliases == ("tianyinyin0404", "snowsjohn")
    assert tian.programs == ("DPRK3", "CYBER2")
    assert tian.linked_to == ("LAZARUS GROUP",)

    tanker = entities["27304"]
    assert (tanker.type, tanker.name, tanker.aliases) == (
        EntityType.VESSEL,
        "ADRIAN DARYA 1",
        ("GRACE 1",),
    )
    assert tanker.id_numbers == ("IMO9116412",)


def test_sdn_2019_01() -> None:
    loaded = _load("ofac-csv", "ofac_sdn_2019-01")
    assert len(loaded.entities) == 7379
    assert _every_alt_row_lands(real("ofac_sdn_2019-01"), "alt.csv", loaded) == 9682
    later = {e.key for e in _load("ofac-csv", "ofac_sdn_2021-07").entities}
    # The same key is the same listing across snapshots.
    assert _by_key(loaded)["306"].name == "BANCO NACIONAL DE CUBA"
    assert len(later & {e.key for e in loaded.entities}) > 6000


def test_consolidated() -> None:
    loaded = _load("ofac-cons", "ofac_consolidated_2025-12")
    assert loaded.source == "OFAC Consolidated (non-SDN)"
    assert len(loaded.entities) == 442
    assert _every_alt_row_lands(real("ofac_consolidated_2025-12"), "cons_alt.csv", loaded) == 1073
    entities = _by_key(loaded)
    haniya = entities["9639"]
    assert haniya.name == "HANIYA, Ismail Abdul Salah"
    assert haniya.aliases == ("HANIYA, Ismail", "HANIYYA, Ismaeel")
    assert haniya.birth_dates == ("1962",)
    bank = entities["17016"]
    assert {"7744001497", "1027700167110", "GAZPRUMM"} <= set(bank.id_numbers)
    assert entities["17014"].weak_aliases == ("RUSAG",)  # from cons_comments.csv


def test_un() -> None:
    loaded = _load("un-xml", "un", "UN_consolidated.xml")
    assert loaded.published is not None and loaded.published.isoformat() == "2026-02-27"
    people = [e for e in loaded.entities if e.type is EntityType.PERSON]
    groups = [e for e in loaded.entities if e.type is EntityType.ORGANIZATION]
    assert (len(people), len(groups)) == (730, 273)
    # Every name in its original script is a strong alias of its entity.
    root = etree.parse(str(real("un", "UN_consolidated.xml"))).getroot()
    entities = _by_key(loaded)
    originals = 0
    for element in root.iter("INDIVIDUAL", "ENTITY"):
        for original in element.iter("NAME_ORIGINAL_SCRIPT"):
            if original.text and original.text.strip():
                originals += 1
                entity = entities[element.findtext("DATAID")]
                # (unless it is the name itself, as some entities give it)
                names = {n.casefold() for n in entity.names}
                assert " ".join(original.text.split()).casefold() in names
    assert originals > 350
    non_latin = sum(1 for e in loaded.entities for a in e.aliases if not a.isascii())
    assert non_latin > 350

    saddam = next(e for e in people if e.name == "SADDAM HUSSEIN AL-TIKRITI")
    assert saddam.aliases == ("صدام حسين التكريتي",)
    assert saddam.weak_aliases == ("Abu Ali",)
    assert saddam.birth_dates == ("1937-04-28",)
    assert saddam.nationalities == ("IQ",)
    hanif = entities["110917"]
    assert hanif.birth_dates == ("1955", "1969-01-01")
    assert hanif.nationalities == ("AF",)
    assert hanif.id_numbers == ("OA454044",)
    assert "دین محمد حنیف" in hanif.aliases
    assert [w for w in loaded.warnings if "unknown country" in w] == [
        "unknown country 'former Soviet Union' dropped: 1× (first at UN_consolidated.xml line 22472)"
    ]


def test_csl_and_dpl() -> None:
    csl = _load("csl", "us_csl", "csl.csv")
    dpl = _load("csl", "us_csl", "dpl.txt")
    both = _load("csl", "us_csl")
    assert (len(csl.entities), len(dpl.entities)) == (115, 539)
    # Single-address DPL rows of csl.csv are the same entities as in dpl.txt.
    assert len(both.entities) == 648
    assert len({e.key for e in both.entities}) == len(both.entities)
    akbari = _by_key(csl)["SDN:27271"]
    assert akbari.name == "AKBARI, Mohammadreza Ali"
    assert akbari.birth_dates == ("1967-10-31",)
    assert akbari.id_numbers == ("21795618",)
    assert "ALIAKBARI, Mohammad Reza Abbas" in akbari.aliases
    assert _by_key(csl)["SDN:23156"].id_numbers == ("IMO8898831",)
    assert load_list("csl", real("us_csl")) == both
