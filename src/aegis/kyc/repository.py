"""All SQL of the KYC domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from aegis.kit.pagination import Page, PageRequest
from aegis.kit.repository import TenantRepository, paginate
from aegis.kyc.models import (
    Applicant,
    ApplicantCheck,
    ApplicantDocument,
    ApplicantHistory,
    PhoneChallenge,
    Review,
    VerificationLevel,
)

DUPLICATE_KEYS = ("id_number_bidx", "phone_bidx", "email_bidx", "card_bidx", "device_bidx")


class ApplicantRepository(TenantRepository[Applicant]):
    model = Applicant

    def filtered(
        self,
        page: PageRequest,
        *,
        status: str | None,
        level: str | None,
        risk: str | None,
        external_id: str | None,
    ) -> Page[Applicant]:
        stmt = self._scoped()
        if status:
            stmt = stmt.where(Applicant.status == status)
        if level:
            stmt = stmt.where(Applicant.level == level)
        if risk:
            stmt = stmt.where(Applicant.risk_rating == risk)
        if external_id:
            stmt = stmt.where(Applicant.external_id == external_id)
        return self.paginate(stmt, page)

    def duplicates(self, applicant: Applicant) -> dict[str, list[str]]:
        """Other applicants of the tenant sharing any blind-indexed identifier."""
        found: dict[str, list[str]] = {}
        conditions = []
        for key in DUPLICATE_KEYS:
            value = getattr(applicant, key)
            if value is not None:
                conditions.append(getattr(Applicant, key) == value)
        if not conditions:
            return found
        stmt = (
            select(Applicant.id, *(getattr(Applicant, k) for k in DUPLICATE_KEYS))
            .where(Applicant.tenant_id == self.tenant_id, Applicant.id != applicant.id)
            .where(or_(*conditions))
            .order_by(Applicant.id)
            .limit(50)
        )
        for row in self.session.execute(stmt):
            other_id, values = row[0], row[1:]
            for key, value in zip(DUPLICATE_KEYS, values, strict=True):
                if value is not None and value == getattr(applicant, key):
                    found.setdefault(key.removesuffix("_bidx"), []).append(other_id)
        return found

    def count_between(self, column: str, value: str, since: datetime, until: datetime) -> int:
        stmt = select(func.count()).where(
            Applicant.tenant_id == self.tenant_id,
            getattr(Applicant, column) == value,
            Applicant.created_at >= since,
            Applicant.created_at <= until,
        )
        return int(self.session.scalar(stmt) or 0)

    def due_for_reverification(
        self, *, now: datetime, expiry_before: Any, limit: int, after: str = ""
    ) -> list[Applicant]:
        stmt = (
            self._scoped()
            .where(Applicant.status == "approved", Applicant.id > after)
            .where(
                or_(
                    Applicant.next_review_at <= now,
                    Applicant.document_expires_on <= expiry_before,
                )
            )
            .order_by(Applicant.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))


def tenants_with_approved(session: Any) -> list[str]:
    stmt = select(Applicant.tenant_id).where(Applicant.status == "approved").distinct()
    return list(session.scalars(stmt))


class LevelRepository(TenantRepository[VerificationLevel]):
    model = VerificationLevel

    def latest(self, name: str) -> VerificationLevel | None:
        stmt = (
            self._scoped()
            .where(VerificationLevel.name == name)
            .order_by(VerificationLevel.version.desc())
            .limit(1)
        )
        return self.session.scalars(stmt).first()

    def version(self, name: str, version: int) -> VerificationLevel | None:
        stmt = self._scoped().where(
            VerificationLevel.name == name, VerificationLevel.version == version
        )
        return self.session.scalars(stmt).first()

    def names(self) -> list[str]:
        stmt = (
            select(VerificationLevel.name)
            .where(VerificationLevel.tenant_id == self.tenant_id)
            .distinct()
        )
        return list(self.session.scalars(stmt))


class CheckRepository(TenantRepository[ApplicantCheck]):
    model = ApplicantCheck

    def for_applicant(self, applicant_id: str) -> list[ApplicantCheck]:
        stmt = self._scoped().where(ApplicantCheck.applicant_id == applicant_id)
        return list(self.session.scalars(stmt.order_by(ApplicantCheck.id)))


class DocumentRepository(TenantRepository[ApplicantDocument]):
    model = ApplicantDocument

    def for_applicant(self, applicant_id: str) -> list[ApplicantDocument]:
        stmt = self._scoped().where(ApplicantDocument.applicant_id == applicant_id)
        return list(self.session.scalars(stmt.order_by(ApplicantDocument.id)))

    def get_for(self, applicant_id: str, document_id: str) -> ApplicantDocument | None:
        stmt = self._scoped().where(
            ApplicantDocument.applicant_id == applicant_id, ApplicantDocument.id == document_id
        )
        return self.session.scalars(stmt).first()


class HistoryRepository(TenantRepository[ApplicantHistory]):
    model = ApplicantHistory

    def for_applicant(self, applicant_id: str) -> list[ApplicantHistory]:
        stmt = self._scoped().where(ApplicantHistory.applicant_id == applicant_id)
        return list(self.session.scalars(stmt.order_by(ApplicantHistory.id)))


class ChallengeRepository(TenantRepository[PhoneChallenge]):
    model = PhoneChallenge

    def active_for(self, applicant_id: str) -> PhoneChallenge | None:
        stmt = self._scoped().where(
            PhoneChallenge.applicant_id == applicant_id, PhoneChallenge.active.is_(True)
        )
        return self.session.scalars(stmt.order_by(PhoneChallenge.id.desc())).first()


class ReviewRepository(TenantRepository[Review]):
    model = Review

    def queue(self, page: PageRequest, status: str | None) -> Page[Review]:
        """Oldest first: the queue is worked in order of waiting time."""
        stmt = self._scoped()
        stmt = (
            stmt.where(Review.status == status)
            if status
            else stmt.where(Review.status != "decided")
        )
        return paginate(self.session, stmt, Review, page, newest_first=False)

    def open_for(self, applicant_id: str) -> Review | None:
        stmt = self._scoped().where(Review.applicant_id == applicant_id, Review.status != "decided")
        return self.session.scalars(stmt).first()
