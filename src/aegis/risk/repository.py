"""All risk SQL, tenant-scoped."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import Integer, bindparam, func, literal_column, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause

from aegis.kit.pagination import Page, PageRequest
from aegis.kit.repository import TenantRepository
from aegis.risk.models import (
    AccountRestriction,
    RiskAlert,
    RiskDecision,
    RiskLabel,
    RiskListEntry,
    RiskModel,
    RiskRuleSet,
    RiskTransaction,
)
from aegis.storage.hot import HotStatement, Reads

# Built once: a decision runs these on every transaction, and building a statement costs
# more than running it on an index.
_BY_EXTERNAL_ID = select(RiskTransaction).where(
    RiskTransaction.tenant_id == bindparam("tenant_id"),
    RiskTransaction.external_id == bindparam("external_id"),
)
_LAST_FOR_CUSTOMER = (
    select(RiskTransaction.occurred_at)
    .where(
        RiskTransaction.tenant_id == bindparam("tenant_id"),
        RiskTransaction.customer_ref == bindparam("customer_ref"),
        RiskTransaction.occurred_at < bindparam("before"),
    )
    .order_by(RiskTransaction.occurred_at.desc())
    .limit(1)
)
_RESTRICTION = select(AccountRestriction).where(
    AccountRestriction.tenant_id == bindparam("tenant_id"),
    AccountRestriction.customer_ref == bindparam("customer_ref"),
)
# The per-payment reads, on the driver's cursor (see aegis.storage.hot).
_HOT_RESTRICTION = HotStatement(
    select(AccountRestriction.frozen, AccountRestriction.limit_amount).where(
        AccountRestriction.tenant_id == bindparam("tenant_id"),
        AccountRestriction.customer_ref == bindparam("customer_ref"),
    )
)
_HOT_LAST_FOR_CUSTOMER = HotStatement(_LAST_FOR_CUSTOMER)
_HOT_STORED_SINCE = HotStatement(
    select(RiskTransaction.external_id, RiskTransaction.created_at)
    .where(
        RiskTransaction.tenant_id == bindparam("tenant_id"),
        RiskTransaction.created_at >= bindparam("since"),
    )
    .order_by(RiskTransaction.created_at, RiskTransaction.id)
    .limit(bindparam("limit"))
)
# SQLite only: its rowids grow in commit order (one writer at a time takes max + 1).
_ROWID: ColumnClause[int] = literal_column("rowid", Integer)
_HOT_SEALED_AFTER_ROW = HotStatement(
    select(_ROWID, RiskTransaction.id, RiskTransaction.external_id, RiskTransaction.data_enc)
    .where(RiskTransaction.tenant_id == bindparam("tenant_id"), bindparam("after") < _ROWID)
    .order_by(_ROWID)
    .limit(bindparam("limit"))
)
_HOT_LAST_ROW = HotStatement(select(func.max(_ROWID)).select_from(RiskTransaction))
_HOT_EXISTS = HotStatement(
    select(RiskTransaction.id).where(
        RiskTransaction.tenant_id == bindparam("tenant_id"),
        RiskTransaction.external_id == bindparam("external_id"),
    )
)


class TransactionRepository(TenantRepository[RiskTransaction]):
    model = RiskTransaction
    append_only = True

    def by_external_id(self, external_id: str) -> RiskTransaction | None:
        params = {"tenant_id": self.tenant_id, "external_id": external_id}
        return self.session.scalars(_BY_EXTERNAL_ID, params).one_or_none()

    def by_external_ids(self, external_ids: Sequence[str]) -> list[RiskTransaction]:
        found: list[RiskTransaction] = []
        ids = list(external_ids)
        for start in range(0, len(ids), 500):  # a bounded IN list per statement
            chunk = ids[start : start + 500]
            stmt = self._scoped().where(RiskTransaction.external_id.in_(chunk))
            found.extend(self.session.scalars(stmt))
        return found

    def set_status(self, row_id: str, status: str, reason: str | None) -> None:
        self.session.execute(
            update(RiskTransaction)
            .where(RiskTransaction.tenant_id == self.tenant_id, RiskTransaction.id == row_id)
            .values(status=status, status_reason=reason)
        )

    def since(self, horizon: datetime) -> Iterator[RiskTransaction]:
        """The tenant's transactions from ``horizon`` on, oldest first, streamed."""
        stmt = (
            self._scoped()
            .where(RiskTransaction.occurred_at >= horizon)
            .order_by(RiskTransaction.occurred_at, RiskTransaction.id)
            .execution_options(yield_per=2000)
        )
        yield from self.session.scalars(stmt)

    def sealed_data(self, external_ids: Sequence[str]) -> list[tuple[str, str, str]]:
        """``(id, external_id, data_enc)`` of these transactions: what replaying another
        process's decisions needs, without loading whole rows."""
        found: list[tuple[str, str, str]] = []
        ids = list(external_ids)
        columns = (RiskTransaction.id, RiskTransaction.external_id, RiskTransaction.data_enc)
        for start in range(0, len(ids), 500):  # a bounded IN list per statement
            stmt = select(*columns).where(
                RiskTransaction.tenant_id == self.tenant_id,
                RiskTransaction.external_id.in_(ids[start : start + 500]),
            )
            found.extend((row[0], row[1], row[2]) for row in self.session.execute(stmt))
        return found

    def by_row_order(self) -> bool:
        """Whether storage order can be followed by rowid (SQLite), with no overlap."""
        return self.session.get_bind().dialect.name == "sqlite"

    def last_row(self) -> int:
        """SQLite: the newest rowid of the table (0 when empty)."""
        return last_row(self.session)

    def stored_since(self, since: datetime, limit: int = 10_000) -> list[tuple[str, datetime]]:
        """``(external_id, created_at)`` of the transactions stored from ``since`` on, by
        storage time: cheap enough to poll every second for what other processes stored."""
        rows = _HOT_STORED_SINCE.all(
            self.session, tenant_id=self.tenant_id, since=since, limit=limit
        )
        return [(row[0], row[1]) for row in rows]

    def last_time_for_customer(self, customer_ref: str, before: datetime) -> datetime | None:
        return last_time_for_customer(self.session, self.tenant_id, customer_ref, before)

    def exists(self, external_id: str) -> bool:
        found = _HOT_EXISTS.first(self.session, tenant_id=self.tenant_id, external_id=external_id)
        return found is not None


