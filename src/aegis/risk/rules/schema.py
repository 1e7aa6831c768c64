"""Rules and rule sets as data: what the API accepts, the store keeps and the engine compiles.

The models are strict (no silent coercion of ``"10"`` into 10, unknown fields refused) so
the API can take them as request bodies unchanged. Enums and tuples stay lax on purpose:
a JSON body arrives as strings and lists, and strict mode would refuse both.

Structural checks live here (ids, sizes, unique rule ids, monotone thresholds); whether
each expression compiles is checked by :func:`aegis.risk.rules.compile_rule_set`, which the
store calls when a draft is saved.
"""

from __future__ import annotations

from bisect import bisect_right
from enum import StrEnum
from itertools import pairwise
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aegis.risk.model import Outcome

__all__ = [
    "DEFAULT_THRESHOLDS",
    "MAX_EXPRESSION_LENGTH",
    "MAX_RULES",
    "Rule",
    "RuleSet",
    "RuleSetStatus",
    "Threshold",
    "outcome_for_score",
]

# An expression longer than this is a program, not a rule; CEL has no loops, so with the
# length (and the complexity limits of the compiler) bounded, so is its cost.
MAX_EXPRESSION_LENGTH = 2000
MAX_RULES = 500
MAX_SCORE = 1000  # per rule, either sign


class RuleSetStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"  # a version that was published and has been replaced


_STRICT = ConfigDict(strict=True, extra="forbid", frozen=True)


class Rule(BaseModel):
    """One rule: a CEL expression that, when true, adds ``score`` to the total and forces
    at least ``outcome``. A rule may carry a score, an outcome, or both."""

    model_config = _STRICT

    id: str = Field(
        pattern=r"^[a-z][a-z0-9_]{1,63}$",
        description="Stable identifier, kept across versions (e.g. velocity_burst_1h).",
    )
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=4000)
    expression: str = Field(min_length=1, max_length=MAX_EXPRESSION_LENGTH)
    score: int = Field(default=0, ge=-MAX_SCORE, le=MAX_SCORE, description="Score modifier.")
    outcome: Outcome | None = Field(
        default=None, strict=False, description="The least outcome a hit forces."
    )
    enabled: bool = True
    tags: tuple[str, ...] = Field(default=(), strict=False, max_length=20)

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        for tag in tags:
            if not 1 <= len(tag) <= 40:
                raise ValueError("a tag has 1 to 40 characters")
        return tags

    @model_validator(mode="after")
    def _does_something(self) -> Rule:
        if self.score == 0 and self.outcome is None:
            raise ValueError("a rule needs a score, an outcome, or both")
        if self.outcome is Outcome.APPROVE:
            # The outcome is the most severe one; forcing approve would change nothing.
            raise ValueError("a rule cannot force approve; give it a negative score instead")
        return self


class Threshold(BaseModel):
    """From ``min_score`` on (inclusive), the total score leads to ``outcome``."""

    model_config = _STRICT

    min_score: int
    outcome: Outcome = Field(strict=False)

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, data: Any) -> Any:
        # Accept the compact pair form, (40, "review"), as well as the object form.
        if isinstance(data, list | tuple) and len(data) == 2:
            return {"min_score": data[0], "outcome": data[1]}
        return data


DEFAULT_THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(min_score=0, outcome=Outcome.APPROVE),
    Threshold(min_score=40, outcome=Outcome.REVIEW),
    Threshold(min_score=70, outcome=Outcome.STEP_UP),
    Threshold(min_score=100, outcome=Outcome.DECLINE),
)


class RuleSet(BaseModel):
    """One version of a named rule set. Drafts are edited; a published version is never
    changed again (a change is a new draft with the next version number)."""

    model_config = _STRICT

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    version: int = Field(ge=1)
    status: RuleSetStatus = Field(default=RuleSetStatus.DRAFT, strict=False)
    description: str = Field(default="", max_length=4000)
    rules: tuple[Rule, ...] = Field(default=(), strict=False, max_length=MAX_RULES)
    thresholds: tuple[Threshold, ...] = Field(
        default=DEFAULT_THRESHOLDS, strict=False, min_length=1, max_length=10
    )

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice")
            seen.add(rule.id)
        return rules

    @field_validator("thresholds")
    @classmethod
    def _monotone(cls, thresholds: tuple[Threshold, ...]) -> tuple[Threshold, ...]:
        # Strictly increasing scores and outcomes make the outcome monotone in the score: a
        # riskier payment never gets a milder answer.
        if thresholds[0].outcome is not Outcome.APPROVE:
            raise ValueError("the first threshold must lead to approve")
        for before, after in pairwise(thresholds):
            if after.min_score <= before.min_score:
                raise ValueError("threshold scores must increase")
            if after.outcome.rank <= before.outcome.rank:
                raise ValueError("threshold outcomes must grow more severe as scores increase")
        return thresholds

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def outcome_for_score(thresholds: tuple[Threshold, ...], score: int) -> Outcome:
    """The outcome of the highest threshold at or below ``score``; below the first one
    (allow-list credits can push a total under zero) it is the first one's, approve."""
    index = bisect_right([t.min_score for t in thresholds], score) - 1
    return thresholds[max(index, 0)].outcome
