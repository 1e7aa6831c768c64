"""Document read benchmark: seconds per MRZ read (find the band, OCR, verify) on one core.

Target (issue 4): median at most 0.5 s per document on one core.

The process is pinned to CPU 0 (``os.sched_setaffinity``), and so is Tesseract, which it
starts as a child; ``OMP_THREAD_LIMIT=1`` keeps Tesseract's OpenMP from spawning threads that
would only queue on that core. Timed: ``read_mrz`` on an image already decoded in memory.

    .venv/bin/python bench/document_read.py [--synthetic 60] [--seed 11] [--language eng]

Sets: the project's synthetic documents (mixed formats, clean and degraded, some tampered) and
the public specimens in ../shared/data/mrz when present. Prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SPECIMENS = ROOT / ".." / "shared" / "data" / "mrz"


def _stats(times: list[float]) -> dict[str, Any]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "documents": len(times),
        "median_s": round(statistics.median(times), 3),
        "p95_s": round(p95, 3),
        "mean_s": round(statistics.fmean(times), 3),
        "max_s": round(ordered[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=60)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--language")
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})
    os.environ["OMP_THREAD_LIMIT"] = "1"

    from aegis.checks.document.mrz_reader import MrzReaderConfig, read_mrz
    from aegis.checks.document.synthetic.mrz_docs import synthetic_documents

    config = MrzReaderConfig(language=args.language)
    report: dict[str, Any] = {"cpu": "pinned to core 0", "language": config.tesseract_args()[0]}
    images = [image for image, _, _ in synthetic_documents(args.synthetic, seed=args.seed)]
    read_mrz(images[0], config=config)  # warm caches (fonts, model file) outside the timing
    times = []
    for image in images:
        start = time.perf_counter()
        read_mrz(image, config=config)
        times.append(time.perf_counter() - start)
    report["synthetic"] = _stats(times)

    paths = sorted(
        p
        for folder in ("passporteye", "fastmrz")
        for p in (SPECIMENS / folder).glob("*")
        if p.suffix.lower() in (".jpg", ".png")
    )
    if paths:
        times = []
        for path in paths:
            with Image.open(path) as image:
                image.load()
                start = time.perf_counter()
                read_mrz(image, config=config)
                times.append(time.perf_counter() - start)
        report["specimens"] = _stats(times)
    else:
        print(f"no specimens at {SPECIMENS}", file=sys.stderr)
    medians = [report[k]["median_s"] for k in ("synthetic", "specimens") if k in report]
    report["target_median_s"] = 0.5
    report["target_met"] = all(m <= 0.5 for m in medians)
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
