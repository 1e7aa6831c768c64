"""The ``kyc.run_checks`` job: run a submitted applicant's checks, decide, and act on it.

Calls to outside parties (registry, bank) happen between transactions, with retries; a
party that does not answer makes its check REVIEW, never a pass. The decision, the check
rows, the status change, the review and the webhook commit together with the job's done
mark, so a crash anywhere re-runs the whole attempt and nothing is decided twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aegis.checks.card.bank import BankVerificationRequest, check_bank_card, verify_bank_card
from aegis.checks.card.luhn_bin import check_card_number, lookup_bin
from aegis.checks.email import check_email_domain
from aegis.checks.identity.id_numbers import check_id_number
from aegis.checks.phone.validity import check_phone
from aegis.checks.registry.registry import RegistryRequest, check_registry, lookup_registry
from aegis.checks.result import CheckResult
from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.kyc.levels import Check, LevelPolicy
from aegis.kyc.models import Applicant, ApplicantCheck
from aegis.kyc.policy import Decision, Verdict, decide
from aegis.kyc.repository import CheckRepository
from aegis.kyc.review.service import ReviewService
from aegis.kyc.service import RUN_CHECKS_JOB, ApplicantService
from aegis.kyc.signals import duplicate_check, velocity_check
from aegis.kyc.states import Status
from aegis.queue.registry import job
from aegis.queue.runner import JobRun

ACTOR = "system:kyc"
# The national registry answers for mainland residents and HK/MO/TW residence permits.
REGISTRY_ID_TYPES = frozenset({"national_id", "hmt_residence_permit"})


def data_checks(
    level: LevelPolicy, profile: dict[str, Any], phone_verified: bool
) -> list[CheckResult]:
    """The pure checks: no I/O, so they can run anywhere (and in the benchmark)."""
    checks = set(level.checks)
    out: list[CheckResult] = []
    if Check.ID_NUMBER in checks:
        out.append(
            check_id_number(
                id_type=profile["id_type"],
                country=profile["id_country"],
                number=profile["id_number"],
                date_of_birth=date.fromisoformat(profile["date_of_birth"]),
            )
        )
    if Check.PHONE in checks:
        out.append(check_phone(profile["phone"], None))
    if Check.PHONE_OWNERSHIP in checks:
        out.append(
            CheckResult.passed("phone_ownership")
            if phone_verified
            else CheckResult.failed("phone_ownership", "PHONE_NOT_VERIFIED")
        )
    if Check.EMAIL in checks:
        out.append(check_email_domain(profile["email"]))
    if Check.DOCUMENTS in checks:
        # Reading and judging documents (OCR, MRZ, faces) is not wired in yet: until it
        # is, a person looks at every uploaded document instead of nobody.
        out.append(CheckResult.review("documents", "MANUAL_REVIEW_REQUIRED", automated=False))
    if Check.SANCTIONS in checks:
        out.append(CheckResult.review("sanctions", "SANCTIONS_SCREENING_REQUIRED", automated=False))
    return out


def outside_checks(run: JobRun, level: LevelPolicy, profile: dict[str, Any]) -> list[CheckResult]:
    adapters = run.platform.kyc
    out: list[CheckResult] = []
    name = profile.get("native_name") or f"{profile['last_name']} {profile['first_name']}"
    if (
        Check.REGISTRY in level.checks
        and profile["id_country"] == "CN"
        and (profile["id_type"] in REGISTRY_ID_TYPES)
    ):
        verdict = lookup_registry(
            adapters.registry, RegistryRequest(name=name, id_number=profile["id_number"])
        )
        out.append(check_registry(verdict))
    card = profile.get("card_number")
    if Check.BANK_CARD in level.checks and card:
        number = check_card_number(card)
        out.append(number)
        if number.outcome.value == "pass":
            request = BankVerificationRequest(
                name=name, card_number=card, id_number=profile["id_number"], phone=profile["phone"]
            )
            result = check_bank_card(verify_bank_card(adapters.bank, request))
            info = lookup_bin(card, adapters.bins)
            if info is not None:
                result.details.update(
                    scheme=info.scheme,
                    card_type=str(info.card_type),
                    issuer=info.issuer,
                    card_country=info.country,
                )
            out.append(result)
    return out


@job(RUN_CHECKS_JOB)
def run_checks(run: JobRun, payload: dict[str, Any]) -> None:
    platform = run.platform
    service = ApplicantService(platform)
    applicant_id, attempt = str(payload["applicant_id"]), int(payload["attempt"])
    with platform.db.session() as session:
        row = session.get(Applicant, applicant_id)
        if row is None or row.attempt != attempt or row.status not in ("submitted", "checking"):
            return  # decided already, or superseded by a newer attempt
        if row.status == "submitted":
            service.transition(session, row, Status.CHECKING, actor=ACTOR)
        level = service.level_of(session, row)
        profile = service.profile(row)
        results = data_checks(level, profile, row.phone_verified_at is not None)
        if Check.DUPLICATES in level.checks:
            results.append(duplicate_check(session, row))
        if Check.VELOCITY in level.checks:
            results.append(velocity_check(session, row, level))
    if Check.REGISTRY in level.checks or Check.BANK_CARD in level.checks:
        run.extend_lease(60)  # outside parties may take a while, with retries
        results += outside_checks(run, level, profile)

    with run.finish() as session:
        row = session.get(Applicant, applicant_id)
        assert row is not None
        if row.status != "checking" or row.attempt != attempt:
            return
        repo = CheckRepository(session, row.tenant_id)
        for result in results:
            repo.add(
                ApplicantCheck(
                    id=new_id("chk"),
                    tenant_id=row.tenant_id,
                    applicant_id=row.id,
                    attempt=attempt,
                    check=result.check,
                    outcome=result.outcome.value,
                    codes=list(result.codes),
                    details=dict(result.details),
                    created_at=utcnow(),
                )
            )
        attempts_left = level.thresholds.max_resubmissions - (attempt - 1)
        apply_decision(
            service, session, row, level, decide(level, results, attempts_left=attempts_left)
        )


def apply_decision(
    service: ApplicantService, session: Any, row: Applicant, level: LevelPolicy, decision: Decision
) -> None:
    row.decision_codes = list(decision.codes)
    row.decided_at = utcnow()
    target = {
        Verdict.APPROVED: Status.APPROVED,
        Verdict.REJECTED: Status.REJECTED,
        Verdict.RESUBMIT: Status.RESUBMISSION_REQUESTED,
        Verdict.REVIEW: Status.IN_REVIEW,
    }[decision.verdict]
    if target is Status.APPROVED:
        row.approved_at = utcnow()
        row.next_review_at = service.next_review_at(level, row.risk_rating)
        row.resubmission_steps = []
    elif target is Status.RESUBMISSION_REQUESTED:
        row.resubmission_steps = list(decision.resubmit_steps)
    elif target is Status.IN_REVIEW:
        ReviewService(service).open(session, row, level, list(decision.codes))
    service.transition(session, row, target, actor=ACTOR, codes=decision.codes)
