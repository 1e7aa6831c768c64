"""HTTP decision benchmark: POST /v1/transactions against the real server, on this machine.

1. ``aegis serve --workers N --no-worker`` in a fresh data folder: SQLite (the embedded
   default; several web workers keep their in-memory histories in step through the
   database) or ``--database-url``, and ``--redis-url`` for the shared feature state of the
   scaled shape; logs at WARNING;
2. a tenant; the default rule pack (no model: train one with ``aegis risk train`` to include
   it);
3. for ``--seconds``, wrk posts a different transaction per request from ``--connections``
   keep-alive connections (customers, cards, devices, terminals drawn from pools, so the
   velocity windows fill), and reports decisions/s and latency; every answer must be 201.
   Each phase also reports the cores the server and wrk kept busy, and the run how its
   payments were decided (``outcomes``: the pools are small, so many raise an alert).

Target (issue 6): at least 1,500 decisions/s with p99 at most 25 ms. Prints one JSON
document on stdout; progress goes to stderr.

    .venv/bin/python bench/risk_http.py [--seconds 15] [--connections 16] [--workers 2]
        [--database-url URL] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

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

TARGET_PER_S, TARGET_P99_MS = 1500.0, 25.0
WRK_THREADS = 2

WRK_LUA = r"""
counter = 0
base = 0
local threads = {}

function setup(thread)
  thread:set("base", {OFFSET} + (table.getn(threads) + 1) * 10000000)
  table.insert(threads, thread)
end

-- Paced mode (RATE > 0): each thread sends at its share of RATE on a fixed schedule, on
-- whichever connection is free; a send the schedule wanted earlier (every connection
-- was waiting for an answer) is counted as late, with how late it went.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } aegis_timespec;
int clock_gettime(int clk, aegis_timespec *tp);
]]
local clock = ffi.new("aegis_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end
local rate = {RATE}
local interval = rate > 0 and 1000 / (rate / {THREADS}) or 0
next_at = nil
late = 0
late_max_ms = 0

if rate > 0 then
  delay = function()
    local t = now_ms()
    if next_at == nil then next_at = t end
    local slot = next_at
    next_at = next_at + interval
    if slot < t then
      local behind = t - slot
      if behind > 1 then late = late + 1 end
      if behind > late_max_ms then late_max_ms = behind end
      return 0
    end
    return slot - t
  end
end

request = function()
  counter = counter + 1
  local seq = base + counter
  local body = string.format(
    '{"id":"b-%d","time":"%s","type":"payment","amount":%d,"currency":"EUR",' ..
    '"customer_id":"c-%d","card_fingerprint":"card-%08d","device_id":"d-%d",' ..
    '"ip":"10.%d.%d.%d","terminal_id":"t-%d","channel":"web"}',
    seq, os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - 2), 100 + (seq * 7919) % 90000,
    seq % 5000, seq % 7000, seq % 6000,
    math.floor(seq / 65536) % 256, math.floor(seq / 256) % 256, seq % 256, seq % 800)
  return wrk.format("POST", "/v1/transactions", {
    ["Authorization"] = "Bearer {KEY}",
    ["Content-Type"] = "application/json",
  }, body)
end

done = function(summary, latency, requests)
  local late_total, late_worst = 0, 0
  for _, thread in ipairs(threads) do
    late_total = late_total + thread:get("late")
    late_worst = math.max(late_worst, thread:get("late_max_ms"))
  end
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
    '"late_sends": %d, "late_max_ms": %.1f}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, late_total, late_worst))
