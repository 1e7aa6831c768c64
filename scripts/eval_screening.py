"""Evaluate the screening matcher on labelled sets built from the real lists. Prints one JSON
document on stdout.

    .venv/bin/python scripts/eval_screening.py [--threshold 0.8] [--per-kind 400] [--seed 7]
        [--show-errors 10]

Lists (from ../shared/data/sanctions, skipped when absent): OFAC SDN 2021-07, OFAC
consolidated 2025-12, UN consolidated. Positives come from their people and organisations
(see aegis.screening.matching.testsets), negatives are common names no listed entity
carries. Recall is compare() on the labelled pair; the false-positive rate is the share of
negative names for which index.search over every list finds anything; "retrieval_misses"
counts positives compare() matched that index.search did not return. A sweep shows both at
other thresholds, to tune DEFAULT_THRESHOLD.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from aegis.screening.entities import ListEntity
from aegis.screening.lists import load_list
from aegis.screening.matching import DEFAULT_THRESHOLD, NameIndex
from aegis.screening.matching.testsets import (
    PairOutcome,
    build_pairs,
    score_pairs,
    summarise,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "sanctions"
LISTS = (
    ("ofac-sdn-2021-07", "ofac-csv", "ofac_sdn_2021-07"),
    ("ofac-cons-2025-12", "ofac-cons", "ofac_consolidated_2025-12"),
    ("un", "un-xml", "un/UN_consolidated.xml"),
)


def load_lists() -> dict[str, list[ListEntity]]:
    out: dict[str, list[ListEntity]] = {}
    for list_id, fmt, rel in LISTS:
        path = DATA / rel
        if path.exists():
            out[list_id] = list(load_list(fmt, path).entities)
    return out


def sweep(outcomes: list[PairOutcome]) -> list[dict[str, Any]]:
    rows = []
    positives = [o for o in outcomes if o.pair.entity is not None]
    negatives = [o for o in outcomes if o.pair.entity is None]
    kinds = sorted({o.pair.kind for o in positives})
    for t in (0.7, 0.72, 0.74, 0.76, 0.78, 0.8, 0.82, 0.84, 0.86, 0.88, 0.9):
        fps = sum(o.score >= t for o in negatives)
        row: dict[str, Any] = {
            "threshold": t,
            "false_positive_rate": round(fps / max(1, len(negatives)), 4),
        }
        for kind in kinds:
            items = [o for o in positives if o.pair.kind == kind]
            row[kind] = round(sum(o.score >= t for o in items) / len(items), 3)
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--per-kind", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show-errors", type=int, default=0)
    args = parser.parse_args()

    lists = load_lists()
    if not lists:
        print(json.dumps({"skipped": f"no list data under {DATA}"}))
        return 0
    entities = [e for items in lists.values() for e in items]
    started = time.perf_counter()
    pairs = build_pairs(entities, seed=args.seed, per_kind=args.per_kind)
    built = time.perf_counter() - started

    index = NameIndex()
    refs: dict[int, Hashable] = {}
    for list_id, items in lists.items():
        for e in items:
            ref = (list_id, e.key)
            index.add(ref, e)
            refs[id(e)] = ref
    # Transliteration pairs may point at a copy holding only some of an entity's names.
    for n, p in enumerate(pairs):
        if p.entity is not None and id(p.entity) not in refs:
            ref = ("labelled", n)
            index.add(ref, p.entity)
            refs[id(p.entity)] = ref
    started = time.perf_counter()
    outcomes = score_pairs(pairs, index, refs, threshold=args.threshold)
    scored = time.perf_counter() - started

    report: dict[str, Any] = {
        "lists": {k: len(v) for k, v in lists.items()},
        "pairs": len(pairs),
        "seconds": {"build_pairs": round(built, 2), "score": round(scored, 2)},
        **summarise(outcomes, threshold=args.threshold),
        "sweep": sweep(outcomes),
    }
    if args.show_errors:
        misses: dict[str, list[str]] = {}
        for o in outcomes:
            if o.pair.entity is not None and o.score < args.threshold:
                bucket = misses.setdefault(o.pair.kind, [])
                if len(bucket) < args.show_errors:
                    bucket.append(f"{o.pair.query.names[0]} | {o.pair.source} | {o.score:.3f}")
        fps = [
            f"{o.pair.query.names[0]} | {o.best_match} | {o.score:.3f}"
            for o in outcomes
            if o.pair.entity is None and o.score >= args.threshold
        ]
        lost = [
            f"{o.pair.kind}: {o.pair.query.names[0]} | {o.pair.source}"
            for o in outcomes
            if o.retrieved is False
        ]
        report["errors"] = {"misses": misses, "false_positives": fps, "retrieval_misses": lost}
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
