"""Ids: prefixed ULIDs, time-ordered and strictly increasing within a process."""

from __future__ import annotations

import time

import pytest
from ulid import ULID

from aegis.ids import has_prefix, new_id


def test_ids_are_ulids_of_now_in_lower_case() -> None:
    made = new_id("app")
    assert has_prefix(made, "app")
    body = made.removeprefix("app_")
    decoded = ULID.from_str(body.upper())
    assert str(decoded).lower() == body
    assert abs(decoded.timestamp - time.time()) < 5


def test_ids_keep_the_order_they_were_made_in() -> None:
    made = [new_id("evt") for _ in range(20_000)]  # many share a millisecond
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_unknown_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown id prefix"):
        new_id("nope")
