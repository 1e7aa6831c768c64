"""Prefixed, opaque, time-ordered identifiers (``ten_01J...``).

ULIDs sort by creation time, so an ID doubles as a stable pagination cursor.
"""

from __future__ import annotations

import os
import threading
import time

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


# Crockford's base32 (the ULID alphabet, in lower case), two characters (10 bits) a lookup.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_SHIFTS = tuple(range(120, -1, -10))
_lock = threading.Lock()
_last = 0
# Random bits are read from the OS 64 ids at a time: every read is a system call that lets
# go of the GIL, and a busy thread beside the caller (the group commit) then keeps it for
# up to a switch interval (5 ms) before the caller gets it back.
_BATCH = 64
_pool = b""
_used = _BATCH


def _forget_pool() -> None:
    # A forked child must not hand out the bits its parent will use too.
    global _pool, _used
    _pool, _used = b"", _BATCH


os.register_at_fork(after_in_child=_forget_pool)


def _ulid() -> str:
    """A ULID (48-bit milliseconds, 80 random bits), strictly increasing in this process.

    The same text as python-ulid's ``str(ULID()).lower()``, in about half the time (a
    request may write a dozen ids). A value that would not sort after the last one (same
    millisecond, or a clock stepped back) becomes the last plus one, so ids keep the order
    they were made in.
    """
    global _last, _pool, _used
    millis = time.time_ns() // 1_000_000
    with _lock:
        if _used == _BATCH:
            _pool, _used = os.urandom(10 * _BATCH), 0
        start = 10 * _used
        _used += 1
        value = millis << 80 | int.from_bytes(_pool[start : start + 10], "big")
        if value <= _last:
            value = _last + 1
        _last = value
    # 26 characters of 5 bits: the 128 bits of the value after two zero bits.
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])


def new_id(prefix: str) -> str:
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    return f"{prefix}_{_ulid()}"


def has_prefix(value: str, prefix: str) -> bool:
    return value.startswith(prefix + "_") and len(value) == len(prefix) + 27
