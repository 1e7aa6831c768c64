"""The webhook REST API: endpoints (secret shown once, URL rules, update, delete, rotation,
test event), the event and delivery logs, and tenant isolation of every resource."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aegis.api.models import IdempotencyRecord
from aegis.app import create_app
from aegis.partners.webhooks.models import WebhookEndpoint
from aegis.partners.webhooks.targets import TargetRefused, check_resolved
from aegis.platform import Platform
from aegis.webhooks import HEADER, SignatureError, verify_signature
from tests.partners.conftest import HOOK_URL, Receiver, create_endpoint, only_delivery
from tests.support.tenants import Probe, TenantHandle, assert_tenant_isolation

ENDPOINTS = "/v1/webhook-endpoints"


@pytest.fixture
def strict_client(strict_platform: Platform) -> Iterator[TestClient]:
    """The same database, served with production's URL rules (no private targets)."""
    with TestClient(create_app(strict_platform), raise_server_exceptions=False) as c:
        yield c


def assert_url_refused(response: Any) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    assert [e["pointer"] for e in problem["errors"]] == ["#/url"]


# Creating and reading ---------------------------------------------------------------------


def test_secret_is_shown_once_and_stored_encrypted(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    created = create_endpoint(
        client, tenant, event_types=["applicant.*"], description="prod receiver"
    )
    secret = created["secret"]
    assert secret.startswith("aegis_whsec_")
    assert len(secret) > 40
    assert created["id"].startswith("whe_")
    assert created["url"] == HOOK_URL
    assert created["event_types"] == ["applicant.*"]
    assert created["description"] == "prod receiver"
    assert created["enabled"] is True

    got = client.get(f"{ENDPOINTS}/{created['id']}", headers=tenant.headers)
    listed = client.get(ENDPOINTS, headers=tenant.headers)
    for response in (got, listed):
        assert response.status_code == 200, response.text
        assert secret not in response.text
        assert "secret" not in response.text
    assert got.json() == {k: v for k, v in created.items() if k != "secret"}
    assert [e["id"] for e in listed.json()["data"]] == [created["id"]]

    with platform.db.session(write=False) as session:
        row = session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.id == created["id"])
        ).one()
    assert row.secret_enc != secret
    assert secret not in row.secret_enc
    assert secret.removeprefix("aegis_whsec_") not in row.secret_enc


def test_idempotent_create_replays_the_secret_without_storing_it_in_clear(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "create-hook-1"}
    first = client.post(ENDPOINTS, json={"url": HOOK_URL}, headers=headers)
    again = client.post(ENDPOINTS, json={"url": HOOK_URL}, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    listed = client.get(ENDPOINTS, headers=tenant.headers).json()["data"]
    assert [e["id"] for e in listed] == [first.json()["id"]]
    secret = first.json()["secret"].encode()
    with platform.db.session(write=False) as session:
        stored = session.scalars(select(IdempotencyRecord.response_body)).all()
    assert stored
    assert all(body is not None and secret not in body for body in stored)


def test_each_endpoint_gets_its_own_secret(client: TestClient, tenant: TenantHandle) -> None:
    a = create_endpoint(client, tenant)
    b = create_endpoint(client, tenant)
    assert a["secret"] != b["secret"]


def test_defaults_to_every_event(client: TestClient, tenant: TenantHandle) -> None:
    assert create_endpoint(client, tenant)["event_types"] == ["*"]


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://hooks.example.com/x"},
        {"url": "not a url"},
        {"url": HOOK_URL, "event_types": ["Applicant Created"]},
        {"url": HOOK_URL, "unknown": True},
        {},
    ],
)
def test_invalid_bodies_are_problems(
    client: TestClient, tenant: TenantHandle, body: dict[str, Any]
) -> None:
    r = client.post(ENDPOINTS, json=body, headers=tenant.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"]


# URL rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.1/hook",  # normalised to 127.0.0.1
        "https://2130706433/hook",  # likewise, as one integer
        "https://0x7f000001/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.20/hook",
        "https://172.16.0.1/hook",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://0.0.0.0/hook",
        "https://[fd00::1]/hook",
        "https://224.0.0.1/hook",  # multicast
        "https://localhost/hook",
        "https://localhost./hook",
        "https://api.localhost/hook",
        "https://printer.local/hook",
        "https://db.internal/hook",
        "http://hooks.example.com/hook",  # plain http
        "http://127.0.0.1:8080/hook",
        "https://user:pass@hooks.example.com/hook",
        "https://token@hooks.example.com/hook",
    ],
)
def test_private_plain_and_credentialed_urls_are_refused(
    strict_client: TestClient, tenant: TenantHandle, url: str
) -> None:
    r = strict_client.post(ENDPOINTS, json={"url": url}, headers=tenant.headers)
    assert_url_refused(r)
    assert url.split("//")[1].split("/")[0] not in r.text, "the problem echoes the URL"


