"""The US Consolidated Screening List (``csl.csv``) and BIS's Denied Persons List (``dpl.txt``).

csl.csv has a header row and one row per listing from eleven US lists (the ``source``
column). Multi-valued columns separate values with "; "; ``ids`` are "[COUNTRY, ]NUMBER,
TYPE". dpl.txt is tab-separated with its own header, one row per name and address.

Rows of the lists other than OFAC's have no entity_number: their key is the list's short
name and a hash of the folded name and address, which stays the same from load to load and
is the same for a DPL row in either file, so loading both files lists each person once.
Rows whose keys coincide are merged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from anyascii import anyascii

from aegis.screening.entities import EntityType, ListFileError, ListFormat
from aegis.screening.lists import _common
from aegis.screening.lists._model import LoadedList
from aegis.screening.lists._values import clean, is_identifier_type

CSL_NAME = "csl.csv"
DPL_NAME = "dpl.txt"

_CSL_REQUIRED = ("source", "entity_number", "type", "name")
_DPL_REQUIRED = ("Name", "Street_Address", "City", "State", "Country", "Postal_Code")
_TYPES = {
    "individual": EntityType.PERSON,
    "entity": EntityType.ORGANIZATION,
    "vessel": EntityType.VESSEL,
    "aircraft": EntityType.AIRCRAFT,
}
_SHORT_NAME = re.compile(r"\(([A-Z]{2,8})\)")
_LINKED = re.compile(r"Linked To:\s*([^)]+)\)", re.IGNORECASE)

Rows = dict[str, _common.Draft]


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", anyascii(text).lower()).split())


def _short_name(source: str) -> str:
    """ "Denied Persons List (DPL) - Bureau of Industry and Security" -> "DPL"."""
    if m := _SHORT_NAME.search(source):
        return m[1]
    return "L" + hashlib.sha256(_fold(source).encode()).hexdigest()[:8]


def _key(short: str, number: str | None, name: str, address: str) -> str:
    if number:
        return f"{short}:{number}"
    digest = hashlib.sha256(f"{_fold(name)}|{_fold(address)}".encode()).hexdigest()
    return f"{short}:{digest[:16]}"


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _ids(value: str | None, draft: _common.Draft) -> None:
    for item in _split(value):
        parts = [p.strip() for p in item.split(",")]
        if len(parts) < 2 or not is_identifier_type(parts[-1]):
            continue
        country = None
        if len(parts) >= 3 and len(parts[0]) == 2 and parts[0].isupper():
            country, parts = parts[0], parts[1:]
        draft.id_number(", ".join(parts[:-1]))
        draft.country(country)


def _header(row: list[str], required: tuple[str, ...], name: str) -> dict[str, int]:
    columns = {cell.strip(): i for i, cell in enumerate(row)}
    missing = [column for column in required if column not in columns]
    if missing:
        raise ListFileError(f"{name} line 1: no column {', '.join(missing)} in the header")
    return columns


def _add(drafts: Rows, draft: _common.Draft) -> None:
    if draft.key in drafts:
        drafts[draft.key].merge(draft)
    else:
        drafts[draft.key] = draft


def _csl(name: str, text: str, report: _common.Report, drafts: Rows) -> None:
    stats = report.rows(name)
    rows = _common.csv_rows(text, name)
    first = next(rows, None)
    if first is None:
        raise ListFileError(f"{name}: empty file")
    columns = _header(first[1], _CSL_REQUIRED, name)
    for line, row in rows:
        if len(row) != len(first[1]):
            stats.skip(line, f"{len(row)} columns, expected {len(first[1])}")
            continue

        def cell(column: str, row: list[str] = row) -> str | None:
            index = columns.get(column)
            return clean(row[index]) if index is not None else None

        entry_name, source = cell("name"), cell("source")
        if not entry_name or not source:
            stats.skip(line, "no name or no source")
            continue
        addresses = _split(cell("addresses"))
        draft = _common.Draft(
            key=_key(_short_name(source), cell("entity_number"), entry_name, "; ".join(addresses)),
            type=_TYPES.get((cell("type") or "").lower(), EntityType.UNKNOWN),
            name=entry_name,
            report=report,
            where=f"{name} line {line}",
        )
        for alias in _split(cell("alt_names")):
            draft.alias(alias)
        for address in addresses:
            draft.addresses.append(address)
            last = address.rsplit(",", 1)[-1].strip()
            if len(last) == 2 and last.isupper():
                draft.country(last)
        for column in ("citizenships", "nationalities"):
            for country in _split(cell(column)):
                draft.nationality(country)
        for text_date in _split(cell("dates_of_birth")):
            draft.birth_date(text_date)
        draft.country(cell("vessel_flag"))
        _ids(cell("ids"), draft)
        draft.programs.extend(_split(cell("programs")))
        draft.add(draft.positions, cell("title"))
        draft.remarks = cell("remarks")
        draft.linked_to.extend(m.strip() for m in _LINKED.findall(draft.remarks or ""))
        draft.source_url = cell("source_information_url") or cell("source_list_url")
        _add(drafts, draft)
        stats.ok()
    report.check(stats)


def _dpl(name: str, text: str, report: _common.Report, drafts: Rows) -> None:
    stats = report.rows(name)
    rows = _common.csv_rows(text, name, delimiter="\t")
    first = next(rows, None)
    if first is None:
        raise ListFileError(f"{name}: empty file")
    columns = _header(first[1], _DPL_REQUIRED, name)
    for line, row in rows:
        if len(row) != len(first[1]):
            stats.skip(line, f"{len(row)} columns, expected {len(first[1])}")
            continue
        values = {column: clean(row[index]) for column, index in columns.items()}
        entry_name = values["Name"]
        if not entry_name:
            stats.skip(line, "no name")
            continue
        # Joined as the CSL joins a DPL address, so that both files give the same key.
        address = ", ".join(
            v for v in (values[c] for c in ("Street_Address", "City", "State", "Postal_Code")) if v
        )
        country = values["Country"]
        address = ", ".join(p for p in (address, country) if p)
        draft = _common.Draft(
            key=_key("DPL", None, entry_name, address),
            type=EntityType.UNKNOWN,
            name=entry_name,
            report=report,
            where=f"{name} line {line}",
        )
        if address:
            draft.addresses.append(address)
        draft.country(country)
        _add(drafts, draft)
        stats.ok()
    report.check(stats)


def _is_dpl(path: Path, text: str) -> bool:
    first_line = text.split("\n", 1)[0]
    return path.name.lower() == DPL_NAME or ("\t" in first_line and "Name" in first_line)


def load(path: Path) -> LoadedList:
    if path.is_dir():
        present = {p.name.lower(): p for p in path.iterdir() if p.is_file()}
        files = [present[n] for n in (CSL_NAME, DPL_NAME) if n in present]
        if not files:
            raise ListFileError(f"{path.name}: no {CSL_NAME} or {DPL_NAME} in the folder")
    else:
        files = [path]
    report = _common.Report()
    drafts: Rows = {}
    hashes: list[tuple[str, str]] = []
    kinds: list[bool] = []
    for file in files:
        data = _common.read_file(file)
        hashes.append((file.name, _common.sha256(data)))
        text = _common.decode(data, file.name)
        dpl = _is_dpl(file, text)
        kinds.append(dpl)
        read: Callable[[str, str, _common.Report, Rows], None] = _dpl if dpl else _csl
        read(file.name, text, report, drafts)
    return LoadedList(
        format=ListFormat.CSL,
        source="US BIS Denied Persons List" if all(kinds) else "US CSL",
        entities=_common.finish(drafts.values()),
        published=None,
        digest=_common.digest(hashes),
        warnings=report.warnings(),
    )
