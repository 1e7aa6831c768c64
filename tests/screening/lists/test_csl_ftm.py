"""The US Consolidated Screening List (csl.csv, dpl.txt) and FollowTheMoney JSON lines."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from aegis.screening.entities import EntityType, ListFileError, ListFormat
from aegis.screening.lists import load_list
from tests.screening.lists.fixtures import CSL_HEADER, DPL_HEADER, csl_row, dpl_row, ftm, ftm_lines

SDN_SOURCE = "Specially Designated Nationals (SDN) - Treasury Department"
DPL_SOURCE = "Denied Persons List (DPL) - Bureau of Industry and Security"
EL_SOURCE = "Entity List (EL) - Bureau of Industry and Security"


def _csl(folder: Path, *rows: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "csl.csv"
    path.write_text("\n".join([CSL_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


CSL_ROWS = (
    csl_row(
        source=SDN_SOURCE,
        entity_number="27271",
        type="Individual",
        programs="SDGT; IRAN",
        name="AKBARI, Mohammadreza Ali",
        alt_names="AKBARI, Ali; ALI-AKBARI, Mohammadreza",
        dates_of_birth="1967-10-31; 1968",
        citizenships="IR",
        nationalities="Iran",
        ids="21795618, Passport; IR, 1234-5678, National ID No.; someone@example.com, Email Address",
        remarks="(Linked To: QASEMI, Rostam)",
        addresses="Tehran, IR",
        source_information_url="http://example.test/sdn",
    ),
    csl_row(
        source=SDN_SOURCE,
        entity_number="23156",
        type="Vessel",
        name="7-28",
        vessel_flag="Democratic People's Republic of Korea",
        ids="IMO 8898831, Vessel Registration Identification",
    ),
    csl_row(
        source=EL_SOURCE,
        name="32 Group China Ltd.",
        addresses="Room 1905, Sheung Wan, HK; Kowloon, HK",
    ),
    csl_row(
        source=DPL_SOURCE,
        name=" ADRIAN MANUEL HERNANDEZ",
        addresses="3037 S. 69TH DRIVE, PHOENIX, AZ, 85043",
    ),
)


def test_csl(tmp_path: Path) -> None:
    loaded = load_list("csl", _csl(tmp_path, *CSL_ROWS))
    assert loaded.format is ListFormat.CSL
    assert loaded.source == "US CSL"
    assert loaded.warnings == ()
    by_key = {e.key: e for e in loaded.entities}
    person = by_key["SDN:27271"]
    assert person.type is EntityType.PERSON
    assert person.aliases == ("AKBARI, Ali", "ALI-AKBARI, Mohammadreza")
    assert person.birth_dates == ("1967-10-31", "1968")
    assert person.nationalities == ("IR",)
    assert person.id_numbers == ("21795618", "12345678")
    assert person.countries == ("IR",)
    assert person.programs == ("SDGT", "IRAN")
    assert person.linked_to == ("QASEMI, Rostam",)
    assert person.source_url == "http://example.test/sdn"
    vessel = by_key["SDN:23156"]
    assert (vessel.type, vessel.id_numbers, vessel.countries) == (
        EntityType.VESSEL,
        ("IMO8898831",),
        ("KP",),
    )
    # No entity_number: the key is the list's short name and a hash of name and address.
    company = next(e for e in loaded.entities if e.key.startswith("EL:"))
    assert company.type is EntityType.UNKNOWN
    assert company.countries == ("HK",)
    assert len(company.addresses) == 2
    assert load_list("csl", tmp_path / "csl.csv").entities == loaded.entities  # stable


def test_dpl_and_both_files(tmp_path: Path) -> None:
    _csl(tmp_path, *CSL_ROWS)
    (tmp_path / "dpl.txt").write_text(
        "\n".join(
            [
                DPL_HEADER,
                dpl_row(
                    " ADRIAN MANUEL HERNANDEZ", "3037 S. 69TH DRIVE", "PHOENIX", "AZ", "", "85043"
                ),
                dpl_row("I. ASH", "605 TRAIL LAKE DRIVE", "RICHARDSON", "TX", "US", "75081"),
                dpl_row("I. ASH", "908 AUDELIA ROAD", "RICHARDSON", "TX", "US", "75081"),
                dpl_row("I. ASH", "908 AUDELIA ROAD", "RICHARDSON", "TX", "US", "75081"),
                dpl_row("CHINA TRADER", "1 ROAD", "BEIJING", "", "PRC", ""),
            ]
        )
    )
    dpl = load_list("csl", tmp_path / "dpl.txt")
    assert dpl.source == "US BIS Denied Persons List"
    assert len(dpl.entities) == 4  # the repeated row is merged
    assert {e.countries for e in dpl.entities} == {(), ("US",), ("CN",)}
    both = load_list("csl", tmp_path)
    # The DPL person in both files is one entity.
    assert len(both.entities) == 4 + 4 - 1
    lines = "".join(
        f"{hashlib.sha256((tmp_path / n).read_bytes()).hexdigest()}  {n}\n"
        for n in ("csl.csv", "dpl.txt")
    )
    assert both.digest == hashlib.sha256(lines.encode()).hexdigest()


def test_csl_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "csl.csv"
    path.write_text("name,address\nJOHN DOE,Somewhere\n")
    with pytest.raises(
        ListFileError, match=re.escape("csl.csv line 1: no column source, entity_number, type")
    ):
        load_list("csl", path)
    path.write_bytes(b"")
    with pytest.raises(ListFileError, match=re.escape("csl.csv: empty file")):
        load_list("csl", path)
    path.write_bytes("\n".join([CSL_HEADER, *CSL_ROWS]).encode("utf-16"))
    with pytest.raises(ListFileError, match="UTF-16"):
        load_list("csl", path)
    short = [csl_row(source=SDN_SOURCE, name=f"N {i}") for i in range(10)]
    path.write_text("\n".join([CSL_HEADER, *short, *["a,b,c"] * 2]))
    with pytest.raises(
        ListFileError, match=r"csl.csv: 2 of 12 records unusable \(first at line 12: 3 columns"
    ):
        load_list("csl", path)
    with pytest.raises(ListFileError, match="nothing-here: not found"):
        load_list("csl", tmp_path / "nothing-here")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ListFileError, match=re.escape("no csl.csv or dpl.txt")):
        load_list("csl", tmp_path / "empty")


def _ftm(path: Path, *records: dict[str, object]) -> Path:
    path.write_bytes(ftm_lines(*records))
    return path


FTM_RECORDS = (
    ftm(
        "Q7747",
        "Person",
        name=["Vladimir Putin", "Владимир Путин"],
        alias=["Putin"],
        weakAlias=["VVP"],
        birthDate=["1952-10-07"],
        nationality=["ru"],
        citizenship=["su"],
        country=["ru", "ua-cri"],
        passportNumber=["1234 567890"],
        innCode=["7700000000"],
        email=["someone@example.com"],
        topics=["role.pep", "sanction"],
        position=["President of Russia"],
        address=["Moscow, Kremlin"],
        notes=["A note."],
        sourceUrl=["https://example.test/q7747"],
    ),
    ftm("co-1", "Company", name=["ACME LLC"], jurisdiction=["cy"], registrationNumber=["HE 12345"]),
    ftm("v-1", "Vessel", name=["SEA STAR"], imoNumber=["IMO 9187629"], flag=["pa"]),
    ftm("a-1", "Airplane", name=["EP-ABC"]),
    ftm("addr-1", "Address", full=["Moscow"]),
    ftm("sanc-1", "Sanction", program=["EU"]),
    ftm("ctx-1", "Person", target=False, name=["Relative Person"]),
)


def test_ftm(tmp_path: Path) -> None:
    path = _ftm(tmp_path / "entities.ftm.json", *FTM_RECORDS)
    loaded = load_list("ftm", path)
    assert loaded.format is ListFormat.FTM
    assert loaded.source == "test_dataset"
    assert loaded.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [e.key for e in loaded.entities] == ["Q7747", "a-1", "co-1", "v-1"]
    person = loaded.entities[0]
    assert person.type is EntityType.PERSON
    assert person.name == "Vladimir Putin"
    assert person.aliases == ("Владимир Путин", "Putin")
    assert person.weak_aliases == ("VVP",)
    assert person.birth_dates == ("1952-10-07",)
    assert person.nationalities == ("RU",)  # "su" (Soviet Union) is no country today
    assert person.countries == ("RU", "UA")
    assert person.id_numbers == ("1234567890", "7700000000")
    assert person.topics == ("role.pep", "sanction")
    assert person.positions == ("President of Russia",)
    assert person.addresses == ("Moscow, Kremlin",)
    assert person.remarks == "A note."
    assert person.source_url == "https://example.test/q7747"
    assert any("unknown country 'SU'" in w for w in loaded.warnings)
    types = {e.key: e.type for e in loaded.entities}
    assert types == {
        "Q7747": EntityType.PERSON,
        "co-1": EntityType.ORGANIZATION,
        "v-1": EntityType.VESSEL,
        "a-1": EntityType.AIRCRAFT,
    }
    assert {e.key: e.id_numbers for e in loaded.entities}["v-1"] == ("IMO9187629",)


def test_ftm_fragments_are_merged(tmp_path: Path) -> None:
    first = ftm("x", "Person", name=["Jane Roe"], birthDate=["1970"])
    second = ftm("x", "Person", name=["Jane Roe"], alias=["J. Roe"], nationality=["gb"])
    loaded = load_list("ftm", _ftm(tmp_path / "e.json", first, second))
    (entity,) = loaded.entities
    assert (entity.aliases, entity.birth_dates, entity.nationalities) == (
        ("J. Roe",),
        ("1970",),
        ("GB",),
    )


def test_ftm_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    good = [ftm(f"p{i}", "Person", name=[f"P {i}"]) for i in range(30)]
    path.write_bytes(ftm_lines(*good) + b"{not json\n")
    loaded = load_list("ftm", path)
    assert len(loaded.entities) == 30
    assert loaded.warnings == (
        "e.json: 1 skipped: not a FollowTheMoney entity (JSON object with id, schema) (first at line 31)",
    )
    path.write_bytes(ftm_lines(*good[:10]) + b"[1, 2]\n" * 3)
    with pytest.raises(ListFileError, match=re.escape("e.json: 3 of 13 records unusable")):
        load_list("ftm", path)
    path.write_bytes(ftm_lines(*good).decode().encode("utf-16"))
    with pytest.raises(ListFileError, match="UTF-16"):
        load_list("ftm", path)
    path.write_bytes(b"")
    with pytest.raises(ListFileError, match=re.escape("e.json: empty file")):
        load_list("ftm", path)
    path.write_bytes(ftm_lines(ftm("addr", "Address", full=["x"])))
    with pytest.raises(ListFileError, match="no screenable target entities"):
        load_list("ftm", path)
    path.write_bytes(ftm_lines(*good)[:-40])  # cut mid-line
    assert len(load_list("ftm", path).entities) == 29
    path.write_bytes(b"\xfd\xfe\xff garbage" * 1000)
    with pytest.raises(ListFileError, match=re.escape("e.json: 1 of 1 records unusable")):
        load_list("ftm", path)
