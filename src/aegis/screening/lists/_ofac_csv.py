"""OFAC's CSV formats: the SDN list (sdn.csv, alt.csv, add.csv, sdn_comments.csv) and the
consolidated non-SDN list (cons_prim.csv, cons_alt.csv, cons_add.csv, cons_comments.csv).

The files have no header; ``-0-`` means empty. The primary file holds one row per entry
(ent_num, name, type, programs, title, vessel fields, remarks); alt.csv its strong aliases;
add.csv its addresses; the comments file the part of a Remarks field that did not fit in
the primary file, continuing it mid-word. Facts only the remarks hold are read by
:mod:`._ofac_remarks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aegis.screening.entities import EntityType, ListFileError, ListFormat
from aegis.screening.lists import _common
from aegis.screening.lists._model import LoadedList
from aegis.screening.lists._ofac_remarks import RemarkFacts, parse_remarks
from aegis.screening.lists._values import clean


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    format: ListFormat
    source: str
    primary: str
    alt: str
    add: str
    comments: str

    @property
    def names(self) -> tuple[str, ...]:
        return (self.primary, self.alt, self.add, self.comments)


SDN = Layout(
    format=ListFormat.OFAC_CSV,
    source="OFAC SDN",
    primary="sdn.csv",
    alt="alt.csv",
    add="add.csv",
    comments="sdn_comments.csv",
)
CONSOLIDATED = Layout(
    format=ListFormat.OFAC_CONS,
    source="OFAC Consolidated (non-SDN)",
    primary="cons_prim.csv",
    alt="cons_alt.csv",
    add="cons_add.csv",
    comments="cons_comments.csv",
)

_TYPES = {
    "individual": EntityType.PERSON,
    "vessel": EntityType.VESSEL,
    "aircraft": EntityType.AIRCRAFT,
    "entity": EntityType.ORGANIZATION,
    # OFAC leaves the type of an organisation empty.
    "": EntityType.ORGANIZATION,
}


def _files(folder: Path, layout: Layout) -> dict[str, Path]:
    """The layout's files in the folder, whatever their case (OFAC serves ``SDN.CSV``)."""
    if folder.is_file() and folder.name.lower() == layout.primary:
        folder = folder.parent
    if not folder.is_dir():
        raise ListFileError(f"{folder.name}: not found, expected a folder with {layout.primary}")
    present = {path.name.lower(): path for path in folder.iterdir() if path.is_file()}
    missing = [name for name in layout.names[:3] if name not in present]
    if missing:
        raise ListFileError(f"{folder.name}: no {', '.join(missing)} in the folder")
    return {name: present[name] for name in layout.names if name in present}


def _programs(value: str | None) -> list[str]:
    # Several programmes are written "SDGT] [IRGC": the file strips the outer brackets.
    if not value:
        return []
    return [p.strip(" []") for p in value.split("] [") if p.strip(" []")]


def _apply(draft: _common.Draft, facts: RemarkFacts) -> None:
    for text in facts.birth_dates:
        draft.birth_date(text)
    for country in facts.nationalities:
        draft.nationality(country)
    for flag in facts.countries:
        draft.country(flag)
    for number, issuer in facts.ids:
        draft.id_number(number)
        draft.country(issuer)
    for alias in facts.weak_aliases:
        draft.alias(alias, weak=True)
    draft.linked_to.extend(facts.linked_to)


def _comments(name: str, text: str, report: _common.Report) -> dict[str, str]:
    stats = report.rows(name)
    out: dict[str, str] = {}
    for line, row in _common.csv_rows(text, name):
        if len(row) != 2:
            stats.skip(line, f"{len(row)} columns, expected 2")
            continue
        if not row[0].strip().isdigit():
            stats.skip(line, "ent_num is not a number")
            continue
        stats.ok()
        out[row[0].strip()] = out.get(row[0].strip(), "") + row[1]
    report.check(stats, required=False)
    return out


