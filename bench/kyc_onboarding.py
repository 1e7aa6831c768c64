"""KYC onboarding benchmark: create an applicant with 10 PII fields and run its data checks,
over HTTP, end to end. Target (issue 3): at least 300 applicants/s on this machine.

What it does:
1. ``aegis serve`` on SQLite (the embedded default) in a fresh data folder, with the
   in-process job worker on (checks run as jobs, as in production), logs at WARNING;
2. a tenant, and a bench level ``onboarding`` (identity data and ID number as steps;
   checks: ID number, phone, e-mail domain, duplicates, velocity), published through the API;
3. ``--applicants`` applicants, each ``POST /v1/applicants`` (10 PII fields: names in Latin
   and native script, date of birth, nationality, address, phone, e-mail, ID type and
   number) then ``POST /v1/applicants/{id}/submit``, from ``--concurrency`` concurrent
   keep-alive clients in a separate process;
4. waits until every applicant is decided, and reports applicants/s from the first request
   to the last decision, plus request latencies.

    .venv/bin/python bench/kyc_onboarding.py [--applicants 3000] [--concurrency 32]

Prints one JSON document on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

TARGET = 300.0
HOST = "127.0.0.1"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
LEVEL = {
    "name": "onboarding",
    "description": "Benchmark: data checks only.",
    "steps": ["identity_data", "id_number"],
    "checks": ["id_number", "phone", "email", "duplicates", "velocity"],
    "thresholds": {"velocity": [{"key": "ip", "window_seconds": 3600, "max_count": 100000}]},
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ric(seq: int) -> str:
    # A distinct valid number per seq: birth date and sequence vary with it.
    year, month, day = 1950 + seq // 336000 % 50, seq // 1000 % 12 + 1, seq // 12000 % 28 + 1
    body = f"110105{year}{month:02d}{day:02d}{seq % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def applicant(seq: int) -> dict[str, Any]:
    dob = f"{ric(seq)[6:10]}-{ric(seq)[10:12]}-{ric(seq)[12:14]}"
    return {
        "level": "onboarding",
        "external_id": f"bench-{seq}",
        "profile": {
            "first_name": "Wei", "last_name": f"Zhang{seq}", "native_name": "张伟",
            "date_of_birth": dob, "nationality": "CN",
            "address": {"line1": f"{seq} Chang'an Avenue", "city": "Beijing", "country": "CN"},
            "phone": f"+86139{seq:08d}", "email": f"user{seq}@example.com",
            "id_type": "national_id", "id_number": ric(seq), "id_country": "CN",
        },
        "consent": {"accepted": True, "terms_version": "2026-01"},
        "ip_address": f"10.{seq // 65536 % 256}.{seq // 256 % 256}.{seq % 256}",
    }  # fmt: skip


def free_port() -> int:
    for port in range(19100, 19200):
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 19100-19199")


async def drive(
    base: str, key: str, total: int, concurrency: int, offset: int = 0
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    ids: list[str] = []
    errors = 0
    counter = iter(range(offset, offset + total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:

        async def worker() -> None:
            nonlocal errors
            for seq in counter:
                t0 = time.perf_counter()
                r = await c.post("/v1/applicants", json=applicant(seq))
                t1 = time.perf_counter()
                if r.status_code != 201:
                    errors += 1
                    continue
                aid = r.json()["id"]
                s = await c.post(f"/v1/applicants/{aid}/submit")
                t2 = time.perf_counter()
                latencies.extend([t1 - t0, t2 - t1])
                if s.status_code != 202:
                    errors += 1
                    continue
                ids.append(aid)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        submitted = time.perf_counter()
        pending = set(ids)
        deadline = time.monotonic() + 600
        while pending and time.monotonic() < deadline:
            r = await c.get("/v1/applicants", params={"status": "checking", "limit": 1})
            r2 = await c.get("/v1/applicants", params={"status": "submitted", "limit": 1})
            if not r.json()["data"] and not r2.json()["data"]:
                break
            await asyncio.sleep(0.05)
        decided = time.perf_counter()
        statuses: dict[str, int] = {}
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = (await c.get("/v1/applicants", params=params)).json()
            for item in page["data"]:
                statuses[item["status"]] = statuses.get(item["status"], 0) + 1
            if not page["has_more"]:
                break
            cursor = page["next_cursor"]
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    return {
        "applicants": total,
        "errors": errors,
        "statuses": statuses,
        "requests_seconds": round(submitted - start, 3),
        "end_to_end_seconds": round(decided - start, 3),
        "applicants_per_second": round(len(ids) / (decided - start), 1),
        "request_latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99)},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applicants", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="aegis-kyc-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "AEGIS_DATA_DIR": str(data),
        "AEGIS_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AEGIS_LOG_LEVEL": "WARNING",
        "AEGIS_QUEUE_WORKERS": "4",
        "AEGIS_SWEEP_INTERVAL_SECONDS": "1",
    }
    aegis = str(Path(sys.executable).with_name("aegis"))
    created = subprocess.run(
        [aegis, "tenants", "create", "bench", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = json.loads(created.stdout)["api_key"]["secret"]
    server = subprocess.Popen(
        [aegis, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(data / "server.log", "w"),  # noqa: SIM115
    )
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        r = httpx.post(
            f"{base}/v1/verification-levels", json=LEVEL, headers={"Authorization": f"Bearer {key}"}
        )
        r.raise_for_status()
        log("warm-up")
        asyncio.run(drive(base, key, 100, 8, offset=10_000_000))
        log(f"measuring {args.applicants} applicants at concurrency {args.concurrency}")
        result = asyncio.run(drive(base, key, args.applicants, args.concurrency))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.copy(data / "server.log", Path(tempfile.gettempdir()) / "aegis-kyc-bench-server.log")
        shutil.rmtree(data, ignore_errors=True)
    result["statuses"].pop("collecting", None)
    out = {
        "benchmark": "kyc_onboarding",
        "target_applicants_per_second": TARGET,
        "target_met": result["applicants_per_second"] >= TARGET,
        "setup": {
            "database": "sqlite",
            "web_workers": 1,
            "job_threads": 4,
            "concurrency": args.concurrency,
            "cpus": os.cpu_count(),
        },
        **result,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
