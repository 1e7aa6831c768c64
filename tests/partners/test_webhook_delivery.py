"""Delivering webhooks: the pure retry schedule, then end to end through the job queue
(immediate mode) to a scripted receiver behind httpx.MockTransport."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from aegis.kit.time import utcnow
from aegis.partners.webhooks.delivery import (
    FIRST_RETRY,
    MAX_INTERVAL,
    envelope,
    matches,
    next_attempt,
)
from aegis.partners.webhooks.models import WebhookDelivery, WebhookEvent
from aegis.partners.webhooks.service import emit
from aegis.platform import Platform
from aegis.queue.models import Job
from aegis.webhooks import HEADER, verify_signature
from tests.partners.conftest import (
    HOOK_URL,
    Receiver,
    advance_to_retry,
    create_endpoint,
    delivery_jobs,
    only_delivery,
    pending_retry,
)
from tests.support.tenants import TenantHandle

T0 = datetime(2025, 1, 1, tzinfo=UTC)
JITTER = 1.1  # up to 10 % on top of the base interval


def base_interval(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (1 << min(attempts - 1, 20)), MAX_INTERVAL)


def schedule(max_age: timedelta) -> list[datetime]:
    """Every attempt time of a delivery that always fails, the first at ``T0``."""
    times = [T0]
    while True:
        when = next_attempt(len(times), first_at=T0, now=times[-1], max_age=max_age)
        if when is None:
            return times
        times.append(when)
        assert len(times) < 200, "the schedule never gives up"


# The pure schedule -----------------------------------------------------------------------


@given(hours=st.integers(24, 24 * 14))
def test_schedule_grows_is_capped_and_spans_max_age(hours: int) -> None:
    max_age = timedelta(hours=hours)
    times = schedule(max_age)
    gaps = [b - a for a, b in pairwise(times)]
    deadline = T0 + max_age
    for n, (gap, at) in enumerate(zip(gaps, times[1:], strict=True), start=1):
        assert gap <= MAX_INTERVAL * JITTER
        if at == deadline:
            # Only the very last retry is pulled in to the deadline.
            assert n == len(gaps)
        else:
            assert base_interval(n) <= gap <= base_interval(n) * JITTER
    # Grows until the cap: each base interval doubles.
    assert gaps[0] >= FIRST_RETRY
    assert gaps[1] >= 2 * FIRST_RETRY
    assert any(gap >= MAX_INTERVAL for gap in gaps)
    # Gives up only after trying at the deadline: retries cover all of max_age (>= 24 h).
    assert times[-1] == deadline
    assert times[-1] - times[0] >= timedelta(hours=24)


def test_default_schedule_is_about_two_dozen_attempts() -> None:
    assert 20 <= len(schedule(timedelta(hours=72))) <= 30


@given(
    attempts=st.integers(0, 10_000),
    age=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    hours=st.integers(24, 24 * 14),
)
def test_gives_up_exactly_when_past_max_age(attempts: int, age: timedelta, hours: int) -> None:
    max_age = timedelta(hours=hours)
    when = next_attempt(attempts, first_at=T0, now=T0 + age, max_age=max_age)
    if age >= max_age:
        assert when is None
    else:
        assert when is not None
        assert T0 + age < when <= T0 + max_age
        assert when - (T0 + age) <= MAX_INTERVAL * JITTER


def test_huge_attempt_counts_stay_capped() -> None:
    # Manual redeliveries keep counting attempts; the exponent must not overflow timedelta.
    when = next_attempt(5000, first_at=T0, now=T0, max_age=timedelta(days=30))
    assert when is not None
    assert MAX_INTERVAL <= when - T0 <= MAX_INTERVAL * JITTER


@pytest.mark.parametrize(
    ("subscriptions", "event_type", "expected"),
    [
        (["*"], "applicant.created", True),
        (["applicant.created"], "applicant.created", True),
        (["applicant.*"], "applicant.status_changed", True),
        (["applicant.*"], "applicantx.created", False),
        (["applicant.*"], "applicant", False),
        (["applicant.created"], "applicant.deleted", False),
        (["case.*", "applicant.created"], "applicant.created", True),
        ([], "applicant.created", False),
    ],
)
def test_subscription_matching(subscriptions: list[str], event_type: str, expected: bool) -> None:
    assert matches(subscriptions, event_type) is expected


# End to end ---------------------------------------------------------------------------


def emit_event(
    platform: Platform, tenant: TenantHandle, event_type: str = "applicant.created"
) -> str:
    with platform.db.session() as session:
        return emit(session, tenant.id, event_type, {"applicant_id": "app_1"}).id


def detail(client: TestClient, tenant: TenantHandle, delivery_id: str) -> dict[str, Any]:
    r = client.get(f"/v1/webhook-deliveries/{delivery_id}", headers=tenant.headers)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_event_is_delivered_signed_with_identifying_headers(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    endpoint = create_endpoint(client, tenant, receiver, event_types=["applicant.*"])
    event_id = emit_event(platform, tenant)

    assert len(receiver.received) == 1
    got = receiver.received[0]
    delivery = only_delivery(client, tenant, event_id)
    assert str(got.request.url) == HOOK_URL
    assert got.request.method == "POST"
    assert got.verified_with == [endpoint["secret"]]
    verify_signature(got.body, got.header(HEADER), endpoint["secret"])
    assert got.header("Aegis-Event-Id") == event_id
    assert got.header("Aegis-Event-Type") == "applicant.created"
    assert got.header("Aegis-Delivery-Id") == delivery["id"]
    assert got.header("Content-Type") == "application/json"
    assert got.json["id"] == event_id
    assert got.json["type"] == "applicant.created"
    assert got.json["tenant_id"] == tenant.id
    assert got.json["data"] == {"applicant_id": "app_1"}

    assert delivery["status"] == "succeeded"
    assert delivery["endpoint_id"] == endpoint["id"]
    assert delivery["attempts"] == 1
    assert delivery["next_attempt_at"] is None
    assert delivery["delivered_at"] is not None
    log = detail(client, tenant, delivery["id"])["log"]
    assert [(a["attempt"], a["status_code"], a["error"]) for a in log] == [(1, 200, None)]
    assert [j.status for j in delivery_jobs(platform, delivery["id"])] == ["done"]


def test_only_subscribed_enabled_endpoints_get_the_event(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    wanted = create_endpoint(client, tenant, receiver, event_types=["applicant.created"])
    create_endpoint(client, tenant, receiver, event_types=["case.*"])
    create_endpoint(client, tenant, receiver, enabled=False)
    event_id = emit_event(platform, tenant)
    assert only_delivery(client, tenant, event_id)["endpoint_id"] == wanted["id"]
    assert [r.verified_with for r in receiver.received] == [[wanted["secret"]]]


def test_failures_are_logged_and_retried_until_success(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    create_endpoint(client, tenant, receiver)
    receiver.script.extend([500, httpx.ConnectError("connection refused")])
    before = utcnow()
    event_id = emit_event(platform, tenant)

    # Attempt 1: the receiver answers 500.
    delivery = only_delivery(client, tenant, event_id)
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 1
    assert delivery["last_status_code"] == 500
    assert delivery["last_error"] == "HTTP 500"
    next_at = datetime.fromisoformat(delivery["next_attempt_at"])
    assert next_at >= before + FIRST_RETRY
    retry = pending_retry(platform, delivery["id"])
    assert retry.run_after == next_at
    assert retry.run_after > utcnow()

    # Not yet due: a sweep leaves it alone.
    assert platform.queue.sweep() == 0
    assert len(receiver.received) == 1

    # Attempt 2: the connection fails.
    assert advance_to_retry(platform, delivery["id"]) == 1
    delivery = only_delivery(client, tenant, event_id)
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 2
    assert delivery["last_status_code"] is None
    assert delivery["last_error"] == "ConnectError"
    assert datetime.fromisoformat(delivery["next_attempt_at"]) > utcnow()
    assert pending_retry(platform, delivery["id"]).run_after > utcnow()

    # Attempt 3: success.
    assert advance_to_retry(platform, delivery["id"]) == 1
    full = detail(client, tenant, delivery["id"])
    assert full["status"] == "succeeded"
    assert full["attempts"] == 3
    assert full["next_attempt_at"] is None
    assert [(a["attempt"], a["status_code"], a["error"]) for a in full["log"]] == [
        (1, 500, "HTTP 500"),
        (2, None, "ConnectError"),
        (3, 200, None),
    ]
    # The same event and delivery each time, so a receiver can dedupe.
    assert {r.header("Aegis-Event-Id") for r in receiver.received} == {event_id}
    assert {r.header("Aegis-Delivery-Id") for r in receiver.received} == {delivery["id"]}
    assert len(receiver.received) == 3
    assert all(j.status == "done" for j in delivery_jobs(platform, delivery["id"]))


def test_gives_up_after_max_age(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    create_endpoint(client, tenant, receiver)
    receiver.script.extend([503, 503])
    event_id = emit_event(platform, tenant)
    delivery_id = only_delivery(client, tenant, event_id)["id"]
    # The event is now older than webhook_max_age_hours.
    age = timedelta(hours=platform.settings.webhook_max_age_hours, minutes=1)
    with platform.db.session() as session:
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .values(created_at=utcnow() - age)
        )
    advance_to_retry(platform, delivery_id)

    full = detail(client, tenant, delivery_id)
    assert full["status"] == "failed"
    assert full["attempts"] == 2
    assert full["next_attempt_at"] is None
    assert [a["status_code"] for a in full["log"]] == [503, 503]
    assert not [j for j in delivery_jobs(platform, delivery_id) if j.status == "pending"]
    failed = client.get(
        "/v1/webhook-deliveries", params={"status": "failed"}, headers=tenant.headers
    ).json()["data"]
    assert [d["id"] for d in failed] == [delivery_id]


def test_manual_redelivery_sends_again_after_success(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    create_endpoint(client, tenant, receiver)
    event_id = emit_event(platform, tenant)
    delivery_id = only_delivery(client, tenant, event_id)["id"]
    assert detail(client, tenant, delivery_id)["status"] == "succeeded"

    r = client.post(f"/v1/webhook-deliveries/{delivery_id}/redeliver", headers=tenant.headers)
    assert r.status_code == 202, r.text
    assert len(receiver.received) == 2
    assert receiver.received[1].header("Aegis-Event-Id") == event_id
    full = detail(client, tenant, delivery_id)
    assert full["status"] == "succeeded"
    assert [a["attempt"] for a in full["log"]] == [1, 2]


def test_manual_redelivery_revives_a_failed_delivery(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    create_endpoint(client, tenant, receiver)
    receiver.script.append(500)
    event_id = emit_event(platform, tenant)
    delivery_id = only_delivery(client, tenant, event_id)["id"]
    with platform.db.session() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(status="failed", next_attempt_at=None)
        )
    # The partner fixed their endpoint; the receiver now answers 200.
    r = client.post(f"/v1/webhook-deliveries/{delivery_id}/redeliver", headers=tenant.headers)
    assert r.status_code == 202, r.text
    full = detail(client, tenant, delivery_id)
    assert full["status"] == "succeeded"
    assert [a["status_code"] for a in full["log"]] == [500, 200]


def test_nothing_is_sent_when_the_emitting_transaction_rolls_back(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    create_endpoint(client, tenant, receiver)

    class Boom(Exception):
        pass

    def emit_then_fail() -> None:
        with platform.db.session() as session:
            emit(session, tenant.id, "applicant.created", {"applicant_id": "app_1"})
            raise Boom

    with pytest.raises(Boom):
        emit_then_fail()
    # A later commit must not dispatch what the rolled-back transaction had queued.
    with platform.db.session() as session:
        session.execute(select(1))

    with platform.db.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        assert session.scalar(select(func.count()).select_from(Job)) == 0
    assert receiver.received == []
    events = client.get("/v1/webhook-events", headers=tenant.headers).json()
    assert events["data"] == []


def test_nothing_is_sent_before_commit(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    create_endpoint(client, tenant, receiver)
    with platform.db.session() as session:
        emit(session, tenant.id, "applicant.created", {"applicant_id": "app_1"})
        session.flush()
        assert receiver.received == []
    assert len(receiver.received) == 1


def test_deleted_endpoint_stops_pending_retries(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    endpoint = create_endpoint(client, tenant, receiver)
    receiver.script.append(500)
    event_id = emit_event(platform, tenant)
    delivery_id = only_delivery(client, tenant, event_id)["id"]
    r = client.delete(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tenant.headers)
    assert r.status_code == 204
    advance_to_retry(platform, delivery_id)
    full = detail(client, tenant, delivery_id)
    assert full["status"] == "failed"
    assert full["last_error"] == "endpoint disabled or deleted"
    assert len(receiver.received) == 1


def test_receiver_refusing_the_signature_counts_as_failure(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    create_endpoint(client, tenant)  # the receiver does not know this secret
    event_id = emit_event(platform, tenant)
    delivery = only_delivery(client, tenant, event_id)
    assert delivery["status"] == "pending"
    assert delivery["last_status_code"] == 400


def test_envelope_is_the_signed_body() -> None:
    body = envelope("evt_1", "applicant.created", T0, "ten_1", {"a": 1})
    assert body == (
        b'{"id":"evt_1","type":"applicant.created","created_at":"2025-01-01T00:00:00Z",'
        b'"tenant_id":"ten_1","data":{"a":1}}'
    )


def test_manual_redelivery_of_a_failing_delivery_keeps_one_retry_chain(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    create_endpoint(client, tenant, receiver)
    receiver.script.extend([500, 500, 500])
    event_id = emit_event(platform, tenant)
    delivery_id = only_delivery(client, tenant, event_id)["id"]
    stale = pending_retry(platform, delivery_id)
    # The partner presses "redeliver" while a retry is scheduled; it fails again.
    r = client.post(f"/v1/webhook-deliveries/{delivery_id}/redeliver", headers=tenant.headers)
    assert r.status_code == 202, r.text
    assert len(receiver.received) == 2
    # The retry scheduled before the manual attempt is obsolete: running it sends nothing.
    with platform.db.session() as session:
        session.execute(
            update(Job).where(Job.id == stale.id).values(run_after=utcnow() - timedelta(seconds=1))
        )
    platform.queue.sweep()
    assert len(receiver.received) == 2
    # Exactly one retry remains, for the time computed after the manual attempt.
    current = pending_retry(platform, delivery_id)
    assert current.id != stale.id
    delivery = only_delivery(client, tenant, event_id)
    assert current.run_after == datetime.fromisoformat(delivery["next_attempt_at"])
    assert delivery["attempts"] == 2
    advance_to_retry(platform, delivery_id)
    assert len(receiver.received) == 3
    assert detail(client, tenant, delivery_id)["attempts"] == 3


@pytest.mark.parametrize(
    ("url", "error"),
    [
        # Registered while private targets were allowed; delivered by a strict deployment.
        ("https://localhost/hook", "the host resolves to a private address"),
        # A name IDNA cannot encode: refused like a name that does not resolve.
        ("https://" + "a" * 64 + ".example.com/hook", "the host name does not resolve"),
    ],
)
def test_unsafe_or_unresolvable_names_fail_the_attempt_at_delivery(
    client: TestClient,
    strict_platform: Platform,
    tenant: TenantHandle,
    url: str,
    error: str,
) -> None:
    create_endpoint(client, tenant, url=url)
    sent = Receiver()
    strict_platform.webhook_transport = httpx.MockTransport(sent)
    with strict_platform.db.session() as session:
        event_id = emit(session, tenant.id, "applicant.created", {}).id
    assert sent.received == []
    delivery = only_delivery(client, tenant, event_id)
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 1
    assert delivery["last_error"] == error
    assert delivery["last_status_code"] is None
    assert pending_retry(strict_platform, delivery["id"]).run_after > utcnow()


def test_any_transport_exception_is_a_logged_failed_attempt(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    # Not an httpx.HTTPError: it must still end as a logged attempt with a retry, not a
    # crashed job that leaves the delivery pending forever.
    create_endpoint(client, tenant, receiver)
    receiver.script.extend([RuntimeError("transport bug"), httpx.InvalidURL("bad")])
    event_id = emit_event(platform, tenant)
    delivery_id = only_delivery(client, tenant, event_id)["id"]
    advance_to_retry(platform, delivery_id)
    full = detail(client, tenant, delivery_id)
    assert [(a["status_code"], a["error"]) for a in full["log"]] == [
        (None, "RuntimeError"),
        (None, "InvalidURL"),
    ]
    assert full["status"] == "pending"
    assert pending_retry(platform, delivery_id).run_after > utcnow()
    advance_to_retry(platform, delivery_id)
    assert detail(client, tenant, delivery_id)["status"] == "succeeded"


def test_redelivery_is_refused_while_an_attempt_is_under_way(
    client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    create_endpoint(client, tenant, receiver)
    receiver.script.append(500)
    event_id = emit_event(platform, tenant)
    delivery_id = only_delivery(client, tenant, event_id)["id"]
    with platform.db.session() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(lease_until=utcnow() + timedelta(minutes=1))
        )
    r = client.post(f"/v1/webhook-deliveries/{delivery_id}/redeliver", headers=tenant.headers)
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert len(receiver.received) == 1
