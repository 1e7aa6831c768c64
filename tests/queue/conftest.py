"""Queue test helpers: counting the effect a job commits, and making a job due now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from aegis.kit.time import utcnow
from aegis.platform import Platform
from aegis.privacy.audit.models import AuditEvent
from aegis.queue.models import Job
from tests.conftest import REDIS_URL, _reachable, service_url


def redis_url() -> str:
    """Redis for the scaled-transport tests: skip when AEGIS_TEST_REDIS_URL is unset, but
    fail when it is set and Redis does not answer (someone asked for these tests)."""
    if REDIS_URL is not None and not _reachable(REDIS_URL, 6379):
        pytest.fail(f"AEGIS_TEST_REDIS_URL is set but Redis at {REDIS_URL} is unreachable")
    return service_url("REDIS", REDIS_URL, 6379)


def effects(platform: Platform, token: str) -> list[AuditEvent]:
    """The audit records a job wrote for ``token``: its committed effect."""
    with platform.db.session(write=False) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.target_id == token)))


def get_job(platform: Platform, job_id: str) -> Job:
    with platform.db.session(write=False) as session:
        row = session.get(Job, job_id)
        assert row is not None
        return row


def make_due(platform: Platform, job_id: str) -> None:
    with platform.db.session() as session:
        session.execute(
            update(Job).where(Job.id == job_id).values(run_after=utcnow() - timedelta(seconds=1))
        )


def job_count(platform: Platform) -> int:
    with platform.db.session(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Job)) or 0)
