"""Our tree evaluator against LightGBM, contributions, artifacts and the registry."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import lightgbm as lgb
import numpy as np
import pytest

from aegis.risk.scoring import (
    ModelArtifact,
    ModelNotFound,
    ModelRegistry,
    NoChampion,
    Scorer,
    TrainParams,
    compile_model,
    train,
)
from aegis.risk.scoring._scorer import top_reasons

NAMES = [f"f{i}" for i in range(12)]


def _data(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(NAMES)))
    x[rng.random(x.shape) < 0.25] = np.nan  # missing values
    x[:, 3] = np.round(x[:, 3])  # many exact zeros
    x[:, 4] = np.nan_to_num(x[:, 4])  # never missing in training
    x[: n // 50] = 0.0
    signal = np.nan_to_num(x[:, 0]) + np.nan_to_num(x[:, 1]) * np.nan_to_num(x[:, 2]) + x[:, 4]
    y = (signal + rng.normal(scale=0.5, size=n) > 1.2).astype(float)
    return x, y


def _booster(**extra: Any) -> lgb.Booster:
    x, y = _data(1, 6000)
    params = {
        "objective": "binary",
        "verbosity": -1,
        "num_threads": 1,
        "deterministic": True,
        "seed": 3,
        "num_leaves": 31,
        **extra,
    }
    return lgb.train(params, lgb.Dataset(x, y, feature_name=NAMES), num_boost_round=60)


@pytest.mark.parametrize(
    "extra",
    [{}, {"zero_as_missing": True}, {"use_missing": False}, {"num_leaves": 64, "max_depth": 10}],
    ids=["nan", "zero-as-missing", "no-missing", "64-leaves"],
)
def test_evaluator_equals_lightgbm(extra: dict[str, Any]) -> None:
    booster = _booster(**extra)
    model = compile_model(booster.model_to_string(), NAMES)
    rows, _ = _data(2, 4000)
    rows[:10] = 1e-40  # below LightGBM's zero threshold
    expected = booster.predict(rows)
    assert np.abs(model.predict(rows) - expected).max() < 1e-9
    raw = booster.predict(rows, raw_score=True)
    assert np.abs(model.predict(rows, raw=True) - raw).max() < 1e-9
    for row, p, margin in zip(rows[:1500], expected, raw, strict=False):
        features = dict(zip(NAMES, row.tolist(), strict=True))
        probability, contributions, _ = model.explain(features)
        assert abs(probability - p) < 1e-9
        # path contributions telescope: bias + sum = the raw margin
        assert abs(model.bias + contributions.sum() - margin) < 1e-9


def test_absent_features_are_missing_values() -> None:
    booster = _booster()
    model = compile_model(booster.model_to_string())
    row = np.full((1, len(NAMES)), np.nan)
    row[0, 0] = 2.0
    assert model.explain({"f0": 2.0})[0] == pytest.approx(booster.predict(row)[0], abs=1e-12)


def test_score_gives_contributions_and_top_reasons() -> None:
    booster = _booster()
    artifact = ModelArtifact.from_booster(booster, version="m1")
    scorer = Scorer(artifact, top_k=3)
    features = dict.fromkeys(NAMES, 0.0) | {"f0": 3.0, "f4": 2.5, "f9": -1.0}
    score = scorer.score(features)
    row = np.array([[features[n] for n in NAMES]])
    assert score.probability == pytest.approx(booster.predict(row)[0], abs=1e-12)
    assert 1 / (1 + math.exp(-score.margin)) == pytest.approx(score.probability, abs=1e-12)
    assert set(score.contributions) <= set(NAMES)
    assert 0 < len(score.top_reasons) <= 3
    top = [r.contribution for r in score.top_reasons]
    assert top == sorted(top, reverse=True) and all(c > 0 for c in top)
    assert {r.feature for r in score.top_reasons} >= {"f0"} or top[0] == max(
        score.contributions.values()
    )
    assert score.top_reasons[0].value == features[score.top_reasons[0].feature]
    assert score.model_version == "m1"


def test_training_is_deterministic() -> None:
    x, y = _data(5, 3000)
    params = TrainParams(num_trees=30)
    a, b = train(x, y, NAMES, params), train(x, y, NAMES, params)
    assert a.model_to_string() == b.model_to_string()
    with pytest.raises(ValueError, match="one name per column"):
        train(x, y, NAMES[:3], params)


def test_degenerate_and_unsupported_models() -> None:
    x, y = _data(6, 500)
    # no split is worth making: every tree is a single leaf
    flat = lgb.train(
        {"objective": "binary", "verbosity": -1, "min_data_in_leaf": 10_000},
        lgb.Dataset(x, y, feature_name=NAMES),
        num_boost_round=3,
    )
    model = compile_model(flat.model_to_string())
    assert np.abs(model.predict(x) - flat.predict(x)).max() < 1e-12
    assert model.explain({})[0] == pytest.approx(flat.predict(x[:1])[0])
    cat = x.copy()
    cat[:, 0] = np.abs(np.nan_to_num(np.round(cat[:, 0] * 3)))
    categorical = lgb.train(
        {"objective": "binary", "verbosity": -1, "min_data_per_group": 5, "cat_smooth": 1},
        lgb.Dataset(cat, (cat[:, 0] == 2).astype(float), categorical_feature=[0]),
        num_boost_round=3,
    )
    with pytest.raises(ValueError, match="categorical"):
        compile_model(categorical.model_to_string())
    regression = lgb.train({"objective": "regression", "verbosity": -1}, lgb.Dataset(x, y), 2)
    with pytest.raises(ValueError, match="binary"):
        compile_model(regression.model_to_string())
    with pytest.raises(ValueError, match="other feature names"):
        compile_model(flat.model_to_string(), ["a"] * len(NAMES))


def _artifact(version: str, **kw: Any) -> ModelArtifact:
    return ModelArtifact.from_booster(
        _booster(),
        version=version,
        created_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        train_start=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
        train_end=dt.datetime(2026, 4, 8, tzinfo=dt.UTC),
        metrics={"auc_roc": 0.9},
        params={"num_trees": 60},
        **kw,
    )


def test_artifact_round_trip_and_integrity() -> None:
    artifact = _artifact("2026-05-01")
    data = artifact.to_bytes()
    assert ModelArtifact.from_bytes(data) == artifact
    tampered = data.replace(b"threshold=", b"threshold=1", 1)
    with pytest.raises(ValueError, match="checksum"):
        ModelArtifact.from_bytes(tampered)
    with pytest.raises(ValueError, match="not a model artifact"):
        ModelArtifact.from_bytes(b"{}")
    with pytest.raises(ValueError, match="not a model artifact"):
        ModelArtifact.from_bytes(b"\x00garbage")
    with pytest.raises(ValueError, match="text format"):
        ModelArtifact(
            version="x", model_text="nope", feature_names=(), created_at=artifact.created_at
        )


def test_registry_champion_and_shadow_challenger() -> None:
    registry = ModelRegistry()
    features = dict.fromkeys(NAMES, 1.0)
    with pytest.raises(NoChampion):
        registry.score(features)
    registry.register(_artifact("v1"))
    registry.register(_artifact("v2", description="more trees"))
    with pytest.raises(ValueError, match="already registered"):
        registry.register(_artifact("v1"))
    with pytest.raises(ModelNotFound):
        registry.promote("v9")
    registry.promote("v1")
    pair = registry.score(features)
    assert pair.champion.model_version == "v1" and pair.challenger is None
    registry.set_challenger("v2")
    pair = registry.score(features)
    assert pair.challenger is not None and pair.challenger.model_version == "v2"
    assert pair.challenger.probability == pytest.approx(pair.champion.probability)
    with pytest.raises(ValueError, match="is the champion"):
        registry.set_challenger("v1")
    registry.promote("v2")  # the challenger wins: no challenger left
    assert registry.champion is not None and registry.champion.version == "v2"
    assert registry.challenger is None
    assert registry.versions() == ["v1", "v2"]
    assert registry.get("v2").description == "more trees"
    restored = ModelRegistry([ModelArtifact.from_bytes(registry.get("v1").to_bytes())])
    restored.promote("v1")
    assert restored.score(features).champion.probability == pair.champion.probability


@pytest.mark.parametrize("extra", [{}, {"zero_as_missing": True}], ids=["nan", "zero-as-missing"])
def test_top_gives_the_probability_and_reasons_of_score(extra: dict[str, Any]) -> None:
    scorer = Scorer(ModelArtifact.from_booster(_booster(**extra), version="m1"), top_k=4)
    rows, _ = _data(7, 600)
    for row in rows:
        features = {n: v for n, v in zip(NAMES, row.tolist(), strict=True) if v != 0.5}
        score = scorer.score(features)
        probability, reasons = scorer.top(features)
        assert probability == score.probability
        assert repr(reasons) == repr(score.top_reasons)  # repr: NaN values compare equal


def test_reasons_in_python_pick_as_numpy_does_or_defer_to_it() -> None:
    scorer = Scorer(ModelArtifact.from_booster(_booster(), version="m1"), top_k=3)
    rng = np.random.default_rng(11)
    names = scorer._used_names
    n = len(names)
    deferred = 0
    for _ in range(3000):
        c = rng.choice([-1.0, 0.0, 0.25, 0.5, 1.0, 2.0, math.nan], size=n)
        # ties from a few repeated values, NaNs sometimes, distinct values otherwise
        c = np.where(rng.random(n) < rng.random(), rng.normal(size=n), c)
        values = rng.normal(size=n).tolist()
        expected = scorer._reasons(c, np.array(values))
        got = top_reasons(c.tolist(), values, names, scorer.top_k)
        if got is None:
            deferred += 1
        else:
            assert got == expected
    assert 0 < deferred < 3000  # ties and NaNs were met, and most rows needed no numpy
