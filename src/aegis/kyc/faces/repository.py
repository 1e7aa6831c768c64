"""All SQL of faces and liveness."""

from __future__ import annotations

from sqlalchemy import select

from aegis.kit.repository import TenantRepository
from aegis.kyc.faces.models import LivenessCheck


class LivenessRepository(TenantRepository[LivenessCheck]):
    model = LivenessCheck

    def get_for(self, applicant_id: str, liveness_id: str) -> LivenessCheck | None:
        row = self.get(liveness_id)
        return row if row is not None and row.applicant_id == applicant_id else None

    def latest_completed(self, applicant_id: str, attempt: int) -> LivenessCheck | None:
        stmt = (
            self._scoped()
            .where(
                LivenessCheck.applicant_id == applicant_id,
                LivenessCheck.attempt == attempt,
                LivenessCheck.status != "issued",
            )
            .order_by(LivenessCheck.id.desc())
            .limit(1)
        )
        return self.session.scalars(stmt).first()

    def recent_fingerprints(self, limit: int = 500) -> list[LivenessCheck]:
        """The tenant's latest completed sequences, for the replay comparison."""
        stmt = (
            select(LivenessCheck)
            .where(
                LivenessCheck.tenant_id == self.tenant_id,
                LivenessCheck.fingerprint_exact.is_not(None),
            )
            .order_by(LivenessCheck.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))
