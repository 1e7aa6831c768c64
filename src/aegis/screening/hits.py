"""Reviewing hits: the evidence side by side, and a decision that is remembered.

A true positive blocks the customer (``rejected``, ``SANCTIONS_MATCH``), closes their
pending KYC review and is announced as ``screening.hit``. A false positive is remembered
against the entity's content hash, so the same entity is not raised again for the same
customer unless its record changes.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.errors import InvalidState, NotFound
from aegis.kit.pagination import Page, PageRequest
from aegis.kit.time import utcnow
from aegis.kyc.models import Applicant
from aegis.kyc.repository import ApplicantRepository, ReviewRepository
from aegis.kyc.service import ApplicantService
from aegis.kyc.states import TRANSITIONS, Status
from aegis.partners.webhooks.service import emit
from aegis.privacy.masking import mask_id_number
from aegis.privacy.registry import row_aad
from aegis.screening.entities import ListEntity
from aegis.screening.models import ScreeningHit
from aegis.screening.repository import HitRepository, ListRepository
from aegis.screening.service import ScreeningService

DECISIONS = {"true_positive": "confirmed", "false_positive": "false_positive"}


class HitService:
    def __init__(self, screening: ScreeningService, applicants: ApplicantService) -> None:
        self.screening = screening
        self.applicants = applicants
        self.vault = screening.vault
        self.audit = screening.audit

    def get(self, session: Session, ctx: Ctx, hit_id: str) -> ScreeningHit:
        hit = HitRepository(session, ctx.tenant_id).get(hit_id)
        if hit is None:
            raise NotFound(f"screening hit {hit_id} not found")
        return hit

    def page(
        self,
        session: Session,
        ctx: Ctx,
        page: PageRequest,
        *,
        status: str | None,
        subject_id: str | None,
    ) -> Page[ScreeningHit]:
        return HitRepository(session, ctx.tenant_id).page(
            page, status=status, subject_id=subject_id
        )

    def summary(self, session: Session, hit: ScreeningHit) -> dict[str, Any]:
        explained = self.screening.explanation(hit)
        row = ListRepository(session).get(hit.list_id)
        return {
            "id": hit.id,
            "status": hit.status,
            "subject_type": hit.subject_type,
            "subject_id": hit.subject_id,
            "list": row.name if row else hit.list_id,
            "list_version": hit.list_version,
            "entity_id": hit.entity_key,
            "name": explained.get("name"),
            "matched_name": explained.get("matched_name"),
            "score": hit.score,
            "origin": hit.origin,
            "features": explained.get("features", {}),
            "reason": self.screening.reason(hit),
            "decided_by": hit.decided_by,
            "decided_at": hit.decided_at,
            "closed_reason": hit.closed_reason,
            "created_at": hit.created_at,
        }

    def evidence(self, session: Session, ctx: Ctx, hit_id: str) -> dict[str, Any]:
        """The customer's data and the list entity's record, side by side."""
        hit = self.get(session, ctx, hit_id)
        subject: dict[str, Any] = {"type": hit.subject_type, "id": hit.subject_id}
        applicant = ApplicantRepository(session, ctx.tenant_id).get(hit.subject_id)
        if applicant is not None:
            profile = self.applicants.profile(applicant)
            subject.update(
                name=f"{profile['first_name']} {profile['last_name']}",
                native_name=profile.get("native_name"),
                date_of_birth=profile.get("date_of_birth"),
                nationality=profile.get("nationality"),
                id_type=profile.get("id_type"),
                # Enough to tell two numbers apart, not enough to misuse one.
                id_number=mask_id_number(profile["id_number"])
                if profile.get("id_number")
                else None,
                status=applicant.status,
            )
        data = ListRepository(session).entity_version(hit.list_id, hit.entity_key, hit.entity_hash)
        entity = ListEntity.from_dict(orjson.loads(data)).as_dict() if data else None
        return {"hit": self.summary(session, hit), "subject": subject, "entity": entity}

    def decide(
        self, session: Session, ctx: Ctx, hit_id: str, *, decision: str, reason: str
    ) -> ScreeningHit:
        hit = self.get(session, ctx, hit_id)
        if hit.status != "open":
            raise InvalidState(f"screening hit {hit_id} is {hit.status}, not open")
        hit.status = DECISIONS[decision]
        hit.reason_enc = self.vault.encrypt(reason, row_aad(hit, "reason_enc"))
        hit.decided_by = ctx.actor_ref
        hit.decided_at = hit.updated_at = utcnow()
        self.audit.record(
            session,
            ctx,
            action=f"screening.hit_{hit.status}",
            target_type="screening_hit",
            target_id=hit.id,
            details={"subject_id": hit.subject_id, "decision": decision},
        )
        if hit.status == "confirmed":
            row = ListRepository(session).get(hit.list_id)
            emit(
                session,
                ctx.tenant_id,
                "screening.hit",
                {
                    "hit_id": hit.id,
                    "subject_type": hit.subject_type,
                    "subject_id": hit.subject_id,
                    "list": row.name if row else hit.list_id,
                    "entity_id": hit.entity_key,
                    "score": hit.score,
                },
            )
            self._block(session, ctx, hit)
        return hit

    def _block(self, session: Session, ctx: Ctx, hit: ScreeningHit) -> None:
        applicant = ApplicantRepository(session, ctx.tenant_id).get(hit.subject_id)
        if applicant is None or Status.REJECTED not in TRANSITIONS[Status(applicant.status)]:
            return  # already rejected or expired: nothing more to block
        self._close_review(session, ctx, applicant, hit)
        applicant.decision_codes = ["SANCTIONS_MATCH"]
        applicant.decided_at = utcnow()
        self.applicants.transition(
            session,
            applicant,
            Status.REJECTED,
            actor=ctx.actor_ref,
            codes=["SANCTIONS_MATCH"],
            note=f"screening hit {hit.id} confirmed",
            ctx=ctx,
        )

    def _close_review(
        self, session: Session, ctx: Ctx, applicant: Applicant, hit: ScreeningHit
    ) -> None:
        review = ReviewRepository(session, ctx.tenant_id).open_for(applicant.id)
        if review is None:
            return
        review.status = "decided"
        review.final_decision = "reject"
        review.decided_at = utcnow()
        self.audit.record(
            session,
            ctx,
            action="review.closed",
            target_type="review",
            target_id=review.id,
            details={"applicant_id": applicant.id, "by": "screening_hit", "hit_id": hit.id},
        )
