"""Seconds per document for proof of address: read (OCR or PDF text) and check, per case.

    .venv/bin/python -m tests.checks.address.measure_ocr [--rounds 3]

Renders the synthetic bills the end-to-end tests use, reads each ``--rounds`` times with
``read_poa_text`` and judges it with ``check_proof_of_address``; prints one JSON document
(median and spread per case). Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from aegis.checks.address import check_proof_of_address, read_poa_text
from tests.checks.address import _bills as bills
from tests.checks.address._pdf import image_pdf, text_pdf

TODAY, ISSUED = date(2026, 10, 20), date(2026, 10, 3)


def _cases() -> dict[str, tuple[bytes, str, bills.Person]]:
    en = bills.render(bills.utility_bill(bills.JOHN, ISSUED))
    cases = {
        "en_bill_png": (bills.encode(en, "PNG"), "image/png", bills.JOHN),
        "en_bill_photo_jpeg": (
            bills.encode(bills.degrade(en), "JPEG", quality=55),
            "image/jpeg",
            bills.JOHN,
        ),
        "en_statement_png": (
            bills.encode(bills.render(bills.bank_statement(bills.EMILY, ISSUED)), "PNG"),
            "image/png",
            bills.EMILY,
        ),
        "en_scanned_pdf": (
            image_pdf(bills.encode(en, "JPEG", quality=80), en.width, en.height),
            "application/pdf",
            bills.JOHN,
        ),
        "en_text_pdf": (
            text_pdf([bills.utility_bill(bills.JOHN, ISSUED)]),
            "application/pdf",
            bills.JOHN,
        ),
    }
    if bills.cjk_font_path() is not None:
        cn = bills.render(bills.cn_bill(bills.ZHANG, ISSUED), cjk=True)
        cases["cn_bill_png"] = (bills.encode(cn, "PNG"), "image/png", bills.ZHANG)
        cases["cn_bill_photo_jpeg"] = (
            bills.encode(bills.degrade(cn), "JPEG", quality=55),
            "image/jpeg",
            bills.ZHANG,
        )
    return cases


def _timed(fn: Callable[[], Any], rounds: int) -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {
        "rounds": args.rounds,
        "omp_thread_limit": os.environ.get("OMP_THREAD_LIMIT"),
        "cases": {},
    }
    for name, (data, media_type, person) in _cases().items():
        read_s, text = _timed(partial(read_poa_text, data, media_type), args.rounds)
        judge = partial(check_proof_of_address, text, applicant=person.applicant, today=TODAY)
        check_s, result = _timed(judge, args.rounds)
        report["cases"][name] = {
            "bytes": len(data),
            "read_median_s": round(statistics.median(read_s), 3),
            "read_min_s": round(min(read_s), 3),
            "read_max_s": round(max(read_s), 3),
            "check_median_ms": round(statistics.median(check_s) * 1000, 2),
            "outcome": result.outcome.value,
            "ocr_confidence": result.details.get("ocr_confidence"),
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
