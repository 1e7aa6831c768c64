"""Column mixins shared by every table."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from aegis.kit.time import utcnow
from aegis.storage.db import UTCDateTime

if TYPE_CHECKING:
    from aegis.partners.models import Tenant


def flush_order(target: str, **kw: Any) -> Any:
    """A many-to-one that only tells the ORM to insert the parent before its children.

    Without it the unit of work knows nothing of foreign keys between mappers, so every
    ``add`` had to flush on its own; with it, one flush writes a whole transaction's rows,
    a table at a time. Never loaded (``lazy="raise"``) and never set: code sets the
    foreign-key column itself.
    """
    return relationship(target, lazy="raise", **kw)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class TenantOwned:
    """Every record belongs to a tenant; repositories always filter on it."""

    @declared_attr
    def tenant_id(cls) -> Mapped[str]:  # noqa: N805
        return mapped_column(String(40), ForeignKey("tenants.id"), index=True)

    @declared_attr
    def _tenant(cls) -> Mapped[Tenant]:  # noqa: N805
        return flush_order("Tenant")  # type: ignore[no-any-return]
