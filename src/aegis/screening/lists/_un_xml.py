"""The UN Security Council consolidated list (``consolidated.xml``).

``CONSOLIDATED_LIST`` (attribute ``dateGenerated``) holds ``INDIVIDUALS/INDIVIDUAL`` and
``ENTITIES/ENTITY``, keyed by DATAID. A person's name is FIRST_NAME to FOURTH_NAME in the
UN's order; NAME_ORIGINAL_SCRIPT (Arabic, Cyrillic, Chinese...) is kept as a strong alias,
since a query in that script must find it. Alias QUALITY "Low" is weak; "Good", "a.k.a.",
"f.k.a." and an empty quality are strong. Countries are UN country names.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from aegis.screening.entities import EntityType, ListFileError, ListFormat
from aegis.screening.lists import _common, _xml
from aegis.screening.lists._model import LoadedList
from aegis.screening.lists._values import clean, un_birth_dates

SOURCE = "UN Security Council Consolidated"

_WEAK_QUALITIES = frozenset({"low", "very low"})


def _values(element: Any, name: str) -> list[str]:
    """The VALUE texts of a multi-valued field (NATIONALITY, DESIGNATION, UN_LIST_TYPE)."""
    out: list[str] = []
    for field in _xml.children(element, name):
        values = [clean(v.text) for v in _xml.children(field, "VALUE")]
        out.extend(v for v in values if v)
        if not values and (own := clean(field.text)):
            out.append(own)
    return out


def _aliases(element: Any, tag: str, draft: _common.Draft) -> None:
    for alias in _xml.children(element, tag):
        quality = (_xml.text(alias, "QUALITY") or "").lower()
        # Some entries list several spellings in one ALIAS_NAME, separated by semicolons.
        for name in (_xml.text(alias, "ALIAS_NAME") or "").split(";"):
            draft.alias(name, weak=quality in _WEAK_QUALITIES)
        # A date of birth the alias was used with is a date of birth of the person.
        draft.birth_date(_xml.text(alias, "DATE_OF_BIRTH"))
    for original in _xml.children(element, "NAME_ORIGINAL_SCRIPT"):
        draft.alias(original.text)


def _addresses(element: Any, tag: str, draft: _common.Draft) -> None:
    for address in _xml.children(element, tag):
        parts = [
            _xml.text(address, field) for field in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE")
        ]
        country = _xml.text(address, "COUNTRY")
        if any(parts):
            draft.addresses.append(", ".join(p for p in (*parts, country) if p))
        draft.country(country)


def _person(element: Any, draft: _common.Draft) -> None:
    for nationality in _values(element, "NATIONALITY"):
        draft.nationality(nationality)
    draft.positions.extend(_values(element, "DESIGNATION"))
    for item in _xml.children(element, "INDIVIDUAL_DATE_OF_BIRTH"):
        fields = {name: _xml.text(item, name) for name in ("DATE", "YEAR", "FROM_YEAR", "TO_YEAR")}
        dates = un_birth_dates(
            date=fields["DATE"],
            year=fields["YEAR"],
            from_year=fields["FROM_YEAR"],
            to_year=fields["TO_YEAR"],
        )
        if not dates and any(fields.values()):
            draft.report.note("unreadable date of birth dropped", draft.where)
        draft.birth_dates.extend(dates)
    for document in _xml.children(element, "INDIVIDUAL_DOCUMENT"):
        number = _xml.text(document, "NUMBER")
        if number:
            draft.id_number(number)
            draft.country(
                _xml.text(document, "ISSUING_COUNTRY") or _xml.text(document, "COUNTRY_OF_ISSUE")
            )
    _aliases(element, "INDIVIDUAL_ALIAS", draft)
    _addresses(element, "INDIVIDUAL_ADDRESS", draft)


def _entity(element: Any, draft: _common.Draft) -> None:
    _aliases(element, "ENTITY_ALIAS", draft)
    _addresses(element, "ENTITY_ADDRESS", draft)


def _published(root: Any, name: str, report: _common.Report) -> dt.date | None:
    raw = root.get("dateGenerated")
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        report.note("unreadable dateGenerated ignored", f"{name} CONSOLIDATED_LIST")
        return None


def load(path: Path) -> LoadedList:
    path = _xml.single_file(path, ("consolidated.xml", "un_consolidated.xml"), (".xml",))
    data = _common.read_file(path)
    root = _common.parse_xml(data, path.name)
    if _xml.local(root) != "CONSOLIDATED_LIST":
        raise ListFileError(
            f"{path.name}: root element is {_xml.local(root)!r}, expected CONSOLIDATED_LIST"
        )
    report = _common.Report()
    stats = report.rows(path.name)
    drafts: dict[str, _common.Draft] = {}
    kinds = (
        ("INDIVIDUALS", "INDIVIDUAL", EntityType.PERSON, _person),
        ("ENTITIES", "ENTITY", EntityType.ORGANIZATION, _entity),
    )
    for group, tag, entity_type, read in kinds:
        for element in _xml.path(root, group, tag):
            line = element.sourceline or 0
            key = _xml.text(element, "DATAID")
            names = [_xml.text(element, f) for f in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME")]
            names.append(_xml.text(element, "FOURTH_NAME"))
            name = " ".join(n for n in names if n)
            if not key or not key.isdigit():
                stats.skip(line, f"{tag} without a numeric DATAID")
                continue
            if not name:
                stats.skip(line, f"{tag} without a name")
                continue
            if key in drafts:
                stats.skip(line, "DATAID repeated")
                continue
            draft = _common.Draft(
                key=key,
                type=entity_type,
                name=name,
                report=report,
                where=f"{path.name} line {line}",
            )
            draft.programs.extend(_values(element, "UN_LIST_TYPE"))
            draft.remarks = clean(_xml.text(element, "COMMENTS1"))
            read(element, draft)
            drafts[key] = draft
            stats.ok()
    report.check(stats)
    published = _published(root, path.name, report)
    return LoadedList(
        format=ListFormat.UN_XML,
        source=SOURCE,
        entities=_common.finish(drafts.values()),
        published=published,
        digest=_common.sha256(data),
        warnings=report.warnings(),
    )
