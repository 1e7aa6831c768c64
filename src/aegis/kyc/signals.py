"""Fraud signals at onboarding: the same identity twice, and registrations in bursts.

Both work on blind indexes only: duplicates compare keyed hashes of ID number, phone,
e-mail, card and device; bursts count keyed hashes of IP, device, phone prefix and
e-mail domain over sliding windows in the database, so every process sees the same counts.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from aegis.checks.result import CheckResult
from aegis.kit.time import utcnow
from aegis.kyc.levels import LevelPolicy
from aegis.kyc.models import Applicant
from aegis.kyc.repository import ApplicantRepository

_VELOCITY_COLUMNS = {
    "ip": "ip_bidx",
    "device": "device_bidx",
    "phone_prefix": "phone_prefix_bidx",
    "email_domain": "email_domain_bidx",
}


def duplicate_check(session: Session, row: Applicant) -> CheckResult:
    found = ApplicantRepository(session, row.tenant_id).duplicates(row)
    if not found:
        return CheckResult.passed("duplicates")
    others = sorted({other for ids in found.values() for other in ids})
    return CheckResult.review(
        "duplicates", "DUPLICATE_IDENTITY", fields=sorted(found), duplicate_of=others
    )


def velocity_check(session: Session, row: Applicant, level: LevelPolicy) -> CheckResult:
    repo = ApplicantRepository(session, row.tenant_id)
    bursts = []
    for rule in level.thresholds.velocity:
        column = _VELOCITY_COLUMNS[rule.key]
        value = getattr(row, column)
        if value is None:
            continue
        since = row.created_at - timedelta(seconds=rule.window_seconds)
        # Registrations in the window that ends with this one (itself included): later ones
        # are not its burst.
        count = 1 + repo.count_others_between(row, column, value, since, row.created_at)
        if count > rule.max_count:
            bursts.append(
                {
                    "key": rule.key,
                    "count": count,
                    "window_seconds": rule.window_seconds,
                    "max_count": rule.max_count,
                }
            )
    if not bursts:
        return CheckResult.passed("velocity", checked_at=utcnow().isoformat())
    return CheckResult.review("velocity", "ABNORMAL_REGISTRATION", bursts=bursts)
