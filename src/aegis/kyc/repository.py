"""All SQL of the KYC domain."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Select,
    bindparam,
    func,
    literal,
    or_,
    select,
    union_all,
)

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


@cache
def _duplicates_stmt(keys: tuple[str, ...]) -> CompoundSelect[Any]:
    # Built once per combination of identifiers: building costs more than running it.
    lookups = [
        select(Applicant.id, literal(key).label("key"))
        .where(
            Applicant.tenant_id == bindparam("tenant_id"),
            getattr(Applicant, key) == bindparam(key),
            Applicant.id != bindparam("self_id"),
        )
        .limit(50)
        .subquery()
        for key in keys
    ]
    return union_all(*(select(q.c.id, q.c.key) for q in lookups)).order_by("id")


@cache
def _count_stmt(column: str) -> Select[Any]:
    return select(func.count()).where(
        Applicant.tenant_id == bindparam("tenant_id"),
        getattr(Applicant, column) == bindparam("value"),
        Applicant.created_at >= bindparam("since"),
        Applicant.created_at <= bindparam("until"),
        Applicant.id != bindparam("self_id"),
    )


@cache
def _pointer_stmt(versioned: bool) -> Select[str, int]:
    stmt = select(VerificationLevel.id, VerificationLevel.version).where(
        VerificationLevel.tenant_id == bindparam("tenant_id"),
        VerificationLevel.name == bindparam("name"),
    )
    if versioned:
        stmt = stmt.where(VerificationLevel.version == bindparam("version"))
    return stmt.order_by(VerificationLevel.version.desc()).limit(1)


class ApplicantRepository(TenantRepository[Applicant]):
    model = Applicant

    def _core(self) -> Connection:
        """The transaction's connection, for the signal queries that read only other
        applicants' rows: no flush of the caller's (perhaps still pending) row or of the
        transaction's other new rows, and none of the ORM's execution layer, which costs
        more than the indexed lookup itself (about 80 µs a statement)."""
        return self.session.connection()

    def profiles_after(
        self, after: str | None, limit: int, *, exclude: tuple[str, ...]
    ) -> list[tuple[str, str]]:
        """(id, profile ciphertext) of the next ``limit`` applicants by id, for batch work
        that must read everyone (re-screening when a list changes)."""
        stmt = select(Applicant.id, Applicant.profile_enc).where(
            Applicant.tenant_id == self.tenant_id, Applicant.status.not_in(exclude)
        )
        if after is not None:
            stmt = stmt.where(Applicant.id > after)
        rows = self.session.execute(stmt.order_by(Applicant.id).limit(limit))
        return [(applicant_id, token) for applicant_id, token in rows]

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
        """Other applicants of the tenant sharing any blind-indexed identifier.

        One indexed lookup per identifier, joined with UNION ALL: an OR across columns
        would leave the planner one index for all of them, the tenant's.
        """
        keys = tuple(k for k in DUPLICATE_KEYS if getattr(applicant, k) is not None)
        if not keys:
            return {}
        params = {k: getattr(applicant, k) for k in keys}
        params.update(tenant_id=self.tenant_id, self_id=applicant.id)
        found: dict[str, list[str]] = {}
        for other_id, key in self._core().execute(_duplicates_stmt(keys), params):
            found.setdefault(key.removesuffix("_bidx"), []).append(other_id)
        return found

    def count_others_between(
        self, applicant: Applicant, column: str, value: str, since: datetime, until: datetime
    ) -> int:
        """Other applicants with ``column == value`` created in [since, until]; like
        ``duplicates``, without flushing ``applicant`` (whose own row is not counted)."""
        params = {
            "tenant_id": self.tenant_id,
            "value": value,
            "since": since,
            "until": until,
            "self_id": applicant.id,
        }
        return int(self._core().scalar(_count_stmt(column), params) or 0)

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

    def pointer(self, name: str, version: int | None) -> tuple[str, int] | None:
        """Id and version of the given (or the newest) version, without its definition."""
        params: dict[str, Any] = {"tenant_id": self.tenant_id, "name": name}
        if version is not None:
            params["version"] = version
        # Levels are not written in the transactions that read them: no flush needed, and
        # no ORM execution layer (about 80 µs) for two plain columns.
        stmt = _pointer_stmt(version is not None)
        row = self.session.connection().execute(stmt, params).first()
        return None if row is None else (row[0], row[1])

    def latest(self, name: str) -> VerificationLevel | None:
        stmt = (
            self._scoped()
            .where(VerificationLevel.name == name)
            .order_by(VerificationLevel.version.desc())
            .limit(1)
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
    append_only = True

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
    append_only = True

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
