"""Storing processed uploads: sealed in the blob store, described in the database."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.errors import InvalidState, NotFound
from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.kyc.documents.files import ProcessedUpload
from aegis.kyc.models import ApplicantDocument
from aegis.kyc.repository import DocumentRepository
from aegis.kyc.states import EDITABLE, Status

if TYPE_CHECKING:
    from aegis.kyc.service import ApplicantService


class DocumentService:
    def __init__(self, applicants: ApplicantService) -> None:
        self.applicants = applicants
        self.blobs = applicants.platform.blobs
        self.audit = applicants.audit

    def add(
        self, session: Session, ctx: Ctx, applicant_id: str, upload: ProcessedUpload
    ) -> ApplicantDocument:
        row = self.applicants.get(session, ctx, applicant_id)
        if Status(row.status) not in EDITABLE:
            raise InvalidState(f"an applicant in status {row.status} takes no uploads")
        # The blob is written before the row: a crash leaves an orphan file (sealed, and
        # swept later), never a row pointing at nothing.
        blob_id = self.blobs.put(ctx.tenant_id, upload.content)
        signals = {k: v for k, v in asdict(upload.signals).items() if v not in (None, (), [])}
        signals["declared_type_mismatch"] = upload.declared_type_mismatch
        if upload.page_count is not None:
            signals["page_count"] = upload.page_count
        doc = DocumentRepository(session, ctx.tenant_id).add(
            ApplicantDocument(
                id=new_id("doc"),
                tenant_id=ctx.tenant_id,
                applicant_id=row.id,
                attempt=row.attempt,
                kind=upload.kind.value,
                blob_id=blob_id,
                media_type=upload.media_type.value,
                size=upload.size,
                sha256=upload.sha256,
                width=upload.width,
                height=upload.height,
                signals=signals,
                created_at=utcnow(),
            )
        )
        row.updated_at = utcnow()
        self.audit.record(
            session,
            ctx,
            action="document.uploaded",
            target_type="document",
            target_id=doc.id,
            details={"applicant_id": row.id, "kind": doc.kind, "media_type": doc.media_type},
        )
        return doc

    def list_for(self, session: Session, ctx: Ctx, applicant_id: str) -> list[ApplicantDocument]:
        self.applicants.get(session, ctx, applicant_id)  # 404 for another tenant's applicant
        return DocumentRepository(session, ctx.tenant_id).for_applicant(applicant_id)

    def get(
        self, session: Session, ctx: Ctx, applicant_id: str, document_id: str
    ) -> ApplicantDocument:
        self.applicants.get(session, ctx, applicant_id)
        doc = DocumentRepository(session, ctx.tenant_id).get_for(applicant_id, document_id)
        if doc is None:
            raise NotFound(f"document {document_id} not found")
        return doc

    def content(
        self, session: Session, ctx: Ctx, applicant_id: str, document_id: str
    ) -> tuple[bytes, str]:
        doc = self.get(session, ctx, applicant_id, document_id)
        self.audit.record(
            session, ctx, action="document.viewed", target_type="document", target_id=doc.id
        )
        return self.blobs.get(ctx.tenant_id, doc.blob_id), doc.media_type
