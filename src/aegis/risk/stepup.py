"""Step-up: the second factor a ``step_up`` decision asks for before the payment goes
through. The risk engine decides that one is needed; the factor is a one-time code sent to
the customer's phone, verified in KYC, with the same code machinery as the KYC phone
verification (hashed codes, 5 minutes, 5 attempts; ``aegis.checks.phone.otp``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.checks.phone.otp import (
    DEFAULT_POLICY,
    OtpChallenge,
    VerifyResult,
    start_challenge,
    verify,
)
from aegis.checks.phone.sms import SmsRejected, SmsUnavailable
from aegis.errors import InvalidState, ServiceUnavailable
from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.kyc.repository import ApplicantRepository
from aegis.partners.webhooks.service import emit
from aegis.privacy.blind_index import normalise_phone
from aegis.privacy.crypto import derive
from aegis.risk.models import StepUp

if TYPE_CHECKING:
    from aegis.kyc.service import ApplicantService
    from aegis.risk.decisions import DecisionService

MESSAGE = "Your payment confirmation code is {code}. It expires in 5 minutes. Never share it."


@dataclass(frozen=True, slots=True)
class StepUpSent:
    step_up_id: str
    expires_at: str


class StepUpService:
    def __init__(self, decisions: DecisionService, applicants: ApplicantService) -> None:
        self.decisions = decisions
        self.applicants = applicants
        self.platform = decisions.platform

    def _key(self, tenant_id: str, key_id: str | None = None) -> tuple[bytes, str]:
        ring = self.platform.ring
        kid = key_id or ring.active_id("index")
        return derive(ring.key(kid).key, f"stepup:{tenant_id}"), kid

    def _pending(self, session: Session, ctx: Ctx, decision_id: str) -> StepUp | None:
        stmt = select(StepUp).where(
            StepUp.tenant_id == ctx.tenant_id,
            StepUp.decision_id == decision_id,
            StepUp.status == "pending",
        )
        return session.scalars(stmt).first()

    def send(self, session: Session, ctx: Ctx, decision_id: str) -> StepUpSent:
        decision = self.decisions.get(session, ctx, decision_id)
        if decision.outcome != "step_up":
            raise InvalidState(f"decision {decision_id} is {decision.outcome}, not step_up")
        tx = self.decisions.transaction(session, ctx, decision.transaction_id)
        customer_id = self.decisions.transaction_data(tx).get("customer_id") or ""
        applicant = ApplicantRepository(session, ctx.tenant_id).get(customer_id)
        if applicant is None or applicant.phone_verified_at is None:
            raise InvalidState(
                "the customer has no verified phone with Aegis: step up by your own means"
            )
        if self._pending(session, ctx, decision_id) is not None:
            raise InvalidState("a code was already sent for this decision")
        now = utcnow()
        key, kid = self._key(ctx.tenant_id)
        issued = start_challenge(challenge_id=new_id("stp"), key=key, key_id=kid, now=now)
        phone = normalise_phone(self.applicants.profile(applicant)["phone"])
        try:
            self.platform.kyc.sms.send(
                to=phone,
                text=MESSAGE.format(code=issued.code),
                idempotency_key=f"{issued.challenge.challenge_id}:1",
            )
        except SmsRejected:
            raise InvalidState("the customer's phone cannot receive SMS") from None
        except SmsUnavailable:
            raise ServiceUnavailable("the SMS provider did not answer; try again later") from None
        row = StepUp(
            id=issued.challenge.challenge_id,
            tenant_id=ctx.tenant_id,
            decision_id=decision_id,
            applicant_id=applicant.id,
            status="pending",
            state=issued.challenge.to_dict(),
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        self.platform.audit.record(
            session, ctx, action="risk.step_up_sent", target_type="decision",
            target_id=decision_id, details={"step_up_id": row.id},
        )  # fmt: skip
        expires = (now + DEFAULT_POLICY.ttl).isoformat().replace("+00:00", "Z")
        return StepUpSent(step_up_id=row.id, expires_at=expires)

    def confirm(self, session: Session, ctx: Ctx, decision_id: str, code: str) -> dict[str, Any]:
        self.decisions.get(session, ctx, decision_id)  # 404 for another tenant's decision
        row = self._pending(session, ctx, decision_id)
        if row is None:
            raise InvalidState("no code is pending for this decision; send one first")
        challenge = OtpChallenge.from_dict(row.state)
        key, _ = self._key(ctx.tenant_id, challenge.key_id)
        outcome = verify(challenge, code=code, key=key, now=utcnow())
        row.state, row.updated_at = outcome.challenge.to_dict(), utcnow()
        if outcome.result is VerifyResult.OK:
            row.status = "passed"
        elif outcome.result in (VerifyResult.EXPIRED, VerifyResult.TOO_MANY_ATTEMPTS):
            row.status = "failed"
        self.platform.audit.record(
            session, ctx, action="risk.step_up_checked", target_type="decision",
            target_id=decision_id, details={"result": outcome.result.value},
        )  # fmt: skip
        if row.status != "pending":
            emit(
                session, ctx.tenant_id, f"risk.step_up_{row.status}",
                {"decision_id": decision_id, "step_up_id": row.id},
            )  # fmt: skip
        return {"result": outcome.result.value, "passed": row.status == "passed"}
