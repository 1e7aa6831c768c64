"""OFAC's CSV folders (SDN and consolidated) on fixtures the tests write."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from aegis.screening.entities import EntityType, ListEntity, ListFileError, ListFormat
from aegis.screening.lists import LoadedList, load_list
from tests.screening.lists.fixtures import ofac_line, sdn_folder, sdn_row


def _by_key(loaded: LoadedList) -> dict[str, ListEntity]:
    return {e.key: e for e in loaded.entities}


def test_loads_an_sdn_folder(tmp_path: Path) -> None:
    loaded = load_list("ofac-csv", sdn_folder(tmp_path / "sdn"))
    assert loaded.format is ListFormat.OFAC_CSV
    assert loaded.source == "OFAC SDN"
    assert loaded.published is None
    assert [e.key for e in loaded.entities] == ["10", "20", "30", "40", "50"]
    assert loaded.warnings == ()
    person, company, vessel, aircraft, german = loaded.entities

    assert person.type is EntityType.PERSON
    assert person.name == "DOE, John"  # as published: the matcher reorders
    assert person.aliases == ("DOE, Johnny", "SMITH, John")
    # Quoted a.k.a.s in the remarks are OFAC's weak aliases (OFAC FAQ 123).
    assert person.weak_aliases == ("JD", "JOHNNY")
    assert person.birth_dates == ("1960-01-01", "1962", "1970", "1971", "1972")
    assert person.nationalities == ("IR", "KP")
    assert person.id_numbers == ("A1234567", "123456789", "998877")
    assert person.countries == ("IR", "SY")
    assert person.programs == ("SDGT", "IRAN")
    assert person.positions == ("Minister",)
    assert person.addresses == ("Street 1, Tehran, Iran",)
    assert person.linked_to == ("ACME TRADING, S.A. DE C.V.", "OTHER CO")
    assert person.remarks is not None and person.remarks.startswith("DOB 01 Jan 1960")

    assert company.type is EntityType.ORGANIZATION
    assert company.aliases == ("ACME GLOBAL",)
    assert company.weak_aliases == ("ACME",)  # alt_remarks said "weak"
    assert company.id_numbers == ("5551234",)
    assert company.countries == ("MX", "KP")
    assert company.addresses == ("Calle 5 No. 10, Mexico City, Mexico",)

    assert vessel.type is EntityType.VESSEL
    assert vessel.id_numbers == ("IMO9187629", "572469210")
    assert vessel.countries == ("PA",)  # the flag; the former flag is not current
    assert vessel.linked_to == ("ACME TRADING, S.A. DE C.V.",)
    assert aircraft.type is EntityType.AIRCRAFT
    assert aircraft.id_numbers == ("1023409321",)

    assert german.name == "MÜLLER, Jürgen"
    assert german.aliases == ("MUELLER, Juergen",)


def test_comments_continue_the_remarks(tmp_path: Path) -> None:
    folder = sdn_folder(
        tmp_path,
        extra_sdn=[
            sdn_row(60, "ROE, Richard", "individual", "SDGT", "DOB 1950; Linked To: PROMO RA"),
            # cut right after a space: the space must survive the join
            sdn_row(70, "POE, Edgar", "individual", "SDGT", "DOB 1951; Linked To: THE "),
        ],
        comments=ofac_line(60, "IZ S.A.S.; Passport X9876543 (Colombia).")
        + "\r\n"
        + ofac_line(70, "RAVEN CO.")
        + "\r\n",
    )
    entities = _by_key(load_list(ListFormat.OFAC_CSV, folder))
    assert entities["70"].linked_to == ("THE RAVEN CO",)
    roe = entities["60"]
    assert roe.remarks == "DOB 1950; Linked To: PROMO RAIZ S.A.S.; Passport X9876543 (Colombia)."
    assert roe.linked_to == ("PROMO RAIZ S.A.S.",)
    assert roe.id_numbers == ("X9876543",)


def test_windows_1252_and_dos_end_of_file(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path, encoding="cp1252")
    with (folder / "sdn.csv").open("ab") as handle:
        handle.write(b"\x1a")
    loaded = load_list("ofac-csv", folder)
    assert _by_key(loaded)["50"].name == "MÜLLER, Jürgen"
    assert loaded.warnings == ()


def test_upper_case_file_names_and_a_file_path(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path)
    (folder / "sdn.csv").rename(folder / "SDN.CSV")
    assert len(load_list("ofac-csv", folder).entities) == 5
    assert len(load_list("ofac-csv", folder / "SDN.CSV").entities) == 5


def test_digest_is_sha256sum_of_the_files(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path)
    lines = "".join(
        f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n"
        for n in ("sdn.csv", "alt.csv", "add.csv")
    )
    loaded = load_list("ofac-csv", folder)
    assert loaded.digest == hashlib.sha256(lines.encode()).hexdigest()
    assert load_list("ofac-csv", folder) == loaded  # deterministic


def test_a_few_odd_rows_are_warnings(tmp_path: Path) -> None:
    people = [
        sdn_row(100 + i, f"PERSON {i}", "individual", "SDGT", f"DOB {1950 + i}") for i in range(40)
    ]
    folder = sdn_folder(
        tmp_path,
        extra_sdn=[
            *people,
            '101,"SHORT ROW"',  # wrong column count
            sdn_row(102, "AGAIN", "individual"),  # repeated ent_num
        ],
    )
    with (folder / "alt.csv").open("a") as handle:
        handle.writelines(
            ofac_line(100 + i, 10 + i, "aka", f"P {i}", None) + "\r\n" for i in range(40)
        )
        handle.write(ofac_line(999, 9, "aka", "NOBODY", None) + "\r\n")
    with (folder / "add.csv").open("a") as handle:
        handle.writelines(
            ofac_line(100 + i, 10 + i, None, "Paris", "France", None) + "\r\n" for i in range(40)
        )
    with (folder / "add.csv").open("a") as handle:
        handle.write(ofac_line(10, 9, None, None, "Atlantis", None) + "\r\n")
    loaded = load_list("ofac-csv", folder)
    assert len(loaded.entities) == 45
    text = "\n".join(loaded.warnings)
    assert "sdn.csv: 1 skipped: 2 columns, expected 12 (first at line 46)" in text
    assert "sdn.csv: 1 skipped: ent_num repeated" in text
    assert "alt.csv: 1 skipped: ent_num not in sdn.csv" in text
    assert "unknown country 'Atlantis' dropped: 1×" in text
    assert "NOBODY" not in text and "AGAIN" not in text


def test_consolidated_layout(tmp_path: Path) -> None:
    rows = {
        "cons_prim.csv": [
            sdn_row(9639, "HANIYA, Ismail", "individual", "NS-PLC", "DOB 1962; POB Shati."),
            sdn_row(
                17016,
                "GAZPROMBANK",
                None,
                "UKRAINE-EO13662] [RUSSIA-EO14024",
                "Tax ID No. 7744001497 (Russia)",
            ),
        ],
        "cons_alt.csv": [ofac_line(9639, 1, "aka", "HANIYYA, Ismaeel", None)],
        "cons_add.csv": [ofac_line(9639, 1, None, "Gaza", "Palestinian", None)],
        "cons_comments.csv": [],
    }
    for name, lines in rows.items():
        (tmp_path / name).write_text("".join(f"{line}\r\n" for line in lines))
    loaded = load_list("ofac-cons", tmp_path)
    assert loaded.format is ListFormat.OFAC_CONS
    assert loaded.source == "OFAC Consolidated (non-SDN)"
    bank, person = loaded.entities  # sorted by key, as text
    assert (person.key, person.birth_dates, person.countries) == ("9639", ("1962",), ("PS",))
    assert person.aliases == ("HANIYYA, Ismaeel",)
    assert bank.programs == ("UKRAINE-EO13662", "RUSSIA-EO14024")
    assert bank.id_numbers == ("7744001497",)


# Bad files: each raises ListFileError naming the file, never a traceback or the data.


def _error(fmt: str, path: Path) -> str:
    with pytest.raises(ListFileError) as caught:
        load_list(fmt, path)
    message = str(caught.value)
    assert "DOE" not in message and "John" not in message
    return message


def test_folder_without_sdn_csv(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path)
    (folder / "sdn.csv").unlink()
    assert "no sdn.csv" in _error("ofac-csv", folder)


def test_missing_folder(tmp_path: Path) -> None:
    assert "not found" in _error("ofac-csv", tmp_path / "nowhere")


def test_empty_sdn_csv(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path)
    (folder / "sdn.csv").write_bytes(b"")
    assert _error("ofac-csv", folder) == "sdn.csv: empty file"


def test_utf16_is_rejected(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path, encoding="utf-16")
    assert "UTF-16" in _error("ofac-csv", folder)


def test_binary_garbage_is_rejected(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path)
    (folder / "add.csv").write_bytes(bytes(range(1, 256)) * 50)
    assert "add.csv: binary data" in _error("ofac-csv", folder)


def test_wrong_columns_are_rejected(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path)
    # alt.csv given as sdn.csv: five columns, not twelve.
    (folder / "sdn.csv").write_bytes((folder / "alt.csv").read_bytes())
    message = _error("ofac-csv", folder)
    assert message.startswith("sdn.csv: 5 of 5 records unusable (first at line 1: 5 columns")


def test_header_row_file_is_rejected(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path)
    (folder / "add.csv").write_text("ent_num,add_num,address,city,country\n36,25,x,y,Cuba\n")
    assert "add.csv: 2 of 2 records unusable" in _error("ofac-csv", folder)


def test_mostly_bad_rows_are_rejected(tmp_path: Path) -> None:
    people = [sdn_row(100 + i, f"PERSON {i}", "individual") for i in range(20)]
    bad = [f'{200 + i},"TRUNCATED' for i in range(3)]
    folder = sdn_folder(tmp_path, extra_sdn=[*people, *bad])
    assert "sdn.csv:" in _error("ofac-csv", folder)


def test_alt_from_another_snapshot_is_rejected(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path)
    (folder / "alt.csv").write_text(
        "".join(ofac_line(5000 + i, i, "aka", f"X {i}", None) + "\r\n" for i in range(10))
    )
    assert "alt.csv: 10 of 10 records unusable (first at line 1: ent_num not in sdn.csv)" in _error(
        "ofac-csv", folder
    )


def test_unknown_format() -> None:
    with pytest.raises(ListFileError, match="unknown list format 'ofac'"):
        load_list("ofac", Path("."))
