"""An in-memory registry of model versions, with a champion (whose score decides) and an
optional shadow challenger (scored alongside and recorded, never deciding). The service
persists artifacts (``ModelArtifact.to_bytes``) and rebuilds the registry from them."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from aegis.risk.scoring._artifact import ModelArtifact
from aegis.risk.scoring._scorer import ScoredPair, Scorer


class ModelNotFound(KeyError):
    """No model under that version."""


class NoChampion(LookupError):
    """Scoring was asked before any model was promoted."""


class ModelRegistry:
    """Versions in memory, with a champion and a shadow challenger. Thread-safe: a scoring
    call sees one consistent (champion, challenger) pair even while they change."""

    def __init__(self, artifacts: Sequence[ModelArtifact] = (), *, top_k: int = 5) -> None:
        self._lock = threading.Lock()
        self._artifacts: dict[str, ModelArtifact] = {}
        self._scorers: dict[str, Scorer] = {}
        self._pair: tuple[Scorer | None, Scorer | None] = (None, None)
        self._top_k = top_k
        for artifact in artifacts:
            self.register(artifact)

    def register(self, artifact: ModelArtifact) -> None:
        scorer = Scorer(artifact, top_k=self._top_k)  # compiles: a bad model fails here
        with self._lock:
            if artifact.version in self._artifacts:
                raise ValueError(f"model {artifact.version} is already registered")
            self._artifacts[artifact.version] = artifact
            self._scorers[artifact.version] = scorer

    def get(self, version: str) -> ModelArtifact:
        try:
            return self._artifacts[version]
        except KeyError:
            raise ModelNotFound(version) from None

    def versions(self) -> list[str]:
        return list(self._artifacts)

    def scorer(self, version: str) -> Scorer:
        try:
            return self._scorers[version]
        except KeyError:
            raise ModelNotFound(version) from None

    @property
    def champion(self) -> ModelArtifact | None:
        current = self._pair[0]
        return current.artifact if current is not None else None

    @property
    def challenger(self) -> ModelArtifact | None:
        current = self._pair[1]
        return current.artifact if current is not None else None

    def promote(self, version: str) -> None:
        """Make ``version`` the champion; if it was the challenger, there is none after."""
        with self._lock:
            scorer = self.scorer(version)
            challenger = self._pair[1]
            if challenger is not None and challenger.version == version:
                challenger = None
            self._pair = (scorer, challenger)

    def set_challenger(self, version: str | None) -> None:
        """Score ``version`` in the shadow of the champion (None: stop)."""
        with self._lock:
            scorer = self.scorer(version) if version is not None else None
            champion = self._pair[0]
            if scorer is not None and champion is not None and champion.version == version:
                raise ValueError(f"model {version} is the champion")
            self._pair = (champion, scorer)

    def score(self, features: Mapping[str, float]) -> ScoredPair:
        champion, challenger = self._pair
        if champion is None:
            raise NoChampion("no champion model")
        return ScoredPair(
            champion=champion.score(features),
            challenger=challenger.score(features) if challenger is not None else None,
        )
