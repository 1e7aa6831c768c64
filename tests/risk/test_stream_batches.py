"""How a stream consumer takes its next batch: never waiting for messages that have not
arrived while it holds one (a fake subscription records what is asked of JetStream)."""

from __future__ import annotations

import asyncio

import nats

from aegis.risk.stream import GATHER_SECONDS, _next_batch


class FakeSubscription:
    """Answers fetches from a list of waiting messages, as JetStream would right away;
    an empty answer is a fetch that expired."""

    def __init__(self, waiting: list[str]) -> None:
        self.waiting = waiting
        self.asked: list[tuple[int, float]] = []

    async def fetch(self, batch: int, timeout: float) -> list[str]:
        self.asked.append((batch, timeout))
        if not self.waiting:
            raise nats.errors.TimeoutError
        taken, self.waiting = self.waiting[:batch], self.waiting[batch:]
        return taken


def test_one_message_then_what_else_is_waiting() -> None:
    sub = FakeSubscription(["a", "b", "c"])
    assert asyncio.run(_next_batch(sub, 64, backlog=False)) == ["a", "b", "c"]
    # The wait is for one message; the rest only for JetStream's answer, never to fill up.
    assert sub.asked == [(1, 1), (63, GATHER_SECONDS)]


def test_a_lone_message_is_not_held_for_others() -> None:
    sub = FakeSubscription(["a"])
    assert asyncio.run(_next_batch(sub, 64, backlog=False)) == ["a"]
    assert sub.asked == [(1, 1), (63, GATHER_SECONDS)]


def test_behind_a_backlog_a_whole_batch_at_once() -> None:
    sub = FakeSubscription([f"m{i}" for i in range(100)])
    first = asyncio.run(_next_batch(sub, 64, backlog=True))
    assert len(first) == 64 and sub.asked == [(64, GATHER_SECONDS)]
    # The backlog ran dry: the next batch waits for one message again.
    sub.asked.clear()
    rest = asyncio.run(_next_batch(sub, 64, backlog=True))
    assert len(rest) == 36 and sub.asked == [(64, GATHER_SECONDS)]
    sub.asked.clear()
    assert asyncio.run(_next_batch(sub, 64, backlog=True)) == []
    assert sub.asked == [(64, GATHER_SECONDS), (1, 1)]


def test_batch_of_one_asks_once() -> None:
    sub = FakeSubscription(["a", "b"])
    assert asyncio.run(_next_batch(sub, 1, backlog=False)) == ["a"]
    assert sub.asked == [(1, 1)]
    assert sub.waiting == ["b"]


def test_nothing_waiting_gives_an_empty_batch() -> None:
    sub = FakeSubscription([])
    assert asyncio.run(_next_batch(sub, 64, backlog=False)) == []
    assert sub.asked == [(1, 1)]
