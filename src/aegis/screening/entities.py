"""The one shape every list format is loaded into, and the matcher reads.

A :class:`ListEntity` is what a sanctions or PEP list publishes about one person,
organisation, vessel or aircraft, normalised just enough to compare across lists: countries
as ISO 3166-1 alpha-2 codes, birth dates as ISO 8601 prefixes (``1962``, ``1962-05``,
``1962-05-17``), identity numbers upper-case without separators. Names stay as published
(every script, every spelling); the matcher normalises them itself, so that its
explanation can show what was compared.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import orjson


class EntityType(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class ListEntity:
    # Stable within its list across snapshots (OFAC ent_num, UN DATAID, FollowTheMoney id):
    # what a diff and a reviewer's memory are keyed on.
    key: str
    type: EntityType
    name: str
    # Strong aliases (a.k.a., f.k.a., n.k.a., original-script names) are matched like the
    # name; weak ones (OFAC "weak a.k.a.", UN quality "Low") only support other evidence.
    aliases: tuple[str, ...] = ()
    weak_aliases: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()
    # Nationality and citizenship; ``countries`` adds address and registration countries.
    nationalities: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    id_numbers: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    # PEP data (OpenSanctions ``role.pep`` topics, positions held).
    topics: tuple[str, ...] = ()
    positions: tuple[str, ...] = ()
    # Names of the listed parties this one is linked to (OFAC "Linked To:"), as published:
    # evidence a reviewer weighs, never matched as a name of this entity.
    linked_to: tuple[str, ...] = ()
    remarks: str | None = None
    source_url: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The name and the strong aliases: everything a query is matched against."""
        return (self.name, *self.aliases)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["type"] = self.type.value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ListEntity:
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
        }
        values["type"] = EntityType(values["type"])
        return cls(**values)

    def content_hash(self) -> str:
        """Changes whenever anything published about the entity changes: a changed hash is
        a changed entity in a diff, and re-opens a hit a reviewer had dismissed."""
        canonical = orjson.dumps(self.as_dict(), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()


class ListFormat(StrEnum):
    OFAC_CSV = "ofac-csv"  # a folder with sdn.csv, alt.csv, add.csv (sdn_comments.csv)
    OFAC_XML = "ofac-xml"  # sdn.xml / consolidated.xml
    OFAC_CONS = "ofac-cons"  # a folder with cons_prim.csv, cons_alt.csv, cons_add.csv
    UN_XML = "un-xml"
    CSL = "csl"  # the US Consolidated Screening List, csl.csv (and BIS dpl.txt)
    FTM = "ftm"  # OpenSanctions FollowTheMoney entities, JSON lines


class ListFileError(ValueError):
    """A list file that cannot be loaded as its format: the message says what and where
    (file, line or element), never the personal data in it."""
