"""Job handlers by name. A handler receives a ``JobRun`` and the job's JSON payload."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aegis.queue.runner import JobRun

Handler = Callable[["JobRun", dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}


def job(name: str) -> Callable[[Handler], Handler]:
    """Register a job handler. Handlers must be idempotent: a job can run more than once."""

    def register(fn: Handler) -> Handler:
        if name in HANDLERS and HANDLERS[name] is not fn:
            raise ValueError(f"job {name!r} registered twice")
        HANDLERS[name] = fn
        return fn

    return register
