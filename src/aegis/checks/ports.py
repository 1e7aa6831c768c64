"""What the check ports share: one error tree and one retry policy.

Ports reach outside parties (SMS gateway, bank, government registry). Their adapters raise
these errors, never a library's own (httpx, sockets), so a service can handle every port the
same way:

    PortError
    ├── PortRejected      the party refused this input; retrying cannot help
    │   └── SmsRejected
    └── PortUnavailable   timeout, connection error, 429, 5xx: retry, then send to REVIEW
        ├── SmsUnavailable
        ├── BankUnavailable
        └── RegistryUnavailable

``call_with_retries`` is the one retry loop: it retries ``PortUnavailable`` only (a rejection
is an answer, not a failure) and takes its ``sleep`` as a parameter, so tests never wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


class PortError(Exception):
    """Base of every error an outside-party adapter raises."""


class PortRejected(PortError):
    """The party answered and refused the input (e.g. an invalid destination number)."""


class PortUnavailable(PortError):
    """The party did not answer usefully: timeout, connection error, throttling, 5xx.

    ``retry_after`` is the party's own hint in seconds (HTTP Retry-After), if it gave one.
    ``retryable`` is False when trying again cannot help (our own credentials refused): the
    caller still treats it as "no answer", but without spending the retries.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, retryable: bool = True
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.retryable = retryable


def backoff_delays(
    attempts: int, *, base: float = 0.2, factor: float = 2.0, cap: float = 2.0
) -> tuple[float, ...]:
    """The pauses between ``attempts`` tries: exponential, capped.

    No jitter: the calls retried here are one applicant's request each, not a fleet of clients
    reconnecting at once, and deterministic delays keep the tests exact.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    return tuple(min(cap, base * factor**i) for i in range(attempts - 1))


def call_with_retries(
    fn: Callable[[], T],
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    *,
    delays: Sequence[float] | None = None,
    retry_on: tuple[type[BaseException], ...] = (PortUnavailable,),
    max_retry_after: float = 5.0,
) -> T:
    """Call ``fn`` up to ``attempts`` times, pausing between tries; re-raise the last error.

    Only ``retry_on`` errors are retried (and not those marked ``retryable=False``); anything
    else propagates at once. When the error
    carries a ``retry_after`` hint it replaces the planned pause, capped at
    ``max_retry_after`` so a hostile or confused party cannot park a request thread.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    planned = tuple(delays) if delays is not None else backoff_delays(attempts)
    if len(planned) < attempts - 1:
        raise ValueError("need one delay between each pair of attempts")
    for attempt in range(attempts):
        try:
            return fn()
        except retry_on as exc:
            if attempt == attempts - 1 or getattr(exc, "retryable", True) is False:
                raise
            pause = planned[attempt]
            hint = getattr(exc, "retry_after", None)
            if isinstance(hint, int | float) and hint >= 0:
                pause = min(float(hint), max_retry_after)
            sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
