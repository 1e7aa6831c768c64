"""/v1/applicants and /v1/verification-levels: thin; rules live in the services."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from aegis.api.deps import (
    AdminCtx,
    PageDep,
    ReadCtx,
    ReadSessionDep,
    ServicesDep,
    SessionDep,
    get_platform,
    get_services,
    require,
)
from aegis.api.responses import json_response
from aegis.auth.context import Ctx, Scope
from aegis.checks.phone.sms import SandboxSmsGateway
from aegis.errors import (
    Forbidden,
    InvalidState,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    responses,
)
from aegis.kit.pagination import PageOut, page_out
from aegis.kyc.levels import LevelPolicy
from aegis.kyc.levels_service import ResolvedLevel
from aegis.kyc.models import Applicant
from aegis.kyc.repository import CheckRepository, HistoryRepository
from aegis.kyc.schemas import (
    ApplicantCreate,
    ApplicantOut,
    ApplicantUpdate,
    CheckOut,
    HistoryOut,
    PhoneCodeConfirm,
    ReasonOut,
)
from aegis.kyc.service import ApplicantService, reason_out
from aegis.kyc.states import Status
from aegis.privacy.blind_index import normalise_phone

router = APIRouter(prefix="/v1", tags=["applicants"])
WriteCtx = Annotated[Ctx, Depends(require(Scope.KYC_WRITE))]


def applicant_out(
    service: ApplicantService,
    session: Session | None,
    row: Applicant,
    missing: list[str] | None = None,
) -> ApplicantOut:
    """``missing``: the row's missing steps if known, else read with ``session``."""
    if missing is None:
        assert session is not None
        missing = service.missing_steps(session, row, service.level_of(session, row))
    return ApplicantOut(
        id=row.id,
        external_id=row.external_id,
        level=row.level,
        level_version=row.level_version,
        status=row.status,
        risk_rating=row.risk_rating,
        attempt=row.attempt,
        profile=service.profile(row),
        phone_verified=row.phone_verified_at is not None,
        missing_steps=missing,
        resubmission_steps=list(row.resubmission_steps),
        reasons=[ReasonOut(**reason_out(c)) for c in row.decision_codes],
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
    )


@router.post(
    "/applicants",
    response_model=ApplicantOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden),
)
async def create_applicant(spec: ApplicantCreate, ctx: WriteCtx, request: Request) -> Response:
    """Register an applicant under a verification level (default `basic`).

    With `"submit": true` the applicant is submitted in the same request (see the submit
    operation), so a level whose checks are all local answers with the decision."""

    applicants = get_services(request).applicants
    # The profile is encrypted and blind-indexed here, before the write transaction; the
    # database work goes to the group commit, which writes the applicants arriving
    # together in one transaction (one write lock, one commit, one INSERT per table).
    fresh = [applicants.new_row(ctx, spec)]

    def work(session: Session) -> tuple[Applicant, list[str]]:
        # A failed batch is written again unit by unit, and the first row then carries
        # the statuses of the attempt rolled back: a retry starts from a new one.
        row = fresh.pop() if fresh else applicants.new_row(ctx, spec)
        applicants.create(session, ctx, spec, row)
        return row, applicants.missing_steps(session, row, applicants.level_of(session, row))

    row, missing = await get_platform(request).db.group.submit_async(work)
    return json_response(applicant_out(applicants, None, row, missing), status_code=201)


@router.get("/applicants", response_model=PageOut[ApplicantOut], responses=responses(Forbidden))
async def list_applicants(
    ctx: ReadCtx,
    session: ReadSessionDep,
    services: ServicesDep,
    page: PageDep,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    level: Annotated[str | None, Query(max_length=40)] = None,
    risk: Annotated[str | None, Query(pattern="^(low|medium|high)$")] = None,
    external_id: Annotated[str | None, Query(max_length=100)] = None,
) -> PageOut[ApplicantOut]:
    """Newest first, filtered by status, level, risk rating or your external id."""
    result = services.applicants.list_page(
        session,
        ctx,
        page,
        status=status_.value if status_ else None,
        level=level,
        risk=risk,
        external_id=external_id,
    )
    return page_out(result, lambda r: applicant_out(services.applicants, session, r))


