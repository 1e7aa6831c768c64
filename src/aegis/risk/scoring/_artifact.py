"""Model artifacts: what gets stored.

An artifact is LightGBM's text model plus its metadata, serialised as one JSON document
(``to_bytes``), so the service can keep it in a database column and rebuild a scorer from it
anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

FORMAT = "aegis-risk-model"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelArtifact:
    version: str
    model_text: str  # LightGBM's text format (Booster.model_to_string())
    feature_names: tuple[str, ...]
    created_at: dt.datetime
    train_start: dt.datetime | None = None
    train_end: dt.datetime | None = None  # exclusive
    metrics: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        if not self.version or len(self.version) > 100:
            raise ValueError("version must be 1 to 100 characters")
        if not self.model_text.startswith("tree"):
            raise ValueError("model_text must be LightGBM's text format")
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")

    @classmethod
    def from_booster(
        cls,
        booster: Any,
        *,
        version: str,
        created_at: dt.datetime | None = None,
        **metadata: Any,
    ) -> ModelArtifact:
        return cls(
            version=version,
            model_text=booster.model_to_string(),
            feature_names=tuple(booster.feature_name()),
            created_at=created_at or dt.datetime.now(dt.UTC),
            **metadata,
        )

    def to_bytes(self) -> bytes:
        doc = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "train_start": _iso(self.train_start),
            "train_end": _iso(self.train_end),
            "feature_names": list(self.feature_names),
            "metrics": dict(self.metrics),
            "params": dict(self.params),
            "description": self.description,
            "model_sha256": hashlib.sha256(self.model_text.encode()).hexdigest(),
            "model": self.model_text,
        }
        return orjson.dumps(doc)

    @classmethod
    def from_bytes(cls, data: bytes) -> ModelArtifact:
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"not a model artifact: {exc}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError("not a model artifact")
        if doc.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported artifact format version {doc.get('format_version')}")
        model = doc["model"]
        if hashlib.sha256(model.encode()).hexdigest() != doc["model_sha256"]:
            raise ValueError("model text does not match its checksum")
        return cls(
            version=doc["version"],
            model_text=model,
            feature_names=tuple(doc["feature_names"]),
            created_at=dt.datetime.fromisoformat(doc["created_at"]),
            train_start=_parse(doc.get("train_start")),
            train_end=_parse(doc.get("train_end")),
            metrics=doc.get("metrics") or {},
            params=doc.get("params") or {},
            description=doc.get("description", ""),
        )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None
