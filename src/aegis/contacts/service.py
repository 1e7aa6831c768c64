"""Compliance contacts: PII in, ciphertext and blind indexes stored, plaintext only on read.

Changes are announced as webhooks (`contact.created|updated|deleted`) carrying ids and
field names only, never the PII itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.contacts.models import Contact
from aegis.contacts.repository import ContactRepository, ContactRow, read_contact
from aegis.contacts.schemas import ContactCreate, ContactOut, ContactSearch, ContactUpdate
from aegis.errors import FieldError, NotFound, ValidationFailed
from aegis.ids import new_id
from aegis.kit.pagination import Page, PageRequest
from aegis.kit.time import utcnow
from aegis.partners.webhooks.service import emit
from aegis.privacy.blind_index import IndexKind
from aegis.privacy.registry import row_aad
from aegis.storage.hot import LoopReads

if TYPE_CHECKING:
    from aegis.platform import Platform

_FIELDS = ("name", "email", "phone", "notes")


class ContactService:
    def __init__(self, platform: Platform) -> None:
        self.vault = platform.vault
        self.indexer = platform.indexer
        self.audit = platform.audit
        self.db = platform.db

    def _seal(self, row: Contact, field: str, value: str | None) -> None:
        setattr(
            row, f"{field}_enc", self.vault.encrypt_optional(value, row_aad(row, f"{field}_enc"))
        )
        if field == "email" and value is not None:
            row.email_bidx = self.indexer.compute(row.tenant_id, IndexKind.EMAIL, value)
        if field == "phone":
            row.phone_bidx = self.indexer.compute_optional(row.tenant_id, IndexKind.PHONE, value)

    def _open(self, row: Contact | ContactRow, field: str) -> str | None:
        return self.vault.decrypt_optional(
            getattr(row, f"{field}_enc"), row_aad(row, f"{field}_enc")
        )

    def to_out(self, row: Contact | ContactRow) -> ContactOut:
        return ContactOut(
            id=row.id,
            role=row.role,
            name=self._open(row, "name") or "",
            email=self._open(row, "email") or "",
            phone=self._open(row, "phone"),
            notes=self._open(row, "notes"),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def create(self, session: Session, ctx: Ctx, spec: ContactCreate) -> Contact:
        row = Contact(id=new_id("con"), tenant_id=ctx.tenant_id, role=spec.role.value)
        row.created_at = row.updated_at = utcnow()
        for field in _FIELDS:
            self._seal(row, field, getattr(spec, field))
        ContactRepository(session, ctx.tenant_id).add(row)
        self.audit.record(
            session, ctx, action="contact.created", target_type="contact", target_id=row.id
        )
        emit(session, ctx.tenant_id, "contact.created", {"contact_id": row.id, "role": row.role})
        return row

    def get(self, session: Session, ctx: Ctx, contact_id: str) -> Contact:
        row = ContactRepository(session, ctx.tenant_id).get(contact_id)
        if row is None:
            raise NotFound(f"contact {contact_id} not found")
        return row

    def read(self, ctx: Ctx, contact_id: str) -> ContactOut:
        """``get`` for an ``async def`` endpoint: on the event loop's own connection (see
        ``LoopReads``), without the ORM, and nothing awaited while it is held."""
        with LoopReads(self.db) as reads:
            row = read_contact(reads, ctx.tenant_id, contact_id)
        if row is None:
            raise NotFound(f"contact {contact_id} not found")
        return self.to_out(row)

    def update(self, session: Session, ctx: Ctx, contact_id: str, change: ContactUpdate) -> Contact:
        row = self.get(session, ctx, contact_id)
        changed = sorted(change.model_fields_set)
        for field in changed:
            value = getattr(change, field)
            if field == "role":
                if value is None:
                    raise ValidationFailed(errors=[FieldError("#/role", "cannot be null", "null")])
                row.role = value.value
            elif field in ("name", "email") and value is None:
                raise ValidationFailed(errors=[FieldError(f"#/{field}", "cannot be null", "null")])
            else:
                self._seal(row, field, value)
        row.updated_at = utcnow()
        self.audit.record(
            session,
            ctx,
            action="contact.updated",
            target_type="contact",
            target_id=row.id,
            details={"fields": changed},
        )
        emit(
            session,
            ctx.tenant_id,
            "contact.updated",
            {"contact_id": row.id, "role": row.role, "changed_fields": changed},
        )
        return row

    def delete(self, session: Session, ctx: Ctx, contact_id: str) -> None:
        row = self.get(session, ctx, contact_id)
        session.delete(row)
        self.audit.record(
            session, ctx, action="contact.deleted", target_type="contact", target_id=contact_id
        )
        emit(session, ctx.tenant_id, "contact.deleted", {"contact_id": contact_id})

    def list_page(self, session: Session, ctx: Ctx, page: PageRequest) -> Page[Contact]:
        return ContactRepository(session, ctx.tenant_id).list_page(page)

    def search(self, session: Session, ctx: Ctx, query: ContactSearch) -> list[Contact]:
        if query.email is None and query.phone is None:
            raise ValidationFailed(
                "Give an e-mail, a phone number or both.",
                errors=[FieldError("#", "at least one of email, phone", "missing")],
            )
        return ContactRepository(session, ctx.tenant_id).find(
            email_bidx=self.indexer.compute_optional(ctx.tenant_id, IndexKind.EMAIL, query.email),
            phone_bidx=self.indexer.compute_optional(ctx.tenant_id, IndexKind.PHONE, query.phone),
        )