@router.get(
    "/applicants/{applicant_id}",
    response_model=ApplicantOut,
    responses=responses(Forbidden, NotFound),
)
async def get_applicant(
    applicant_id: str, ctx: ReadCtx, session: ReadSessionDep, services: ServicesDep
) -> ApplicantOut:
    """Status, reasons with hints, and what is still missing."""
    return applicant_out(
        services.applicants, session, services.applicants.get(session, ctx, applicant_id)
    )


@router.patch(
    "/applicants/{applicant_id}",
    response_model=ApplicantOut,
    responses=responses(Forbidden, NotFound, InvalidState),
)
def update_applicant(
    applicant_id: str,
    change: ApplicantUpdate,
    ctx: WriteCtx,
    session: SessionDep,
    services: ServicesDep,
) -> ApplicantOut:
    """Change data while collecting or resubmitting. Changing identity data of an approved
    applicant sends it to `reverification_required`."""
    row = services.applicants.update(session, ctx, applicant_id, change)
    return applicant_out(services.applicants, session, row)


@router.post(
    "/applicants/{applicant_id}/submit",
    response_model=ApplicantOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(Forbidden, NotFound, InvalidState),
)
def submit_applicant(
    applicant_id: str, ctx: WriteCtx, session: SessionDep, services: ServicesDep
) -> ApplicantOut:
    """Everything is provided: run the checks. When every check of the level is local (no
    registry or bank lookup for this applicant) they run now and the response carries the
    decision; otherwise they run in the background (status `submitted`, then `checking`).
    Either way each status change arrives as the webhook `applicant.status_changed`."""
    row = services.applicants.submit(session, ctx, applicant_id)
    return applicant_out(services.applicants, session, row)


@router.get(
    "/applicants/{applicant_id}/checks",
    response_model=list[CheckOut],
    responses=responses(Forbidden, NotFound),
)
async def list_checks(
    applicant_id: str, ctx: ReadCtx, session: ReadSessionDep, services: ServicesDep
) -> list[CheckOut]:
    """Every check of every attempt, with its outcome, codes and PII-free details."""
    row = services.applicants.get(session, ctx, applicant_id)
    return [
        CheckOut.model_validate(c)
        for c in CheckRepository(session, ctx.tenant_id).for_applicant(row.id)
    ]


@router.get(
    "/applicants/{applicant_id}/history",
    response_model=list[HistoryOut],
    responses=responses(Forbidden, NotFound),
)
async def list_history(
    applicant_id: str, ctx: ReadCtx, session: ReadSessionDep, services: ServicesDep
) -> list[HistoryOut]:
    """Every status change, who made it and why."""
    row = services.applicants.get(session, ctx, applicant_id)
    return [
        HistoryOut.model_validate(h)
        for h in HistoryRepository(session, ctx.tenant_id).for_applicant(row.id)
    ]


class LevelOut(LevelPolicy):
    version: int


def level_out(level: ResolvedLevel) -> LevelOut:
    return LevelOut(**level.policy.model_dump(), version=level.version)


@router.get(
    "/verification-levels",
    response_model=list[LevelOut],
    tags=["verification levels"],
    responses=responses(Forbidden),
)
async def list_levels(
    ctx: ReadCtx, session: ReadSessionDep, services: ServicesDep
) -> list[LevelOut]:
    """The latest version of every level (built-in defaults have version 0)."""
    return [level_out(lv) for lv in services.applicants.levels.all(session, ctx.tenant_id)]


@router.get(
    "/verification-levels/{name}",
    response_model=LevelOut,
    tags=["verification levels"],
    responses=responses(Forbidden, NotFound),
)
async def get_level(
    name: str, ctx: ReadCtx, session: ReadSessionDep, services: ServicesDep
) -> LevelOut:
    return level_out(services.applicants.levels.get(session, ctx.tenant_id, name))


