"""Typed repository base: all SQL lives in repositories, always scoped to a tenant."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from aegis.kit.pagination import Page, PageRequest, encode_cursor
from aegis.storage.db import Base, append_later

M = TypeVar("M", bound=Base)
# Lookup by id, built once per model: building a select costs more than running it.
_BY_ID: dict[type[Any], Select[Any]] = {}


def paginate(
    session: Session, stmt: Select[Any], model: Any, page: PageRequest, *, newest_first: bool = True
) -> Page[Any]:
    """Keyset pagination on time-ordered ids: one row more than asked tells if a page follows."""
    if page.after:
        stmt = stmt.where(model.id < page.after if newest_first else model.id > page.after)
    order = model.id.desc() if newest_first else model.id
    rows = list(session.scalars(stmt.order_by(order).limit(page.limit + 1)))
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return Page(rows, encode_cursor(rows[-1].id) if more and rows else None)


class TenantRepository(Generic[M]):
    """CRUD for a tenant-owned model. Another tenant's row is simply not there."""

    model: type[M]
    # Rows written once and never changed in their transaction: see ``append_later``.
    append_only = False

    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def _scoped(self) -> Select[M]:
        model: Any = self.model
        return select(self.model).where(model.tenant_id == self.tenant_id)

    def get(self, obj_id: str) -> M | None:
        stmt = _BY_ID.get(self.model)
        if stmt is None:
            model: Any = self.model
            stmt = select(model).where(
                model.tenant_id == bindparam("tenant_id"), model.id == bindparam("obj_id")
            )
            _BY_ID[self.model] = stmt
        params = {"tenant_id": self.tenant_id, "obj_id": obj_id}
        return self.session.scalars(stmt, params).one_or_none()

    def add(self, obj: M) -> M:
        # Written at the next flush, with the transaction's other rows of this table in one
        # statement; ``flush_order`` relationships put parents first.
        if self.append_only:
            append_later(self.session, obj)
        else:
            self.session.add(obj)
        return obj

    def paginate(self, stmt: Select[M], page: PageRequest) -> Page[M]:
        return paginate(self.session, stmt, self.model, page)

    def list_page(self, page: PageRequest) -> Page[M]:
        return self.paginate(self._scoped(), page)
