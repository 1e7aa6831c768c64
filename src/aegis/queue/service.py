"""Enqueueing jobs: a row in the caller's transaction, a huey message after commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.queue.models import Job
from aegis.queue.repository import JobRepository

AFTER_COMMIT_KEY = "aegis_dispatch_jobs"
DISPATCH_GRACE = timedelta(seconds=30)


def enqueue(
    session: Session,
    name: str,
    payload: dict[str, Any],
    *,
    tenant_id: str | None = None,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 5,
) -> Job:
    """Record a job; it is handed to the queue only once the transaction commits.

    The row is the outbox: if the process dies between commit and dispatch, the
    worker's sweeper finds the job and dispatches it.
    """
    repo = JobRepository(session)
    if dedupe_key is not None:
        existing = repo.by_dedupe_key(dedupe_key)
        if existing is not None:
            return existing
    row = Job(
        id=new_id("job"),
        name=name,
        dedupe_key=dedupe_key,
        tenant_id=tenant_id,
        payload=payload,
        status="pending",
        attempts=0,
        max_attempts=max_attempts,
        run_after=run_after or utcnow(),
        created_at=utcnow(),
    )
    if row.run_after <= utcnow():
        # Handed over right after commit: keep the sweeper off it for a while, or every
        # sweep would send a second message for each job still waiting in a backlog.
        row.lease_until = utcnow() + DISPATCH_GRACE
        session.info.setdefault(AFTER_COMMIT_KEY, []).append(row.id)
    repo.add(row)
    return row
