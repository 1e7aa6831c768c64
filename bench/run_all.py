"""Run every benchmark and print one JSON document combining their figures.

    .venv/bin/python bench/run_all.py            # what `make bench` runs
    .venv/bin/python bench/run_all.py --http-duration 5 --http-workers 2

Each benchmark runs in its own process (the HTTP one starts and stops its own servers);
their progress goes to stderr, and only the combined document goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def run_script(name: str, args: list[str]) -> dict[str, Any]:
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, str(HERE / name), *args],
        check=False,
        stdout=subprocess.PIPE,
        text=True,
    )
    if out.returncode != 0:
        return {"error": f"{name} exited with {out.returncode}", "stdout": out.stdout[-2000:]}
    result: dict[str, Any] = json.loads(out.stdout)
    result["wall_seconds"] = round(time.monotonic() - started, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vault-records", type=int, default=20_000)
    parser.add_argument("--http-duration", type=float, default=15.0)
    parser.add_argument("--http-workers", default="1,2")
    parser.add_argument("--http-connections", default="8,16,32")
    parser.add_argument("--kyc-seconds", type=float, default=20.0)
    parser.add_argument("--skip-http", action="store_true", help="Skip the HTTP benchmarks.")
    parser.add_argument(
        "--skip-stream", action="store_true", help="Skip the NATS benchmark (needs NATS)."
    )
    parser.add_argument("--rescreen-customers", type=int, default=100_000)
    args = parser.parse_args(argv)

    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "vault": run_script("vault.py", ["--records", str(args.vault_records)]),
    }
    if not args.skip_http:
        results["http_read"] = run_script(
            "http_read.py",
            [
                "--duration",
                str(args.http_duration),
                "--workers",
                args.http_workers,
                "--connections",
                args.http_connections,
            ],
        )
        results["kyc_onboarding"] = run_script(
            "kyc_onboarding.py", ["--seconds", str(args.kyc_seconds)]
        )
    # Issue 4: documents and faces, one core each.
    results["document_read"] = run_script("document_read.py", [])
    results["face_compare"] = run_script("face_compare.py", [])
    results["kyc_verify"] = run_script("kyc_verify.py", [])
    # Issue 5: screening.
    results["screening_query"] = run_script("screening_query.py", [])
    results["screening_rescreen"] = run_script(
        "screening_rescreen.py", ["--customers", str(args.rescreen_customers)]
    )
    # Issue 6: transaction risk decisions (the stream one needs NATS and sets no target).
    results["risk_decision"] = run_script("risk_decision.py", [])
    if not args.skip_http:
        results["risk_http"] = run_script("risk_http.py", ["--seconds", str(args.http_duration)])
    if not args.skip_stream:
        results["risk_stream"] = run_script("risk_stream.py", [])
    # A diagnostic without a target: what a write transaction costs before its rows.
    results["storage_commit"] = run_script("storage_commit.py", [])
    untargeted = ("machine", "risk_stream", "storage_commit")
    benches = [v for k, v in results.items() if k not in untargeted]
    results["all_targets_met"] = all(
        b.get("target_met", b.get("meets_target")) is True for b in benches
    )
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
