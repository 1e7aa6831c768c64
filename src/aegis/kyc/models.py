"""KYC tables. PII lives only in ``profile_enc`` (one vault ciphertext) and blind indexes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from aegis.kit.models import TenantOwned, TimestampMixin, flush_order
from aegis.kit.time import utcnow
from aegis.privacy.registry import encrypted_columns
from aegis.storage.db import Base, UTCDateTime


class VerificationLevel(TenantOwned, Base):
    __tablename__ = "verification_levels"
    __table_args__ = (UniqueConstraint("tenant_id", "name", "version"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


BLIND_INDEX_COLUMNS = (
    "id_number_bidx",
    "phone_bidx",
    "email_bidx",
    "card_bidx",
    "device_bidx",
    "ip_bidx",
    "phone_prefix_bidx",
    "email_domain_bidx",
)


@encrypted_columns("profile_enc")
class Applicant(TenantOwned, TimestampMixin, Base):
    __tablename__ = "applicants"
    # Duplicate and velocity lookups match a blind index within a tenant (and a time window):
    # with single-column indexes the planner may walk the tenant's whole index instead.
    __table_args__ = tuple(
        Index(f"ix_applicants_tenant_{column}", "tenant_id", column, "created_at")
        for column in BLIND_INDEX_COLUMNS
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), index=True, nullable=True)
    level: Mapped[str] = mapped_column(String(40), index=True)
    level_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), index=True)
    risk_rating: Mapped[str] = mapped_column(String(8), default="low", index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    resubmission_steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    decision_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    profile_enc: Mapped[str] = mapped_column(Text)
    consent_terms_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    document_expires_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Blind indexes: exact duplicate lookups without decrypting anything.
    id_number_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True)
    phone_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True)
    card_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True)
    device_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Keyed hashes of where a registration came from, for velocity windows.
    ip_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True)
    phone_prefix_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email_domain_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ApplicantCheck(TenantOwned, Base):
    __tablename__ = "applicant_checks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    applicant_id: Mapped[str] = mapped_column(String(40), ForeignKey("applicants.id"), index=True)
    _applicant: Mapped[Applicant] = flush_order("Applicant")
    attempt: Mapped[int] = mapped_column(Integer)
    check: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(16))
    codes: Mapped[list[str]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApplicantDocument(TenantOwned, Base):
    __tablename__ = "applicant_documents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    applicant_id: Mapped[str] = mapped_column(String(40), ForeignKey("applicants.id"), index=True)
    _applicant: Mapped[Applicant] = flush_order("Applicant")
    attempt: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    blob_id: Mapped[str] = mapped_column(String(40))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signals: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApplicantHistory(TenantOwned, Base):
    __tablename__ = "applicant_history"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    applicant_id: Mapped[str] = mapped_column(String(40), ForeignKey("applicants.id"), index=True)
    _applicant: Mapped[Applicant] = flush_order("Applicant")
    from_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_status: Mapped[str] = mapped_column(String(32))
    codes: Mapped[list[str]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PhoneChallenge(TenantOwned, TimestampMixin, Base):
    """One OTP challenge; the code itself is never stored, only its keyed hash."""

    __tablename__ = "phone_challenges"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    applicant_id: Mapped[str] = mapped_column(String(40), ForeignKey("applicants.id"), index=True)
    _applicant: Mapped[Applicant] = flush_order("Applicant")
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Review(TenantOwned, Base):
    __tablename__ = "reviews"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    applicant_id: Mapped[str] = mapped_column(String(40), ForeignKey("applicants.id"), index=True)
    _applicant: Mapped[Applicant] = flush_order("Applicant")
    attempt: Mapped[int] = mapped_column(Integer)
    # pending -> claimed -> (awaiting_second ->) decided
    status: Mapped[str] = mapped_column(String(20), index=True)
    requires_four_eyes: Mapped[bool] = mapped_column(Boolean)
    reason_codes: Mapped[list[str]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    first_reviewer: Mapped[str | None] = mapped_column(String(80), nullable=True)
    first_decision: Mapped[str | None] = mapped_column(String(32), nullable=True)
    first_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    first_steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    second_reviewer: Mapped[str | None] = mapped_column(String(80), nullable=True)
    second_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    final_decision: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
