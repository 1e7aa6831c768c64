"""The delivery job: one HTTP attempt, logged, then success or the next retry scheduled."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import structlog

from aegis import __version__
from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.partners.webhooks.delivery import envelope, next_attempt
from aegis.partners.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from aegis.partners.webhooks.service import DELIVER_JOB, WebhookService, schedule_delivery
from aegis.partners.webhooks.signing import HEADER, sign
from aegis.partners.webhooks.targets import TargetRefused, check_resolved
from aegis.queue.registry import job
from aegis.queue.runner import JobRun

log = structlog.get_logger(__name__)


@job(DELIVER_JOB)
def deliver(run: JobRun, payload: dict[str, Any]) -> None:
    platform = run.platform
    settings = platform.settings
    delivery_id = str(payload["delivery_id"])
    with platform.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != "pending":
            return
        scheduled_after = payload.get("after_attempts")
        if scheduled_after is not None and int(scheduled_after) != delivery.attempts:
            return  # another attempt ran since this one was scheduled, and set the next
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        event = session.get(WebhookEvent, delivery.event_id)
        assert endpoint is not None
        assert event is not None
        if endpoint.deleted_at is not None or not endpoint.enabled:
            delivery.status = "failed"
            delivery.last_error = "endpoint disabled or deleted"
            delivery.next_attempt_at = None
            return
        # Mark the attempt as under way so a manual redelivery does not race it.
        delivery.lease_until = utcnow() + timedelta(seconds=settings.webhook_timeout_seconds + 30)
        secrets = WebhookService(platform).secret_of(endpoint)
        url, tenant_id = endpoint.url, endpoint.tenant_id
        body = envelope(event.id, event.type, event.created_at, tenant_id, event.payload)
        event_id, event_type, first_at = event.id, event.type, event.created_at

    run.extend_lease(settings.webhook_timeout_seconds + 30)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Aegis-Webhooks/{__version__}",
        "Aegis-Event-Id": event_id,
        "Aegis-Event-Type": event_type,
        "Aegis-Delivery-Id": delivery_id,
        HEADER: sign(secrets, body),
    }
    started = utcnow()
    t0 = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    excerpt: str | None = None
    try:
        check_resolved(url, allow_private=settings.webhook_allow_private_targets)
        with httpx.Client(
            timeout=settings.webhook_timeout_seconds,
            transport=platform.webhook_transport,
            follow_redirects=False,
        ) as client:
            response = client.post(url, content=body, headers=headers)
        status_code = response.status_code
        excerpt = response.text[:500] if not response.is_success else None
        if not response.is_success:
            error = f"HTTP {status_code}"
    except TargetRefused as exc:
        error = str(exc)
    except Exception as exc:
        # httpx.HTTPError mostly, but a transport may raise anything (httpx.InvalidURL is
        # not an HTTPError). Any failure is a failed attempt, logged and retried; letting it
        # escape would fail the job and leave the delivery pending with no retry scheduled.
        error = type(exc).__name__
    duration_ms = int((time.perf_counter() - t0) * 1000)

    with run.finish() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        delivery.attempts += 1
        session.add(
            WebhookAttempt(
                id=new_id("wha"),
                tenant_id=tenant_id,
                delivery_id=delivery_id,
                attempt=delivery.attempts,
                started_at=started,
                duration_ms=duration_ms,
                status_code=status_code,
                error=error,
                response_excerpt=excerpt,
            )
        )
        delivery.last_status_code = status_code
        delivery.last_error = error
        delivery.lease_until = None
        delivery.updated_at = utcnow()
        if error is None:
            delivery.status = "succeeded"
            delivery.delivered_at = utcnow()
            delivery.next_attempt_at = None
        else:
            when = next_attempt(
                delivery.attempts,
                first_at=first_at,
                now=utcnow(),
                max_age=timedelta(hours=settings.webhook_max_age_hours),
            )
            delivery.next_attempt_at = when
            if when is None:
                delivery.status = "failed"
            else:
                schedule_delivery(session, delivery)
    log.info("webhook_attempt", delivery_id=delivery_id, status_code=status_code, ok=error is None)
