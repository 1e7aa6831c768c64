"""The durable side of a job: huey carries it, this row makes it survive a crash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aegis.kit.time import utcnow
from aegis.storage.db import Base, UTCDateTime


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    # Same dedupe key, same job: enqueueing twice does not run it twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    tenant_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending -> running -> done | failed; running with an expired lease is run again.
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
