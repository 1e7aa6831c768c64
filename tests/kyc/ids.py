"""Valid Chinese resident ID numbers for tests (ISO 7064 MOD 11-2 check character)."""

from __future__ import annotations

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def ric(region: str, birth: str, seq: int) -> str:
    body = f"{region}{birth}{seq:03d}"
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]
