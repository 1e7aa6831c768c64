"""/v1/applicants/{id}/liveness: issue an active-liveness challenge, then answer it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from aegis.api.deps import ReadCtx, ReadSessionDep, ServicesDep, SessionDep, require
from aegis.auth.context import Ctx, Scope
from aegis.errors import (
    FieldError,
    Forbidden,
    InvalidState,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
    responses,
)
from aegis.kyc.faces.models import LivenessCheck
from aegis.kyc.schemas import ReasonOut
from aegis.kyc.service import reason_out

router = APIRouter(prefix="/v1/applicants/{applicant_id}/liveness", tags=["liveness"])
WriteCtx = Annotated[Ctx, Depends(require(Scope.KYC_WRITE))]
MIN_FRAMES, MAX_FRAMES = 3, 60
MAX_FRAME_BYTES = 2 * 1024 * 1024


class LivenessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str = Field(description="`issued`, then `passed` or `failed` (answered once).")
    actions: list[str] = Field(description="What the applicant must do, in this order.")
    attempt: int
    issued_at: datetime
    expires_at: datetime
    completed_at: datetime | None
    reasons: list[ReasonOut]
    details: dict[str, Any] = Field(description="Why it failed (no images, no biometrics).")


def liveness_out(row: LivenessCheck) -> LivenessOut:
    return LivenessOut.model_validate(
        {
            **{k: getattr(row, k) for k in ("id", "status", "actions", "attempt")},
            "issued_at": row.issued_at,
            "expires_at": row.expires_at,
            "completed_at": row.completed_at,
            "reasons": [reason_out(c) for c in row.codes],
            "details": row.details,
        }
    )


@router.post(
    "",
    response_model=LivenessOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden, NotFound, InvalidState),
)
def issue_liveness(
    applicant_id: str, ctx: WriteCtx, session: SessionDep, services: ServicesDep
) -> LivenessOut:
    """A fresh random challenge (turn left, turn right, blink), valid for two minutes."""
    return liveness_out(services.liveness.issue(session, ctx, applicant_id))


@router.get("/{liveness_id}", response_model=LivenessOut, responses=responses(Forbidden, NotFound))
async def get_liveness(
    applicant_id: str,
    liveness_id: str,
    ctx: ReadCtx,
    session: ReadSessionDep,
    services: ServicesDep,
) -> LivenessOut:
    return liveness_out(services.liveness.get(session, ctx, applicant_id, liveness_id))


@router.post(
    "/{liveness_id}",
    response_model=LivenessOut,
    responses=responses(Forbidden, NotFound, InvalidState, PayloadTooLarge, ValidationFailed),
)
def answer_liveness(
    applicant_id: str,
    liveness_id: str,
    frames: Annotated[
        list[UploadFile],
        File(description=f"{MIN_FRAMES} to {MAX_FRAMES} JPEG or PNG frames, oldest first."),
    ],
    ctx: WriteCtx,
    services: ServicesDep,
) -> LivenessOut:
    """The frames the applicant's camera took while doing the actions (unmirrored). They
    are judged now and not stored: only the outcome and a fingerprint that refuses a
    replay of the same frames are kept."""
    if not MIN_FRAMES <= len(frames) <= MAX_FRAMES:
        raise ValidationFailed(
            f"send {MIN_FRAMES} to {MAX_FRAMES} frames",
            errors=[FieldError("#/frames", "wrong number of frames", "frame_count")],
        )
    data = [f.file.read(MAX_FRAME_BYTES + 1) for f in frames]
    if any(len(d) > MAX_FRAME_BYTES for d in data):
        raise PayloadTooLarge(f"each frame must be at most {MAX_FRAME_BYTES} bytes")
    return liveness_out(services.liveness.answer(ctx, applicant_id, liveness_id, data))
