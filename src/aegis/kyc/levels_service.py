"""Resolving and publishing verification levels for a tenant."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.errors import FieldError, NotFound, ValidationFailed
from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.kyc.levels import DEFAULT_LEVELS, LevelPolicy
from aegis.kyc.models import VerificationLevel
from aegis.kyc.repository import LevelRepository
from aegis.privacy.audit.service import AuditTrail
from aegis.storage.db import transaction_cache


@dataclass(frozen=True, slots=True)
class ResolvedLevel:
    policy: LevelPolicy
    version: int  # 0: the built-in default


class LevelService:
    def __init__(self, audit: AuditTrail) -> None:
        self.audit = audit
        self._by_id: dict[str, ResolvedLevel] = {}

    def resolve(
        self, session: Session, tenant_id: str, name: str, version: int | None = None
    ) -> ResolvedLevel:
        """The given version of a level, or its newest: one small query, then a cache.

        Within a transaction a level is looked up once. The process-wide cache is keyed by
        the row's id: a published version never changes, and an id is never reused, even by
        a version whose transaction was rolled back.
        """
        seen: dict[tuple[str, str, int | None], ResolvedLevel] = transaction_cache(
            session, "levels"
        )
        resolved = seen.get((tenant_id, name, version))
        if resolved is None:
            resolved = self._lookup(session, tenant_id, name, version)
            seen[(tenant_id, name, version)] = seen[(tenant_id, name, resolved.version)] = resolved
        return resolved

    def _lookup(
        self, session: Session, tenant_id: str, name: str, version: int | None
    ) -> ResolvedLevel:
        repo = LevelRepository(session, tenant_id)
        pointer = repo.pointer(name, version)
        if pointer is None:
            if name in DEFAULT_LEVELS and version in (None, 0):
                return ResolvedLevel(DEFAULT_LEVELS[name], 0)
            raise ValidationFailed(
                f"unknown verification level {name!r}",
                errors=[FieldError("#/level", "no such verification level", "unknown_level")],
            )
        row_id, found = pointer
        cached = self._by_id.get(row_id)
        if cached is None:
            row = repo.get(row_id)
            assert row is not None
            cached = self._by_id[row_id] = ResolvedLevel(
                LevelPolicy.model_validate(row.definition), found
            )
        return cached

    def all(self, session: Session, tenant_id: str) -> list[ResolvedLevel]:
        names = sorted(set(DEFAULT_LEVELS) | set(LevelRepository(session, tenant_id).names()))
        return [self.resolve(session, tenant_id, n) for n in names]

    def get(self, session: Session, tenant_id: str, name: str) -> ResolvedLevel:
        try:
            return self.resolve(session, tenant_id, name)
        except ValidationFailed:
            raise NotFound(f"verification level {name} not found") from None

    def publish(self, session: Session, ctx: Ctx, policy: LevelPolicy) -> ResolvedLevel:
        """A new version; applicants already under way keep the version they started with."""
        repo = LevelRepository(session, ctx.tenant_id)
        latest = repo.latest(policy.name)
        version = (latest.version if latest else 0) + 1
        repo.add(
            VerificationLevel(
                id=new_id("lvl"),
                tenant_id=ctx.tenant_id,
                name=policy.name,
                version=version,
                definition=policy.model_dump(mode="json"),
                created_by=ctx.actor_ref,
                created_at=utcnow(),
            )
        )
        # Written now, so this transaction's later lookups (which do not flush) see it.
        session.flush()
        transaction_cache(session, "levels").pop((ctx.tenant_id, policy.name, None), None)
        self.audit.record(
            session,
            ctx,
            action="verification_level.published",
            target_type="verification_level",
            target_id=f"{policy.name}@{version}",
        )
        return ResolvedLevel(policy, version)
