"""All SQL of the durable job table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from aegis.queue.models import Job


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    attempt: int
    name: str
    payload: dict[str, Any]
    tenant_id: str | None
    max_attempts: int


class JobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, job_id: str) -> Job | None:
        return self.session.get(Job, job_id)

    def by_dedupe_key(self, key: str) -> Job | None:
        return self.session.scalars(select(Job).where(Job.dedupe_key == key)).one_or_none()

    def add(self, job: Job) -> None:
        self.session.add(job)
        self.session.flush()

    def claim(self, job_id: str, now: datetime, lease: timedelta) -> ClaimedJob | None:
        """Take the job for one run, in one statement; the attempt number is the fencing token."""
        runnable = or_(
            and_(Job.status == "pending", Job.run_after <= now),
            and_(Job.status == "running", Job.lease_until < now),
        )
        row = self.session.execute(
            update(Job)
            .where(Job.id == job_id, runnable)
            .values(status="running", lease_until=now + lease, attempts=Job.attempts + 1)
            .returning(Job.attempts, Job.name, Job.payload, Job.tenant_id, Job.max_attempts)
        ).one_or_none()
        if row is None:
            return None
        return ClaimedJob(int(row[0]), str(row[1]), dict(row[2]), row[3], int(row[4]))

    def finish(self, job_id: str, attempt: int, now: datetime) -> bool:
        """Mark done only if nobody re-claimed the job since ``attempt`` began."""
        result = self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running", Job.attempts == attempt)
            .values(status="done", finished_at=now, lease_until=None, last_error=None)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def extend(self, job_id: str, attempt: int, until: datetime) -> bool:
        result = self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running", Job.attempts == attempt)
            .values(lease_until=until)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def purge_finished(self, before: datetime) -> int:
        result = self.session.execute(
            delete(Job).where(Job.status.in_(("done", "failed")), Job.finished_at < before)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def fail(
        self, job_id: str, attempt: int, error: str, retry_at: datetime | None, now: datetime
    ) -> None:
        values: dict[str, object] = {"last_error": error[:2000], "lease_until": None}
        if retry_at is None:
            values.update(status="failed", finished_at=now)
        else:
            values.update(status="pending", run_after=retry_at)
        self.session.execute(
            update(Job).where(Job.id == job_id, Job.attempts == attempt).values(**values)
        )

    def due(self, now: datetime, limit: int) -> list[str]:
        """Pending jobs nobody is carrying, and running jobs whose worker went away."""
        stmt = (
            select(Job.id)
            .where(
                or_(
                    and_(
                        Job.status == "pending",
                        Job.run_after <= now,
                        or_(Job.lease_until.is_(None), Job.lease_until < now),
                    ),
                    and_(Job.status == "running", Job.lease_until < now),
                )
            )
            .order_by(Job.run_after)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def mark_dispatched(self, job_ids: list[str], until: datetime | None) -> None:
        if job_ids:
            self.session.execute(
                update(Job)
                .where(Job.id.in_(job_ids), Job.status == "pending")
                .values(lease_until=until)
            )
