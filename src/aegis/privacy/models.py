"""Data-encryption keys, each wrapped by the master key; plaintext keys never touch disk."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aegis.kit.time import utcnow
from aegis.storage.db import Base, UTCDateTime


class VaultKey(Base):
    __tablename__ = "vault_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # data: encrypts PII; index: keys blind indexes; audit: keys the audit hash chain.
    purpose: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    wrapped: Mapped[str] = mapped_column(Text)
    master_key_id: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
