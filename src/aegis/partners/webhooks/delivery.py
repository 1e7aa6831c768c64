"""The pure parts of delivery: who gets an event, when to try again, what to send."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import orjson

FIRST_RETRY = timedelta(seconds=30)
MAX_INTERVAL = timedelta(hours=4)


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
    """Exponential backoff from 30 s, capped at 4 h, with jitter; None once past ``max_age``.

    With the default 72 h that is about 25 attempts; the schedule always covers at least
    24 hours because ``max_age`` cannot be set lower.
    """
    interval = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_INTERVAL)
    jitter = interval * (0.1 * random.random())  # noqa: S311 - spreading load, not secrecy
    when = now + interval + jitter
    return None if when - first_at > max_age else when


def envelope(
    event_id: str, event_type: str, created_at: datetime, tenant_id: str, data: dict[str, Any]
) -> bytes:
    return orjson.dumps(
        {
            "id": event_id,
            "type": event_type,
            "created_at": created_at.isoformat(),
            "tenant_id": tenant_id,
            "data": data,
        }
    )