def test_public_https_urls_are_accepted(strict_client: TestClient, tenant: TenantHandle) -> None:
    for url in ("https://hooks.example.com/aegis", "https://8.8.8.8/hook"):
        r = strict_client.post(ENDPOINTS, json={"url": url}, headers=tenant.headers)
        assert r.status_code == 201, r.text


def test_update_applies_the_same_url_rules(
    client: TestClient, strict_client: TestClient, tenant: TenantHandle
) -> None:
    endpoint = create_endpoint(client, tenant)
    r = strict_client.patch(
        f"{ENDPOINTS}/{endpoint['id']}",
        json={"url": "https://192.168.0.1/hook"},
        headers=tenant.headers,
    )
    assert_url_refused(r)
    assert client.get(f"{ENDPOINTS}/{endpoint['id']}", headers=tenant.headers).json()["url"] == (
        HOOK_URL
    )


def test_credentials_are_refused_even_when_private_targets_are_allowed(
    client: TestClient, tenant: TenantHandle
) -> None:
    r = client.post(
        ENDPOINTS, json={"url": "http://user:pw@127.0.0.1:9000/hook"}, headers=tenant.headers
    )
    assert_url_refused(r)
    r = client.post(ENDPOINTS, json={"url": "http://127.0.0.1:9000/hook"}, headers=tenant.headers)
    assert r.status_code == 201, r.text


def test_names_resolving_to_private_addresses_are_refused_at_delivery() -> None:
    # Registration cannot know what a name resolves to; the delivery job checks it.
    with pytest.raises(TargetRefused):
        check_resolved("https://localhost/hook", allow_private=False)
    check_resolved("https://localhost/hook", allow_private=True)


# Updating, deleting, rotating ----------------------------------------------------------------


def test_update_changes_only_what_is_sent(client: TestClient, tenant: TenantHandle) -> None:
    endpoint = create_endpoint(client, tenant, description="first")
    path = f"{ENDPOINTS}/{endpoint['id']}"
    r = client.patch(
        path,
        json={"event_types": ["case.*"], "enabled": False, "url": "https://b.example.com/x"},
        headers=tenant.headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["event_types"] == ["case.*"]
    assert body["enabled"] is False
    assert body["url"] == "https://b.example.com/x"
    assert body["description"] == "first"
    assert body["updated_at"] >= endpoint["updated_at"]
    assert "secret" not in body

    r = client.patch(path, json={"description": None}, headers=tenant.headers)
    assert r.status_code == 200, r.text
    assert r.json()["description"] is None
    assert r.json()["event_types"] == ["case.*"]
    assert client.get(path, headers=tenant.headers).json() == r.json()


def test_delete_then_404_everywhere(client: TestClient, tenant: TenantHandle) -> None:
    endpoint = create_endpoint(client, tenant)
    keep = create_endpoint(client, tenant)
    path = f"{ENDPOINTS}/{endpoint['id']}"
    assert client.delete(path, headers=tenant.headers).status_code == 204
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"enabled": True}),
        ("DELETE", "", None),
        ("POST", "/rotate-secret", None),
        ("POST", "/test", None),
    ]:
        r = client.request(method, path + suffix, json=body, headers=tenant.headers)
        assert r.status_code == 404, (method, suffix, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    listed = client.get(ENDPOINTS, headers=tenant.headers).json()["data"]
    assert [e["id"] for e in listed] == [keep["id"]]


def test_rotated_secret_and_old_one_both_verify_during_overlap(
    client: TestClient, tenant: TenantHandle, receiver: Receiver
) -> None:
    endpoint = create_endpoint(client, tenant, receiver)
    old = endpoint["secret"]
    r = client.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", headers=tenant.headers)
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert new != old
    assert new.startswith("aegis_whsec_")
    receiver.secrets.append(new)

    assert client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=tenant.headers).is_success
    got = receiver.received[-1]
    assert got.header(HEADER).count("v1=") == 2
    assert sorted(got.verified_with) == sorted([old, new])
    verify_signature(got.body, got.header(HEADER), old)
    verify_signature(got.body, got.header(HEADER), new)


