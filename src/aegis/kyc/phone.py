"""Proving phone ownership with a one-time code sent through the SMS port.

The code is never stored: the challenge keeps an HMAC of it under a key derived from
the vault's index key, per tenant. Five minutes to answer, five attempts per challenge
(resending does not buy more), at most three sends thirty seconds apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.checks.phone.otp import (
    DEFAULT_POLICY,
    OtpChallenge,
    ResendResult,
    VerifyResult,
    resend,
    start_challenge,
    verify,
)
from aegis.checks.phone.sms import SmsRejected, SmsUnavailable
from aegis.errors import (
    AegisError,
    FieldError,
    InvalidState,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
)
from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.kyc.models import PhoneChallenge
from aegis.kyc.repository import ChallengeRepository
from aegis.kyc.states import EDITABLE, Status
from aegis.privacy.blind_index import normalise_phone
from aegis.privacy.crypto import derive

if TYPE_CHECKING:
    from aegis.kyc.service import ApplicantService

OTP_TTL = DEFAULT_POLICY.ttl
MESSAGE = "Your Aegis verification code is {code}. It expires in 5 minutes. Never share it."


class CodeRejected(AegisError):
    status = 422
    slug = "otp-rejected"
    title = "The code is wrong or no longer valid"


@dataclass(frozen=True, slots=True)
class SendOutcome:
    challenge_id: str
    expires_at: str
    sends_left: int
    resend_after_seconds: int


class PhoneVerificationService:
    def __init__(self, applicants: ApplicantService) -> None:
        self.applicants = applicants
        self.platform = applicants.platform

    def _key(self, tenant_id: str, key_id: str | None = None) -> tuple[bytes, str]:
        ring = self.platform.ring
        kid = key_id or ring.active_id("index")
        return derive(ring.key(kid).key, f"otp:{tenant_id}"), kid

    def send(self, session: Session, ctx: Ctx, applicant_id: str) -> SendOutcome:
        row = self.applicants.get(session, ctx, applicant_id)
        if Status(row.status) not in EDITABLE:
            raise InvalidState(f"an applicant in status {row.status} cannot verify a phone now")
        if row.phone_verified_at is not None:
            raise InvalidState("the phone number is already verified")
        phone = normalise_phone(self.applicants.profile(row)["phone"])
        repo = ChallengeRepository(session, ctx.tenant_id)
        stored = repo.active_for(row.id)
        now = utcnow()
        if stored is None or stored.state.get("phone_bidx") != row.phone_bidx:
            if stored is not None:
                stored.active = False
            key, kid = self._key(ctx.tenant_id)
            issued = start_challenge(challenge_id=new_id("otp"), key=key, key_id=kid, now=now)
            challenge, code, wait = issued.challenge, issued.code, 0
            stored = repo.add(
                PhoneChallenge(
                    id=challenge.challenge_id,
                    tenant_id=ctx.tenant_id,
                    applicant_id=row.id,
                    state={},
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            previous = OtpChallenge.from_dict(stored.state["otp"])
            key, kid = self._key(ctx.tenant_id)
            again = resend(previous, key=key, key_id=kid, now=now)
            if again.result is not ResendResult.SENT or again.code is None:
                raise RateLimited(
                    f"no new code now ({again.result.value}); try again in "
                    f"{again.seconds_until_resend} s"
                    if again.seconds_until_resend
                    else f"no new code: {again.result.value}"
                )
            challenge, code, wait = again.challenge, again.code, again.seconds_until_resend
        try:
            self.platform.kyc.sms.send(
                to=phone,
                text=MESSAGE.format(code=code),
                # One key per code: a send retried after a failure carries a new code, and
                # must not be answered with (or refused as) the message that may have gone out.
                idempotency_key=f"{stored.id}:{challenge.sends}:{challenge.code_hash[:16]}",
            )
        except SmsRejected:
            raise ValidationFailed(
                "the SMS provider refused this number",
                errors=[FieldError("#/profile/phone", "cannot receive SMS", "sms_rejected")],
            ) from None
        except SmsUnavailable:
            raise ServiceUnavailable("the SMS provider did not answer; try again later") from None
        stored.state = {"otp": challenge.to_dict(), "phone_bidx": row.phone_bidx}
        stored.updated_at = now
        self.applicants.audit.record(
            session,
            ctx,
            action="phone.code_sent",
            target_type="applicant",
            target_id=row.id,
            details={"challenge_id": stored.id, "send": challenge.sends},
        )
        return SendOutcome(
            challenge_id=stored.id,
            expires_at=(challenge.sent_at + OTP_TTL).isoformat().replace("+00:00", "Z"),
            sends_left=max(0, 3 - challenge.sends),
            resend_after_seconds=max(wait, 30),
        )

    def confirm(self, session: Session, ctx: Ctx, applicant_id: str, code: str) -> VerifyResult:
        row = self.applicants.get(session, ctx, applicant_id)
        repo = ChallengeRepository(session, ctx.tenant_id)
        stored = repo.active_for(row.id)
        if stored is None or "otp" not in stored.state:
            raise InvalidState("no code was sent; request one first")
        challenge = OtpChallenge.from_dict(stored.state["otp"])
        key, _ = self._key(ctx.tenant_id, challenge.key_id)
        outcome = verify(challenge, code=code, key=key, now=utcnow())
        stored.state = {**stored.state, "otp": outcome.challenge.to_dict()}
        stored.updated_at = utcnow()
        self.applicants.audit.record(
            session,
            ctx,
            action="phone.code_checked",
            target_type="applicant",
            target_id=row.id,
            details={"result": outcome.result.value},
        )
        if outcome.result is VerifyResult.OK:
            row.phone_verified_at = utcnow()
            stored.active = False
        return outcome.result
