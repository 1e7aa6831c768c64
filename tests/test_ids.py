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


def test_a_forked_child_draws_other_random_bits() -> None:
    """Random bits come from the OS in batches: a child forked with part of a batch left
    must not make the ids its parent makes next."""
    import os

    new_id("evt")  # the parent now holds a batch with bits left
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, "\n".join(new_id("evt")[-16:] for _ in range(8)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split("\n"))
    parent = {new_id("evt")[-16:] for _ in range(8)}  # the random part of each
    assert not child & parent
