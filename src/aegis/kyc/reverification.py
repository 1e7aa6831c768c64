"""Periodic re-verification: approved applicants whose document is about to expire, or
whose periodic review is due under their risk rating. (Identity changes trigger it at
once, in ``ApplicantService.update``.)"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from aegis.kit.time import utcnow
from aegis.kyc.repository import ApplicantRepository, tenants_with_approved
from aegis.kyc.states import Status

if TYPE_CHECKING:
    from aegis.kyc.service import ApplicantService

LOOKAHEAD = timedelta(days=366)  # widest expiry window a level may set


def scan(service: ApplicantService, *, batch: int = 200) -> dict[str, int]:
    """Mark every due applicant ``reverification_required``; returns counts by reason."""
    platform = service.platform
    now = utcnow()
    counts = {"DOCUMENT_EXPIRING": 0, "PERIODIC_REVIEW_DUE": 0}
    with platform.db.session(write=False) as session:
        tenants = tenants_with_approved(session)
    for tenant_id in tenants:
        after = ""
        while True:
            with platform.db.session() as session:
                rows = ApplicantRepository(session, tenant_id).due_for_reverification(
                    now=now, expiry_before=(now + LOOKAHEAD).date(), limit=batch, after=after
                )
                if not rows:
                    break
                after = rows[-1].id
                for row in rows:
                    level = service.level_of(session, row)
                    horizon = (
                        now + timedelta(days=level.thresholds.reverify_before_expiry_days)
                    ).date()
                    code = None
                    if row.document_expires_on is not None and row.document_expires_on <= horizon:
                        code, row.resubmission_steps = "DOCUMENT_EXPIRING", ["document"]
                    elif row.next_review_at is not None and row.next_review_at <= now:
                        code, row.resubmission_steps = "PERIODIC_REVIEW_DUE", ["identity_data"]
                    if code is None:
                        continue
                    row.decision_codes = [code]
                    service.transition(
                        session,
                        row,
                        Status.REVERIFICATION_REQUIRED,
                        actor="system:reverification",
                        codes=[code],
                    )
                    counts[code] += 1
    return counts
