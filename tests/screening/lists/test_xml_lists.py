"""OFAC's SDN XML and the UN consolidated XML, on documents the tests write."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest

from aegis.screening.entities import EntityType, ListFileError, ListFormat
from aegis.screening.lists import load_list
from tests.screening.lists.fixtures import (
    SDN_XML_ENTRIES,
    UN_ENTITY,
    UN_INDIVIDUAL,
    ofac_xml,
    un_xml,
)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_ofac_xml(tmp_path: Path) -> None:
    data = ofac_xml(SDN_XML_ENTRIES)
    loaded = load_list("ofac-xml", _write(tmp_path / "sdn.xml", data))
    assert loaded.format is ListFormat.OFAC_XML
    assert loaded.source == "OFAC SDN"
    assert loaded.published == dt.date(2021, 7, 15)
    assert loaded.digest == hashlib.sha256(data).hexdigest()
    assert [e.key for e in loaded.entities] == ["10", "20", "30"]
    person, company, vessel = loaded.entities
    assert person.type is EntityType.PERSON
    assert person.name == "DOE, John"
    assert person.aliases == ("DOE, Johnny", "SMITH, John")
    assert person.weak_aliases == ("JD",)
    assert person.birth_dates == ("1960-01-01", "1962")
    assert person.nationalities == ("IR", "KP")
    assert person.id_numbers == ("A1234567", "123456")  # the e-mail is not an identifier
    assert person.countries == ("IR", "SY")
    assert person.programs == ("SDGT", "IRAN")
    assert person.positions == ("Minister",)
    assert person.addresses == ("Street 1, Tehran, Iran",)
    assert person.linked_to == ("ACME TRADING",)
    assert company.type is EntityType.ORGANIZATION and company.name == "ACME TRADING"
    assert vessel.type is EntityType.VESSEL
    assert vessel.id_numbers == ("IMO9187629",)
    assert vessel.countries == ("PA",)


def test_ofac_xml_keys_match_the_csv(tmp_path: Path) -> None:
    from tests.screening.lists.fixtures import sdn_folder

    csv_list = load_list("ofac-csv", sdn_folder(tmp_path / "csv"))
    xml_list = load_list("ofac-xml", _write(tmp_path / "sdn.xml", ofac_xml(SDN_XML_ENTRIES)))
    csv_names = {e.key: e.name for e in csv_list.entities}
    xml_names = {e.key: e.name for e in xml_list.entities}
    assert xml_names.keys() <= csv_names.keys()
    assert xml_names["10"] == csv_names["10"] == "DOE, John"  # "SURNAME, Given" in both


def test_consolidated_xml_and_no_namespace(tmp_path: Path) -> None:
    data = ofac_xml(SDN_XML_ENTRIES).replace(b' xmlns="https://example.test/sdn"', b"")
    loaded = load_list("ofac-xml", _write(tmp_path / "consolidated.xml", data))
    assert loaded.source == "OFAC Consolidated (non-SDN)"
    assert len(loaded.entities) == 3
    assert len(load_list("ofac-xml", tmp_path).entities) == 3  # the folder holding it


def test_un_xml(tmp_path: Path) -> None:
    data = un_xml(UN_INDIVIDUAL, UN_ENTITY)
    loaded = load_list("un-xml", _write(tmp_path / "consolidated.xml", data))
    assert loaded.format is ListFormat.UN_XML
    assert loaded.source == "UN Security Council Consolidated"
    assert loaded.published == dt.date(2026, 2, 27)
    person, group = loaded.entities
    assert person.key == "6908048" and person.type is EntityType.PERSON
    assert person.name == "ALI HASSAN AL-MAJID"
    assert person.aliases == ("Ali Hasan al-Majid", "علي حسن المجيد")
    assert person.weak_aliases == ("Chemical Ali",)
    assert person.birth_dates == ("1941-11-30", "1943", "1945", "1946", "1947")
    assert person.nationalities == ("IQ", "IR")
    assert person.id_numbers == ("D00000898",)
    assert person.countries == ("CF", "IQ")
    assert person.addresses == ("Baghdad, Iraq",)
    assert person.programs == ("Iraq",)
    assert person.positions == ("Minister",)
    assert person.remarks == "A comment."
    assert group.type is EntityType.ORGANIZATION and group.name == "ADF"
    assert group.aliases == ("Allied Democratic Forces", "NALU", "ADF/NALU", "联合民主力量")
    assert group.countries == ("CD",)


@pytest.mark.parametrize(
    ("fmt", "data"),
    [("ofac-xml", ofac_xml(SDN_XML_ENTRIES)), ("un-xml", un_xml(UN_INDIVIDUAL, UN_ENTITY))],
)
def test_truncated_xml(tmp_path: Path, fmt: str, data: bytes) -> None:
    path = _write(tmp_path / "list.xml", data[: len(data) * 2 // 3])
    with pytest.raises(ListFileError, match=r"^list\.xml line \d+: not well-formed XML"):
        load_list(fmt, path)


@pytest.mark.parametrize("fmt", ["ofac-xml", "un-xml"])
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "list.xml: empty file"),
        (b"\x00\x01\x02garbage\xff" * 100, "not well-formed XML"),
        (b"<html><body>Service unavailable</body></html>", "root element is 'html'"),
        ("<?xml version='1.0'?><a>é</a>".encode("latin-1"), "not well-formed XML"),
    ],
)
def test_bad_xml(tmp_path: Path, fmt: str, data: bytes, message: str) -> None:
    with pytest.raises(ListFileError, match=message):
        load_list(fmt, _write(tmp_path / "list.xml", data))


def test_entities_are_never_expanded(tmp_path: Path) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>"
        b"<FIRST_NAME>&lol2;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"
    )
    with pytest.raises(ListFileError, match="DOCTYPE is refused"):
        load_list("un-xml", _write(tmp_path / "bomb.xml", bomb))
    external = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
        b"<sdnList><sdnEntry><uid>1</uid><lastName>&ext;</lastName></sdnEntry></sdnList>"
    )
    with pytest.raises(ListFileError, match="DOCTYPE is refused"):
        load_list("ofac-xml", _write(tmp_path / "ext.xml", external))


def test_a_few_bad_entries_are_warnings_many_are_errors(tmp_path: Path) -> None:
    good = "".join(
        f"<INDIVIDUAL><DATAID>{100 + i}</DATAID><FIRST_NAME>P{i}</FIRST_NAME></INDIVIDUAL>"
        for i in range(30)
    )
    nameless = "<INDIVIDUAL><DATAID>999</DATAID></INDIVIDUAL>"
    loaded = load_list("un-xml", _write(tmp_path / "a.xml", un_xml(good + nameless)))
    assert len(loaded.entities) == 30
    assert loaded.warnings == ("a.xml: 1 skipped: INDIVIDUAL without a name (first at line 2)",)
    with pytest.raises(ListFileError, match=re.escape("a.xml: 5 of 35 records unusable")):
        load_list("un-xml", _write(tmp_path / "a.xml", un_xml(good + nameless * 5)))


def test_repeated_keys_are_skipped(tmp_path: Path) -> None:
    entries = SDN_XML_ENTRIES * 1 + "<sdnEntry><uid>10</uid><lastName>OTHER</lastName></sdnEntry>"
    many = "".join(
        f"<sdnEntry><uid>{100 + i}</uid><lastName>N{i}</lastName></sdnEntry>" for i in range(30)
    )
    loaded = load_list("ofac-xml", _write(tmp_path / "sdn.xml", ofac_xml(entries + many)))
    assert {e.key: e.name for e in loaded.entities}["10"] == "DOE, John"
    assert any("uid repeated" in w for w in loaded.warnings)


def test_folder_with_no_xml(tmp_path: Path) -> None:
    with pytest.raises(
        ListFileError, match=re.escape("expected one consolidated.xml or un_consolidated.xml")
    ):
        load_list("un-xml", tmp_path)
