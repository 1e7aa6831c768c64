from __future__ import annotations

from sqlalchemy import select

from aegis.contacts.models import Contact
from aegis.kit.repository import TenantRepository


class ContactRepository(TenantRepository[Contact]):
    model = Contact

    def find(self, *, email_bidx: str | None, phone_bidx: str | None) -> list[Contact]:
        stmt = self._scoped()
        if email_bidx is not None:
            stmt = stmt.where(Contact.email_bidx == email_bidx)
        if phone_bidx is not None:
            stmt = stmt.where(Contact.phone_bidx == phone_bidx)
        return list(self.session.scalars(stmt.order_by(Contact.id.desc()).limit(100)))

    def ids_after(self, after: str | None, limit: int) -> list[str]:
        stmt = select(Contact.id).where(Contact.tenant_id == self.tenant_id)
        if after:
            stmt = stmt.where(Contact.id > after)
        return list(self.session.scalars(stmt.order_by(Contact.id).limit(limit)))
