"""Scoring one transaction's features: a probability and the reasons behind it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from aegis.risk.scoring._artifact import ModelArtifact
from aegis.risk.scoring._trees import CompiledModel, compile_model


class Reason(NamedTuple):
    """A feature that pushed the score up: its contribution (log-odds) and its value. (A
    named tuple: a decision builds several, and a frozen dataclass costs five times more.)"""

    feature: str
    contribution: float
    value: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Score:
    """``probability`` of fraud; ``contributions`` in log-odds for every feature the model
    uses (0.0 where the row's paths did not split on it), which with ``bias`` add up to the
    margin: probability =
    sigmoid(bias + sum(contributions)). ``top_reasons`` are the largest positive ones."""

    probability: float
    contributions: dict[str, float]
    top_reasons: list[Reason]
    bias: float
    model_version: str

    @property
    def margin(self) -> float:
        return self.bias + math.fsum(self.contributions.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoredPair:
    """The champion's score, which decides, and the shadow challenger's, which is only
    recorded for comparison."""

    champion: Score
    challenger: Score | None = None


class Scorer:
    """A compiled model, ready to score features mappings (absent names are missing)."""

    def __init__(self, artifact: ModelArtifact, *, top_k: int = 5) -> None:
        self.artifact = artifact
        self.version = artifact.version
        self.model: CompiledModel = compile_model(artifact.model_text, artifact.feature_names)
        self.top_k = top_k
        self._used_names = tuple(self.model.feature_names[f] for f in self.model.used)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.model.feature_names

    def score(self, features: Mapping[str, float]) -> Score:
        probability, contributions, values = self.model.explain(features)
        return Score(
            probability=probability,
            contributions=dict(zip(self._used_names, contributions.tolist(), strict=True)),
            top_reasons=self._reasons(contributions, values),
            bias=self.model.bias,
            model_version=self.version,
        )

    def top(self, features: Mapping[str, float]) -> tuple[float, list[Reason]]:
        """(probability, top reasons) as :meth:`score` gives them, without the mapping of
        every contribution: what a decision needs, for a fraction of the cost."""
        probability, contributions, values = self.model.explain_values(features)
        found = top_reasons(contributions.tolist(), values, self._used_names, self.top_k)
        if found is None:
            found = self._reasons(contributions, np.array(values, dtype=np.float64))
        return probability, found

    def _reasons(
        self, contributions: npt.NDArray[np.float64], values: npt.NDArray[np.float64]
    ) -> list[Reason]:
        k = min(self.top_k, len(contributions))
        if k == 0:
            return []
        if k < len(contributions):
            best = np.argpartition(contributions, len(contributions) - k)[-k:]
        else:
            best = np.arange(k)
        order = best[np.argsort(-contributions[best], kind="stable")].tolist()
        return [
            Reason(feature=self._used_names[i], contribution=c, value=v)
            for i, c, v in zip(
                order, contributions[order].tolist(), values[order].tolist(), strict=True
            )
            if c > 0
        ]

    def predict(self, matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Probabilities of many rows in ``feature_names`` order (backtests, evaluation)."""
        return self.model.predict(matrix)


def top_reasons(
    contributions: list[float], values: list[float], names: tuple[str, ...], k: int
) -> list[Reason] | None:
    """The ``k`` largest positive contributions, largest first, as :meth:`Scorer._reasons`
    picks them; None when a tie or a NaN could make numpy's partition choose or order
    differently (the caller then asks numpy). Sorting a few dozen floats in Python beats
    half a dozen numpy calls on arrays that small."""
    if k <= 0:
        return []
    total = sum(contributions)
    if total != total:  # a NaN ranks above everything in numpy's partition
        return None
    # The values alone sort fastest (no key, no tuples); each is then found by value,
    # which names one feature since a tie among them defers to numpy.
    head = sorted(contributions, reverse=True)[: k + 1]
    for a, b in pairwise(head):
        if a == b and a > 0:
            return None
    new = tuple.__new__  # a named tuple without its Python-level __new__
    found = []
    for c in head[:k]:
        if not c > 0:
            break
        i = contributions.index(c)
        found.append(new(Reason, (names[i], c, values[i])))
    return found