def test_rotation_without_overlap_retires_the_old_secret_at_once(
    client: TestClient, tenant: TenantHandle, receiver: Receiver
) -> None:
    endpoint = create_endpoint(client, tenant, receiver)
    old = endpoint["secret"]
    r = client.post(
        f"{ENDPOINTS}/{endpoint['id']}/rotate-secret",
        json={"overlap_seconds": 0},
        headers=tenant.headers,
    )
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    receiver.secrets.append(new)
    assert client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=tenant.headers).is_success
    got = receiver.received[-1]
    assert got.header(HEADER).count("v1=") == 1
    assert got.verified_with == [new]
    with pytest.raises(SignatureError):
        verify_signature(got.body, got.header(HEADER), old)


def test_rotation_overlap_is_bounded(client: TestClient, tenant: TenantHandle) -> None:
    endpoint = create_endpoint(client, tenant)
    r = client.post(
        f"{ENDPOINTS}/{endpoint['id']}/rotate-secret",
        json={"overlap_seconds": 30 * 86400},
        headers=tenant.headers,
    )
    assert r.status_code == 422, r.text


# The test event, events and deliveries ----------------------------------------------------------


def test_test_event_is_delivered_signed_to_that_endpoint_only(
    client: TestClient, tenant: TenantHandle, receiver: Receiver
) -> None:
    target = create_endpoint(client, tenant, receiver, event_types=["case.*"])
    create_endpoint(client, tenant, receiver)  # subscribed to everything, still not sent
    r = client.post(f"{ENDPOINTS}/{target['id']}/test", headers=tenant.headers)
    assert r.status_code == 202, r.text
    event = r.json()
    assert event["type"] == "webhook.test"
    assert event["data"] == {"endpoint_id": target["id"]}

    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got.verified_with == [target["secret"]]
    assert verify_signature(got.body, got.header(HEADER), target["secret"]) > 0
    assert got.header("Aegis-Event-Type") == "webhook.test"
    assert got.header("Aegis-Event-Id") == event["id"]
    assert got.json["data"] == {"endpoint_id": target["id"]}
    delivery = only_delivery(client, tenant, event["id"])
    assert delivery["endpoint_id"] == target["id"]
    assert delivery["status"] == "succeeded"
    assert got.header("Aegis-Delivery-Id") == delivery["id"]


def test_test_event_to_a_disabled_endpoint_is_refused(
    client: TestClient, tenant: TenantHandle, receiver: Receiver
) -> None:
    endpoint = create_endpoint(client, tenant, receiver, enabled=False)
    r = client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=tenant.headers)
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert receiver.received == []


def test_event_log_and_delivery_filters(
    client: TestClient, tenant: TenantHandle, receiver: Receiver
) -> None:
    a = create_endpoint(client, tenant, receiver)
    b = create_endpoint(client, tenant, receiver)
    ev_a = client.post(f"{ENDPOINTS}/{a['id']}/test", headers=tenant.headers).json()
    ev_b = client.post(f"{ENDPOINTS}/{b['id']}/test", headers=tenant.headers).json()

    events = client.get("/v1/webhook-events", headers=tenant.headers).json()["data"]
    assert [e["id"] for e in events] == [ev_b["id"], ev_a["id"]]  # newest first
    typed = client.get(
        "/v1/webhook-events", params={"type": "applicant.created"}, headers=tenant.headers
    ).json()["data"]
    assert typed == []
    one = client.get(f"/v1/webhook-events/{ev_a['id']}", headers=tenant.headers)
    assert one.status_code == 200
    assert one.json() == ev_a
    assert client.get("/v1/webhook-events/evt_nope", headers=tenant.headers).status_code == 404

    by_endpoint = client.get(
        "/v1/webhook-deliveries", params={"endpoint_id": b["id"]}, headers=tenant.headers
    ).json()["data"]
    assert [d["event_id"] for d in by_endpoint] == [ev_b["id"]]
    succeeded = client.get(
        "/v1/webhook-deliveries", params={"status": "succeeded"}, headers=tenant.headers
    ).json()["data"]
    assert len(succeeded) == 2
    bad = client.get("/v1/webhook-deliveries", params={"status": "lost"}, headers=tenant.headers)
    assert bad.status_code == 422


