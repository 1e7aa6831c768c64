"""Model scoring benchmark: µs per single-transaction score with our tree evaluator (with
contributions and top reasons), against LightGBM's own ``predict`` on one row (and its
TreeSHAP ``pred_contrib``). Prints one JSON document on stdout.

    .venv/bin/python bench/risk_model.py [--rows 5000] [--synthetic]

The model is trained with the default ``TrainParams`` on a week of the Fraud Detection
Handbook's data (features from the engine's own replay, ../shared/data/fraud), or, with
``--synthetic`` or without the data, on random features with the same columns. Scored rows
are the following day's transactions, as full feature mappings (every FEATURE_NAME, as the
engine gives them). The process is pinned to CPU 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from aegis.risk.features import FEATURE_NAMES
from aegis.risk.scoring import ModelArtifact, Scorer, TrainParams, train

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "fraud"
HANDBOOK = DATA / "handbook_raw_2018-04-01_2018-07-31.parquet"


def handbook() -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    from aegis.risk import evaluation as ev

    data = ev.read_transactions(HANDBOOK)
    split = ev.Split(train_start=dt.date(2018, 5, 9), train_days=7, delay_days=7, test_days=1)
    rep = ev.replay(data, split)
    day = data.day[rep.rows]
    train_rows = day < split.day(7)
    test_rows = day >= split.test_start
    y = data.fraud[rep.rows]
    return rep.matrix[train_rows], y[train_rows], rep.matrix[test_rows], rep.names


def synthetic() -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    rng = np.random.default_rng(3)
    x = rng.lognormal(size=(80_000, len(FEATURE_NAMES)))
    x[rng.random(x.shape) < 0.3] = np.nan
    signal = np.nan_to_num(x[:, 0]) * 0.3 + np.nan_to_num(x[:, 5]) + np.nan_to_num(x[:, 40])
    y = (signal + rng.normal(size=len(x)) > 6).astype(float)
    return x[:70_000], y[:70_000], x[70_000:], FEATURE_NAMES


def _timed(fn: Callable[[Any], Any], items: list[Any]) -> dict[str, float]:
    for item in items[:200]:
        fn(item)  # warm caches
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    return {
        "p50": round(times[len(times) // 2], 1),
        "p99": round(times[min(len(times) - 1, round(0.99 * (len(times) - 1)))], 1),
        "mean": round(statistics.fmean(times), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--synthetic", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    use_data = HANDBOOK.exists() and not args.synthetic
    x_train, y_train, x_test, names = handbook() if use_data else synthetic()
    params = TrainParams()
    booster = train(x_train, y_train, names, params)
    scorer = Scorer(ModelArtifact.from_booster(booster, version="bench"))
    rows = x_test[: args.rows]
    template = dict.fromkeys(FEATURE_NAMES, math.nan)
    mappings = [template | dict(zip(names, row.tolist(), strict=True)) for row in rows]
    singles = [row[None, :] for row in rows]
    ours = np.array([scorer.score(m).probability for m in mappings])
    theirs = booster.predict(rows)
    result = {
        "data": "handbook" if use_data else "synthetic",
        "model": {
            "trees": scorer.model.num_trees,
            "leaves_max": params.num_leaves,
            "features_used": len(scorer.model.used),
        },
        "rows": len(rows),
        "max_abs_difference": float(np.abs(ours - theirs).max()),
        "single_row_us": {
            "ours_score_with_contributions": _timed(scorer.score, mappings),
            "ours_probability_only": _timed(scorer.model.margin, mappings),
            "lightgbm_predict": _timed(booster.predict, singles),
            "lightgbm_pred_contrib_treeshap": _timed(
                lambda r: booster.predict(r, pred_contrib=True), singles[:500]
            ),
        },
    }
    start = time.perf_counter()
    scorer.predict(rows)
    ours_batch = time.perf_counter() - start
    start = time.perf_counter()
    booster.predict(rows)
    theirs_batch = time.perf_counter() - start
    result["batch_rows_per_s"] = {
        "ours": round(len(rows) / ours_batch),
        "lightgbm": round(len(rows) / theirs_batch),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
