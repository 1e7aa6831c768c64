"""NATS JetStream benchmark: throughput and end-to-end latency of decisions.

``--consumers`` processes of ``aegis stream consume`` (SQLite in a temporary folder, or
``--database-url``) share one durable consumer; this script publishes ``--messages``
transactions on ``<prefix>.tx.<tenant>`` as fast as JetStream acknowledges them and reads
the decisions on ``<prefix>.decision.<tenant>``. End-to-end latency = decision received -
transaction published, per message: with everything published at once it is mostly time
spent in the backlog, so ``--rate`` publishes on a schedule instead. The issue asks to
report both figures (no target).
Needs NATS with JetStream at ``--nats`` (default nats://127.0.0.1:4222). Prints one JSON
document.

    .venv/bin/python bench/risk_stream.py [--messages 5000] [--consumers 2] [--rate 0]
        [--warmup 200]

``--warmup`` messages go first, unmeasured, so every consumer has built its runtime.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


async def run(args: argparse.Namespace, tenant: str, prefix: str) -> dict[str, Any]:
    import nats

    from aegis.risk.stream import StreamNames, ensure_streams

    names = StreamNames(prefix=prefix)
    nc = await nats.connect(args.nats)
    js = nc.jetstream()
    await ensure_streams(js, names)
    sent: dict[str, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()

    warming: set[str] = set()
    warm = asyncio.Event()

    async def on_decision(msg: Any) -> None:
        doc = json.loads(msg.data)
        key = doc.get("external_id")
        if key in warming:
            warming.discard(key)
            if not warming:
                warm.set()
        if key in sent:
            latencies.append(time.perf_counter() - sent.pop(key))
            if len(latencies) == args.messages:
                done.set()

    await js.subscribe(names.decision_subject(tenant), cb=on_decision, ordered_consumer=True)
    now = dt.datetime.now(dt.UTC)
    # Warm-up, not measured: every consumer builds its tenant's runtime (rules, lists,
    # history) on the first messages it takes, which would otherwise be the slowest ones.
    for i in range(args.warmup):
        body = {"id": f"w-{i}", "time": (now - dt.timedelta(seconds=1)).isoformat(),
                "type": "payment", "amount": 500, "currency": "EUR",
                "customer_id": f"w-{i}"}  # fmt: skip
        warming.add(body["id"])
        await js.publish(names.tx_subject(tenant), json.dumps(body).encode())
        await asyncio.sleep(0.005)
    if args.warmup:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(warm.wait(), timeout=60)
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    for i in range(args.messages):
        body = {
            "id": f"s-{i}", "time": (now - dt.timedelta(seconds=1)).isoformat(),
            "type": "payment", "amount": 100 + (i * 7919) % 90_000, "currency": "EUR",
            "customer_id": f"c-{i % 3000}", "device_id": f"d-{i % 4000}",
            "terminal_id": f"t-{i % 500}", "channel": "web",
        }  # fmt: skip
        if args.rate > 0:  # on a schedule: the latency of a stream that keeps up
            wait = started + i / args.rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        sent[body["id"]] = time.perf_counter()
        await js.publish(names.tx_subject(tenant), json.dumps(body).encode())
    published = time.perf_counter() - started
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), timeout=args.timeout)
    elapsed = time.perf_counter() - started
    await nc.close()
    latencies.sort()
    return {
        "offered_per_s": args.rate or "as fast as JetStream acknowledges",
        "warmup_messages": args.warmup,
        "messages": args.messages,
        "decided": len(latencies),
        "publish_seconds": round(published, 2),
        "seconds": round(elapsed, 2),
        "decisions_per_s": round(len(latencies) / elapsed, 1),
        "end_to_end_ms": {
            "p50": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "p95": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1)
            if latencies
            else None,
            "p99": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 1)
            if latencies
            else None,
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured messages first")
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="publish this many a second (0: all at once)"
    )
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="aegis-stream-bench-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AEGIS_")},
        "AEGIS_DATA_DIR": str(data),
        "AEGIS_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AEGIS_LOG_LEVEL": "WARNING",
        "AEGIS_NATS_URL": args.nats,
        **({"AEGIS_DATABASE_URL": args.database_url} if args.database_url else {}),
    }
    aegis = str(Path(sys.executable).with_name("aegis"))
    subprocess.run([aegis, "db", "upgrade"], env=env, capture_output=True, check=True)
    created = subprocess.run(
        [aegis, "tenants", "create", "bench", "--json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    tenant = json.loads(created.stdout)["tenant"]["id"]
    prefix = "b" + secrets.token_hex(4)
    consumers = [
        subprocess.Popen(
            [aegis, "stream", "consume", "--prefix", prefix, "--batch", "64"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(args.consumers)
    ]
    try:
        time.sleep(3)  # the consumers connect and bind
        figures = asyncio.run(run(args, tenant, prefix))
    finally:
        for p in consumers:
            p.terminate()
        for p in consumers:
            p.wait(30)
        shutil.rmtree(data, ignore_errors=True)
    out = {
        "benchmark": "risk_stream",
        "setup": {
            "broker": args.nats,
            "consumers": args.consumers,
            "database": "postgresql" if args.database_url else "sqlite (embedded)",
            "cpus": os.cpu_count(),
        },
        **figures,
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
