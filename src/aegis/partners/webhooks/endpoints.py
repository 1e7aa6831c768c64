"""/v1/webhook-endpoints, /v1/webhook-events, /v1/webhook-deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from aegis.api.deps import AdminCtx, PageDep, ReadSessionDep, ServicesDep, SessionDep
from aegis.errors import Forbidden, InvalidState, NotFound, responses
from aegis.kit.pagination import PageOut, page_out
from aegis.partners.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from aegis.partners.webhooks.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointUpdate,
    EndpointWithSecret,
    EventOut,
    SecretRotate,
)

router = APIRouter(prefix="/v1", tags=["webhooks"])


def endpoint_out(row: WebhookEndpoint) -> EndpointOut:
    return EndpointOut.model_validate(row)


def event_out(row: WebhookEvent) -> EventOut:
    return EventOut(id=row.id, type=row.type, created_at=row.created_at, data=row.payload)


def delivery_out(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut.model_validate(row)


def attempt_out(row: WebhookAttempt) -> AttemptOut:
    return AttemptOut.model_validate(row)


@router.post(
    "/webhook-endpoints",
    response_model=EndpointWithSecret,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden),
)
def create_endpoint(
    spec: EndpointCreate, ctx: AdminCtx, session: SessionDep, services: ServicesDep
) -> EndpointWithSecret:
    """Register a URL; the signing secret is returned once."""
    row, secret = services.webhooks.create(session, ctx, spec)
    return EndpointWithSecret(**endpoint_out(row).model_dump(), secret=secret)


@router.get(
    "/webhook-endpoints", response_model=PageOut[EndpointOut], responses=responses(Forbidden)
)
async def list_endpoints(
    ctx: AdminCtx, session: ReadSessionDep, services: ServicesDep, page: PageDep
) -> PageOut[EndpointOut]:
    result = services.webhooks.list_page(session, ctx, page)
    return page_out(result, endpoint_out)


@router.get(
    "/webhook-endpoints/{endpoint_id}",
    response_model=EndpointOut,
    responses=responses(Forbidden, NotFound),
)
async def get_endpoint(
    endpoint_id: str, ctx: AdminCtx, session: ReadSessionDep, services: ServicesDep
) -> EndpointOut:
    return endpoint_out(services.webhooks.get(session, ctx, endpoint_id))


@router.patch(
    "/webhook-endpoints/{endpoint_id}",
    response_model=EndpointOut,
    responses=responses(Forbidden, NotFound),
)
def update_endpoint(
    endpoint_id: str,
    change: EndpointUpdate,
    ctx: AdminCtx,
    session: SessionDep,
    services: ServicesDep,
) -> EndpointOut:
    return endpoint_out(services.webhooks.update(session, ctx, endpoint_id, change))


@router.delete(
    "/webhook-endpoints/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=responses(Forbidden, NotFound),
)
def delete_endpoint(
    endpoint_id: str, ctx: AdminCtx, session: SessionDep, services: ServicesDep
) -> None:
    """Stop sending to this URL; its delivery log is kept."""
    services.webhooks.delete(session, ctx, endpoint_id)


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    response_model=EndpointWithSecret,
    responses=responses(Forbidden, NotFound),
)
def rotate_secret(
    endpoint_id: str,
    ctx: AdminCtx,
    session: SessionDep,
    services: ServicesDep,
    body: SecretRotate | None = None,
) -> EndpointWithSecret:
    """New secret now; the old one also signs for `overlap_seconds` (default one day)."""
    overlap = body.overlap_seconds if body else SecretRotate().overlap_seconds
    row, secret = services.webhooks.rotate_secret(session, ctx, endpoint_id, overlap)
    return EndpointWithSecret(**endpoint_out(row).model_dump(), secret=secret)


@router.post(
    "/webhook-endpoints/{endpoint_id}/test",
    response_model=EventOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(Forbidden, NotFound, InvalidState),
)
def send_test(
    endpoint_id: str, ctx: AdminCtx, session: SessionDep, services: ServicesDep
) -> EventOut:
    """Send a `webhook.test` event to this endpoint only."""
    return event_out(services.webhooks.send_test(session, ctx, endpoint_id))


@router.get("/webhook-events", response_model=PageOut[EventOut], responses=responses(Forbidden))
async def list_events(
    ctx: AdminCtx,
    session: ReadSessionDep,
    services: ServicesDep,
    page: PageDep,
    type: Annotated[str | None, Query(max_length=80, description="Only this event type.")] = None,
) -> PageOut[EventOut]:
    result = services.webhooks.list_events(session, ctx, page, type)
    return page_out(result, event_out)


@router.get(
    "/webhook-events/{event_id}", response_model=EventOut, responses=responses(Forbidden, NotFound)
)
async def get_event(
    event_id: str, ctx: AdminCtx, session: ReadSessionDep, services: ServicesDep
) -> EventOut:
    return event_out(services.webhooks.get_event(session, ctx, event_id))


@router.get(
    "/webhook-deliveries", response_model=PageOut[DeliveryOut], responses=responses(Forbidden)
)
async def list_deliveries(
    ctx: AdminCtx,
    session: ReadSessionDep,
    services: ServicesDep,
    page: PageDep,
    event_id: Annotated[str | None, Query(max_length=40)] = None,
    endpoint_id: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(pattern="^(pending|succeeded|failed)$")] = None,
) -> PageOut[DeliveryOut]:
    """The delivery log, newest first."""
    result = services.webhooks.list_deliveries(
        session, ctx, page, event_id=event_id, endpoint_id=endpoint_id, status=status
    )
    return page_out(result, delivery_out)


@router.get(
    "/webhook-deliveries/{delivery_id}",
    response_model=DeliveryDetail,
    responses=responses(Forbidden, NotFound),
)
async def get_delivery(
    delivery_id: str, ctx: AdminCtx, session: ReadSessionDep, services: ServicesDep
) -> DeliveryDetail:
    """One delivery with every attempt."""
    row, attempts = services.webhooks.get_delivery(session, ctx, delivery_id)
    return DeliveryDetail(**delivery_out(row).model_dump(), log=[attempt_out(a) for a in attempts])


@router.post(
    "/webhook-deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(Forbidden, NotFound, InvalidState),
)
def redeliver(
    delivery_id: str, ctx: AdminCtx, session: SessionDep, services: ServicesDep
) -> DeliveryOut:
    """Send again now, even if it succeeded or gave up before."""
    return delivery_out(services.webhooks.redeliver(session, ctx, delivery_id))
