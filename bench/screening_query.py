"""Screening benchmark: name queries against the sanctions lists, and re-screening customers
when a list changes. Prints one JSON document on stdout.

    .venv/bin/python bench/screening_query.py [--queries 2000] [--customers 100000]
        [--diff 500]

Lists: OFAC SDN 2021-07, OFAC consolidated 2025-12 and the UN list (from
../shared/data/sanctions; skipped when absent), all in one NameIndex. Queries: the labelled
sets of aegis.screening.matching.testsets (common unlisted names, and variants of listed
names) in a fixed shuffle. The process is pinned to CPU 0 (the targets are per core).

Targets (issue): single query p99 <= 5 ms against ~30,000 names; bulk >= 2,000 names/s;
re-screening 100,000 customers against a 500-entity diff in <= 60 s including building the
customer index.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from aegis.screening.entities import ListEntity
from aegis.screening.lists import load_list
from aegis.screening.matching import NameIndex, Query
from aegis.screening.matching.testsets import build_pairs, synthetic_customers

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "sanctions"
LISTS = (
    ("ofac-sdn-2021-07", "ofac-csv", "ofac_sdn_2021-07"),
    ("ofac-cons-2025-12", "ofac-cons", "ofac_consolidated_2025-12"),
    ("un", "un-xml", "un/UN_consolidated.xml"),
)


def _pct(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _diff(old: list[ListEntity], new: list[ListEntity], size: int) -> list[ListEntity]:
    """Entities added or changed between two snapshots, topped up to ``size``."""
    before = {e.key: e.content_hash() for e in old}
    changed = [e for e in new if before.get(e.key) != e.content_hash()]
    rng = random.Random(5)
    rest = [e for e in new if e not in changed]
    rng.shuffle(rest)
    return (changed + rest)[:size]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--diff", type=int, default=500)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    lists = {
        list_id: list(load_list(fmt, DATA / rel).entities)
        for list_id, fmt, rel in LISTS
        if (DATA / rel).exists()
    }
    if not lists:
        print(json.dumps({"skipped": f"no list data under {DATA}"}))
        return 0
    entities = [e for items in lists.values() for e in items]
    report: dict[str, Any] = {}

    gc.collect()
    rss = _rss_mb()
    started = time.perf_counter()
    index = NameIndex()
    for list_id, items in lists.items():
        for e in items:
            index.add((list_id, e.key), e)
    index.search(Query.of("warm up"))  # merges the postings
    # A long-lived index should not be rescanned by every full garbage collection (what a
    # service does after loading its lists): collections would stall queries for ms.
    gc.freeze()
    report["lists_index"] = {
        "entities": len(index),
        "names": sum(len(e.names) for e in entities),
        "build_s": round(time.perf_counter() - started, 2),
        "postings_mb": round(index.nbytes() / 1e6, 1),
        "rss_growth_mb": round(_rss_mb() - rss, 1),
    }

    pairs = build_pairs(entities, per_kind=300)
    queries = [p.query for p in pairs]
    random.Random(3).shuffle(queries)
    queries = queries[: args.queries]
    for q in queries[:200]:  # warm the caches the way a running service has them warm
        index.search(q)
    times = []
    cpu = []  # the process's own CPU time: what other processes on the machine do not inflate
    hits = 0
    for q in queries:
        t, t_cpu = time.perf_counter(), time.process_time()
        hits += bool(index.search(q))
        cpu.append((time.process_time() - t_cpu) * 1000)
        times.append((time.perf_counter() - t) * 1000)
    ordered = sorted(times)
    report["single_query_ms"] = {
        "n": len(times),
        "p50": round(_pct(ordered, 0.5), 3),
        "p95": round(_pct(ordered, 0.95), 3),
        "p99": round(_pct(ordered, 0.99), 3),
        "max": round(ordered[-1], 3),
        "mean": round(statistics.fmean(times), 3),
        "with_hits": hits,
    }
    ordered = sorted(cpu)
    report["single_query_cpu_ms"] = {
        p: round(_pct(ordered, q), 3) for p, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    } | {"max": round(ordered[-1], 3)}
    # Bulk: names never seen by this process (fresh caches), as in a nightly batch.
    fresh = [Query.of(c.name) for c in synthetic_customers(args.queries, seed=99)]
    started, started_cpu = time.perf_counter(), time.process_time()
    for q in fresh:
        index.search(q)
    elapsed = time.perf_counter() - started
    report["bulk"] = {
        "names": len(fresh),
        "names_per_s": round(len(fresh) / elapsed),
        "names_per_cpu_s": round(len(fresh) / (time.process_time() - started_cpu)),
    }

    customers = synthetic_customers(args.customers)
    old_path = DATA / "ofac_sdn_2019-01"
    new = lists.get("ofac-sdn-2021-07", entities)
    old = list(load_list("ofac-csv", old_path).entities) if old_path.exists() else []
    diff = _diff(old, new, args.diff)
    gc.collect()
    rss = _rss_mb()
    started = time.perf_counter()
    cindex = NameIndex()
    for c in customers:
        cindex.add(c.key, c)
    cindex.search(Query.of("warm up"))
    built = time.perf_counter() - started
    grown = _rss_mb() - rss
    hits = 0
    for e in diff:
        hits += len(cindex.search(Query.from_entity(e), limit=10_000))
    total = time.perf_counter() - started
    report["rescreen"] = {
        "customers": len(customers),
        "diff_entities": len(diff),
        "index_build_s": round(built, 2),
        "index_postings_mb": round(cindex.nbytes() / 1e6, 1),
        "index_rss_growth_mb": round(grown, 1),
        "total_s": round(total, 2),
        "hits": hits,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3, 1),
    }
    # Issue 5's targets: one query p99 <= 5 ms; bulk >= 2,000 names/s per core.
    report["targets"] = {"single_query_p99_ms": 5.0, "bulk_names_per_s": 2000}
    report["target_met"] = (
        report["single_query_ms"]["p99"] <= 5.0 and report["bulk"]["names_per_s"] >= 2000
    )
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
