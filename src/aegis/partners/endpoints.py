"""/v1/tenant and /v1/api-keys: thin; the rules are in the service."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from aegis.api.deps import (
    AdminCtx,
    PageDep,
    ReadSessionDep,
    ServicesDep,
    SessionDep,
    authorize,
    get_platform,
    get_services,
)
from aegis.api.responses import json_response
from aegis.auth.context import Scope
from aegis.errors import Forbidden, InvalidState, NotFound, responses
from aegis.kit.pagination import PageOut, page_out
from aegis.kit.time import utcnow
from aegis.partners.models import ApiKey, Tenant
from aegis.partners.repository import TenantRow
from aegis.partners.schemas import (
    ApiKeyCreate,
    ApiKeyOut,
    ApiKeyRotate,
    ApiKeyWithSecret,
    TenantOut,
    TenantSettings,
    TenantUpdate,
)
from aegis.partners.service import key_status
from aegis.storage.hot import LoopReads

router = APIRouter(prefix="/v1", tags=["tenant and API keys"])


def tenant_out(tenant: Tenant | TenantRow) -> TenantOut:
    return TenantOut(
        id=tenant.id,
        name=tenant.name,
        status=tenant.status,
        settings=TenantSettings.model_validate(tenant.settings),
        created_at=tenant.created_at,
    )


def key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=key.scopes,
        status=key_status(key, utcnow()),
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
        rotated_from=key.rotated_from,
    )


@router.get("/tenant", response_model=TenantOut, responses=responses(Forbidden))
async def get_tenant(request: Request) -> Response:
    """The caller's own tenant and its settings."""
    # The caller, the platform and the services straight from the request: FastAPI would
    # spend more on solving them as dependencies than this read costs (see ``authorize``).
    ctx = await authorize(request, Scope.READ)
    with LoopReads(get_platform(request).db) as reads:
        tenant = get_services(request).tenants.read(reads, ctx.tenant_id)
    return json_response(tenant_out(tenant))


@router.patch("/tenant", response_model=TenantOut, responses=responses(Forbidden))
def update_tenant(
    change: TenantUpdate, ctx: AdminCtx, session: SessionDep, services: ServicesDep
) -> TenantOut:
    """Rename the tenant or replace its settings (needs `admin`)."""
    return tenant_out(services.tenants.update(session, ctx, change))


@router.post(
    "/api-keys",
    response_model=ApiKeyWithSecret,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden),
)
def issue_key(
    spec: ApiKeyCreate, ctx: AdminCtx, session: SessionDep, services: ServicesDep
) -> ApiKeyWithSecret:
    """Issue a key. The secret is in this response only; store it now."""
    issued = services.api_keys.issue(
        session, tenant_id=ctx.tenant_id, spec=spec, actor=ctx.actor_ref, ctx=ctx
    )
    return ApiKeyWithSecret(**key_out(issued.key).model_dump(), secret=issued.secret)


@router.get("/api-keys", response_model=PageOut[ApiKeyOut], responses=responses(Forbidden))
async def list_keys(
    ctx: AdminCtx, session: ReadSessionDep, services: ServicesDep, page: PageDep
) -> PageOut[ApiKeyOut]:
    """The tenant's keys, newest first (hashes and secrets are never returned)."""
    result = services.api_keys.list_page(session, ctx.tenant_id, page)
    return page_out(result, key_out)


@router.get(
    "/api-keys/{key_id}", response_model=ApiKeyOut, responses=responses(Forbidden, NotFound)
)
async def get_key(
    key_id: str, ctx: AdminCtx, session: ReadSessionDep, services: ServicesDep
) -> ApiKeyOut:
    return key_out(services.api_keys.get(session, ctx.tenant_id, key_id))


@router.post(
    "/api-keys/{key_id}/revoke",
    response_model=ApiKeyOut,
    responses=responses(Forbidden, NotFound, InvalidState),
)
def revoke_key(key_id: str, ctx: AdminCtx, session: SessionDep, services: ServicesDep) -> ApiKeyOut:
    """Revoke now; requests with this key get 401 from then on."""
    key = services.api_keys.revoke(
        session, tenant_id=ctx.tenant_id, key_id=key_id, actor=ctx.actor_ref, ctx=ctx
    )
    return key_out(key)


@router.post(
    "/api-keys/{key_id}/rotate",
    response_model=ApiKeyWithSecret,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden, NotFound, InvalidState),
)
def rotate_key(
    key_id: str,
    ctx: AdminCtx,
    session: SessionDep,
    services: ServicesDep,
    body: ApiKeyRotate | None = None,
) -> ApiKeyWithSecret:
    """Issue a successor with the same scopes; the old key stops now or after a grace period."""
    issued = services.api_keys.rotate(
        session,
        tenant_id=ctx.tenant_id,
        key_id=key_id,
        actor=ctx.actor_ref,
        grace_seconds=body.grace_seconds if body else 0,
        ctx=ctx,
    )
    return ApiKeyWithSecret(**key_out(issued.key).model_dump(), secret=issued.secret)