end
"""


def run_wrk(
    base: str,
    key: str,
    seconds: float,
    connections: int,
    lua: Path,
    offset: int,
    rate: float = 0.0,
) -> dict[str, Any]:
    script = WRK_LUA.replace("{KEY}", key).replace("{OFFSET}", str(offset))
    lua.write_text(script.replace("{RATE}", str(rate)).replace("{THREADS}", str(WRK_THREADS)))
    out = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "-s",
            str(lua),
            base,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    raw: dict[str, Any] = json.loads([x for x in out.stdout.splitlines() if x.startswith("{")][-1])
    return raw


def decided_outcomes(url: str, since: datetime) -> dict[str, int]:
    """How the run's payments were decided (warm-up and both phases): the share that
    raised an alert (review, step_up, decline) sets how many rows each one writes. The
    embedded database is the run's own; a server's may hold earlier runs."""
    sql = "SELECT outcome, COUNT(*) FROM risk_decisions"
    if not url.startswith("sqlite"):
        sql += " WHERE created_at >= :since"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(sql + " GROUP BY outcome ORDER BY outcome"), {"since": since})
            return {str(outcome): int(count) for outcome, count in rows}
    finally:
        engine.dispose()


def children_cpu_seconds() -> float:
    """User + system CPU of this process's finished children: wrk, once it has exited (the
    server's processes are still running, so they are not in it)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(raw: dict[str, Any], server_cpu: float, generator_cpu: float) -> dict[str, Any]:
    ok = raw["requests"] - raw["non_2xx"]
    seconds = raw["duration_us"] / 1e6
    return {
        "decisions_per_s": round(ok / seconds, 1),
        "decisions": ok,
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
        "latency_ms": {k: round(raw[f"{k}_us"] / 1000, 2) for k in ("p50", "p90", "p99", "max")},
        "server_cpu_ms_per_decision": round(server_cpu / max(1, ok) * 1000, 3),
        # How much of the machine each side kept busy: the server shares its cores with
        # the load generator, so this is the budget the latency comes out of.
        "cores_busy": {
            "server": round(server_cpu / seconds, 2),
            "generator": round(generator_cpu / seconds, 2),
            "of": os.cpu_count(),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=TARGET_PER_S)
    parser.add_argument("--rate-connections", type=int, default=48)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    data = Path(tempfile.mkdtemp(prefix="aegis-risk-bench-"))
    port = free_port()
    env = server_env(data, "WARNING")
    env.update({"AEGIS_DATABASE_URL": args.database_url} if args.database_url else {})
    env.update({"AEGIS_REDIS_URL": args.redis_url} if args.redis_url else {})
    subprocess.run([*aegis_command(), "db", "upgrade"], env=env, capture_output=True, check=True)
    key = create_tenant(env)
    base = f"http://{HOST}:{port}"
    started = datetime.now(UTC)
    load: list[float] = []
    try:
        with running_server(env, port, args.workers, data / "server.log") as server:
            log(f"warm-up {args.warmup}s")
            run_wrk(base, key, args.warmup, args.connections, data / "warm.lua", 0)
            log(f"capacity: {args.seconds}s as fast as {args.connections} connections go")
            cpu, load = group_cpu_seconds(server.pid), [os.getloadavg()[0]]
            gen = children_cpu_seconds()
            raw = run_wrk(base, key, args.seconds, args.connections, data / "run.lua", 500_000_000)
            capacity = measured(
                raw, group_cpu_seconds(server.pid) - cpu, children_cpu_seconds() - gen
            )
            log(f"at {args.rate}/s: {args.seconds}s on up to {args.rate_connections} connections")
            cpu, gen = group_cpu_seconds(server.pid), children_cpu_seconds()
            raw = run_wrk(
                base,
                key,
                args.seconds,
                args.rate_connections,
                data / "rate.lua",
                700_000_000,
                rate=args.rate,
            )
            at_rate = measured(
                raw, group_cpu_seconds(server.pid) - cpu, children_cpu_seconds() - gen
            )
            at_rate |= {"offered_per_s": args.rate, "connections": args.rate_connections}
            at_rate |= {"late_sends": raw["late_sends"], "late_max_ms": raw["late_max_ms"]}
            load.append(os.getloadavg()[0])
        outcomes = decided_outcomes(args.database_url or f"sqlite:///{data / 'aegis.db'}", started)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    sustained = at_rate["decisions_per_s"] >= 0.99 * args.rate
    out = {
        "benchmark": "risk_http",
        "setup": {
            "database": "postgresql" if args.database_url else "sqlite (embedded default)",
            "feature_state": "redis" if args.redis_url else "memory (per process, synced)",
            "web_workers": args.workers,
            "generator": f"wrk, {WRK_THREADS} threads (Lua: a distinct transaction per request)",
            "cpus": os.cpu_count(),
            "load_average_1m": load,
            "outcomes": outcomes,
        },
        # As many decisions as the connections can get answered: the server's capacity,
        # with the latency of a server that is never idle.
        "capacity": capacity | {"connections": args.connections},
        # The target's rate offered on a schedule (open loop while a connection is free):
        # the latency a client sees at that load. ``late_sends`` counts requests sent more
        # than 1 ms after their slot because every connection was waiting.
        "at_target_rate": at_rate,
        "target": {"decisions_per_s": TARGET_PER_S, "p99_ms": TARGET_P99_MS},
        "target_met": capacity["decisions_per_s"] >= TARGET_PER_S
        and sustained
        and at_rate["latency_ms"]["p99"] <= TARGET_P99_MS
        and capacity["non_2xx"] == 0
        and at_rate["non_2xx"] == 0,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
