"""/v1/audit-events: the tenant's own audit trail, read-only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from aegis.api.deps import AdminCtx, PageDep, ReadSessionDep
from aegis.errors import Forbidden, responses
from aegis.kit.pagination import PageOut
from aegis.privacy.audit.repository import AuditRepository

router = APIRouter(prefix="/v1", tags=["audit"])


class AuditEventOut(BaseModel):
    id: str
    seq: int
    actor: str
    action: str
    target_type: str
    target_id: str
    request_id: str | None
    occurred_at: datetime
    details: dict[str, Any]
    hash: str


@router.get("/audit-events", response_model=PageOut[AuditEventOut], responses=responses(Forbidden))
async def list_audit_events(
    ctx: AdminCtx,
    session: ReadSessionDep,
    page: PageDep,
    target_id: Annotated[str | None, Query(max_length=80, description="Only this record.")] = None,
) -> PageOut[AuditEventOut]:
    """Who did what to which record, newest first."""
    result = AuditRepository(session).list_for_tenant(ctx.tenant_id, page, target_id=target_id)
    return PageOut(
        data=[
            AuditEventOut(
                id=r.id,
                seq=r.seq,
                actor=r.actor,
                action=r.action,
                target_type=r.target_type,
                target_id=r.target_id,
                request_id=r.request_id,
                occurred_at=r.occurred_at,
                details=r.details,
                hash=r.hash,
            )
            for r in result.items
        ],
        has_more=result.next_cursor is not None,
        next_cursor=result.next_cursor,
    )
