"""KYC onboarding benchmark: create an applicant with 10 PII fields and run its data checks,
over HTTP, end to end. Target (issue 3): at least 300 applicants/s on this machine.

What it does:
1. ``aegis serve --workers N`` on SQLite (the embedded default) in a fresh data folder, with
   the in-process job worker on, logs at WARNING (or on ``--database-url``);
2. a tenant, and a level ``onboarding`` (identity data and ID number as steps; checks: ID
   number, phone, e-mail domain, duplicates, velocity), published through the API;
3. for ``--seconds``, ``POST /v1/applicants`` with ``"submit": true`` from ``--connections``
   keep-alive connections: every request a different applicant (10 PII fields: names in
   Latin and native script, date of birth, nationality, address, phone, e-mail, ID type and
   a valid, distinct ID number). The level's checks are all local, so each response
   carries the decision: created, collecting, submitted, checking, decided, every step
   audited and announced on the outbox, in one transaction;
4. afterwards it counts the tenant's applicants by status through the API (each must be
   decided: nothing left in ``submitted`` or ``checking``) and reports applicants/s, latency
   percentiles and the server's CPU per applicant.

The load generator is ``wrk`` (Debian: ``apt-get install -y wrk``) with a Lua script that
builds each applicant, so the client costs little CPU beside the server on the same machine.

    .venv/bin/python bench/kyc_onboarding.py [--seconds 20] [--connections 16] [--workers 2]

Prints one JSON document on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_read import (  # noqa: E402
    HOST,
    aegis_command,
    create_tenant,
    free_port,
    group_cpu_seconds,
    log,
    running_server,
    server_env,
)

TARGET = 300.0
LEVEL = {
    "name": "onboarding",
    "description": "Benchmark: data checks only.",
    "steps": ["identity_data", "id_number"],
    "checks": ["id_number", "phone", "email", "duplicates", "velocity"],
    "thresholds": {"velocity": [{"key": "ip", "window_seconds": 3600, "max_count": 100000}]},
}

# Each wrk thread numbers its own applicants from a base of its own; ric() mirrors
# tests/kyc/ids.py: a valid Beijing resident ID whose birth date is the applicant's.
WRK_LUA = r"""
counter = 0
base = 0  -- set per thread by setup()
local threads = {}
local WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local CHECK = "10X98765432"

function setup(thread)
  thread:set("base", {OFFSET} + (table.getn(threads) + 1) * 2000000)
  table.insert(threads, thread)
end

local function ric(seq)
  local year = 1950 + math.floor(seq / 336000) % 50
  local month = math.floor(seq / 1000) % 12 + 1
  local day = math.floor(seq / 12000) % 28 + 1
  local body = string.format("110105%04d%02d%02d%03d", year, month, day, seq % 1000)
  local total = 0
  for i = 1, 17 do total = total + tonumber(body:sub(i, i)) * WEIGHTS[i] end
  local k = total % 11 + 1
  return body .. CHECK:sub(k, k), string.format("%04d-%02d-%02d", year, month, day)
end

request = function()
  counter = counter + 1
  local seq = base + counter
  local id_number, dob = ric(seq)
  local body = string.format(
    '{"level":"onboarding","external_id":"bench-%d","submit":true,' ..
    '"profile":{"first_name":"Wei","last_name":"Zhang%d","native_name":"张伟",' ..
    '"date_of_birth":"%s","nationality":"CN",' ..
    '"address":{"line1":"%d Chang\'an Avenue","city":"Beijing","country":"CN"},' ..
    '"phone":"+86139%08d","email":"user%d@example.com",' ..
    '"id_type":"national_id","id_number":"%s","id_country":"CN"},' ..
    '"consent":{"accepted":true,"terms_version":"2026-01"},' ..
    '"ip_address":"10.%d.%d.%d"}',
    seq, seq, dob, seq, seq % 100000000, seq, id_number,
    math.floor(seq / 65536) % 256, math.floor(seq / 256) % 256, seq % 256)
  return wrk.format("POST", "/v1/applicants", {
    ["Authorization"] = "Bearer {KEY}",
    ["Content-Type"] = "application/json",
  }, body)
