"""The pure parts of delivery: who gets an event, when to try again, what to send."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import orjson

FIRST_RETRY = timedelta(seconds=30)
MAX_INTERVAL = timedelta(hours=4)
_MAX_DOUBLINGS = (MAX_INTERVAL // FIRST_RETRY).bit_length()


def matches(subscriptions: list[str], event_type: str) -> bool:
    for sub in subscriptions:
        if sub == "*" or sub == event_type:
            return True
        if sub.endswith(".*") and event_type.startswith(sub[:-1]):
            return True
    return False


def next_attempt(
    attempts: int, *, first_at: datetime, now: datetime, max_age: timedelta
) -> datetime | None:
    """When to try again after ``attempts`` failures; None once ``max_age`` is spent.

    Exponential backoff from 30 s, capped at 4 h, with up to 10 % jitter. The last retry is
    pulled in to ``first_at + max_age`` rather than dropped, so a receiver that is down for
    almost all of ``max_age`` still gets the event: retries always span the full ``max_age``,
    which is never less than 24 hours. With the default 72 h that is about 25 attempts.
    """
    deadline = first_at + max_age
    if now >= deadline:
        return None
    # Bound the exponent: past the cap it changes nothing, and timedelta overflows near 2**43.
    interval = min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), _MAX_DOUBLINGS)), MAX_INTERVAL)
    jitter = interval * (0.1 * random.random())  # noqa: S311 - spreading load, not secrecy
    return min(now + interval + jitter, deadline)


def envelope(
    event_id: str, event_type: str, created_at: datetime, tenant_id: str, data: dict[str, Any]
) -> bytes:
    return orjson.dumps(
        {
            "id": event_id,
            "type": event_type,
            # Same form as the API's timestamps: UTC with a Z.
            "created_at": created_at.isoformat().replace("+00:00", "Z"),
            "tenant_id": tenant_id,
            "data": data,
        }
    )
