"""Evaluate the MRZ reader: specimen documents (when ../shared/data is there) and the project's
own synthetic documents. Prints one JSON document on stdout.

    .venv/bin/python scripts/eval_mrz.py [--synthetic 240] [--seed 7] [--language eng]
        [--tessdata-dir DIR] [--details] [--skip-specimens] [--skip-synthetic]

Specimens: every image in mrz/passporteye and mrz/fastmrz; those named pacman.*,
tesseract-test*, 0_* and nomrz.jpg have no MRZ (per the data README). Reported: the share of
MRZ images read fully valid, and the images without an MRZ that produced a valid read (false
reads) or any read at all.

Synthetic: a reproducible mix of formats, clean and degraded, about a fifth tampered. Reported:
the share of untampered documents read exactly (every field equal to the ground truth), and
the share of tampered ones flagged (valid False, the tampered check among the failures).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from PIL import Image

from aegis.checks.document.mrz_reader import MrzReaderConfig, read_mrz
from aegis.checks.document.synthetic.mrz_docs import synthetic_documents

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "mrz"
NO_MRZ_PREFIXES = ("pacman.", "tesseract-test", "0_", "nomrz.")


def has_mrz(path: Path) -> bool:
    return not path.name.startswith(NO_MRZ_PREFIXES)


def specimen_paths() -> list[Path]:
    out: list[Path] = []
    for folder in ("passporteye", "fastmrz"):
        out += sorted(p for p in (DATA / folder).glob("*") if p.suffix.lower() in (".jpg", ".png"))
    return out


def eval_specimens(config: MrzReaderConfig, details: bool) -> dict[str, Any]:
    rows = []
    for path in specimen_paths():
        with Image.open(path) as image:
            image.load()
            start = time.perf_counter()
            read = read_mrz(image, config=config)
            seconds = time.perf_counter() - start
        rows.append(
            {
                "file": f"{path.parent.name}/{path.name}",
                "has_mrz": has_mrz(path),
                "read": read is not None,
                "valid": bool(read and read.valid),
                "format": read.format.value if read else None,
                "failed_checks": list(read.failed_checks) if read else None,
                "corrections": len(read.result.corrections) if read else None,
                "ocr_calls": read.ocr_calls if read else None,
                "seconds": round(seconds, 3),
            }
        )
    with_mrz = [r for r in rows if r["has_mrz"]]
    without = [r for r in rows if not r["has_mrz"]]
    times = [r["seconds"] for r in rows]
    out: dict[str, Any] = {
        "images_with_mrz": len(with_mrz),
        "read_valid": sum(r["valid"] for r in with_mrz),
        "valid_rate": round(sum(r["valid"] for r in with_mrz) / max(1, len(with_mrz)), 4),
        "images_without_mrz": len(without),
        "false_valid_reads": [r["file"] for r in without if r["valid"]],
        "invalid_reads_without_mrz": [r["file"] for r in without if r["read"] and not r["valid"]],
        "not_valid": [r["file"] for r in with_mrz if not r["valid"]],
        "median_s": round(statistics.median(times), 3) if times else None,
    }
    if details:
        out["rows"] = rows
    return out


def eval_synthetic(count: int, seed: int, config: MrzReaderConfig, details: bool) -> dict[str, Any]:
    rows = []
    for image, truth, tampered in synthetic_documents(count, seed=seed):
        start = time.perf_counter()
        read = read_mrz(image, config=config)
        seconds = time.perf_counter() - start
        exact = bool(read and read.valid and read.fields == truth.fields)
        flagged = bool(
            read and not read.valid and set(truth.failed_checks) & set(read.failed_checks)
        )
        row = {
            "format": truth.format.value,
            "degraded": truth.degraded,
            "tampered": tampered,
            "exact": exact,
            "flagged": flagged,
            "seconds": round(seconds, 3),
        }
        if details and not (flagged if tampered else exact):
            row["truth"] = list(truth.lines)
            row["read"] = list(read.lines) if read else None
            row["diff"] = (
                {k: str(v) for k, v in asdict(read.fields).items() if getattr(truth.fields, k) != v}
                if read
                else None
            )
        rows.append(row)
    clean = [r for r in rows if not r["tampered"]]
    forged = [r for r in rows if r["tampered"]]
    times = [r["seconds"] for r in rows]
    out: dict[str, Any] = {
        "documents": len(rows),
        "untampered": len(clean),
        "exact": sum(r["exact"] for r in clean),
        "exact_rate": round(sum(r["exact"] for r in clean) / max(1, len(clean)), 4),
        "exact_rate_degraded": round(
            sum(r["exact"] for r in clean if r["degraded"])
            / max(1, sum(1 for r in clean if r["degraded"])),
            4,
        ),
        "tampered": len(forged),
        "tampered_flagged": sum(r["flagged"] for r in forged),
        "median_s": round(statistics.median(times), 3) if times else None,
    }
    if details:
        out["misses"] = [r for r in rows if not (r["flagged"] if r["tampered"] else r["exact"])]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=240)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--language")
    parser.add_argument("--tessdata-dir", type=Path)
    parser.add_argument("--details", action="store_true")
    parser.add_argument("--skip-specimens", action="store_true")
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args()
    config = MrzReaderConfig(language=args.language, tessdata_dir=args.tessdata_dir)
    language, _ = config.tesseract_args()
    report: dict[str, Any] = {"language": language}
    if not args.skip_specimens:
        if DATA.is_dir():
            report["specimens"] = eval_specimens(config, args.details)
        else:
            print(f"no specimens at {DATA}", file=sys.stderr)
    if not args.skip_synthetic:
        report["synthetic"] = eval_synthetic(args.synthetic, args.seed, config, args.details)
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
