"""Webhook signatures: HMAC-SHA256 over ``"{timestamp}.{body}"``, Stripe-style header.

    Aegis-Signature: t=1732180000,v1=5257a869e7ec...d8bd

During a secret rotation the header carries one ``v1=`` per valid secret; a receiver
accepts the message if any of them verifies under the secret it holds.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

HEADER = "Aegis-Signature"
DEFAULT_TOLERANCE = 300
# Unix seconds fit in 12 digits for the next 30 000 years; longer values are not timestamps
# (and past 4300 digits int() raises a plain ValueError, which a receiver would not catch).
_MAX_TIMESTAMP_DIGITS = 12


class SignatureError(ValueError):
    """The signature header is missing, malformed, stale, or does not match."""


def compute(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secrets: Iterable[str], body: bytes, *, timestamp: int | None = None) -> str:
    """The header value for ``body`` signed with each secret."""
    ts = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={ts}", *(f"v1={compute(s, ts, body)}" for s in secrets)])


def verify_signature(
    body: bytes,
    header: str,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """Check a delivery; returns its timestamp or raises ``SignatureError``.

    ``body`` must be the raw request bytes, before any JSON parsing. Messages older (or
    newer) than ``tolerance`` seconds are refused, which stops replays of captured calls.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        # isascii: str.isdigit() also accepts other scripts' digits, which int() then parses.
        if key == "t" and value.isascii() and value.isdigit():
            if len(value) > _MAX_TIMESTAMP_DIGITS:
                raise SignatureError("malformed signature header")
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("malformed signature header")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance window")
    # Compared as bytes: compare_digest refuses non-ASCII str with TypeError, and the
    # header is attacker-controlled.
    expected = compute(secret, timestamp, body).encode()
    if not any(hmac.compare_digest(expected, c.encode()) for c in candidates):
        raise SignatureError("no signature matches")
    return timestamp
