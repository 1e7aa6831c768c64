"""All SQL of the idempotency store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aegis.api.models import IdempotencyRecord


class IdempotencyRepository:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def get(self, key: str) -> IdempotencyRecord | None:
        return self.session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.tenant_id == self.tenant_id, IdempotencyRecord.key == key
            )
        ).one_or_none()

    def claim(self, key: str, fingerprint: str, now: datetime, expires: datetime) -> bool:
        """Insert the in-progress marker; False if a concurrent request inserted it first."""
        try:
            with self.session.begin_nested():
                self.session.add(
                    IdempotencyRecord(
                        tenant_id=self.tenant_id,
                        key=key,
                        fingerprint=fingerprint,
                        status="in_progress",
                        created_at=now,
                        expires_at=expires,
                    )
                )
        except IntegrityError:
            return False
        return True

    def remove(self, record: IdempotencyRecord) -> None:
        self.session.delete(record)
        self.session.flush()

    def forget(self, key: str) -> None:
        self.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.tenant_id == self.tenant_id, IdempotencyRecord.key == key
            )
        )


def purge_expired(session: Session, now: datetime) -> int:
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now))
    return int(result.rowcount)  # type: ignore[attr-defined]
