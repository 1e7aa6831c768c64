"""The tenant's model registry in the database: versions, one champion whose score reaches
the rules, and at most one challenger scored in its shadow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.errors import NotFound
from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.risk.models import RiskModel
from aegis.risk.repository import ModelRepository
from aegis.storage.db import after_commit

if TYPE_CHECKING:
    from aegis.platform import Platform


class RiskModelService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.audit = platform.audit

    def all(self, session: Session, ctx: Ctx) -> list[RiskModel]:
        return ModelRepository(session, ctx.tenant_id).all()

    def register(
        self,
        session: Session,
        *,
        tenant_id: str,
        artifact: bytes,
        info: dict[str, Any],
        actor: str,
    ) -> RiskModel:
        repo = ModelRepository(session, tenant_id)
        row = RiskModel(
            id=new_id("mdl"),
            tenant_id=tenant_id,
            version=repo.next_version(),
            status="candidate",
            artifact=artifact,
            info=info,
            created_at=utcnow(),
        )
        repo.add(row)
        self.audit.record(
            session,
            None,
            action="risk.model_registered",
            target_type="model",
            target_id=row.id,
            actor=actor,
            tenant_id=tenant_id,
            details={"version": row.version},
        )
        return row

    def promote(self, session: Session, ctx: Ctx, model_id: str, role: str) -> RiskModel:
        repo = ModelRepository(session, ctx.tenant_id)
        row = repo.get(model_id)
        if row is None:
            raise NotFound(f"model {model_id} not found")
        if role in ("champion", "challenger"):
            current = repo.with_status(role)
            if current is not None and current.id != row.id:
                # A replaced champion is retired; a replaced challenger goes back to the shelf.
                current.status = "retired" if role == "champion" else "candidate"
        row.status = role
        row.promoted_at = utcnow()
        self.audit.record(
            session,
            ctx,
            action="risk.model_promoted",
            target_type="model",
            target_id=row.id,
            details={"role": role, "version": row.version},
        )
        tenant_id = ctx.tenant_id
        after_commit(session, lambda: self.platform.risk.invalidate(tenant_id))
        return row
