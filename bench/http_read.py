"""HTTP benchmark: authenticated, tenant-scoped reads against the real server.

Target (issue): at least 2,000 requests/s on a 2-core machine with p99 at most 15 ms.

What it does, for each number of uvicorn workers (``--workers 1,2``):

1. a fresh data folder with SQLite (the embedded default), a random master key in
   ``AEGIS_MASTER_KEY``, the job worker off (``aegis serve --no-worker``), logs at ``--log-level``
   (INFO by default: one access line per request, as in production) to a file;
2. ``aegis tenants create --json`` for a tenant and an admin key, then
   ``POST /v1/contacts`` for a contact whose name, e-mail and phone are encrypted;
3. for each endpoint (``GET /v1/contacts/{id}``, which decrypts PII, and ``GET /v1/tenant``)
   and each concurrency (``--connections``): a warm-up, then a measured run.

Load generator: ``wrk`` when it is on PATH (Debian: ``apt-get install -y wrk``), with a
Lua script for the Authorization header and the latency percentiles; otherwise a
multi-process asyncio HTTP/1.1 keep-alive client in this file. The load generator runs
on the same machine and takes CPU from the server, as it would on any one-box test.

    .venv/bin/python bench/http_read.py [--duration 15] [--workers 1,2] [--connections 8,16,32]

Prints one JSON document on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

TARGET_RPS = 2000.0
TARGET_P99_MS = 15.0
HOST = "127.0.0.1"
PORTS = range(18000, 19000)

WRK_LUA = """
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer %s"
wrk.headers["Accept"] = "application/json"

done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "bytes": %%d, "non_2xx": %%d, ' ..
    '"socket_errors": %%d, "p50_us": %%d, "p90_us": %%d, "p95_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "mean_us": %%.1f}\\n',
    summary.requests, summary.duration, summary.bytes, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18000-18999")


def aegis_command() -> list[str]:
    script = Path(sys.executable).parent / "aegis"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "aegis.cli.main"]