class DecisionRepository(TenantRepository[RiskDecision]):
    model = RiskDecision
    append_only = True

    def page(self, page: PageRequest, *, outcome: str | None) -> Page[RiskDecision]:
        stmt = self._scoped()
        if outcome is not None:
            stmt = stmt.where(RiskDecision.outcome == outcome)
        return self.paginate(stmt, page)


class RuleSetRepository(TenantRepository[RiskRuleSet]):
    model = RiskRuleSet

    def versions(self, name: str) -> list[RiskRuleSet]:
        stmt = self._scoped().where(RiskRuleSet.name == name).order_by(RiskRuleSet.version)
        return list(self.session.scalars(stmt))

    def published(self, name: str) -> RiskRuleSet | None:
        stmt = self._scoped().where(RiskRuleSet.name == name, RiskRuleSet.status == "published")
        return self.session.scalars(stmt).one_or_none()

    def published_version(self, name: str) -> int | None:
        stmt = select(RiskRuleSet.version).where(
            RiskRuleSet.tenant_id == self.tenant_id,
            RiskRuleSet.name == name,
            RiskRuleSet.status == "published",
        )
        return self.session.scalars(stmt).one_or_none()

    def by_version(self, name: str, version: int) -> RiskRuleSet | None:
        stmt = self._scoped().where(RiskRuleSet.name == name, RiskRuleSet.version == version)
        return self.session.scalars(stmt).one_or_none()

    def names(self) -> list[str]:
        stmt = select(RiskRuleSet.name).where(RiskRuleSet.tenant_id == self.tenant_id)
        return sorted(set(self.session.scalars(stmt)))


class ListEntryRepository(TenantRepository[RiskListEntry]):
    model = RiskListEntry

    def all(self) -> list[RiskListEntry]:
        return list(self.session.scalars(self._scoped().order_by(RiskListEntry.id)))

    def page(
        self, page: PageRequest, *, list_name: str | None, kind: str | None
    ) -> Page[RiskListEntry]:
        stmt = self._scoped()
        if list_name is not None:
            stmt = stmt.where(RiskListEntry.list_type == list_name)
        if kind is not None:
            stmt = stmt.where(RiskListEntry.kind == kind)
        return self.paginate(stmt, page)

    def newest_change(self) -> datetime | None:
        stmt = select(RiskListEntry.updated_at).where(RiskListEntry.tenant_id == self.tenant_id)
        return self.session.scalars(stmt.order_by(RiskListEntry.updated_at.desc()).limit(1)).first()

    def count(self) -> int:
        from sqlalchemy import func

        stmt = (
            select(func.count())
            .select_from(RiskListEntry)
            .where(RiskListEntry.tenant_id == self.tenant_id)
        )
        return int(self.session.scalar(stmt) or 0)


