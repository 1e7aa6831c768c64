"""OpenSanctions' FollowTheMoney entities: one JSON object per line.

Each line is ``{"id", "schema", "properties": {name: [values]}, "datasets", "target",
"caption"?}``. Only the schemas a person or company can be screened against become entities;
the helper entities around them (addresses, sanctions, positions, relationships) and
entities that are not targets of the list (``"target": false``: context such as a target's
relatives' companies) are skipped. Several lines with one id are fragments of one entity and
are merged. Countries are already ISO codes, in lower case; dates are ISO prefixes.

The file is read line by line, so a multi-gigabyte export is never held as text.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Final

import orjson

from aegis.screening.entities import EntityType, ListFileError, ListFormat
from aegis.screening.lists import _common
from aegis.screening.lists._model import LoadedList
from aegis.screening.lists._values import clean
from aegis.screening.lists._xml import single_file

SCREENABLE: Final = {
    "Person": EntityType.PERSON,
    "Organization": EntityType.ORGANIZATION,
    "Company": EntityType.ORGANIZATION,
    "LegalEntity": EntityType.ORGANIZATION,
    "PublicBody": EntityType.ORGANIZATION,
    "Vessel": EntityType.VESSEL,
    "Airplane": EntityType.AIRCRAFT,
}
# Identifier properties worth matching on (documents, tax and registry numbers, and the
# numbers of banks, vessels and aircraft); phone numbers and e-mails are not.
_ID_PROPERTIES: Final = (
    "idNumber",
    "passportNumber",
    "taxNumber",
    "registrationNumber",
    "vatCode",
    "innCode",
    "ogrnCode",
    "okpoCode",
    "leiCode",
    "dunsCode",
    "uniqueEntityId",
    "swiftBic",
    "imoNumber",
    "mmsi",
    "serialNumber",
)
_NATIONALITY_PROPERTIES: Final = ("nationality", "citizenship")
_COUNTRY_PROPERTIES: Final = ("country", "jurisdiction", "mainCountry", "flag", "birthCountry")
_ISO_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
# "ua-cri" (Crimea), "ge-ab" (Abkhazia): a region of a country is its country.
_REGION = re.compile(r"([a-z]{2})-[a-z0-9]{1,4}")


def _strings(properties: dict[str, Any], name: str) -> list[str]:
    values = properties.get(name) or []
    if not isinstance(values, list):
        values = [values]
    return [text for v in values if isinstance(v, str) and (text := clean(v))]


def _country(value: str, draft: _common.Draft) -> str | None:
    code = value.strip().lower()
    if code in {"zz", "xx"}:  # FollowTheMoney's "unknown"
        return None
    if m := _REGION.fullmatch(code):
        code = m[1]
    if len(code) == 2 and code.isalpha():
        return draft.report.country(code.upper(), draft.where)
    return draft.report.country(value, draft.where)


def _draft(record: dict[str, Any], report: _common.Report, where: str) -> _common.Draft | None:
    properties = record.get("properties") or {}
    if not isinstance(properties, dict):
        raise ValueError("properties is not an object")
    names = _strings(properties, "name")
    caption = record.get("caption")
    if not names:
        return None
    name = caption if isinstance(caption, str) and caption in names else names[0]
    draft = _common.Draft(
        key=str(record["id"]),
        type=SCREENABLE[record["schema"]],
        name=name,
        report=report,
        where=where,
    )
    for alias in (*names, *_strings(properties, "alias"), *_strings(properties, "previousName")):
        draft.alias(alias)
    for alias in _strings(properties, "weakAlias"):
        draft.alias(alias, weak=True)
    for value in _strings(properties, "birthDate"):
        # Full timestamps happen; the date prefix is what is compared.
        date = _ISO_DATE.match(value)
        if date:
            draft.birth_date(date[0])
        else:
            report.note("unreadable birthDate dropped", where)
    for prop in _NATIONALITY_PROPERTIES:
        for value in _strings(properties, prop):
            if code := _country(value, draft):
                draft.nationalities.append(code)
    for prop in _COUNTRY_PROPERTIES:
        for value in _strings(properties, prop):
            if code := _country(value, draft):
                draft.countries.append(code)
    for prop in _ID_PROPERTIES:
        for value in _strings(properties, prop):
            draft.id_number(value)
    draft.topics.extend(_strings(properties, "topics"))
    draft.positions.extend(_strings(properties, "position"))
    draft.addresses.extend(_strings(properties, "address"))
    draft.programs.extend(_strings(properties, "program"))
    notes = _strings(properties, "notes")
    draft.remarks = "\n".join(notes) or None
    urls = _strings(properties, "sourceUrl")
    draft.source_url = urls[0] if urls else None
    return draft


def _check_start(head: bytes, name: str) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise ListFileError(f"{name}: holds NUL bytes (UTF-16 or binary data), expected JSON lines")


def load(path: Path) -> LoadedList:
    path = single_file(path, ("entities.ftm.json",), (".json", ".jsonl", ".ndjson"))
    report = _common.Report()
    stats = report.rows(path.name)
    drafts: dict[str, _common.Draft] = {}
    # The datasets every target entity belongs to: the one that names the list.
    common: set[str] | None = None
    hasher = hashlib.sha256()
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise ListFileError(f"{path.name}: not found") from None
    except OSError as exc:
        raise ListFileError(f"{path.name}: cannot be read ({exc.strerror})") from None
    with handle:
        for line_no, raw in enumerate(handle, start=1):
            hasher.update(raw)
            if line_no == 1:
                _check_start(raw[:4096], path.name)
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
                schema, key = record["schema"], record["id"]
                if not isinstance(schema, str) or not isinstance(key, str) or not key:
                    raise ValueError("no schema or id")
            except (orjson.JSONDecodeError, ValueError, KeyError):
                stats.skip(line_no, "not a FollowTheMoney entity (JSON object with id, schema)")
                continue
            if schema not in SCREENABLE or record.get("target", True) is False:
                stats.ok()
                continue
            try:
                draft = _draft(record, report, f"{path.name} line {line_no}")
            except (ValueError, TypeError):
                stats.skip(line_no, "malformed properties")
                continue
            if draft is None:
                stats.skip(line_no, f"{schema} without a name")
                continue
            listed = {d for d in record.get("datasets") or [] if isinstance(d, str)}
            common = listed if common is None else common & listed
            if key in drafts:
                drafts[key].merge(draft)
            else:
                drafts[key] = draft
            stats.ok()
    if stats.rows == 0:
        raise ListFileError(f"{path.name}: empty file")
    report.check(stats)
    if not drafts:
        # Loading it would empty the screening list: far likelier the wrong file.
        raise ListFileError(f"{path.name}: no screenable target entities")
    source = sorted(common)[0] if common else path.name.split(".")[0]
    return LoadedList(
        format=ListFormat.FTM,
        source=source,
        entities=_common.finish(drafts.values()),
        published=None,
        digest=hasher.hexdigest(),
        warnings=report.warnings(),
    )
