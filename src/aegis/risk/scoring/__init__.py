"""ML scores with reason codes.

Train LightGBM on feature matrices (:func:`train`), keep versions as :class:`ModelArtifact`
(serialisable) in a :class:`ModelRegistry` with a champion and a shadow challenger, and
score single transactions with our own evaluator of the trees (:class:`Scorer`): the same
probability as LightGBM, in tens of microseconds, with per-feature contributions that give
the reason codes.

    registry = ModelRegistry()
    registry.register(ModelArtifact.from_booster(booster, version="2026-05-01"))
    registry.promote("2026-05-01")
    pair = registry.score(features)          # ScoredPair(champion=Score, challenger=None)
    pair.champion.probability, pair.champion.top_reasons
"""

from aegis.risk.scoring._artifact import ModelArtifact
from aegis.risk.scoring._registry import ModelNotFound, ModelRegistry, NoChampion
from aegis.risk.scoring._scorer import Reason, Score, ScoredPair, Scorer
from aegis.risk.scoring._train import TrainParams, train
from aegis.risk.scoring._trees import CompiledModel, compile_model

__all__ = [
    "CompiledModel",
    "ModelArtifact",
    "ModelNotFound",
    "ModelRegistry",
    "NoChampion",
    "Reason",
    "Score",
    "ScoredPair",
    "Scorer",
    "TrainParams",
    "compile_model",
    "train",
]
