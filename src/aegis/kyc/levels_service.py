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


@dataclass(frozen=True, slots=True)
class ResolvedLevel:
    policy: LevelPolicy
    version: int  # 0: the built-in default


class LevelService:
    def __init__(self, audit: AuditTrail) -> None:
        self.audit = audit
        self._pinned: dict[tuple[str, str, int], ResolvedLevel] = {}

    def resolve(
        self, session: Session, tenant_id: str, name: str, version: int | None = None
    ) -> ResolvedLevel:
        if version is not None:
            # A published version never changes, so it can be kept for the process's life.
            cached = self._pinned.get((tenant_id, name, version))
            if cached is not None:
                return cached
            resolved = self._resolve(session, tenant_id, name, version)
            self._pinned[(tenant_id, name, version)] = resolved
            return resolved
        return self._resolve(session, tenant_id, name, None)

    def _resolve(
        self, session: Session, tenant_id: str, name: str, version: int | None
    ) -> ResolvedLevel:
        repo = LevelRepository(session, tenant_id)
        row = repo.latest(name) if version is None else repo.version(name, version)
        if row is not None:
            return ResolvedLevel(LevelPolicy.model_validate(row.definition), row.version)
        if name in DEFAULT_LEVELS and version in (None, 0):
            return ResolvedLevel(DEFAULT_LEVELS[name], 0)
        raise ValidationFailed(
            f"unknown verification level {name!r}",
            errors=[FieldError("#/level", "no such verification level", "unknown_level")],
        )

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
        self.audit.record(
            session,
            ctx,
            action="verification_level.published",
            target_type="verification_level",
            target_id=f"{policy.name}@{version}",
        )
        return ResolvedLevel(policy, version)
