from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aegis.kit.models import TenantOwned, TimestampMixin
from aegis.privacy.registry import encrypted_columns
from aegis.storage.db import Base


@encrypted_columns("name_enc", "email_enc", "phone_enc", "notes_enc")
class Contact(TenantOwned, TimestampMixin, Base):
    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    name_enc: Mapped[str] = mapped_column(Text)
    email_enc: Mapped[str] = mapped_column(Text)
    phone_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    email_bidx: Mapped[str] = mapped_column(String(64), index=True)
    phone_bidx: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
