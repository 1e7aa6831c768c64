"""Face-match threshold evidence: every same-person and different-person distance.

Encodes the largest face of every photo in the shared face data (identity folders, plus
_obama_resolutions, _partial, _misc as Obama and _duplicates as whoever they copy; not
_multi), then measures the Euclidean distance of every pair. Prints one JSON document:
counts, the largest same-person and smallest different-person distances (the gap the
threshold must fall in), errors at the configured threshold, and the closest pairs.

    .venv/bin/python bench/face_threshold.py [--data ../shared/data/faces] [--core-only]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

from aegis.checks.biometric.faces import MATCH_THRESHOLD, distance, encode

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "faces"
EXTRA = {"_obama_resolutions": "obama", "_partial": "obama", "_misc": "obama"}


def person(photo: Path, originals: dict[bytes, str]) -> str | None:
    folder = photo.parent.name
    if folder == "_duplicates":
        return originals.get(photo.read_bytes())
    if folder.startswith("_"):
        return EXTRA.get(folder)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--core-only", action="store_true", help="identity folders only")
    args = parser.parse_args()
    all_photos = sorted(
        p for p in args.data.glob("*/*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"}
    )
    originals = {
        p.read_bytes(): p.parent.name for p in all_photos if not p.parent.name.startswith("_")
    }
    people = {p: person(p, originals) for p in all_photos}
    labelled = {
        p: who
        for p, who in people.items()
        if who is not None and not (args.core_only and p.parent.name.startswith("_"))
    }
    if not labelled:
        print(json.dumps({"error": f"no labelled photos under {args.data}"}))
        return 1
    vectors = {}
    for photo in labelled:
        faces = encode(photo)
        if faces:
            vectors[photo] = faces[0]
    same: list[tuple[float, str, str]] = []
    different: list[tuple[float, str, str]] = []
    for a, b in itertools.combinations(sorted(vectors), 2):
        row = (
            distance(vectors[a], vectors[b]),
            f"{a.parent.name}/{a.name}",
            f"{b.parent.name}/{b.name}",
        )
        (same if labelled[a] == labelled[b] else different).append(row)
    same.sort()
    different.sort()
    report = {
        "photos": len(labelled),
        "encoded": len(vectors),
        "identities": len(set(labelled.values())),
        "same_pairs": len(same),
        "different_pairs": len(different),
        "same_max": round(same[-1][0], 4) if same else None,
        "different_min": round(different[0][0], 4) if different else None,
        "gap_midpoint": round((same[-1][0] + different[0][0]) / 2, 4)
        if same and different
        else None,
        "threshold": MATCH_THRESHOLD,
        "false_rejects": sum(d > MATCH_THRESHOLD for d, _, _ in same),
        "false_accepts": sum(d <= MATCH_THRESHOLD for d, _, _ in different),
        "hardest_same": [[round(d, 4), a, b] for d, a, b in same[-3:]],
        "hardest_different": [[round(d, 4), a, b] for d, a, b in different[:3]],
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
