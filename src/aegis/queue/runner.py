"""Running one job exactly once in effect, whatever happens to the process running it.

A job is claimed with a lease and an attempt number. The handler's final transaction
marks the job done only if the attempt number is still ours, so a worker killed in the
middle leaves nothing committed, and a slow worker overtaken by a re-run cannot commit
twice. Effects outside the database (an HTTP call) are at-least-once; receivers dedupe.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.orm import Session

from aegis.kit.time import utcnow
from aegis.queue.registry import HANDLERS
from aegis.queue.repository import JobRepository

if TYPE_CHECKING:
    from aegis.platform import Platform

log = structlog.get_logger(__name__)


class Superseded(Exception):
    """Another run of the same job took over; this run's work is rolled back."""


@dataclass
class JobRun:
    platform: Platform
    job_id: str
    name: str
    attempt: int
    tenant_id: str | None
    finished: bool = field(default=False)

    @contextmanager
    def finish(self) -> Iterator[Session]:
        """The job's last transaction: its writes and the ``done`` mark commit together."""
        with self.platform.db.session() as session:
            yield session
            if not JobRepository(session).finish(self.job_id, self.attempt, utcnow()):
                raise Superseded(self.job_id)
        self.finished = True

    def extend_lease(self, seconds: float) -> None:
        """Keep the job ours for ``seconds`` more, before work that may outlast the lease
        (the sweeper would otherwise hand it to another worker)."""
        with self.platform.db.session() as session:
            if not JobRepository(session).extend(
                self.job_id, self.attempt, utcnow() + timedelta(seconds=seconds)
            ):
                raise Superseded(self.job_id)


def backoff(attempt: int) -> timedelta:
    # The exponent is bounded: past the one-hour cap it changes nothing, and 2.0**1024
    # raises OverflowError (a job may be given any max_attempts).
    base: float = min(2.0 ** min(attempt, 20) * 5, 3600)
    return timedelta(seconds=base * (0.8 + 0.4 * random.random()))  # noqa: S311


def run_job(platform: Platform, job_id: str) -> str:
    """Claim and run; returns what happened (for logs and tests)."""
    lease = timedelta(seconds=platform.settings.job_lease_seconds)
    with platform.db.session() as session:
        claimed = JobRepository(session).claim(job_id, utcnow(), lease)
    if claimed is None:
        return "skipped"
    attempt, name, payload = claimed.attempt, claimed.name, claimed.payload
    tenant_id, max_attempts = claimed.tenant_id, claimed.max_attempts
    handler = HANDLERS.get(name)
    run = JobRun(platform, job_id, name, attempt, tenant_id)
    bound = log.bind(job_id=job_id, job=name, attempt=attempt)
    try:
        if handler is None:
            raise LookupError(f"no handler registered for job {name!r}")
        handler(run, payload)
        if not run.finished:
            with run.finish():
                pass
    except Superseded:
        bound.warning("job_superseded")
        return "superseded"
    except Exception as exc:
        retry_at = utcnow() + backoff(attempt) if attempt < max_attempts else None
        # Exception text may quote data; only its type goes to the log and the job row.
        error = type(exc).__name__
        bound.warning("job_failed", error=error, retry=retry_at is not None)
        with platform.db.session() as session:
            JobRepository(session).fail(job_id, attempt, error, retry_at, utcnow())
        return "failed"
    bound.info("job_done")
    return "done"
