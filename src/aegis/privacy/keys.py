"""The key ring's storage: create, load and retire data keys."""

from __future__ import annotations

import os

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.privacy.crypto import KeyMaterial, Loader, master_key_id, unwrap_key, wrap_key
from aegis.privacy.models import VaultKey
from aegis.storage.db import Database

PURPOSES = ("data", "index", "audit")


class VaultKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[VaultKey]:
        return list(self.session.scalars(select(VaultKey).order_by(VaultKey.created_at)))

    def active(self, purpose: str) -> list[VaultKey]:
        stmt = select(VaultKey).where(VaultKey.purpose == purpose, VaultKey.status == "active")
        return list(self.session.scalars(stmt))

    def create(self, master: bytes, purpose: str) -> VaultKey:
        key_id = new_id("dek")
        row = VaultKey(
            id=key_id,
            purpose=purpose,
            status="active",
            wrapped=wrap_key(master, key_id, os.urandom(32)),
            master_key_id=master_key_id(master),
            created_at=utcnow(),
        )
        self.session.add(row)
        self.session.flush()
        return row

    def demote_others(self, purpose: str, keep: str) -> None:
        """Older keys stay readable; they only stop encrypting new values."""
        self.session.execute(
            update(VaultKey)
            .where(VaultKey.purpose == purpose, VaultKey.status == "active", VaultKey.id != keep)
            .values(status="decrypt_only")
        )

    def retire(self, key_id: str) -> None:
        self.session.execute(
            update(VaultKey)
            .where(VaultKey.id == key_id)
            .values(status="retired", retired_at=utcnow())
        )


# Keys of these purposes never rotate: every process must agree on one of them forever.
STABLE_PURPOSES = frozenset({"index", "audit"})
_BOOTSTRAP_LOCK = 0x41454749  # "AEGI": advisory lock id for key creation on PostgreSQL


def ensure_keys(db: Database, master: bytes) -> None:
    """Create the first key of each purpose. Safe to call from many processes at once:
    SQLite's write transaction (BEGIN IMMEDIATE) and PostgreSQL's advisory lock make the
    check-then-create atomic, so no purpose ever gets two competing first keys."""
    with db.session() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _BOOTSTRAP_LOCK})
        repo = VaultKeyRepository(session)
        for purpose in PURPOSES:
            if not repo.active(purpose):
                repo.create(master, purpose)


def make_loader(db: Database, master: bytes) -> Loader:
    def load() -> list[KeyMaterial]:
        with db.session(write=False) as session:
            rows = VaultKeyRepository(session).all()
        # Rows come oldest first: data keys take the newest active one (rotation), stable
        # purposes the oldest, so a stray second key could never split indexes or the chain.
        chosen: dict[str, str] = {}
        for row in rows:
            if row.status == "active" and not (
                row.purpose in STABLE_PURPOSES and row.purpose in chosen
            ):
                chosen[row.purpose] = row.id
        return [
            KeyMaterial(
                key_id=row.id,
                purpose=row.purpose,
                key=unwrap_key(master, row.id, row.wrapped),
                active=chosen.get(row.purpose) == row.id,
            )
            for row in rows
        ]

    return load
