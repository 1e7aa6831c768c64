"""Applicants: create, update, submit, and every status transition (audited, announced)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.errors import FieldError, InvalidState, NotFound, ValidationFailed
from aegis.ids import new_id
from aegis.kit.pagination import Page, PageRequest
from aegis.kit.time import utcnow
from aegis.kyc.checking import ACTOR, conclude, local_checks, needs_worker
from aegis.kyc.faces.repository import LivenessRepository
from aegis.kyc.levels import LevelPolicy, Step
from aegis.kyc.levels_service import LevelService
from aegis.kyc.models import Applicant, ApplicantHistory
from aegis.kyc.reasons import REASONS
from aegis.kyc.repository import ApplicantRepository, DocumentRepository, HistoryRepository
from aegis.kyc.schemas import ApplicantCreate, ApplicantUpdate, Profile
from aegis.kyc.states import EDITABLE, SUBMITTABLE, Status, ensure_transition
from aegis.partners.webhooks.service import emit
from aegis.privacy.blind_index import IndexKind, normalise_phone
from aegis.privacy.registry import row_aad
from aegis.queue.service import enqueue
from aegis.storage.db import build

if TYPE_CHECKING:
    from aegis.platform import Platform

RUN_CHECKS_JOB = "kyc.run_checks"
IDENTITY_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "native_name",
        "date_of_birth",
        "nationality",
        "id_type",
        "id_number",
        "id_country",
    }
)
DOCUMENT_KINDS = frozenset({"passport", "id_card_front", "driver_licence", "residence_permit"})
SELFIE_KINDS = frozenset({"selfie", "selfie_with_document"})
ADDRESS_KINDS = frozenset({"proof_of_address", "bank_statement"})


class ApplicantService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.vault = platform.vault
        self.indexer = platform.indexer
        self.audit = platform.audit
        self.levels = LevelService(platform.audit)

    # --- PII in and out -------------------------------------------------------------
    def profile(self, row: Applicant) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            self.vault.decrypt(row.profile_enc, row_aad(row, "profile_enc"))
        )
        return data

    def _store_profile(
        self,
        row: Applicant,
        profile: Profile,
        *,
        device_id: str | None = None,
        ip: str | None = None,
    ) -> None:
        data = profile.model_dump(mode="json")
        row.profile_enc = self.vault.encrypt(json.dumps(data), row_aad(row, "profile_enc"))
        t = row.tenant_id
        ix = self.indexer
        row.id_number_bidx = ix.compute(
            t, IndexKind.ID_NUMBER, f"{profile.id_country}{profile.id_number}"
        )
        phone = normalise_phone(profile.phone)
        row.phone_bidx = ix.compute(t, IndexKind.PHONE, phone)
        row.phone_prefix_bidx = ix.compute(t, IndexKind.PHONE_PREFIX, phone[:7])
        row.email_bidx = ix.compute(t, IndexKind.EMAIL, str(profile.email))
        row.email_domain_bidx = ix.compute(
            t, IndexKind.EMAIL_DOMAIN, str(profile.email).rpartition("@")[2]
        )
        row.card_bidx = ix.compute_optional(t, IndexKind.CARD, profile.card_number)
        row.document_expires_on = profile.id_expiry_date
        if device_id is not None:
            row.device_bidx = ix.compute(t, IndexKind.DEVICE, device_id)
        if ip is not None:
            row.ip_bidx = ix.compute(t, IndexKind.IP, ip)

    # --- reading --------------------------------------------------------------------
    def get(self, session: Session, ctx: Ctx, applicant_id: str) -> Applicant:
        row = ApplicantRepository(session, ctx.tenant_id).get(applicant_id)
        if row is None:
            raise NotFound(f"applicant {applicant_id} not found")
        return row

    def list_page(
        self,
        session: Session,
        ctx: Ctx,
        page: PageRequest,
        *,
        status: str | None = None,
        level: str | None = None,
        risk: str | None = None,
        external_id: str | None = None,
    ) -> Page[Applicant]:
        return ApplicantRepository(session, ctx.tenant_id).filtered(
            page, status=status, level=level, risk=risk, external_id=external_id
        )

    def level_of(self, session: Session, row: Applicant) -> LevelPolicy:
        return self.levels.resolve(session, row.tenant_id, row.level, row.level_version).policy

    def missing_steps(self, session: Session, row: Applicant, level: LevelPolicy) -> list[str]:
        needs_uploads = {Step.DOCUMENT, Step.SELFIE, Step.PROOF_OF_ADDRESS} & set(level.steps)
        docs = (
            DocumentRepository(session, row.tenant_id).for_applicant(row.id)
            if needs_uploads
            else []
        )
        redo = set(row.resubmission_steps)

        def has(kinds: frozenset[str], step: str) -> bool:
            # A step asked again needs a new upload, from this attempt.
            return any(
                d.kind in kinds and (step not in redo or d.attempt == row.attempt) for d in docs
            )

        upload_kinds = {
            Step.DOCUMENT: DOCUMENT_KINDS,
            Step.SELFIE: SELFIE_KINDS,
            Step.PROOF_OF_ADDRESS: ADDRESS_KINDS,
        }
        missing: list[str] = []
        for step in level.steps:
            kinds = upload_kinds.get(step)
            phone_missing = step is Step.PHONE and row.phone_verified_at is None
            liveness_missing = step is Step.LIVENESS and (
                LivenessRepository(session, row.tenant_id).latest_completed(row.id, row.attempt)
                is None
            )
            if (
                phone_missing
                or liveness_missing
                or (kinds is not None and not has(kinds, step.value))
            ):
                missing.append(step.value)
        return missing

    # --- changing -------------------------------------------------------------------
    def transition(
        self,
        session: Session,
        row: Applicant,
        target: Status,
        *,
        actor: str,
        codes: list[str] | tuple[str, ...] = (),
        note: str | None = None,
        ctx: Ctx | None = None,
    ) -> None:
        """The only way a status changes: checked, recorded, audited and announced together."""
        current = Status(row.status)
        ensure_transition(current, target)
        row.status = target.value
        row.updated_at = utcnow()
        HistoryRepository(session, row.tenant_id).add(
            build(
                ApplicantHistory,
                id=new_id("ahs"),
                tenant_id=row.tenant_id,
                applicant_id=row.id,
                from_status=current.value,
                to_status=target.value,
                codes=list(codes),
                actor=actor,
                note=note,
                created_at=utcnow(),
            )
        )
        self.audit.record(
            session,
            ctx,
            action="applicant.status_changed",
            target_type="applicant",
            target_id=row.id,
            actor=actor,
            tenant_id=row.tenant_id,
            details={"from": current.value, "to": target.value, "codes": list(codes)},
        )
        emit(
            session,
            row.tenant_id,
            "applicant.status_changed",
            {
                "applicant_id": row.id,
                "external_id": row.external_id,
                "from": current.value,
                "to": target.value,
                "level": row.level,
                "attempt": row.attempt,
                "reasons": [reason_out(c) for c in codes],
                "resubmission_steps": list(row.resubmission_steps),
            },
        )

    def new_row(self, ctx: Ctx, spec: ApplicantCreate) -> Applicant:
        """The new applicant's row with its profile encrypted and blind-indexed, not yet
        dated nor added: work without the database, which the caller may do before its
        write transaction, so that the write lock (one writer at a time) is held less."""
        row = Applicant(
            id=new_id("app"),
            tenant_id=ctx.tenant_id,
            external_id=spec.external_id,
            level=spec.level,
            status=Status.CREATED.value,
            risk_rating=spec.risk_rating.value,
            attempt=1,
            resubmission_steps=[],
            decision_codes=[],
            consent_terms_version=spec.consent.terms_version,
        )
        self._store_profile(
            row,
            spec.profile,
            device_id=spec.device_id,
            ip=str(spec.ip_address) if spec.ip_address else None,
        )
        return row

    def create(
        self, session: Session, ctx: Ctx, spec: ApplicantCreate, row: Applicant | None = None
    ) -> Applicant:
        """Register ``spec`` (``row``: its ``new_row``, if the caller made it already)."""
        level = self.levels.resolve(session, ctx.tenant_id, spec.level)
        row = row or self.new_row(ctx, spec)
        # Dated in the transaction, so the rows committed before it are older (bursts).
        now = utcnow()
        row.level_version = level.version
        row.consented_at = spec.consent.accepted_at or now
        row.created_at = row.updated_at = now
        ApplicantRepository(session, ctx.tenant_id).add(row)
        HistoryRepository(session, ctx.tenant_id).add(
            build(
                ApplicantHistory,
                id=new_id("ahs"),
                tenant_id=ctx.tenant_id,
                applicant_id=row.id,
                from_status=None,
                to_status=Status.CREATED.value,
                codes=[],
                actor=ctx.actor_ref,
                note=None,
                created_at=now,
            )
        )
        self.audit.record(
            session,
            ctx,
            action="applicant.created",
            target_type="applicant",
            target_id=row.id,
            details={"level": row.level, "level_version": row.level_version},
        )
        self.transition(session, row, Status.COLLECTING, actor=ctx.actor_ref, ctx=ctx)
        if spec.submit:
            self._submit(session, ctx, row)
        return row

    def update(
        self, session: Session, ctx: Ctx, applicant_id: str, change: ApplicantUpdate
    ) -> Applicant:
        row = self.get(session, ctx, applicant_id)
        status = Status(row.status)
        fields = sorted(change.profile.model_fields_set) if change.profile else []
        identity_changed = bool(IDENTITY_FIELDS & set(fields))
        if status not in EDITABLE and not (status is Status.APPROVED and change.profile):
            raise InvalidState(f"an applicant in status {status.value} cannot be changed")
        if change.profile is not None:
            current = self.profile(row)
            merged = {**current, **change.profile.model_dump(mode="json", exclude_unset=True)}
            try:
                profile = Profile.model_validate(merged)
            except ValidationError as exc:
                # Only a null for a required field gets here: the patch itself is validated.
                raise ValidationFailed(
                    f"{exc.error_count()} field(s) are invalid.",
                    errors=[
                        FieldError(
                            "#/profile/" + "/".join(str(p) for p in e["loc"]),
                            "This field is required and cannot be null.",
                            e["type"],
                        )
                        for e in exc.errors(include_input=False)
                    ],
                ) from None
            self._store_profile(row, profile)
            if normalise_phone(profile.phone) != normalise_phone(current["phone"]):
                row.phone_verified_at = None
        if change.risk_rating is not None:
            row.risk_rating = change.risk_rating.value
            fields.append("risk_rating")
        if "external_id" in change.model_fields_set:
            row.external_id = change.external_id
        row.updated_at = utcnow()
        self.audit.record(
            session,
            ctx,
            action="applicant.updated",
            target_type="applicant",
            target_id=row.id,
            details={"fields": fields},
        )
        if status is Status.APPROVED:
            # Identity changed after approval: the approval no longer covers this person.
            codes = ["IDENTITY_DATA_CHANGED"] if identity_changed else []
            if identity_changed or "phone" in fields:
                row.resubmission_steps = ["identity_data", "id_number"] + (
                    ["phone"] if "phone" in fields else []
                )
                row.decision_codes = ["IDENTITY_DATA_CHANGED"]
                self.transition(
                    session,
                    row,
                    Status.REVERIFICATION_REQUIRED,
                    actor=ctx.actor_ref,
                    codes=codes or ["IDENTITY_DATA_CHANGED"],
                    ctx=ctx,
                )
        return row

    def submit(self, session: Session, ctx: Ctx, applicant_id: str) -> Applicant:
        row = self.get(session, ctx, applicant_id)
        self._submit(session, ctx, row)
        return row

    def _submit(self, session: Session, ctx: Ctx, row: Applicant) -> None:
        """Start an attempt; decide at once when every check is local, else hand it to a job."""
        status = Status(row.status)
        if status not in SUBMITTABLE:
            raise InvalidState(f"an applicant in status {status.value} cannot be submitted")
        level = self.level_of(session, row)
        missing = self.missing_steps(session, row, level)
        if missing:
            raise InvalidState(
                "required steps are missing: " + ", ".join(missing),
                errors=[
                    FieldError(f"#/steps/{m}", "not provided yet", "step_missing") for m in missing
                ],
            )
        if status is not Status.COLLECTING:
            # A resubmission (or re-verification) is a new attempt with its own checks.
            row.attempt += 1
        row.submitted_at = utcnow()
        self.transition(session, row, Status.SUBMITTED, actor=ctx.actor_ref, ctx=ctx)
        profile = self.profile(row)
        if needs_worker(level, profile):
            enqueue(
                session,
                RUN_CHECKS_JOB,
                {"applicant_id": row.id, "attempt": row.attempt},
                tenant_id=row.tenant_id,
                dedupe_key=f"{RUN_CHECKS_JOB}:{row.id}:{row.attempt}",
            )
            return
        self.transition(session, row, Status.CHECKING, actor=ACTOR)
        results = local_checks(session, row, level, profile, platform=self.platform)
        conclude(self, session, row, level, results)

    def next_review_at(self, level: LevelPolicy, risk: str) -> datetime:
        days: int = getattr(level.thresholds.periodic_review_days, risk, 365)
        return utcnow() + timedelta(days=days)


def reason_out(code: str) -> dict[str, str]:
    r = REASONS.get(code)
    return {
        "code": code,
        "hint_en": r.en if r else code,
        "hint_zh": r.zh if r else code,
    }
