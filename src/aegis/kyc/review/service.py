"""The review queue: claim, decide, and a second pair of eyes where the policy asks."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.errors import Conflict, FieldError, InvalidState, NotFound, ValidationFailed
from aegis.ids import new_id
from aegis.kit.pagination import Page, PageRequest
from aegis.kit.time import utcnow
from aegis.kyc.levels import LevelPolicy
from aegis.kyc.models import Applicant, Review
from aegis.kyc.repository import ApplicantRepository, ReviewRepository
from aegis.kyc.states import Status

if TYPE_CHECKING:
    from aegis.kyc.service import ApplicantService

CLAIM_TIMEOUT = timedelta(minutes=30)
_RISK_ORDER = {"low": 0, "medium": 1, "high": 2, "never": 3}
DECISIONS = {
    "approve": Status.APPROVED,
    "reject": Status.REJECTED,
    "resubmit": Status.RESUBMISSION_REQUESTED,
}


def needs_four_eyes(level: LevelPolicy, risk: str) -> bool:
    return level.four_eyes or _RISK_ORDER[risk] >= _RISK_ORDER[level.four_eyes_risk]


class ReviewService:
    def __init__(self, applicants: ApplicantService) -> None:
        self.applicants = applicants
        self.audit = applicants.audit

    def open(
        self, session: Session, row: Applicant, level: LevelPolicy, codes: list[str]
    ) -> Review:
        review = ReviewRepository(session, row.tenant_id).add(
            Review(
                id=new_id("rev"),
                tenant_id=row.tenant_id,
                applicant_id=row.id,
                attempt=row.attempt,
                status="pending",
                requires_four_eyes=needs_four_eyes(level, row.risk_rating),
                reason_codes=codes,
                opened_at=utcnow(),
                first_steps=[],
            )
        )
        self.audit.record(
            session,
            None,
            action="review.opened",
            target_type="review",
            target_id=review.id,
            actor="system:kyc",
            tenant_id=row.tenant_id,
            details={"applicant_id": row.id},
        )
        return review

    def get(self, session: Session, ctx: Ctx, review_id: str) -> Review:
        review = ReviewRepository(session, ctx.tenant_id).get(review_id)
        if review is None:
            raise NotFound(f"review {review_id} not found")
        return review

    def queue(
        self, session: Session, ctx: Ctx, page: PageRequest, status: str | None
    ) -> Page[Review]:
        return ReviewRepository(session, ctx.tenant_id).queue(page, status)

    def claim(self, session: Session, ctx: Ctx, review_id: str) -> Review:
        review = self.get(session, ctx, review_id)
        now = utcnow()
        if review.status == "decided":
            raise InvalidState("this review is already decided")
        if review.status == "awaiting_second" and review.first_reviewer == ctx.actor_ref:
            raise Conflict("four eyes: the second review must be done by someone else")
        held = review.claimed_by and review.claimed_at and review.claimed_at + CLAIM_TIMEOUT > now
        if held and review.claimed_by != ctx.actor_ref:
            raise Conflict("another reviewer has claimed this review")
        review.claimed_by, review.claimed_at = ctx.actor_ref, now
        if review.status == "pending":
            review.status = "claimed"
        self.audit.record(
            session, ctx, action="review.claimed", target_type="review", target_id=review.id
        )
        return review

    def decide(
        self,
        session: Session,
        ctx: Ctx,
        review_id: str,
        *,
        decision: str,
        reason: str,
        steps: list[str],
    ) -> Review:
        review = self.get(session, ctx, review_id)
        if review.status == "decided":
            raise InvalidState("this review is already decided")
        if review.claimed_by != ctx.actor_ref:
            raise Conflict("claim the review before deciding it")
        if decision == "resubmit" and not steps:
            raise ValidationFailed(
                "say which steps to redo",
                errors=[FieldError("#/steps", "required when asking for resubmission", "missing")],
            )
        row = ApplicantRepository(session, ctx.tenant_id).get(review.applicant_id)
        assert row is not None
        if row.status != Status.IN_REVIEW.value:
            raise InvalidState(f"the applicant is {row.status}, not in review")
        self.audit.record(
            session,
            ctx,
            action="review.decided",
            target_type="review",
            target_id=review.id,
            details={"decision": decision, "second": review.status == "awaiting_second"},
        )
        if review.requires_four_eyes and review.first_decision is None:
            review.first_reviewer, review.first_decision = ctx.actor_ref, decision
            review.first_reason, review.first_steps = reason, steps
            review.status, review.claimed_by, review.claimed_at = "awaiting_second", None, None
            return review
        if review.requires_four_eyes:
            if review.first_reviewer == ctx.actor_ref:
                raise Conflict("four eyes: the second review must be done by someone else")
            review.second_reviewer, review.second_reason = ctx.actor_ref, reason
            if decision != review.first_decision or sorted(steps) != sorted(review.first_steps):
                # Disagreement: back to the queue for a fresh pair of decisions.
                review.status, review.claimed_by, review.claimed_at = "pending", None, None
                review.first_reviewer = review.first_decision = review.first_reason = None
                review.first_steps = []
                self.audit.record(
                    session,
                    ctx,
                    action="review.disagreement",
                    target_type="review",
                    target_id=review.id,
                )
                return review
        self._finalise(session, ctx, review, row, decision, reason, steps)
        return review

    def _finalise(
        self,
        session: Session,
        ctx: Ctx,
        review: Review,
        row: Applicant,
        decision: str,
        reason: str,
        steps: list[str],
    ) -> None:
        review.status, review.final_decision, review.decided_at = "decided", decision, utcnow()
        target = DECISIONS[decision]
        codes = {
            "approve": [],
            "reject": ["REVIEWER_REJECTED"],
            "resubmit": list(review.reason_codes),
        }[decision]
        row.decided_at = utcnow()
        row.decision_codes = codes
        if target is Status.APPROVED:
            level = self.applicants.level_of(session, row)
            row.approved_at = utcnow()
            row.next_review_at = self.applicants.next_review_at(level, row.risk_rating)
            row.resubmission_steps = []
        if target is Status.RESUBMISSION_REQUESTED:
            row.resubmission_steps = steps
        self.applicants.transition(
            session, row, target, actor=ctx.actor_ref, codes=codes, note=reason[:500], ctx=ctx
        )
