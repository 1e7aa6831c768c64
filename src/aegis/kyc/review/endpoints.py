"""/v1/reviews: the audit team's queue. Needs the `kyc:review` scope."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from aegis.api.deps import PageDep, ReadSessionDep, ServicesDep, SessionDep, require
from aegis.auth.context import Ctx, Scope
from aegis.errors import Conflict, Forbidden, InvalidState, NotFound, responses
from aegis.kit.pagination import PageOut, page_out
from aegis.kit.time import utcnow
from aegis.kyc.documents.endpoints import DocumentOut, document_out
from aegis.kyc.endpoints import applicant_out
from aegis.kyc.levels import Step
from aegis.kyc.models import Review
from aegis.kyc.repository import CheckRepository, DocumentRepository, HistoryRepository
from aegis.kyc.schemas import ApplicantOut, CheckOut, HistoryOut

router = APIRouter(prefix="/v1/reviews", tags=["review queue"])
ReviewerCtx = Annotated[Ctx, Depends(require(Scope.KYC_REVIEW))]


class ReviewOut(BaseModel):
    id: str
    applicant_id: str
    attempt: int
    status: str = Field(description="`pending`, `claimed`, `awaiting_second` or `decided`.")
    requires_four_eyes: bool
    reason_codes: list[str]
    opened_at: datetime
    sla_age_seconds: int = Field(description="How long the review has been waiting.")
    sla_breached: bool
    claimed_by: str | None
    first_reviewer: str | None
    first_decision: str | None
    final_decision: str | None
    decided_at: datetime | None


class ReviewDetail(ReviewOut):
    applicant: ApplicantOut
    checks: list[CheckOut]
    documents: list[DocumentOut]
    history: list[HistoryOut]


class ReviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "resubmit"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]
    steps: list[Step] = Field(default_factory=list, description="For `resubmit`: what to redo.")


def review_out(review: Review, sla_hours: int = 24) -> ReviewOut:
    age = int((utcnow() - review.opened_at).total_seconds())
    return ReviewOut(
        id=review.id,
        applicant_id=review.applicant_id,
        attempt=review.attempt,
        status=review.status,
        requires_four_eyes=review.requires_four_eyes,
        reason_codes=review.reason_codes,
        opened_at=review.opened_at,
        sla_age_seconds=age,
        sla_breached=review.status != "decided" and age > sla_hours * 3600,
        claimed_by=review.claimed_by,
        first_reviewer=review.first_reviewer,
        first_decision=review.first_decision,
        final_decision=review.final_decision,
        decided_at=review.decided_at,
    )


@router.get("", response_model=PageOut[ReviewOut], responses=responses(Forbidden))
async def review_queue(
    ctx: ReviewerCtx,
    session: ReadSessionDep,
    services: ServicesDep,
    page: PageDep,
    status: Annotated[
        str | None, Query(pattern="^(pending|claimed|awaiting_second|decided)$")
    ] = None,
) -> PageOut[ReviewOut]:
    """Open reviews, oldest first, with their SLA age (all open ones unless filtered)."""
    result = services.reviews.queue(session, ctx, page, status)
    return page_out(result, review_out)


@router.get("/{review_id}", response_model=ReviewDetail, responses=responses(Forbidden, NotFound))
def get_review(
    review_id: str, ctx: ReviewerCtx, session: SessionDep, services: ServicesDep
) -> ReviewDetail:
    """Everything a reviewer needs: applicant data, every check with evidence, uploads,
    history. Viewing is audited, since it shows PII."""
    review = services.reviews.get(session, ctx, review_id)
    applicant = services.applicants.get(session, ctx, review.applicant_id)
    services.applicants.audit.record(
        session,
        ctx,
        action="review.viewed",
        target_type="review",
        target_id=review.id,
    )
    tenant = ctx.tenant_id
    return ReviewDetail(
        **review_out(review).model_dump(),
        applicant=applicant_out(services.applicants, session, applicant),
        checks=[
            CheckOut.model_validate(c)
            for c in CheckRepository(session, tenant).for_applicant(applicant.id)
        ],
        documents=[
            document_out(d) for d in DocumentRepository(session, tenant).for_applicant(applicant.id)
        ],
        history=[
            HistoryOut.model_validate(h)
            for h in HistoryRepository(session, tenant).for_applicant(applicant.id)
        ],
    )


@router.post(
    "/{review_id}/claim",
    response_model=ReviewOut,
    responses=responses(Forbidden, NotFound, Conflict, InvalidState),
)
def claim_review(
    review_id: str, ctx: ReviewerCtx, session: SessionDep, services: ServicesDep
) -> ReviewOut:
    """Take a review (for 30 minutes); the second review of four eyes needs another person."""
    return review_out(services.reviews.claim(session, ctx, review_id))


@router.post(
    "/{review_id}/decision",
    response_model=ReviewOut,
    responses=responses(Forbidden, NotFound, Conflict, InvalidState),
)
def decide_review(
    review_id: str,
    body: ReviewDecision,
    ctx: ReviewerCtx,
    session: SessionDep,
    services: ServicesDep,
) -> ReviewOut:
    """Approve, reject or ask for resubmission, with a reason. Under four eyes the first
    decision waits for a second reviewer; if they disagree the review goes back to the queue."""
    review = services.reviews.decide(
        session,
        ctx,
        review_id,
        decision=body.decision,
        reason=body.reason,
        steps=[s.value for s in body.steps],
    )
    return review_out(review)