def _primary(
    name: str, text: str, comments: dict[str, str], report: _common.Report
) -> dict[str, _common.Draft]:
    stats = report.rows(name)
    drafts: dict[str, _common.Draft] = {}
    for line, row in _common.csv_rows(text, name):
        if len(row) != 12:
            stats.skip(line, f"{len(row)} columns, expected 12")
            continue
        key, entry_name = row[0].strip(), clean(row[1])
        if not key.isdigit():
            stats.skip(line, "ent_num is not a number")
            continue
        if not entry_name:
            stats.skip(line, "no name")
            continue
        if key in drafts:
            stats.skip(line, "ent_num repeated")
            continue
        where = f"{name} line {line}"
        kind = (clean(row[2]) or "").lower()
        entity_type = _TYPES.get(kind, EntityType.UNKNOWN)
        if entity_type is EntityType.UNKNOWN:
            report.note("unknown SDN_Type, entity type left unknown", where)
        draft = _common.Draft(
            key=key, type=entity_type, name=entry_name, report=report, where=where
        )
        draft.programs.extend(_programs(clean(row[3])))
        draft.add(draft.positions, row[4])
        draft.country(clean(row[9]))  # vessel flag
        # The comments file continues a cut-off Remarks field exactly where it stopped, at
        # a space as often as mid-word: join before any whitespace is touched.
        own = row[11] if clean(row[11]) else ""
        draft.remarks = clean(own + comments.pop(key, ""))
        _apply(draft, parse_remarks(draft.remarks))
        drafts[key] = draft
        stats.ok()
    report.check(stats)
    for key in comments:
        report.note(f"comments for an ent_num not in {name} dropped", f"ent_num {key}")
    return drafts


def _aliases(
    name: str, text: str, primary: str, drafts: dict[str, _common.Draft], report: _common.Report
) -> None:
    stats = report.rows(name)
    for line, row in _common.csv_rows(text, name):
        if len(row) != 5:
            stats.skip(line, f"{len(row)} columns, expected 5")
            continue
        draft = drafts.get(row[0].strip())
        alias = clean(row[3])
        if draft is None:
            stats.skip(line, f"ent_num not in {primary}")
            continue
        if not alias:
            stats.skip(line, "no alias name")
            continue
        # OFAC marks weak aliases in the remarks, not here; honour a remark that says so.
        weak = "weak" in (row[4] or "").lower()
        draft.alias(alias, weak=weak)
        stats.ok()
    report.check(stats)


def _addresses(
    name: str, text: str, primary: str, drafts: dict[str, _common.Draft], report: _common.Report
) -> None:
    stats = report.rows(name)
    for line, row in _common.csv_rows(text, name):
        if len(row) != 6:
            stats.skip(line, f"{len(row)} columns, expected 6")
            continue
        draft = drafts.get(row[0].strip())
        if draft is None:
            stats.skip(line, f"ent_num not in {primary}")
            continue
        street, city, country = clean(row[2]), clean(row[3]), clean(row[4])
        if street or city:
            draft.addresses.append(", ".join(p for p in (street, city, country) if p))
        draft.where = f"{name} line {line}"
        draft.country(country)
        stats.ok()
    report.check(stats)


def load(path: Path, layout: Layout) -> LoadedList:
    files = _files(path, layout)
    data = {name: _common.read_file(p) for name, p in files.items()}
    texts = {
        name: _common.decode(raw, name)
        for name, raw in data.items()
        # An empty comments file only says that no remarks overflowed.
        if name != layout.comments or raw.strip(b" \t\r\n\x1a")
    }
    report = _common.Report()
    comments = (
        _comments(layout.comments, texts[layout.comments], report)
        if layout.comments in texts
        else {}
    )
    drafts = _primary(layout.primary, texts[layout.primary], comments, report)
    _aliases(layout.alt, texts[layout.alt], layout.primary, drafts, report)
    _addresses(layout.add, texts[layout.add], layout.primary, drafts, report)
    return LoadedList(
        format=layout.format,
        source=layout.source,
        entities=_common.finish(drafts.values()),
        published=None,
        digest=_common.digest([(name, _common.sha256(raw)) for name, raw in data.items()]),
        warnings=report.warnings(),
    )
