"""Webhook endpoints, emitting events into the outbox, redelivery."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.errors import FieldError, InvalidState, NotFound, ValidationFailed
from aegis.ids import new_id
from aegis.kit.pagination import Page, PageRequest
from aegis.kit.time import utcnow
from aegis.partners.webhooks.delivery import matches
from aegis.partners.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from aegis.partners.webhooks.repository import (
    DeliveryRepository,
    EndpointRepository,
    EventRepository,
)
from aegis.partners.webhooks.schemas import EndpointCreate, EndpointUpdate
from aegis.partners.webhooks.targets import TargetRefused, check_url
from aegis.privacy.registry import row_aad
from aegis.queue.service import enqueue
from aegis.storage.db import build, transaction_cache

if TYPE_CHECKING:
    from aegis.platform import Platform

SECRET_PREFIX = "aegis_whsec_"  # noqa: S105 - a prefix, not a secret
DELIVER_JOB = "webhooks.deliver"
_ENDPOINTS = "webhook_endpoints"


def emit(
    session: Session,
    tenant_id: str,
    event_type: str,
    data: dict[str, Any],
    *,
    only_endpoint: str | None = None,
) -> WebhookEvent:
    """Write an event to the outbox in the caller's transaction, with one delivery per
    subscribed endpoint. Nothing is sent unless the transaction commits.

    ``data`` goes to the partner: identifiers and statuses, never PII.
    """
    event = EventRepository(session, tenant_id).add(
        build(
            WebhookEvent,
            id=new_id("evt"),
            tenant_id=tenant_id,
            type=event_type,
            payload=data,
            created_at=utcnow(),
        )
    )
    # One endpoint lookup per tenant and transaction, however many events it emits.
    cache: dict[str, list[tuple[str, list[str]]]] = transaction_cache(session, _ENDPOINTS)
    if tenant_id not in cache:
        cache[tenant_id] = EndpointRepository(session, tenant_id).subscriptions()
    for endpoint_id, event_types in cache[tenant_id]:
        if only_endpoint is not None and endpoint_id != only_endpoint:
            continue
        if only_endpoint is None and not matches(event_types, event_type):
            continue
        delivery = DeliveryRepository(session, tenant_id).add(
            build(
                WebhookDelivery,
                id=new_id("whd"),
                tenant_id=tenant_id,
                event_id=event.id,
                endpoint_id=endpoint_id,
                status="pending",
                attempts=0,
                next_attempt_at=utcnow(),
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        schedule_delivery(session, delivery)
    return event


def schedule_delivery(session: Session, delivery: WebhookDelivery, *, manual: bool = False) -> None:
    # One job per attempt number, so a duplicate schedule cannot double an attempt; a
    # manual redelivery is a new request and always gets a job of its own. The job carries
    # the attempt count it follows, so once another attempt has run (a manual redelivery
    # beside a scheduled retry) the older job stands down instead of starting a second chain.
    enqueue(
        session,
        DELIVER_JOB,
        {"delivery_id": delivery.id, "after_attempts": delivery.attempts},
        tenant_id=delivery.tenant_id,
        dedupe_key=None if manual else f"{DELIVER_JOB}:{delivery.id}:{delivery.attempts}",
        run_after=delivery.next_attempt_at,
        max_attempts=3,
    )


class WebhookService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.vault = platform.vault
        self.audit = platform.audit

    def _check(self, url: str) -> None:
        try:
            check_url(url, allow_private=self.platform.settings.webhook_allow_private_targets)
        except TargetRefused as exc:
            raise ValidationFailed(errors=[FieldError("#/url", str(exc), "url_refused")]) from None

    def secret_of(self, endpoint: WebhookEndpoint) -> list[str]:
        """Every secret that signs now: the current one, and the previous during overlap."""
        out = [self.vault.decrypt(endpoint.secret_enc, row_aad(endpoint, "secret_enc"))]
        if (
            endpoint.previous_secret_enc
            and endpoint.previous_secret_expires_at
            and endpoint.previous_secret_expires_at > utcnow()
        ):
            out.append(
                self.vault.decrypt(
                    endpoint.previous_secret_enc, row_aad(endpoint, "previous_secret_enc")
                )
            )
        return out

    def create(
        self, session: Session, ctx: Ctx, spec: EndpointCreate
    ) -> tuple[WebhookEndpoint, str]:
        self._check(str(spec.url))
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        row = WebhookEndpoint(
            id=new_id("whe"),
            tenant_id=ctx.tenant_id,
            url=str(spec.url),
            description=spec.description,
            event_types=list(spec.event_types),
            enabled=spec.enabled,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        row.secret_enc = self.vault.encrypt(secret, row_aad(row, "secret_enc"))
        EndpointRepository(session, ctx.tenant_id).add(row)
        transaction_cache(session, _ENDPOINTS).clear()
        self.audit.record(
            session,
            ctx,
            action="webhook_endpoint.created",
            target_type="webhook_endpoint",
            target_id=row.id,
        )
        return row, secret

    def get(self, session: Session, ctx: Ctx, endpoint_id: str) -> WebhookEndpoint:
        row = EndpointRepository(session, ctx.tenant_id).get(endpoint_id)
        if row is None:
            raise NotFound(f"webhook endpoint {endpoint_id} not found")
        return row

    def list_page(self, session: Session, ctx: Ctx, page: PageRequest) -> Page[WebhookEndpoint]:
        return EndpointRepository(session, ctx.tenant_id).list_page(page)

    def update(
        self, session: Session, ctx: Ctx, endpoint_id: str, change: EndpointUpdate
    ) -> WebhookEndpoint:
        row = self.get(session, ctx, endpoint_id)
        fields = sorted(change.model_fields_set)
        if change.url is not None:
            self._check(str(change.url))
            row.url = str(change.url)
        if change.event_types is not None:
            row.event_types = list(change.event_types)
        if "description" in fields:
            row.description = change.description
        if change.enabled is not None:
            row.enabled = change.enabled
        row.updated_at = utcnow()
        transaction_cache(session, _ENDPOINTS).clear()
        self.audit.record(
            session,
            ctx,
            action="webhook_endpoint.updated",
            target_type="webhook_endpoint",
            target_id=row.id,
            details={"fields": fields},
        )
        return row

    def delete(self, session: Session, ctx: Ctx, endpoint_id: str) -> None:
        row = self.get(session, ctx, endpoint_id)
        row.deleted_at = utcnow()
        row.enabled = False
        transaction_cache(session, _ENDPOINTS).clear()
        self.audit.record(
            session,
            ctx,
            action="webhook_endpoint.deleted",
            target_type="webhook_endpoint",
            target_id=row.id,
        )

    def rotate_secret(
        self, session: Session, ctx: Ctx, endpoint_id: str, overlap_seconds: int
    ) -> tuple[WebhookEndpoint, str]:
        row = self.get(session, ctx, endpoint_id)
        current = self.vault.decrypt(row.secret_enc, row_aad(row, "secret_enc"))
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        row.previous_secret_enc = (
            self.vault.encrypt(current, row_aad(row, "previous_secret_enc"))
            if overlap_seconds
            else None
        )
        row.previous_secret_expires_at = (
            utcnow() + timedelta(seconds=overlap_seconds) if overlap_seconds else None
        )
        row.secret_enc = self.vault.encrypt(secret, row_aad(row, "secret_enc"))
        row.updated_at = utcnow()
        self.audit.record(
            session,
            ctx,
            action="webhook_endpoint.secret_rotated",
            target_type="webhook_endpoint",
            target_id=row.id,
            details={"overlap_seconds": overlap_seconds},
        )
        return row, secret

    def send_test(self, session: Session, ctx: Ctx, endpoint_id: str) -> WebhookEvent:
        row = self.get(session, ctx, endpoint_id)
        if not row.enabled:
            raise InvalidState("the endpoint is disabled")
        return emit(
            session, ctx.tenant_id, "webhook.test", {"endpoint_id": row.id}, only_endpoint=row.id
        )

    # Events and deliveries
    def get_event(self, session: Session, ctx: Ctx, event_id: str) -> WebhookEvent:
        row = EventRepository(session, ctx.tenant_id).get(event_id)
        if row is None:
            raise NotFound(f"event {event_id} not found")
        return row

    def list_events(
        self, session: Session, ctx: Ctx, page: PageRequest, event_type: str | None
    ) -> Page[WebhookEvent]:
        return EventRepository(session, ctx.tenant_id).list_typed(page, event_type)

    def get_delivery(
        self, session: Session, ctx: Ctx, delivery_id: str
    ) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
        repo = DeliveryRepository(session, ctx.tenant_id)
        row = repo.get(delivery_id)
        if row is None:
            raise NotFound(f"delivery {delivery_id} not found")
        return row, repo.attempts(row.id)

    def list_deliveries(
        self,
        session: Session,
        ctx: Ctx,
        page: PageRequest,
        *,
        event_id: str | None,
        endpoint_id: str | None,
        status: str | None,
    ) -> Page[WebhookDelivery]:
        return DeliveryRepository(session, ctx.tenant_id).filtered(
            page, event_id=event_id, endpoint_id=endpoint_id, status=status
        )

    def redeliver(self, session: Session, ctx: Ctx, delivery_id: str) -> WebhookDelivery:
        """Send again now, whatever happened before (a partner fixed their endpoint)."""
        row, _ = self.get_delivery(session, ctx, delivery_id)
        if row.status == "pending" and row.lease_until and row.lease_until > utcnow():
            raise InvalidState("this delivery is being attempted right now")
        endpoint = EndpointRepository(session, ctx.tenant_id).get(row.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            raise InvalidState("the endpoint of this delivery is disabled or deleted")
        row.status = "pending"
        row.next_attempt_at = utcnow()
        row.updated_at = utcnow()
        schedule_delivery(session, row, manual=True)
        self.audit.record(
            session,
            ctx,
            action="webhook_delivery.redelivered",
            target_type="webhook_delivery",
            target_id=row.id,
        )
        return row
