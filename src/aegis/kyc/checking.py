"""Running an applicant's checks and acting on the decision, wherever that happens.

Two places run checks: the ``kyc.run_checks`` job, when a check must call an outside party
(the registry, the bank: slow, retried, between transactions), and ``submit`` itself, when
every check is local (pure functions and queries on our own data), so the decision commits
with the submission and the partner has it in the response.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from aegis.checks.card.bank import BankVerificationRequest, check_bank_card, verify_bank_card
from aegis.checks.card.luhn_bin import check_card_number, lookup_bin
from aegis.checks.email import check_email_domain
from aegis.checks.identity.id_numbers import check_id_number
from aegis.checks.phone.validity import check_phone
from aegis.checks.registry.registry import RegistryRequest, check_registry, lookup_registry
from aegis.checks.result import CheckResult
from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.kyc.levels import Check, LevelPolicy, Step
from aegis.kyc.models import Applicant, ApplicantCheck
from aegis.kyc.policy import Decision, Verdict, decide
from aegis.kyc.repository import CheckRepository
from aegis.kyc.signals import duplicate_check, velocity_check
from aegis.kyc.states import Status
from aegis.storage.db import build

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from aegis.kyc.adapters import KycAdapters
    from aegis.kyc.service import ApplicantService
    from aegis.platform import Platform

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
    return out


def needs_worker(level: LevelPolicy, profile: dict[str, Any]) -> bool:
    """Whether a check of this level calls an outside party (the registry, the bank) for
    this applicant, or reads images (OCR, faces): such checks take seconds, wait or retry,
    and must not hold a request or a transaction."""
    if Check.DOCUMENTS in level.checks or Step.LIVENESS in level.steps:
        return True
    registry = (
        Check.REGISTRY in level.checks
        and profile["id_country"] == "CN"
        and profile["id_type"] in REGISTRY_ID_TYPES
    )
    return registry or (Check.BANK_CARD in level.checks and bool(profile.get("card_number")))


def local_checks(
    session: Session,
    row: Applicant,
    level: LevelPolicy,
    profile: dict[str, Any],
    *,
    platform: Platform,
) -> list[CheckResult]:
    """Every check that needs nothing but the applicant's data and our own records
    (the sanctions lists included: they are loaded into our database)."""
    results = data_checks(level, profile, row.phone_verified_at is not None)
    if Check.DUPLICATES in level.checks:
        results.append(duplicate_check(session, row))
    if Check.VELOCITY in level.checks:
        results.append(velocity_check(session, row, level))
    if Check.SANCTIONS in level.checks:
        from aegis.screening.service import ScreeningService

        results.append(
            ScreeningService(platform).check_applicant(
                session, tenant_id=row.tenant_id, applicant_id=row.id, profile=profile
            )
        )
    return results


def outside_checks(
    adapters: KycAdapters, level: LevelPolicy, profile: dict[str, Any]
) -> list[CheckResult]:
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


def conclude(
    service: ApplicantService,
    session: Session,
    row: Applicant,
    level: LevelPolicy,
    results: list[CheckResult],
) -> None:
    """Record every check of this attempt, decide, and move the applicant on."""
    repo = CheckRepository(session, row.tenant_id)
    now = utcnow()
    for result in results:
        repo.add(
            build(
                ApplicantCheck,
                id=new_id("chk"),
                tenant_id=row.tenant_id,
                applicant_id=row.id,
                attempt=row.attempt,
                check=result.check,
                outcome=result.outcome.value,
                codes=list(result.codes),
                details=dict(result.details),
                created_at=now,
            )
        )
    attempts_left = level.thresholds.max_resubmissions - (row.attempt - 1)
    apply_decision(
        service, session, row, level, decide(level, results, attempts_left=attempts_left)
    )


def apply_decision(
    service: ApplicantService,
    session: Session,
    row: Applicant,
    level: LevelPolicy,
    decision: Decision,
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
        from aegis.kyc.review.service import ReviewService  # imports the applicant service

        ReviewService(service).open(session, row, level, list(decision.codes))
    service.transition(session, row, target, actor=ACTOR, codes=decision.codes)