@router.post(
    "/verification-levels",
    response_model=LevelOut,
    status_code=status.HTTP_201_CREATED,
    tags=["verification levels"],
    responses=responses(Forbidden),
)
def publish_level(
    policy: LevelPolicy, ctx: AdminCtx, session: SessionDep, services: ServicesDep
) -> LevelOut:
    """Publish a new version of a level (new or overriding a default)."""
    return level_out(services.applicants.levels.publish(session, ctx, policy))


class PhoneCodeSent(BaseModel):
    challenge_id: str
    expires_at: str
    sends_left: int
    resend_after_seconds: int


class PhoneCodeResult(BaseModel):
    verified: bool
    result: str = Field(description="`ok`, `wrong_code`, `expired` or `too_many_attempts`.")
    hint_en: str
    hint_zh: str


_OTP_HINTS = {
    "ok": ("Your phone number is confirmed.", "手机号码验证成功。"),
    "wrong_code": (
        "That code is not right; check the SMS and try again.",
        "验证码错误，请核对短信后重试。",
    ),
    "expired": ("The code has expired; ask for a new one.", "验证码已过期，请重新获取。"),
    "too_many_attempts": (
        "Too many wrong codes; ask for a new one later.",
        "错误次数过多，请稍后重新获取。",
    ),
}


@router.post(
    "/applicants/{applicant_id}/phone-verification",
    response_model=PhoneCodeSent,
    status_code=status.HTTP_202_ACCEPTED,
    tags=["phone verification"],
    responses=responses(Forbidden, NotFound, InvalidState, RateLimited, ServiceUnavailable),
)
def send_phone_code(
    applicant_id: str, ctx: WriteCtx, session: SessionDep, services: ServicesDep
) -> PhoneCodeSent:
    """Send (or resend) a 6-digit code by SMS to the applicant's phone."""
    sent = services.phone.send(session, ctx, applicant_id)
    return PhoneCodeSent(**asdict(sent))


@router.post(
    "/applicants/{applicant_id}/phone-verification/confirm",
    response_model=PhoneCodeResult,
    tags=["phone verification"],
    responses=responses(Forbidden, NotFound, InvalidState),
)
def confirm_phone_code(
    applicant_id: str,
    body: PhoneCodeConfirm,
    ctx: WriteCtx,
    session: SessionDep,
    services: ServicesDep,
) -> PhoneCodeResult:
    """Check the code the applicant typed. A wrong code answers 200 with `verified: false`,
    so the attempt counts (an error would roll the count back)."""
    result = services.phone.confirm(session, ctx, applicant_id, body.code).value
    en, zh = _OTP_HINTS[result]
    return PhoneCodeResult(verified=result == "ok", result=result, hint_en=en, hint_zh=zh)


class SandboxCode(BaseModel):
    code: str = Field(description="The last code the sandbox SMS gateway 'sent' to this phone.")


@router.get(
    "/applicants/{applicant_id}/phone-verification/sandbox-code",
    response_model=SandboxCode,
    tags=["phone verification"],
    responses=responses(Forbidden, NotFound),
)
async def sandbox_code(
    applicant_id: str, ctx: WriteCtx, session: ReadSessionDep, services: ServicesDep
) -> SandboxCode:
    """Sandbox adapters only (404 otherwise): read the code back, as a test phone would."""
    platform = services.applicants.platform
    sms = platform.kyc.sms
    row = services.applicants.get(session, ctx, applicant_id)
    if not platform.kyc.sandbox or not isinstance(sms, SandboxSmsGateway):
        raise NotFound("sandbox codes exist only with sandbox adapters")
    code = sms.last_code_for(normalise_phone(services.applicants.profile(row)["phone"]))
    if code is None:
        raise NotFound("no code was sent to this applicant's phone")
    return SandboxCode(code=code)