def test_endpoint_list_paginates(client: TestClient, tenant: TenantHandle) -> None:
    ids = [create_endpoint(client, tenant)["id"] for _ in range(3)]
    first = client.get(ENDPOINTS, params={"limit": 2}, headers=tenant.headers).json()
    assert first["has_more"] is True
    second = client.get(
        ENDPOINTS, params={"limit": 2, "cursor": first["next_cursor"]}, headers=tenant.headers
    ).json()
    assert second["has_more"] is False
    seen = [e["id"] for e in first["data"] + second["data"]]
    assert seen == sorted(ids, reverse=True)


def test_webhook_admin_needs_the_admin_scope(client: TestClient, platform: Platform) -> None:
    from aegis.auth.context import Scope
    from tests.support.tenants import make_tenant

    reader = make_tenant(platform, "Reader", scopes=(Scope.READ,))
    for method, path in [("GET", ENDPOINTS), ("POST", ENDPOINTS), ("GET", "/v1/webhook-events")]:
        r = client.request(method, path, json={"url": HOOK_URL}, headers=reader.headers)
        assert r.status_code == 403, (method, path, r.text)
    assert client.get(ENDPOINTS).status_code == 401


# Tenant isolation ---------------------------------------------------------------------------


def test_endpoints_are_isolated_between_tenants(
    client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle, receiver: Receiver
) -> None:
    endpoint_id = assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=lambda owner: create_endpoint(client, owner, receiver)["id"],
        probes=[
            Probe("GET", ENDPOINTS + "/{id}"),
            Probe("PATCH", ENDPOINTS + "/{id}", {"enabled": False, "url": HOOK_URL + "/evil"}),
            Probe("DELETE", ENDPOINTS + "/{id}"),
            Probe("POST", ENDPOINTS + "/{id}/rotate-secret"),
            Probe("POST", ENDPOINTS + "/{id}/rotate-secret", {"overlap_seconds": 0}),
            Probe("POST", ENDPOINTS + "/{id}/test"),
        ],
        list_path=ENDPOINTS,
        read_back=ENDPOINTS + "/{id}",
    )
    # Neither the intruder's rotation nor its test event reached the owner's endpoint.
    assert receiver.received == []
    assert client.get("/v1/webhook-events", headers=tenant.headers).json()["data"] == []
    # And the owner's original secret still signs alone.
    client.post(f"{ENDPOINTS}/{endpoint_id}/test", headers=tenant.headers)
    assert receiver.received[-1].header(HEADER).count("v1=") == 1
    assert receiver.received[-1].verified_with == receiver.secrets


def test_events_are_isolated_between_tenants(
    client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle, receiver: Receiver
) -> None:
    def create(owner: TenantHandle) -> str:
        endpoint = create_endpoint(client, owner, receiver)
        r = client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=owner.headers)
        assert r.status_code == 202, r.text
        event_id: str = r.json()["id"]
        return event_id

    event_id = assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=create,
        probes=[Probe("GET", "/v1/webhook-events/{id}")],
        list_path="/v1/webhook-events",
        read_back="/v1/webhook-events/{id}",
    )
    # Filtering the delivery log by another tenant's event finds nothing.
    theirs = client.get(
        "/v1/webhook-deliveries", params={"event_id": event_id}, headers=other_tenant.headers
    ).json()["data"]
    assert theirs == []


def test_deliveries_are_isolated_between_tenants(
    client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle, receiver: Receiver
) -> None:
    endpoints: dict[str, str] = {}

    def create(owner: TenantHandle) -> str:
        endpoint = create_endpoint(client, owner, receiver)
        endpoints[owner.id] = endpoint["id"]
        event = client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=owner.headers).json()
        return str(only_delivery(client, owner, event["id"])["id"])

    assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=create,
        probes=[
            Probe("GET", "/v1/webhook-deliveries/{id}"),
            Probe("POST", "/v1/webhook-deliveries/{id}/redeliver"),
        ],
        list_path="/v1/webhook-deliveries",
        read_back="/v1/webhook-deliveries/{id}",
    )
    assert len(receiver.received) == 1, "an intruder's redelivery was sent"
    theirs = client.get(
        "/v1/webhook-deliveries",
        params={"endpoint_id": endpoints[tenant.id]},
        headers=other_tenant.headers,
    ).json()["data"]
    assert theirs == []