class LabelRepository(TenantRepository[RiskLabel]):
    model = RiskLabel

    def after(self, label_id: str | None, limit: int = 5000) -> list[RiskLabel]:
        """Labels newer than ``label_id`` (ids are time-ordered), oldest first."""
        stmt = self._scoped()
        if label_id is not None:
            stmt = stmt.where(RiskLabel.id > label_id)
        return list(self.session.scalars(stmt.order_by(RiskLabel.id).limit(limit)))

    def for_transactions(self, transaction_ids: Sequence[str]) -> list[RiskLabel]:
        stmt = self._scoped().where(RiskLabel.transaction_id.in_(list(transaction_ids)))
        return list(self.session.scalars(stmt))


class ModelRepository(TenantRepository[RiskModel]):
    model = RiskModel

    def with_status(self, status: str) -> RiskModel | None:
        stmt = self._scoped().where(RiskModel.status == status)
        return self.session.scalars(stmt.order_by(RiskModel.version.desc())).first()

    def all(self) -> list[RiskModel]:
        stmt = self._scoped().order_by(RiskModel.version.desc())
        return list(self.session.scalars(stmt))

    def next_version(self) -> int:
        from sqlalchemy import func

        stmt = select(func.max(RiskModel.version)).where(RiskModel.tenant_id == self.tenant_id)
        return int(self.session.scalar(stmt) or 0) + 1

    def active_ids(self) -> tuple[str | None, str | None]:
        champion = self.with_status("champion")
        challenger = self.with_status("challenger")
        return (champion.id if champion else None, challenger.id if challenger else None)


class AlertRepository(TenantRepository[RiskAlert]):
    model = RiskAlert
    append_only = True

    def page(self, page: PageRequest, *, status: str | None) -> Page[RiskAlert]:
        stmt = self._scoped()
        if status is not None:
            stmt = stmt.where(RiskAlert.status == status)
        return self.paginate(stmt, page)


class RestrictionRepository(TenantRepository[AccountRestriction]):
    model = AccountRestriction

    def by_ref(self, customer_ref: str) -> AccountRestriction | None:
        params = {"tenant_id": self.tenant_id, "customer_ref": customer_ref}
        return self.session.scalars(_RESTRICTION, params).one_or_none()

    def state(self, customer_ref: str) -> tuple[bool, int | None] | None:
        return restriction_state(self.session, self.tenant_id, customer_ref)


# --- the per-payment reads, on a session or on the event loop's reads ------------------
def restriction_state(
    reads: Session | Reads, tenant_id: str, customer_ref: str
) -> tuple[bool, int | None] | None:
    """``(frozen, limit_amount)`` of the customer's restriction, if any."""
    row = _HOT_RESTRICTION.first(reads, tenant_id=tenant_id, customer_ref=customer_ref)
    return None if row is None else (bool(row[0]), row[1])


def last_time_for_customer(
    reads: Session | Reads, tenant_id: str, customer_ref: str, before: datetime
) -> datetime | None:
    """When the customer last paid before ``before`` (dormancy)."""
    row = _HOT_LAST_FOR_CUSTOMER.first(
        reads, tenant_id=tenant_id, customer_ref=customer_ref, before=before
    )
    return None if row is None else row[0]


def sealed_after_row(
    reads: Session | Reads, tenant_id: str, after: int, limit: int
) -> list[tuple[int, str, str, str]]:
    """SQLite: ``(rowid, id, external_id, data_enc)`` of the tenant's transactions stored
    after rowid ``after``, in storage order: a page of what other processes decided, with
    what recording it needs. SQLite's rowids grow in commit order (one writer at a time
    takes max + 1)."""
    rows = _HOT_SEALED_AFTER_ROW.all(reads, tenant_id=tenant_id, after=after, limit=limit)
    return [(int(row[0]), row[1], row[2], row[3]) for row in rows]


def last_row(reads: Session | Reads) -> int:
    """SQLite: the newest rowid of the transactions (0 when empty)."""
    found = _HOT_LAST_ROW.first(reads)
    return int(found[0] or 0) if found else 0
