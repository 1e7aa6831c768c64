"""/v1/applicants/{id}/documents: multipart uploads, sniffed, cleaned and sealed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict

from aegis.api.deps import ReadCtx, ReadSessionDep, ServicesDep, SessionDep, require
from aegis.auth.context import Ctx, Scope
from aegis.errors import Forbidden, InvalidState, NotFound, PayloadTooLarge, responses
from aegis.kyc.documents.files import UPLOAD_ERRORS, DocumentKind, UploadLimits, process_upload
from aegis.kyc.models import ApplicantDocument

router = APIRouter(prefix="/v1/applicants/{applicant_id}/documents", tags=["documents"])
WriteCtx = Annotated[Ctx, Depends(require(Scope.KYC_WRITE))]
LIMITS = UploadLimits()


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    media_type: str
    size: int
    width: int | None
    height: int | None
    sha256: str
    attempt: int
    signals: dict[str, Any]
    created_at: datetime


def document_out(doc: ApplicantDocument) -> DocumentOut:
    return DocumentOut.model_validate(doc)


@router.post(
    "",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden, NotFound, InvalidState, PayloadTooLarge, *UPLOAD_ERRORS),
)
def upload_document(
    applicant_id: str,
    kind: Annotated[DocumentKind, Form(description="What the file shows.")],
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP (PDF for address proofs).")],
    ctx: WriteCtx,
    session: SessionDep,
    services: ServicesDep,
) -> DocumentOut:
    """Upload one document image or selfie. The real type is sniffed from the bytes; EXIF
    and other metadata are removed (orientation applied first) and the file is stored
    encrypted."""
    # Refuse work for someone else's applicant before touching the bytes.
    services.applicants.get(session, ctx, applicant_id)
    data = file.file.read(LIMITS.max_bytes + 1)
    processed = process_upload(data, declared_type=file.content_type, kind=kind, limits=LIMITS)
    return document_out(services.documents.add(session, ctx, applicant_id, processed))


@router.get("", response_model=list[DocumentOut], responses=responses(Forbidden, NotFound))
async def list_documents(
    applicant_id: str, ctx: ReadCtx, session: ReadSessionDep, services: ServicesDep
) -> list[DocumentOut]:
    return [document_out(d) for d in services.documents.list_for(session, ctx, applicant_id)]


@router.get(
    "/{document_id}/content",
    response_class=Response,
    responses={
        200: {
            "content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}, "application/pdf": {}},
            "description": "The cleaned file.",
        },
        **responses(Forbidden, NotFound),
    },
)
def document_content(
    applicant_id: str, document_id: str, ctx: ReadCtx, session: SessionDep, services: ServicesDep
) -> Response:
    """The stored (cleaned) file. Every download is audited."""
    data, media_type = services.documents.content(session, ctx, applicant_id, document_id)
    return Response(
        data,
        media_type=media_type,
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "attachment",
        },
    )