end

done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def run_wrk(
    base: str, key: str, seconds: float, connections: int, threads: int, lua: Path, offset: int
) -> dict[str, Any]:
    """``offset`` keeps the applicants of each run apart (else they are duplicates)."""
    script = WRK_LUA.replace("{KEY}", key).replace("{OFFSET}", str(offset))
    lua.write_text(script, encoding="utf-8")
    duration = f"-d{max(1, round(seconds))}s"  # wrk takes whole seconds
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", duration, "-s", str(lua), base],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
    raw: dict[str, Any] = json.loads(line)
    return raw


def count_statuses(base: str, key: str) -> dict[str, int]:
    statuses: dict[str, int] = {}
    cursor = None
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        while True:
            params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/applicants", params=params, timeout=30).json()
            for item in page["data"]:
                statuses[item["status"]] = statuses.get(item["status"], 0) + 1
            if not page["has_more"]:
                return statuses
            cursor = page["next_cursor"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    data = Path(tempfile.mkdtemp(prefix="aegis-kyc-bench-"))
    port = free_port()
    env = server_env(data, "WARNING")
    env.update({"AEGIS_DATABASE_URL": args.database_url} if args.database_url else {})
    subprocess.run([*aegis_command(), "db", "upgrade"], env=env, capture_output=True, check=True)
    key = create_tenant(env)
    base = f"http://{HOST}:{port}"
    try:
        with running_server(
            env, port, args.workers, data / "server.log", job_worker=True
        ) as server:
            r = httpx.post(
                f"{base}/v1/verification-levels",
                json=LEVEL,
                headers={"Authorization": f"Bearer {key}"},
            )
            r.raise_for_status()
            threads = min(2, args.connections)
            log(f"warm-up {args.warmup}s")
            warm = run_wrk(base, key, args.warmup, args.connections, threads, data / "warm.lua", 0)
            log(f"measuring {args.seconds}s, {args.connections} connections")
            cpu_before = group_cpu_seconds(server.pid)
            load_before = os.getloadavg()[0]
            raw = run_wrk(
                base, key, args.seconds, args.connections, threads, data / "run.lua", 50_000_000
            )
            server_cpu = group_cpu_seconds(server.pid) - cpu_before
            load_after = os.getloadavg()[0]
            statuses = count_statuses(base, key)
    finally:
        log_copy = Path(tempfile.gettempdir()) / "aegis-kyc-bench-server.log"
        if (data / "server.log").exists():
            shutil.copy(data / "server.log", log_copy)
        shutil.rmtree(data, ignore_errors=True)
    created_ok = raw["requests"] - raw["non_2xx"]
    rate = created_ok / (raw["duration_us"] / 1e6)
    undecided = statuses.get("submitted", 0) + statuses.get("checking", 0)
    out = {
        "benchmark": "kyc_onboarding",
        "target_applicants_per_second": TARGET,
        "target_met": rate >= TARGET and raw["non_2xx"] == 0 and undecided == 0,
        "setup": {
            "database": "postgresql" if args.database_url else "sqlite (embedded default)",
            "web_workers": args.workers,
            "connections": args.connections,
            "generator": "wrk (Lua: a distinct applicant per request)",
            "cpus": os.cpu_count(),
            "load_average_1m": [load_before, load_after],
        },
        "applicants_per_second": round(rate, 1),
        "applicants": created_ok,
        "warmup_applicants": warm["requests"],
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
        "latency_ms": {
            name: round(raw[f"{name}_us"] / 1000, 2) for name in ("p50", "p90", "p99", "max")
        },
        "server_cpu_ms_per_applicant": round(server_cpu / max(1, created_ok) * 1000, 2),
        "statuses": statuses,
        "undecided": undecided,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
