"""OFAC's Remarks field, read for the facts its CSV files keep nowhere else.

The field is a list of clauses separated by semicolons ("DOB 01 Jan 1960; alt. DOB 1962;
nationality Iran; Passport A1234567 (Iran); a.k.a. 'BNC'; Linked To: X."). Clauses are
read for dates of birth, nationality and citizenship, identity numbers (the label
vocabulary in :mod:`._values`), aliases and "Linked To:"; everything else (places of birth,
phone numbers, sanctions notes) stays in the remarks text.

Aliases in the Remarks field are OFAC's *weak* a.k.a.s: its FAQ 123 says that in the CSV
formats "weak AKAs are listed in the Remarks field ... bracketed by quotation marks", while
strong ones are rows of alt.csv.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from aegis.screening.lists import _values

_ALT = re.compile(r"^alt\.\s+", re.IGNORECASE)
_AKA = re.compile(r"^[afn]\.k\.a\.?,?\s+(.+)$", re.IGNORECASE)
_DOB = re.compile(r"^(?:DOB|date of birth)\s*:?\s+(.+)$", re.IGNORECASE)
_NATIONALITY = re.compile(r"^nationality\s*:?\s+(.+)$", re.IGNORECASE)
# A vessel's or aircraft's flag state: a country of the entity, not a nationality.
_REGISTRATION = re.compile(r"^nationality of registration\s*:?\s+(.+)$", re.IGNORECASE)
_CITIZEN = re.compile(r"^citizen(?:ship)?\s*:?\s+(.+)$", re.IGNORECASE)
_LINKED = re.compile(r"^Linked To\s*:\s*(.+)$", re.IGNORECASE)
_ID = re.compile(rf"^(?:{_values.ID_LABEL.pattern})(?=[\s:#(])\s*[:#]?\s*(.+)$", re.IGNORECASE)
# "A1234567 (Iran) issued 01 Jan 2010 expires 01 Jan 2020": the number, then the country.
_ID_VALUE = re.compile(
    r"^(?P<number>.*?)\s*(?:\((?P<country>[^()]*)\))?"
    r"(?:\s*,?\s*(?:issued|expires?|expiring|expired|valid|issue date|expiration date)\b.*)?$",
    re.IGNORECASE,
)
# Quotation marks OFAC (and a hand-edited file) put around an a.k.a.
_QUOTES = "'\"‘’“”"


@dataclass(slots=True)
class RemarkFacts:
    birth_dates: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    # (number as published, issuing country as published)
    ids: list[tuple[str, str | None]] = field(default_factory=list)
    weak_aliases: list[str] = field(default_factory=list)
    linked_to: list[str] = field(default_factory=list)


def _clauses(remarks: str) -> list[str]:
    text = " ".join(remarks.split())
    # Only the last clause carries the sentence's full stop; inside, a full stop belongs to
    # the value ("S.A. DE C.V.; Linked To: ..."). At the end, a final word with a full stop
    # inside ("C.V.", "S.A.S.") is an abbreviation that kept its own.
    last_word = text.rsplit(" ", 1)[-1]
    if text.endswith(".") and "." not in last_word[:-1]:
        text = text[:-1]
    return [clause.strip() for clause in text.split(";") if clause.strip()]


def _alias(value: str) -> str | None:
    text = value.strip().strip(_QUOTES).strip()
    return text or None


def parse_remarks(remarks: str | None) -> RemarkFacts:
    facts = RemarkFacts()
    if not remarks:
        return facts
    for raw in _clauses(remarks):
        clause = _ALT.sub("", raw)
        if m := _AKA.match(clause):
            if alias := _alias(m[1]):
                facts.weak_aliases.append(alias)
        elif m := _DOB.match(clause):
            facts.birth_dates.append(m[1].rstrip("."))
        elif m := _REGISTRATION.match(clause):
            facts.countries.append(m[1].rstrip("."))
        elif (m := _NATIONALITY.match(clause)) or (m := _CITIZEN.match(clause)):
            facts.nationalities.append(m[1].rstrip("."))
        elif m := _LINKED.match(clause):
            facts.linked_to.append(m[1].strip())
        elif m := _ID.match(clause):
            value = _ID_VALUE.match(m[1].rstrip("."))
            if value is None:
                continue
            number, country = value["number"], value["country"]
            # "International Maritime Organization No. (5777731)": the brackets hold the number.
            if not number.strip() and country:
                number, country = country, None
            facts.ids.append((number, country))
    return facts
