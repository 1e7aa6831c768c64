"""One decision, pure: features, lists, facts, the model and the rules in, a verdict out.

The decision service feeds it from the database and the feature state; the benchmark,
the backtest and the stream consumer call the same function, so a decision is computed one
way everywhere. No I/O here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from aegis.risk._build import maker
from aegis.risk.lists import ListHits, ListIndex, match_lists
from aegis.risk.model import Outcome, Transaction
from aegis.risk.rules import (
    CompiledRuleSet,
    CounterpartyFacts,
    CustomerFacts,
    Evaluation,
    Limits,
    ModelFacts,
    variables_for,
)

TOP_REASONS = 5


class ModelReason(NamedTuple):
    """A feature that pushed the score up. (Named tuples: as immutable as a frozen
    dataclass, and a decision builds five of them at a fifth of the cost.)"""

    feature: str
    contribution: float
    value: float | None


class ModelScore(NamedTuple):
    version: str
    probability: float
    reasons: tuple[ModelReason, ...]


class Scorer(Protocol):
    """A trained model, ready to score one transaction's features."""

    @property
    def version(self) -> str: ...

    def score(self, features: Mapping[str, float]) -> ModelScore: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    outcome: Outcome
    evaluation: Evaluation
    features: Mapping[str, float]
    lists: ListHits
    champion: ModelScore | None
    challenger: ModelScore | None
    duration_us: int
    reasons: tuple[str, ...] = field(default=())  # rule ids that hit, strongest first

    def evidence(self) -> dict[str, Any]:
        """Everything a past decision needs to be explained (stored encrypted)."""

        def model(score: ModelScore | None) -> dict[str, Any] | None:
            if score is None:
                return None
            return {
                "version": score.version,
                "score": round(score.probability, 6),
                "reasons": [
                    {"feature": r.feature, "contribution": round(r.contribution, 6),
                     "value": r.value}
                    for r in score.reasons
                ],
            }  # fmt: skip

        return {
            "rules": self.evaluation.to_dict(),
            "features": {k: v for k, v in self.features.items() if v == v},  # NaN: unknown
            "lists": {
                "blocked": self.lists.blocked,
                "allowed": self.lists.allowed,
                "matches": [
                    {
                        "list": m.list._value_,
                        "kind": m.kind._value_,
                        "entry_id": m.entry_id,
                        "field": m.field,
                    }
                    for m in self.lists.matches
                ],
            },
            "model": model(self.champion),
            "challenger": model(self.challenger),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What a tenant has configured, compiled and loaded: shared by its decisions."""

    rules: CompiledRuleSet
    lists: ListIndex
    limits: Limits
    champion: Scorer | None = None
    challenger: Scorer | None = None


# the same objects as Verdict(...) and ModelFacts(...), without their __init__'s cost
_verdict = maker(Verdict)
_model_facts = maker(ModelFacts)


def decide(
    tx: Transaction,
    *,
    context: Context,
    features: Mapping[str, float],
    customer: CustomerFacts,
    counterparty: CounterpartyFacts | None = None,
    now: dt.datetime,
) -> Verdict:
    started = time.perf_counter()
    lists = match_lists(tx, context.lists, now)
    champion = context.champion.score(features) if context.champion is not None else None
    # The challenger is scored on the same features and stored beside the champion, but
    # only the champion's score reaches the rules: a shadow never changes a decision.
    challenger = context.challenger.score(features) if context.challenger is not None else None
    model = (
        _model_facts(
            score=champion.probability,
            version=champion.version,
            reasons=tuple(r.feature for r in champion.reasons),
        )
        if champion is not None
        else None
    )
    variables = variables_for(
        tx, features, customer, lists, model, context.limits, counterparty=counterparty
    )
    evaluation = context.rules.evaluate(variables)
    hits = evaluation.hits
    if len(hits) > 1:
        hits = tuple(sorted(hits, key=lambda e: (-(e.outcome.rank if e.outcome else 0), -e.score)))
    return _verdict(
        outcome=evaluation.outcome,
        evaluation=evaluation,
        features=features,
        lists=lists,
        champion=champion,
        challenger=challenger,
        duration_us=int((time.perf_counter() - started) * 1e6),
        reasons=tuple(e.rule_id for e in hits),
    )
