"""All SQL of the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from aegis.kit.pagination import Page, PageRequest
from aegis.kit.repository import paginate
from aegis.privacy.audit.chain import GENESIS
from aegis.privacy.audit.models import AuditEvent, AuditHead
from aegis.storage.db import append_later, update_later


@dataclass(slots=True)
class Head:
    """A chain's head as this transaction has moved it (written before the commit)."""

    chain: str
    seq: int
    hash: str


# Built once: building a statement costs more than running it (each audited transaction
# locks a head and moves it). Two columns need none of the ORM's execution layer.
_HEAD_FOR_UPDATE = (
    select(AuditHead.seq, AuditHead.hash)
    .where(AuditHead.chain == bindparam("chain"))
    .with_for_update()
)
_MOVE_HEAD = (
    update(AuditHead)
    .where(AuditHead.chain == bindparam("head_chain"))
    .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"))
)


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_head(self, chain: str) -> Head:
        """The chain's head row, locked for this transaction (created on first use).

        PostgreSQL: ``SELECT ... FOR UPDATE`` makes concurrent appenders queue here instead
        of forking the chain. SQLite: write transactions start with ``BEGIN IMMEDIATE``, so
        the whole database is already ours.
        """
        params = {"chain": chain}
        # On the connection: nothing pending changes the head row, so flushing now would
        # only split the transaction's inserts into more statements.
        connection = self.session.connection()
        row = connection.execute(_HEAD_FOR_UPDATE, params).one_or_none()
        if row is None:
            dialect = connection.dialect.name
            ins: Any = pg_insert if dialect == "postgresql" else sqlite_insert
            connection.execute(
                ins(AuditHead).values(chain=chain, seq=0, hash=GENESIS).on_conflict_do_nothing()
            )
            row = connection.execute(_HEAD_FOR_UPDATE, params).one()
        return Head(chain, int(row[0]), str(row[1]))

    def append(self, event: AuditEvent, head: Head) -> None:
        """Queue the record and move the head; both are written before the next query or
        the commit (the record as an append-only row, the head once, as it is last)."""
        append_later(self.session, event)
        head.seq, head.hash = event.seq, event.hash
        params = {"head_chain": head.chain, "head_seq": head.seq, "head_hash": head.hash}
        update_later(self.session, ("audit_head", head.chain), _MOVE_HEAD, params)

    def chains(self) -> list[str]:
        return list(self.session.scalars(select(AuditHead.chain).order_by(AuditHead.chain)))

    def head(self, chain: str) -> tuple[int, str] | None:
        row = self.session.execute(
            select(AuditHead.seq, AuditHead.hash).where(AuditHead.chain == chain)
        ).one_or_none()
        return None if row is None else (int(row[0]), str(row[1]))

    def stream(self, chain: str, batch: int = 1000) -> Iterator[AuditEvent]:
        stmt = (
            select(AuditEvent)
            .where(AuditEvent.chain == chain)
            .order_by(AuditEvent.seq)
            .execution_options(yield_per=batch)
        )
        yield from self.session.scalars(stmt)

    def event_chains(self) -> list[str]:
        return list(self.session.scalars(select(AuditEvent.chain).distinct()))

    def list_for_tenant(
        self, tenant_id: str, page: PageRequest, *, target_id: str | None = None
    ) -> Page[AuditEvent]:
        stmt: Select[AuditEvent] = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
        if target_id:
            stmt = stmt.where(AuditEvent.target_id == target_id)
        return paginate(self.session, stmt, AuditEvent, page)
