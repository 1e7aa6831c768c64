"""/v1/transactions, /v1/decisions, /v1/labels, /v1/alerts: payments in, decisions out.

Thin: validation is pydantic's and the intake's, decisions are the decision service's."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from aegis.api.deps import (
    PageDep,
    ReadCtx,
    ServicesDep,
    SessionDep,
    authorize,
    get_services,
    require,
)
from aegis.api.problems import handle_aegis
from aegis.api.responses import json_response
from aegis.auth.context import Ctx, Scope
from aegis.errors import (
    AegisError,
    Forbidden,
    InvalidState,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    responses,
)
from aegis.kit.pagination import PageOut, page_out
from aegis.risk.decisions import Decided, TransactionConflict
from aegis.risk.intake import IntakeRejected, TransactionIn
from aegis.risk.model import Transaction
from aegis.risk.schemas import (
    AlertOut,
    DecisionExplained,
    DecisionOut,
    LabelIn,
    LabelOut,
)
from aegis.services import Services

router = APIRouter(tags=["risk"])
RiskCtx = Annotated[Ctx, Depends(require(Scope.RISK_WRITE))]


def decision_out(services: Services, decided: Decided) -> DecisionOut:
    return DecisionOut.model_validate(services.risk_views.decision(decided))


@router.post(
    "/v1/transactions",
    response_model=DecisionOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": DecisionOut, "description": "Decided before: the same decision."},
        **responses(Forbidden, TransactionConflict),
    },
)
async def create_transaction(body: TransactionIn, ctx: RiskCtx, request: Request) -> Response:
    """Decide a payment now: `approve`, `review`, `step_up` or `decline`, with the rules that
    hit and the model's reasons. Sending the same transaction id again returns the same
    decision (200) and changes nothing; the same id with another body is a 409. The answer
    comes once the decision is stored."""
    # The services from the request: as a dependency FastAPI spends more on solving them.
    services = get_services(request)
    await services.decisions.ready(ctx.tenant_id)
    try:
        tx = services.risk_views.intake_now(ctx, body)
    except IntakeRejected as exc:
        raise exc.to_problem() from None
    return await _decided(services, ctx, tx)


async def _decided(services: Services, ctx: Ctx, tx: Transaction) -> Response:
    decided = await services.decisions.decide_now(ctx, tx, source="json")
    return json_response(
        decision_out(services, decided),
        status_code=status.HTTP_200_OK if decided.replayed else status.HTTP_201_CREATED,
    )


async def create_transaction_lane(request: Request, body: bytes) -> Response | None:
    """``create_transaction`` on the fast lane (see ``aegis.api.fastlane``): the plain case
    only. A caller, body or transaction it would refuse goes on to ``create_transaction``
    (``None``), which refuses it; nothing has been written or counted by then."""
    try:
        ctx = await authorize(request, Scope.RISK_WRITE)
        data = orjson.loads(body)
    except (AegisError, orjson.JSONDecodeError):
        return None
    try:
        # Python mode on the parsed object, as FastAPI validates a body: the same answers.
        spec = TransactionIn.model_validate(data) if isinstance(data, dict) else None
    except ValidationError:
        return None
    if spec is None:
        return None
    services = get_services(request)
    await services.decisions.ready(ctx.tenant_id)
    try:
        tx = services.risk_views.intake_now(ctx, spec)
    except IntakeRejected:
        return None
    try:
        return await _decided(services, ctx, tx)
    except AegisError as exc:  # a conflict with a stored transaction: rendered as anywhere
        return await handle_aegis(request, exc)


_ISO_DOC = {
    "requestBody": {
        "required": True,
        "description": "An ISO 20022 pacs.008 (FI to FI customer credit transfer) or pacs.002 "
        "(payment status report), as XML (`application/xml`, versions 001.07 and 001.10 of "
        "pacs.008, 001.03 and 001.12 of pacs.002) or in Tazama's JSON form "
        "(`application/json`). See docs/risk-intake.md.",
        "content": {
            "application/xml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


async def raw_body(request: Request) -> tuple[bytes, str]:
    return await request.body(), request.headers.get("content-type", "")


@router.post(
    "/v1/transactions/iso20022",
    response_model=list[DecisionOut] | dict[str, list[str]],
    status_code=status.HTTP_200_OK,
    openapi_extra=_ISO_DOC,
    responses=responses(Forbidden, PayloadTooLarge, UnsupportedMediaType, TransactionConflict),
)
def create_iso20022(
    body: Annotated[tuple[bytes, str], Depends(raw_body)],
    ctx: RiskCtx,
    session: SessionDep,
    services: ServicesDep,
) -> list[DecisionOut] | dict[str, list[str]]:
    """A pacs.008 is decided transaction by transaction (a list of decisions, in message
    order); a pacs.002 updates the status of the transactions it reports on
    (`{"updated": [txn ids]}`)."""
    data, content_type = body
    result = services.risk_views.iso20022(session, ctx, data, content_type)
    if isinstance(result, dict):
        return result
    return [decision_out(services, d) for d in result]


@router.get(
    "/v1/decisions/{decision_id}",
    response_model=DecisionExplained,
    responses=responses(Forbidden, NotFound),
)
def explain_decision(
    decision_id: str, ctx: ReadCtx, session: SessionDep, services: ServicesDep
) -> DecisionExplained:
    """Why: every rule execution (hit or not, score, the values it read, duration), the
    features, the list matches, the champion's and the challenger's scores with reasons."""
    return DecisionExplained.model_validate(services.risk_views.explain(session, ctx, decision_id))


@router.get("/v1/decisions", response_model=PageOut[DecisionOut], responses=responses(Forbidden))
def list_decisions(
    ctx: ReadCtx,
    session: SessionDep,
    services: ServicesDep,
    page: PageDep,
    outcome: Annotated[Literal["approve", "review", "step_up", "decline"] | None, Query()] = None,
) -> PageOut[DecisionOut]:
    result = services.risk_views.decisions(session, ctx, page, outcome=outcome)
    return page_out(result, lambda row: DecisionOut.model_validate(row))


@router.post(
    "/v1/labels",
    response_model=LabelOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden, NotFound),
)
def create_label(
    body: LabelIn, ctx: RiskCtx, session: SessionDep, services: ServicesDep
) -> LabelOut:
    """Late truth about a transaction (a chargeback, confirmed fraud, or cleared as genuine).
    Features use it only after the tenant's label delay, as a real chargeback feed lags."""
    return LabelOut.model_validate(services.risk_views.label(session, ctx, body))


