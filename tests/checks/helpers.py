"""Test helpers for the checks: our own RIC arithmetic (independent of stdnum) and data paths."""

from __future__ import annotations

from datetime import date
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

# Region codes in effect for every birth year from 1900 on (checked in test_id_numbers_cn).
STABLE_REGIONS = (
    "110101", "110105", "110108", "120101", "210102", "310104", "310115", "320102",
    "330106", "420106", "440106", "440305", "500103", "510107", "610113",
)  # fmt: skip


def mod11_2_check(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character, written out from the standard (not stdnum)."""
    assert len(body17) == 17 and body17.isdigit()
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def make_ric(region: str, born: date, seq: int) -> str:
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + mod11_2_check(body)


def luhn_complete(partial: str) -> str:
    """``partial`` plus the Luhn check digit (written out, not stdnum)."""
    total = 0
    for i, d in enumerate(reversed(partial)):
        n = int(d)
        if i % 2 == 0:  # these get doubled once the check digit is appended
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return partial + str((10 - total % 10) % 10)


class FakeSleep:
    """Records requested pauses instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