def server_env(data_dir: Path, log_level: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AEGIS_")}
    env.update(
        {
            # The embedded default, with the master key given as production would give it.
            "AEGIS_ENV": "development",
            "AEGIS_DATA_DIR": str(data_dir),
            "AEGIS_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
            "AEGIS_LOG_LEVEL": log_level,
            "AEGIS_LOG_JSON": "true",
        }
    )
    return env


@contextmanager
def running_server(
    env: dict[str, str], port: int, workers: int, log_path: Path, *, job_worker: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    """``aegis serve`` until the block ends; healthy before it starts."""
    cmd = [*aegis_command(), "serve", "--host", HOST, "--port", str(port)]
    cmd += ["--workers", str(workers), *([] if job_worker else ["--no-worker"])]
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(  # own process group, so every uvicorn worker stops with it
            cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited: {log_path.read_text()[-2000:]}")
                try:
                    if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not become healthy within 60 s")
                time.sleep(0.2)
            yield proc
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def create_tenant(env: dict[str, str]) -> str:
    out = subprocess.run(
        [*aegis_command(), "tenants", "create", "Bench Ltd", "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    secret: str = json.loads(out.stdout)["api_key"]["secret"]
    return secret


def create_contact(port: int, secret: str) -> str:
    response = httpx.post(
        f"http://{HOST}:{port}/v1/contacts",
        headers={"Authorization": f"Bearer {secret}"},
        json={
            "role": "mlro",
            "name": "Jane Money-Laundering-Officer",
            "email": "jane.mlro@bench.example",
            "phone": "+447911123456",
            "notes": "benchmark contact",
        },
        timeout=10,
    )
    response.raise_for_status()
    contact_id: str = response.json()["id"]
    return contact_id


# --- load generators ---------------------------------------------------------------------


def run_wrk(
    url: str, secret: str, seconds: float, connections: int, threads: int
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_LUA % secret)
        script = fh.name
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "5s",
                "-s",
                script,
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(script)
    raw = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "requests": raw["requests"],
        "seconds": raw["duration_us"] / 1e6,
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
        "latency_us": [raw["p50_us"], raw["p95_us"], raw["p99_us"], raw["max_us"]],
        "mean_us": raw["mean_us"],
    }


async def _client(
    host: str, port: int, request: bytes, stop_at: float, latencies: list[int]
) -> tuple[int, int]:
    """One keep-alive connection sending requests back to back. Returns (non-2xx, errors)."""
    reader, writer = await asyncio.open_connection(host, port)
    bad = errors = 0
    clock = time.perf_counter_ns
    try:
        while time.monotonic() < stop_at:
            started = clock()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append((clock() - started) // 1000)
            if not 200 <= status < 300:
                bad += 1
    except (OSError, asyncio.IncompleteReadError):
        errors += 1
    finally:
        writer.close()
    return bad, errors


def _generator_process(
    host: str, port: int, request: bytes, connections: int, seconds: float, out: Any
) -> None:
    async def main() -> tuple[list[int], int, int, float]:
        latencies: list[int] = []
        started = time.monotonic()
        stop_at = started + seconds
        results = await asyncio.gather(
            *(_client(host, port, request, stop_at, latencies) for _ in range(connections))
        )
        elapsed = time.monotonic() - started
        return latencies, sum(r[0] for r in results), sum(r[1] for r in results), elapsed

    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out.send(asyncio.run(main()))
    out.close()


def run_python(
    url: str, secret: str, seconds: float, connections: int, processes: int
) -> dict[str, Any]:
    parsed = httpx.URL(url)
    request = (
        f"GET {parsed.raw_path.decode()} HTTP/1.1\r\nHost: {parsed.host}:{parsed.port}\r\n"
        f"Authorization: Bearer {secret}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    ctx = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    per_proc = [connections // processes + (i < connections % processes) for i in range(processes)]
    for count in per_proc:
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_generator_process,
            args=(parsed.host, parsed.port, request, count, seconds, send),
        )
        proc.start()
        pipes.append(recv)
        procs.append(proc)
    latencies: list[int] = []
    bad = errors = 0
    elapsed = 0.0
    for recv in pipes:
        lat, b, e, seconds_taken = recv.recv()
        latencies.extend(lat)
        bad += b
        errors += e
        elapsed = max(elapsed, seconds_taken)
    for proc in procs:
        proc.join()
    latencies.sort()

    def pct(q: float) -> int:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0

    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "non_2xx": bad,
        "socket_errors": errors,
        "latency_us": [pct(0.50), pct(0.95), pct(0.99), latencies[-1] if latencies else 0],
        "mean_us": round(sum(latencies) / max(1, len(latencies)), 1),
    }


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of every process in the server's process group (Linux /proc)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # pgrp; utime and stime follow at 11 and 12
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(
    generator: str, url: str, secret: str, seconds: float, connections: int, pgid: int
) -> dict[str, Any]:
    cpu_before = group_cpu_seconds(pgid)
    load_before = os.getloadavg()[0]
    if generator == "wrk":
        raw = run_wrk(url, secret, seconds, connections, threads=1)
    else:
        raw = run_python(url, secret, seconds, connections, processes=1)
    server_cpu = group_cpu_seconds(pgid) - cpu_before
    p50, p95, p99, worst = raw["latency_us"]
    rps = raw["requests"] / raw["seconds"]
    return {
        "connections": connections,
        # CPU the server spent per request: comparable across runs even when other
        # processes on the machine take CPU (the load average says how busy it was).
        "server_cpu_us_per_request": round(server_cpu / max(1, raw["requests"]) * 1e6),
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "requests": raw["requests"],
        "seconds": round(raw["seconds"], 2),
        "requests_per_s": round(rps, 1),
        "p50_ms": round(p50 / 1000, 2),
        "p95_ms": round(p95 / 1000, 2),
        "p99_ms": round(p99 / 1000, 2),
        "max_ms": round(worst / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
        "target_met": rps >= TARGET_RPS
        and p99 / 1000 <= TARGET_P99_MS
        and raw["non_2xx"] == 0
        and raw["socket_errors"] == 0,
    }


def bench_workers(
    workers: int, args: argparse.Namespace, generator: str, root: Path
) -> dict[str, Any]:
    data_dir = root / f"workers-{workers}"
    env = server_env(data_dir, args.log_level)
    port = free_port()
    secret = create_tenant(env)  # also creates and migrates the SQLite database
    log_path = root / f"server-{workers}.log"
    results: dict[str, Any] = {}
    with running_server(env, port, workers, log_path) as server:
        contact_id = create_contact(port, secret)
        endpoints = {
            "GET /v1/contacts/{id}": f"http://{HOST}:{port}/v1/contacts/{contact_id}",
            "GET /v1/tenant": f"http://{HOST}:{port}/v1/tenant",
        }
        for name, url in endpoints.items():
            runs = []
            for connections in args.connections:
                log(f"workers={workers} {name} c={connections}: warm-up {args.warmup}s")
                measure(generator, url, secret, args.warmup, connections, server.pid)
                log(f"workers={workers} {name} c={connections}: measuring {args.duration}s")
                result = measure(generator, url, secret, args.duration, connections, server.pid)
                log(
                    f"  -> {result['requests_per_s']} req/s, p99 {result['p99_ms']} ms, "
                    f"{result['server_cpu_us_per_request']} µs server CPU/request"
                )
                runs.append(result)
            results[name] = runs
    log_lines = sum(1 for _ in log_path.open("rb"))
    return {"workers": workers, "server_log_lines": log_lines, "endpoints": results}


def run(args: argparse.Namespace) -> dict[str, Any]:
    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    if generator == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk (or --generator python)")
    root = Path(tempfile.mkdtemp(prefix="aegis-bench-"))
    try:
        per_workers = [bench_workers(w, args, generator, root) for w in args.workers]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    best: dict[str, Any] | None = None
    for entry in per_workers:
        for name, runs in entry["endpoints"].items():
            for r in runs:
                if r["target_met"] and (
                    best is None or r["requests_per_s"] > best["requests_per_s"]
                ):
                    best = {"workers": entry["workers"], "endpoint": name, **r}
    every_endpoint_met = all(
        any(any(r["target_met"] for r in entry["endpoints"][name]) for entry in per_workers)
        for name in per_workers[0]["endpoints"]
    )
    return {
        "benchmark": "http_authenticated_read",
        "target": {"requests_per_s": TARGET_RPS, "p99_ms": TARGET_P99_MS},
        "target_met": every_endpoint_met,
        "generator": generator,
        "cpus": os.cpu_count(),
        "settings": {
            "database": "sqlite (embedded default)",
            "AEGIS_ENV": "development (AEGIS_MASTER_KEY set, random per run)",
            "AEGIS_LOG_LEVEL": args.log_level,
            "access_log": "one JSON line per request (aegis.access) to a file",
            "auth_cache_seconds": "default (5)",
            "job_worker": "off (--no-worker)",
            "duration_s": args.duration,
            "warmup_s": args.warmup,
        },
        "best_meeting_target": best,
        "runs": per_workers,
    }


def _int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15.0, help="Measured seconds per run.")
    parser.add_argument("--warmup", type=float, default=3.0, help="Warm-up seconds per run.")
    parser.add_argument("--workers", type=_int_list, default=[1, 2], help="e.g. 1,2")
    parser.add_argument("--connections", type=_int_list, default=[8, 16, 32], help="e.g. 8,16,32")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args(argv)
    print(json.dumps(run(args), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
