"""Selfie faces (encrypted encodings) and liveness challenges of applicants."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aegis.kit.models import TenantOwned, flush_order
from aegis.kit.time import utcnow
from aegis.kyc.models import Applicant
from aegis.privacy.registry import encrypted_columns
from aegis.storage.db import Base, UTCDateTime


@encrypted_columns("embedding_enc")
class FaceEmbedding(TenantOwned, Base):
    __tablename__ = "face_embeddings"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    applicant_id: Mapped[str] = mapped_column(String(40), ForeignKey("applicants.id"), index=True)
    _applicant: Mapped[Applicant] = flush_order("Applicant")
    attempt: Mapped[int] = mapped_column(Integer)
    # A face encoding identifies a person as well as a photo does: vault-encrypted.
    embedding_enc: Mapped[str] = mapped_column(Text)
    # The applicant's ID-number blind index when the face was stored: the same face under
    # another identity is the fraud this looks for; the same face again is not.
    identity_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LivenessCheck(TenantOwned, Base):
    """One active-liveness challenge: issued, then passed or failed once, never again."""

    __tablename__ = "liveness_checks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    applicant_id: Mapped[str] = mapped_column(String(40), ForeignKey("applicants.id"), index=True)
    _applicant: Mapped[Applicant] = flush_order("Applicant")
    attempt: Mapped[int] = mapped_column(Integer)
    actions: Mapped[list[str]] = mapped_column(JSON)
    # issued -> passed | failed
    status: Mapped[str] = mapped_column(String(16))
    codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Of the frames submitted (hashes, no pixels): a later replay of them is refused.
    fingerprint_exact: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    fingerprint_perceptual: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
