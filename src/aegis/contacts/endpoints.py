"""/v1/contacts: the partner's compliance contacts (PII, encrypted at rest)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from aegis.api.deps import (
    AdminCtx,
    PageDep,
    ReadCtx,
    ReadSessionDep,
    ServicesDep,
    SessionDep,
    authorize,
    get_services,
    require,
)
from aegis.api.responses import json_response
from aegis.auth.context import Ctx, Scope
from aegis.contacts.schemas import ContactCreate, ContactOut, ContactSearch, ContactUpdate
from aegis.errors import Forbidden, NotFound, responses
from aegis.kit.pagination import PageOut, page_out

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])


# First: the most frequent request, and FastAPI tries the routes in order (twice).
@router.get("/{contact_id}", response_model=ContactOut, responses=responses(Forbidden, NotFound))
async def get_contact(contact_id: str, request: Request) -> Response:
    # The caller and the services straight from the request: FastAPI would spend more on
    # solving them as dependencies than this read costs (see ``authorize``).
    ctx = await authorize(request, Scope.READ)
    return json_response(get_services(request).contacts.read(ctx, contact_id))


@router.post(
    "",
    response_model=ContactOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden),
)
def create_contact(
    spec: ContactCreate, ctx: AdminCtx, session: SessionDep, services: ServicesDep
) -> ContactOut:
    """Register a contact; name, e-mail, phone and notes are encrypted at rest."""
    return services.contacts.to_out(services.contacts.create(session, ctx, spec))


@router.get("", response_model=PageOut[ContactOut], responses=responses(Forbidden))
async def list_contacts(
    ctx: ReadCtx, session: ReadSessionDep, services: ServicesDep, page: PageDep
) -> PageOut[ContactOut]:
    result = services.contacts.list_page(session, ctx, page)
    return page_out(result, services.contacts.to_out)


@router.post("/search", response_model=list[ContactOut], responses=responses(Forbidden))
def search_contacts(
    query: ContactSearch,
    ctx: Annotated[Ctx, Depends(require(Scope.READ))],
    session: SessionDep,
    services: ServicesDep,
) -> list[ContactOut]:
    """Exact match on e-mail and/or phone through blind indexes (no decryption, no scan)."""
    return [services.contacts.to_out(c) for c in services.contacts.search(session, ctx, query)]


@router.patch("/{contact_id}", response_model=ContactOut, responses=responses(Forbidden, NotFound))
def update_contact(
    contact_id: str,
    change: ContactUpdate,
    ctx: AdminCtx,
    session: SessionDep,
    services: ServicesDep,
) -> ContactOut:
    return services.contacts.to_out(services.contacts.update(session, ctx, contact_id, change))


@router.delete(
    "/{contact_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=responses(Forbidden, NotFound),
)
def delete_contact(
    contact_id: str, ctx: AdminCtx, session: SessionDep, services: ServicesDep
) -> None:
    services.contacts.delete(session, ctx, contact_id)
