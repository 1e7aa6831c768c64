"""The shapes the matcher takes and gives: a query, a match result and its features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aegis.screening.entities import EntityType, ListEntity

# Chosen on the labelled sets of :mod:`aegis.screening.matching.testsets` built from the
# OFAC SDN and UN lists (``scripts/eval_screening.py``): the lowest threshold that keeps the
# false-positive rate on common, unlisted names under 1%, which leaves recall of every
# spelling variant at or above 0.95. See docs/screening-matching.md for the trade-off curve.
DEFAULT_THRESHOLD = 0.74


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    """Who is being screened: one or more names and, where known, supporting facts.

    ``birth_date`` is an ISO 8601 prefix (``1971``, ``1971-05``, ``1971-05-17``);
    ``birth_dates`` holds further possible dates (lists often publish several).
    """

    names: tuple[str, ...]
    type: EntityType | None = None
    birth_date: str | None = None
    countries: tuple[str, ...] = ()
    id_numbers: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: str, **kw: Any) -> Query:
        """A query for one name: ``Query.of("Ivan Petrov", birth_date="1970")``."""
        return cls(names=(name,), **kw)

    @classmethod
    def from_entity(cls, entity: ListEntity) -> Query:
        """The query that screens others against a list entity (re-screening on list change)."""
        return cls(
            names=entity.names,
            type=None if entity.type is EntityType.UNKNOWN else entity.type,
            birth_date=entity.birth_dates[0] if entity.birth_dates else None,
            birth_dates=entity.birth_dates[1:],
            countries=tuple(dict.fromkeys((*entity.nationalities, *entity.countries))),
            id_numbers=entity.id_numbers,
        )

    @property
    def all_birth_dates(self) -> tuple[str, ...]:
        first = (self.birth_date,) if self.birth_date else ()
        return (*first, *self.birth_dates)


@dataclass(frozen=True, slots=True)
class FeatureValue:
    """One named piece of evidence: ``contribution = value * weight`` is what it added to
    (or, negative, took from) the score."""

    name: str
    value: float
    weight: float
    contribution: float
    # Shown to compliance reviewers (may quote the names); never logged.
    detail: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    """A query compared with one list entity; ``score`` is the clamped sum of the features'
    contributions."""

    score: float
    match: bool
    threshold: float
    query_name: str
    matched_name: str
    features: dict[str, FeatureValue]

    def explain(self) -> dict[str, Any]:
        """The result as JSON-ready data, for the reviewer's screen and the audit trail."""
        return {
            "score": round(self.score, 4),
            "match": self.match,
            "threshold": self.threshold,
            "query_name": self.query_name,
            "matched_name": self.matched_name,
            "features": {
                name: {
                    "value": round(f.value, 4),
                    "weight": f.weight,
                    "contribution": round(f.contribution, 4),
                    "detail": f.detail,
                }
                for name, f in self.features.items()
            },
        }
