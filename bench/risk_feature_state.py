"""Memory feature state benchmark: CPU µs of ``compute`` alone and ``record`` alone, and how
much the state weighs on the cyclic GC. Prints one JSON document.

    .venv/bin/python bench/risk_feature_state.py [--warm 60000] [--measure 20000]
        [--gc-payments 50000] [--workloads handbook,card_payment,http_like]

Per workload: ``us`` records ``--warm`` transactions, then for each of the next
``--measure`` computes its features and records it, each timed in process CPU time (the
machine is shared: wall time counts other work), the GC frozen meanwhile as in
bench/risk_decision.py; ``record_cold_us`` is a record of the warm-up (building the event
included, the GC running). ``gc`` records ``--gc-payments`` transactions into a fresh state
and reports the objects the GC tracks for it (per stream) and the time of a full
collection it adds (best of 11, less that of the process before).

Workloads: ``handbook`` and ``card_payment`` are bench/risk_features.py's (customer and
terminal; customer, card, device, IP, terminal, merchant); ``http_like`` is
bench/risk_http.py's (5,000 customers, 7,000 cards, 6,000 devices, 800 terminals, a new IP
for every payment).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from risk_features import HANDBOOK, card_payments, handbook  # noqa: E402

from aegis.risk.features import FeatureEngine, MemoryState  # noqa: E402
from aegis.risk.model import Label, LabelKind, Transaction, TxType  # noqa: E402

Workload = list[tuple[Transaction, bool]]


def http_like(n: int) -> Workload:
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    out = []
    for seq in range(n):
        at += dt.timedelta(milliseconds=400)
        tx = Transaction(
            id=f"b-{seq}",
            time=at,
            type=TxType.PAYMENT,
            amount=100 + (seq * 7919) % 90000,
            currency="EUR",
            customer_id=f"c-{seq % 5000}",
            card_fingerprint=f"card-{seq % 7000:08d}",
            device_id=f"d-{seq % 6000}",
            ip=f"10.{seq // 65536 % 256}.{seq // 256 % 256}.{seq % 256}",
            terminal_id=f"t-{seq % 800}",
        )
        out.append((tx, False))
    return out


def _feed(engine: FeatureEngine, tx: Transaction, fraud: bool) -> None:
    if fraud:
        at = tx.time + engine.config.label_delay
        kind = LabelKind.CONFIRMED_FRAUD
        engine.add_label(Label(transaction_id=tx.id, kind=kind, reported_at=tx.time, usable_at=at))


def _full_gc_ms() -> float:
    best = float("inf")
    for _ in range(11):
        start = time.process_time()
        gc.collect()
        best = min(best, time.process_time() - start)
    return best * 1e3


def weigh(make: Callable[[int], Workload], n: int) -> dict[str, Any]:
    gc.collect()
    before, before_ms = len(gc.get_objects()), _full_gc_ms()
    txs = make(n)
    state = MemoryState()
    engine = FeatureEngine(state)
    for tx, fraud in txs:
        engine.record(tx)
        _feed(engine, tx, fraud)
    engine._last = None  # the last transaction is not part of the state
    del txs, tx
    gc.collect()
    tracked = len(gc.get_objects()) - before
    streams = sum(len(s) for s in state._streams)
    return {
        "payments": n,
        "streams": streams,
        "tracked_objects": tracked,
        "tracked_per_stream": round(tracked / streams, 2),
        "full_gc_ms": round(_full_gc_ms() - before_ms, 1),
    }


def cost(txs: Workload, warm: int, measure: int) -> dict[str, float]:
    engine = FeatureEngine(MemoryState())
    clock = time.process_time
    start = clock()
    for tx, fraud in txs[:warm]:
        engine.record(tx)
        _feed(engine, tx, fraud)
    cold = (clock() - start) / warm
    gc.collect()
    gc.freeze()
    computing = recording = 0.0
    for tx, fraud in txs[warm : warm + measure]:
        a = clock()
        engine.compute(tx)
        b = clock()
        engine.record(tx)
        recording += clock() - b
        computing += b - a
        _feed(engine, tx, fraud)
    gc.unfreeze()
    return {
        "compute_us": round(computing / measure * 1e6, 1),
        "record_us": round(recording / measure * 1e6, 1),
        "record_cold_us": round(cold * 1e6, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=60_000)
    parser.add_argument("--measure", type=int, default=20_000)
    parser.add_argument("--gc-payments", type=int, default=50_000)
    parser.add_argument("--workloads", default="handbook,card_payment,http_like")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    makers: dict[str, Callable[[int], Workload]] = {
        "card_payment": card_payments,
        "http_like": http_like,
    }
    if HANDBOOK.exists():
        makers["handbook"] = handbook
    result: dict[str, Any] = {}
    for name in args.workloads.split(","):
        if name not in makers:
            continue
        result[name] = {"gc": weigh(makers[name], args.gc_payments)}
        result[name]["us"] = cost(makers[name](args.warm + args.measure), args.warm, args.measure)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
