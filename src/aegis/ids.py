"""Prefixed, opaque, time-ordered identifiers (``ten_01J...``).

ULIDs sort by creation time, so an ID doubles as a stable pagination cursor.
"""

from __future__ import annotations

from ulid import ULID

PREFIXES = frozenset(
    {
        "ten",
        "key",
        "evt",
        "whe",
        "whd",
        "wha",
        "aud",
        "req",
        "con",
        "job",
        "dek",
        "blb",
        "app",
        "lvl",
        "chk",
        "doc",
        "ahs",
        "otp",
        "rev",
        "fce",
        "lvc",
        "lst",
        "lss",
        "hit",
        "txn",
        "dec",
        "rls",
        "rle",
        "lbl",
        "mdl",
        "alr",
        "rst",
        "stp",
    }
)


def new_id(prefix: str) -> str:
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    return f"{prefix}_{str(ULID()).lower()}"


def has_prefix(value: str, prefix: str) -> bool:
    return value.startswith(prefix + "_") and len(value) == len(prefix) + 27
