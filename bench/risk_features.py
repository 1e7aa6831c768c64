"""Feature engine benchmark: µs per ``observe()`` (features of a transaction, then recorded).
Prints one JSON document on stdout.

    .venv/bin/python bench/risk_features.py [--warm 150000] [--measure 20000]
        [--redis redis://localhost:6379/0]

Workloads: ``handbook`` replays the Fraud Detection Handbook's transactions (customer and
terminal; ../shared/data/fraud, skipped when absent) from 2018-04-01, with fraud labels
usable 7 days later; ``card_payment`` is synthetic, every transaction carrying a customer,
card, device, IP, terminal and merchant (5,000 customers, 2,000 terminals, one payment
every 13 s on average). The first ``--warm`` transactions fill the windows (30 days and
more), the next ``--measure`` are timed one by one. Memory state always; Redis too with
``--redis`` (a throwaway key prefix, deleted afterwards). The process is pinned to CPU 0
(the targets are per core).

Target (issue): a whole in-process decision at >= 5,000/s per core, p99 <= 2 ms; features
are one part of it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import secrets
import statistics
import time
from pathlib import Path
from typing import Any

from aegis.risk.features import FeatureEngine, FeatureState, MemoryState, RedisState
from aegis.risk.model import Label, LabelKind, Transaction, TxType

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "fraud"
HANDBOOK = DATA / "handbook_raw_2018-04-01_2018-07-31.parquet"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def handbook(limit: int) -> list[tuple[Transaction, bool]]:
    import pyarrow.parquet as pq

    table = pq.read_table(HANDBOOK).slice(0, limit).to_pydict()
    out = []
    for i, at, customer, terminal, amount, fraud in zip(
        table["TRANSACTION_ID"],
        table["TX_DATETIME"],
        table["CUSTOMER_ID"],
        table["TERMINAL_ID"],
        table["TX_AMOUNT"],
        table["TX_FRAUD"],
        strict=True,
    ):
        tx = Transaction(
            id=str(i),
            time=at.replace(tzinfo=dt.UTC),
            type=TxType.PAYMENT,
            amount=round(amount * 100),
            currency="EUR",
            customer_id=str(customer),
            terminal_id=str(terminal),
        )
        out.append((tx, bool(fraud)))
    return out


def card_payments(n: int) -> list[tuple[Transaction, bool]]:
    rng = random.Random(1)
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    out = []
    for i in range(n):
        at += dt.timedelta(seconds=rng.expovariate(1 / 13))
        c = rng.randrange(5000)
        tx = Transaction(
            id=f"t{i}",
            time=at,
            type=TxType.PAYMENT,
            amount=rng.randrange(100, 50_000),
            currency="EUR",
            customer_id=f"c{c}",
            card_fingerprint=f"k{c}-{rng.randrange(2)}",
            device_id=f"d{c}-{rng.randrange(2)}",
            ip=f"ip{rng.randrange(20_000)}",
            terminal_id=f"t{rng.randrange(2000)}",
            merchant_id=f"m{rng.randrange(300)}",
            country="FR",
        )
        out.append((tx, rng.random() < 0.005))
    return out


def _pct(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def run(state: FeatureState, txs: list[tuple[Transaction, bool]], warm: int) -> dict[str, Any]:
    engine = FeatureEngine(state)
    delay = engine.config.label_delay

    def feed(tx: Transaction, fraud: bool) -> None:
        if fraud:
            engine.add_label(
                Label(
                    transaction_id=tx.id,
                    kind=LabelKind.CONFIRMED_FRAUD,
                    reported_at=tx.time,
                    usable_at=tx.time + delay,
                )
            )

    for tx, fraud in txs[:warm]:
        engine.observe(tx)
        feed(tx, fraud)
    gc.collect()
    times = []
    for tx, fraud in txs[warm:]:
        start = time.perf_counter()
        engine.observe(tx)
        times.append((time.perf_counter() - start) * 1e6)
        feed(tx, fraud)
    times.sort()
    return {
        "transactions": len(times),
        "observe_us": {
            "p50": round(_pct(times, 0.5), 1),
            "p99": round(_pct(times, 0.99), 1),
            "mean": round(statistics.fmean(times), 1),
        },
        "per_second": round(1e6 / statistics.fmean(times)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=150_000)
    parser.add_argument("--measure", type=int, default=20_000)
    parser.add_argument("--redis", help="also measure the Redis state at this URL")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    total = args.warm + args.measure
    workloads = {"card_payment": card_payments(total)}
    if HANDBOOK.exists():
        workloads["handbook"] = handbook(total)
    result: dict[str, Any] = {"warm": args.warm, "memory": {}}
    for name, txs in workloads.items():
        result["memory"][name] = run(MemoryState(), txs, args.warm)
    if args.redis:
        import redis

        client = redis.Redis.from_url(args.redis)
        result["redis"] = {}
        for name, txs in workloads.items():
            state = RedisState(client, f"aegis-bench-{secrets.token_hex(4)}")
            try:
                result["redis"][name] = run(state, txs, args.warm)
            finally:
                state.clear()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
