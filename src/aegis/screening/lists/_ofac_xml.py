"""OFAC's SDN XML (``sdn.xml``; ``consolidated.xml`` has the same schema).

The root ``sdnList`` holds ``publshInformation/Publish_Date`` (MM/DD/YYYY) and one
``sdnEntry`` per listed party: uid, lastName (the whole name of an organisation), firstName,
sdnType, title, remarks, and lists of programs, identifiers, a.k.a.s (each ``strong`` or
``weak``), addresses, nationalities, citizenships, dates of birth and vessel details. Keys
are the uid, the same number as the CSV's ent_num, so a change of format keeps every key.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from aegis.screening.entities import EntityType, ListFileError, ListFormat
from aegis.screening.lists import _common, _xml
from aegis.screening.lists._model import LoadedList
from aegis.screening.lists._ofac_csv import CONSOLIDATED, SDN
from aegis.screening.lists._ofac_remarks import parse_remarks
from aegis.screening.lists._values import clean, is_identifier_type

_TYPES = {
    "individual": EntityType.PERSON,
    "entity": EntityType.ORGANIZATION,
    "vessel": EntityType.VESSEL,
    "aircraft": EntityType.AIRCRAFT,
}


def _person_name(element: Any) -> str | None:
    # As the CSV writes it, "SURNAME, Given Names", so both formats give the same names.
    last, first = _xml.text(element, "lastName"), _xml.text(element, "firstName")
    if last and first:
        return f"{last}, {first}"
    return last or first


def _published(root: Any, name: str, report: _common.Report) -> dt.date | None:
    raw = next((clean(e.text) for e in _xml.path(root, "publshInformation", "Publish_Date")), None)
    if not raw:
        return None
    try:
        return dt.datetime.strptime(raw, "%m/%d/%Y").date()
    except ValueError:
        report.note("unreadable Publish_Date ignored", f"{name} publshInformation")
        return None


def _entry(entry: Any, draft: _common.Draft) -> None:
    draft.programs.extend(
        p for e in _xml.path(entry, "programList", "program") if (p := clean(e.text))
    )
    draft.add(draft.positions, _xml.text(entry, "title"))
    for aka in _xml.path(entry, "akaList", "aka"):
        weak = (_xml.text(aka, "category") or "").lower() == "weak"
        draft.alias(_person_name(aka), weak=weak)
    for ident in _xml.path(entry, "idList", "id"):
        kind = _xml.text(ident, "idType") or ""
        if kind.lower().startswith("nationality of registration"):
            draft.country(_xml.text(ident, "idCountry") or _xml.text(ident, "idNumber"))
        elif is_identifier_type(kind):
            draft.id_number(_xml.text(ident, "idNumber"))
            draft.country(_xml.text(ident, "idCountry"))
    for item in _xml.path(entry, "nationalityList", "nationality"):
        draft.nationality(_xml.text(item, "country"))
    for item in _xml.path(entry, "citizenshipList", "citizenship"):
        draft.nationality(_xml.text(item, "country"))
    for item in _xml.path(entry, "dateOfBirthList", "dateOfBirthItem"):
        draft.birth_date(_xml.text(item, "dateOfBirth"))
    for address in _xml.path(entry, "addressList", "address"):
        parts = [
            _xml.text(address, field)
            for field in ("address1", "address2", "address3", "city", "stateOrProvince")
        ]
        postal, country = _xml.text(address, "postalCode"), _xml.text(address, "country")
        if any(parts) or postal:
            draft.addresses.append(", ".join(p for p in (*parts, postal, country) if p))
        draft.country(country)
    for vessel in _xml.children(entry, "vesselInfo"):
        draft.country(_xml.text(vessel, "vesselFlag"))
    draft.remarks = _xml.text(entry, "remarks")
    # The remarks add what the structured lists lack ("Linked To:"); repeats are merged.
    facts = parse_remarks(draft.remarks)
    for text in facts.birth_dates:
        draft.birth_date(text)
    for alias in facts.weak_aliases:
        draft.alias(alias, weak=True)
    draft.linked_to.extend(facts.linked_to)


def load(path: Path) -> LoadedList:
    path = _xml.single_file(path, ("sdn.xml", "consolidated.xml"), (".xml",))
    data = _common.read_file(path)
    root = _common.parse_xml(data, path.name)
    if _xml.local(root) != "sdnList":
        raise ListFileError(f"{path.name}: root element is {_xml.local(root)!r}, expected sdnList")
    report = _common.Report()
    stats = report.rows(path.name)
    drafts: dict[str, _common.Draft] = {}
    for entry in _xml.children(root, "sdnEntry"):
        line = entry.sourceline or 0
        key, name = _xml.text(entry, "uid"), _person_name(entry)
        if not key or not key.isdigit():
            stats.skip(line, "sdnEntry without a numeric uid")
            continue
        if not name:
            stats.skip(line, "sdnEntry without a name")
            continue
        if key in drafts:
            stats.skip(line, "uid repeated")
            continue
        kind = (_xml.text(entry, "sdnType") or "").lower()
        where = f"{path.name} line {line}"
        entity_type = _TYPES.get(kind, EntityType.UNKNOWN)
        if entity_type is EntityType.UNKNOWN:
            report.note("unknown sdnType, entity type left unknown", where)
        draft = _common.Draft(key=key, type=entity_type, name=name, report=report, where=where)
        _entry(entry, draft)
        drafts[key] = draft
        stats.ok()
    report.check(stats)
    published = _published(root, path.name, report)
    consolidated = "cons" in path.name.lower()
    return LoadedList(
        format=ListFormat.OFAC_XML,
        source=(CONSOLIDATED if consolidated else SDN).source,
        entities=_common.finish(drafts.values()),
        published=published,
        digest=_common.sha256(data),
        warnings=report.warnings(),
    )
