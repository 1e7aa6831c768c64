"""A stored model as the decision engine's ``Scorer``: the registry row's artifact, compiled
once per process (the scoring package's own evaluator of the trees)."""

from __future__ import annotations

from collections.abc import Mapping

from aegis.risk.engine import ModelReason, ModelScore
from aegis.risk.models import RiskModel
from aegis.risk.scoring import ModelArtifact, Scorer


class ArtifactScorer:
    def __init__(self, artifact: ModelArtifact, *, version: str) -> None:
        self._scorer = Scorer(artifact)
        self._version = version

    @property
    def version(self) -> str:
        return self._version

    def score(self, features: Mapping[str, float]) -> ModelScore:
        probability, reasons = self._scorer.top(features)
        new = tuple.__new__  # named tuples without their Python-level __new__
        return new(
            ModelScore,
            (
                self._version,
                probability,
                tuple(
                    [
                        # NaN: unknown
                        new(ModelReason, (feature, contribution, None if value != value else value))
                        for feature, contribution, value in reasons
                    ]
                ),
            ),
        )


def load_scorer(row: RiskModel) -> ArtifactScorer:
    # The registry's version number names the model in decisions and explanations.
    return ArtifactScorer(ModelArtifact.from_bytes(row.artifact), version=str(row.version))
