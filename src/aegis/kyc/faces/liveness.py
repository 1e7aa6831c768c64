"""Active liveness for an applicant: a random challenge, then the frames that answer it.

The frames are judged outside any transaction (face landmarks on every frame take a second
or more); the challenge is then closed with a compare-and-set on its status, so it is
answered once. A sequence the tenant has seen before (the same frames, or a re-encoding of
them) fails as a replay.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.checks.result import CheckResult, Outcome
from aegis.errors import InvalidState, NotFound
from aegis.ids import new_id
from aegis.kit.time import as_utc, utcnow
from aegis.kyc.faces.models import LivenessCheck
from aegis.kyc.faces.repository import LivenessRepository
from aegis.kyc.models import ApplicantDocument
from aegis.kyc.repository import DocumentRepository
from aegis.kyc.states import EDITABLE, Status

if TYPE_CHECKING:
    from aegis.checks.biometric.motion import SequenceFingerprint
    from aegis.kyc.service import ApplicantService

SELFIE_KINDS = ("selfie", "selfie_with_document")


def liveness_result(row: LivenessCheck) -> CheckResult:
    """A completed challenge as the ``liveness`` check of the attempt."""
    outcome = Outcome.PASS if row.status == "passed" else Outcome.FAIL
    return CheckResult("liveness", outcome, tuple(row.codes), dict(row.details))


class LivenessService:
    def __init__(self, applicants: ApplicantService) -> None:
        self.applicants = applicants
        self.platform = applicants.platform

    def issue(self, session: Session, ctx: Ctx, applicant_id: str) -> LivenessCheck:
        row = self.applicants.get(session, ctx, applicant_id)
        if Status(row.status) not in EDITABLE:
            raise InvalidState(f"an applicant in status {row.status} takes no liveness check")
        from aegis.checks.biometric.liveness import issue_challenge

        challenge = issue_challenge()
        check = LivenessCheck(
            id=new_id("lvc"),
            tenant_id=ctx.tenant_id,
            applicant_id=row.id,
            attempt=row.attempt,
            actions=[a.value for a in challenge.actions],
            status="issued",
            codes=[],
            details={},
            issued_at=challenge.issued_at,
            expires_at=challenge.expires_at,
        )
        session.add(check)
        self.applicants.audit.record(
            session,
            ctx,
            action="liveness.issued",
            target_type="liveness_check",
            target_id=check.id,
            details={"applicant_id": row.id, "actions": check.actions},
        )
        return check

    def get(self, session: Session, ctx: Ctx, applicant_id: str, liveness_id: str) -> LivenessCheck:
        self.applicants.get(session, ctx, applicant_id)
        row = LivenessRepository(session, ctx.tenant_id).get_for(applicant_id, liveness_id)
        if row is None:
            raise NotFound(f"liveness check {liveness_id} not found")
        return row

    def _selfie(self, session: Session, ctx: Ctx, applicant_id: str) -> ApplicantDocument | None:
        docs = DocumentRepository(session, ctx.tenant_id).for_applicant(applicant_id)
        selfies = [d for d in docs if d.kind in SELFIE_KINDS]
        return max(selfies, key=lambda d: d.id) if selfies else None

    def answer(
        self, ctx: Ctx, applicant_id: str, liveness_id: str, frames: list[bytes]
    ) -> LivenessCheck:
        # OpenCV and dlib load only in the processes that check faces.
        from aegis.checks.biometric.faces import encode
        from aegis.checks.biometric.liveness import Challenge, verify_frames
        from aegis.checks.biometric.models import get_models
        from aegis.checks.biometric.motion import Action

        db = self.platform.db
        with db.session(write=False) as session:
            row = self.get(session, ctx, applicant_id, liveness_id)
            if row.status != "issued":
                raise InvalidState("this liveness challenge was answered already")
            selfie = self._selfie(session, ctx, applicant_id)
            challenge = Challenge(
                nonce=row.id,
                actions=tuple(Action(a) for a in row.actions),
                issued_at=as_utc(row.issued_at),
                expires_at=as_utc(row.expires_at),
            )
        models = get_models(self.platform.settings.face_model_dir)
        reference = None
        if selfie is not None:
            faces = encode(self.platform.blobs.get(ctx.tenant_id, selfie.blob_id), models=models)
            reference = faces[0] if faces and faces[0].encoding is not None else None
        report = verify_frames(
            challenge, frames, reference=reference, models=models, now=datetime.now(UTC)
        )
        with db.session() as session:
            row = self.get(session, ctx, applicant_id, liveness_id)
            if row.status != "issued":
                raise InvalidState("this liveness challenge was answered already")
            result = report.result
            fingerprint = report.fingerprint
            replayed = (
                fingerprint is not None
                and result.outcome is Outcome.PASS
                and self._replayed(session, ctx, fingerprint, exclude=row.id)
            )
            if replayed:
                result = CheckResult.failed("liveness", "LIVENESS_FAILED", reason="replayed")
            row.status = "passed" if result.outcome is Outcome.PASS else "failed"
            row.codes = list(result.codes)
            row.details = {**result.details, "reference": reference is not None}
            if fingerprint is not None:
                row.fingerprint_exact = fingerprint.exact
                row.fingerprint_perceptual = list(fingerprint.perceptual)
            row.completed_at = utcnow()
            self.applicants.audit.record(
                session,
                ctx,
                action="liveness.answered",
                target_type="liveness_check",
                target_id=row.id,
                details={"applicant_id": applicant_id, "status": row.status, "codes": row.codes},
            )
            return row

    def _replayed(
        self, session: Session, ctx: Ctx, fingerprint: SequenceFingerprint, *, exclude: str
    ) -> bool:
        from aegis.checks.biometric.motion import SequenceFingerprint

        for earlier in LivenessRepository(session, ctx.tenant_id).recent_fingerprints():
            if earlier.id == exclude or earlier.fingerprint_exact is None:
                continue
            seen = SequenceFingerprint(
                exact=earlier.fingerprint_exact,
                perceptual=tuple(earlier.fingerprint_perceptual or ()),
            )
            if fingerprint.matches(seen):
                return True
        return False