@router.get("/v1/alerts", response_model=PageOut[AlertOut], responses=responses(Forbidden))
def list_alerts(
    ctx: ReadCtx,
    session: SessionDep,
    services: ServicesDep,
    page: PageDep,
    status_: Annotated[Literal["open", "closed"] | None, Query(alias="status")] = None,
) -> PageOut[AlertOut]:
    """Decisions that need a person (review, step_up, decline), newest first."""
    result = services.risk_views.alerts(session, ctx, page, status=status_)
    return page_out(result, AlertOut.model_validate)


class StepUpSentOut(BaseModel):
    step_up_id: str
    expires_at: str


class StepUpCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{4,8}$")]


class StepUpResultOut(BaseModel):
    result: Literal["ok", "wrong_code", "expired", "too_many_attempts"]
    passed: bool


@router.post(
    "/v1/decisions/{decision_id}/step-up",
    response_model=StepUpSentOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(Forbidden, NotFound, InvalidState),
)
def send_step_up(
    decision_id: str, ctx: RiskCtx, session: SessionDep, services: ServicesDep
) -> StepUpSentOut:
    """For a `step_up` decision whose customer is an Aegis applicant with a verified phone:
    send a one-time code to that phone (5 minutes, 5 attempts)."""
    sent = services.step_up.send(session, ctx, decision_id)
    return StepUpSentOut(step_up_id=sent.step_up_id, expires_at=sent.expires_at)


@router.post(
    "/v1/decisions/{decision_id}/step-up/confirm",
    response_model=StepUpResultOut,
    responses=responses(Forbidden, NotFound, InvalidState),
)
def confirm_step_up(
    decision_id: str,
    body: StepUpCode,
    ctx: RiskCtx,
    session: SessionDep,
    services: ServicesDep,
) -> StepUpResultOut:
    """Check the code the customer typed; `passed` means the payment may go through
    (webhook `risk.step_up_passed`)."""
    return StepUpResultOut.model_validate(
        services.step_up.confirm(session, ctx, decision_id, body.code)
    )
