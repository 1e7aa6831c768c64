from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from aegis.api.models import IdempotencyRecord
from aegis.kit.time import utcnow
from aegis.maintenance import purge
from aegis.platform import Platform
from aegis.queue.models import Job
from aegis.queue.service import enqueue
from tests.support.tenants import TenantHandle


def test_purge_drops_expired_replays_and_old_jobs_only(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    body = {"role": "mlro", "name": "N", "email": "n@example.com"}
    for key in ("old", "fresh"):
        client.post("/v1/contacts", headers={**tenant.headers, "Idempotency-Key": key}, json=body)
    with platform.db.session() as session:
        old_job = enqueue(session, "no.such.job", {}, run_after=utcnow() + timedelta(days=1))
        kept_job = enqueue(session, "no.such.job", {}, run_after=utcnow() + timedelta(days=1))
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == "old")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.execute(
            update(Job)
            .where(Job.id.in_([old_job.id, kept_job.id]))
            .values(status="done", finished_at=utcnow() - timedelta(days=30))
        )
        session.execute(update(Job).where(Job.id == kept_job.id).values(finished_at=utcnow()))
    assert purge(platform) == {"idempotency_records": 1, "jobs": 1}
    with platform.db.session(write=False) as session:
        keys = set(session.scalars(select(IdempotencyRecord.key)))
        jobs = set(session.scalars(select(Job.id)))
        assert session.scalar(select(func.count()).select_from(Job)) >= 1
    assert "fresh" in keys and "old" not in keys
    assert kept_job.id in jobs and old_job.id not in jobs
