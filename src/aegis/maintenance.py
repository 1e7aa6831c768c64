"""Housekeeping the worker runs on a timer: tables that would otherwise only grow."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from aegis.api.repository import purge_expired
from aegis.kit.time import utcnow
from aegis.queue.repository import JobRepository

if TYPE_CHECKING:
    from aegis.platform import Platform


def purge(platform: Platform) -> dict[str, int]:
    """Drop expired Idempotency-Key replays and finished jobs past their retention.

    Webhook events, deliveries and the audit trail are records, not caches: they stay.
    """
    now = utcnow()
    keep_jobs = timedelta(days=platform.settings.finished_job_retention_days)
    with platform.db.session() as session:
        replays = purge_expired(session, now)
        jobs = JobRepository(session).purge_finished(now - keep_jobs)
    return {"idempotency_records": replays, "jobs": jobs}


def periodic(platform: Platform) -> dict[str, int]:
    """Everything the worker runs on its maintenance timer."""
    from aegis.kyc.reverification import scan
    from aegis.kyc.service import ApplicantService

    return {**purge(platform), **scan(ApplicantService(platform))}
