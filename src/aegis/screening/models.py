"""Screening tables: lists and their snapshots (shared by every tenant), and hits (each
tenant's own).

List data is public (governments publish it), so it is stored in the clear. A hit joins
a customer to a list entity: its explanation quotes the customer's name and the
reviewer's reason may too, so both are vault-encrypted like every other PII column.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aegis.kit.models import TenantOwned, TimestampMixin, flush_order
from aegis.kit.time import utcnow
from aegis.privacy.registry import encrypted_columns
from aegis.storage.db import Base, UTCDateTime


class ScreeningList(TimestampMixin, Base):
    """One list source, e.g. ``ofac-sdn``, loaded again and again as snapshots."""

    __tablename__ = "screening_lists"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(200))
    # The version of the active snapshot: what screening uses (0 before the first load).
    version: Mapped[int] = mapped_column(Integer, default=0)


class ListSnapshot(Base):
    __tablename__ = "list_snapshots"
    __table_args__ = (Index("ix_list_snapshots_list_version", "list_id", "version", unique=True),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    list_id: Mapped[str] = mapped_column(String(40), ForeignKey("screening_lists.id"))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    published: Mapped[date | None] = mapped_column(Date, nullable=True)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(120))
    entities: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    # pending -> done once every tenant's customers were re-screened against the diff.
    rescreen_status: Mapped[str] = mapped_column(String(16), default="pending")
    rescreen_stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    _list = flush_order("ScreeningList")


class ListEntityRow(Base):
    """One version of one entity: current while ``valid_to`` is null. A change closes the
    old version and opens a new one, so every past snapshot can still be read back."""

    __tablename__ = "list_entities"
    __table_args__ = (
        Index("ix_list_entities_current", "list_id", "valid_to"),
        Index("ix_list_entities_key", "list_id", "key", "valid_from", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[str] = mapped_column(String(40), ForeignKey("screening_lists.id"))
    key: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)  # the ListEntity as JSON
    valid_from: Mapped[int] = mapped_column(Integer)
    valid_to: Mapped[int | None] = mapped_column(Integer, nullable=True)


@encrypted_columns("explanation_enc", "reason_enc")
class ScreeningHit(TenantOwned, TimestampMixin, Base):
    """A possible match between a customer and a list entity, and what a reviewer made
    of it. A false positive is remembered against the entity's content hash: the same
    entity unchanged is not raised again for that customer; changed, it is."""

    __tablename__ = "screening_hits"
    __table_args__ = (
        Index("ix_screening_hits_subject", "tenant_id", "subject_id"),
        Index("ix_screening_hits_entity", "list_id", "entity_key"),
        Index("ix_screening_hits_status", "tenant_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # applicant
    subject_id: Mapped[str] = mapped_column(String(40))
    list_id: Mapped[str] = mapped_column(String(40), ForeignKey("screening_lists.id"))
    entity_key: Mapped[str] = mapped_column(String(200))
    entity_hash: Mapped[str] = mapped_column(String(64))
    list_version: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    # open -> confirmed | false_positive (a reviewer) | closed (the entity left the list)
    status: Mapped[str] = mapped_column(String(16), default="open")
    origin: Mapped[str] = mapped_column(String(16))  # onboarding | rescreen
    explanation_enc: Mapped[str] = mapped_column(Text)
    reason_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
