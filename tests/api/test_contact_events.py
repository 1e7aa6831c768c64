"""Changes are announced through the outbox: one signed event each, ids only, no PII."""

from __future__ import annotations

import json

import httpx
from fastapi.testclient import TestClient

from aegis.platform import Platform
from aegis.webhooks import verify_signature
from tests.support.tenants import TenantHandle


def test_contact_changes_emit_signed_events_without_pii(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    received: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    platform.webhook_transport = httpx.MockTransport(handler)
    endpoint = client.post(
        "/v1/webhook-endpoints",
        headers=tenant.headers,
        json={"url": "https://hooks.partner.example/aegis", "event_types": ["contact.*"]},
    ).json()
    created = client.post(
        "/v1/contacts",
        headers=tenant.headers,
        json={"role": "mlro", "name": "Pii Person", "email": "pii.person@example.com"},
    ).json()
    client.patch(f"/v1/contacts/{created['id']}", headers=tenant.headers, json={"name": "New Name"})
    client.delete(f"/v1/contacts/{created['id']}", headers=tenant.headers)

    types = [r.headers["Aegis-Event-Type"] for r in received]
    assert types == ["contact.created", "contact.updated", "contact.deleted"]
    for request in received:
        verify_signature(request.content, request.headers["Aegis-Signature"], endpoint["secret"])
        body = request.content.decode()
        assert "Pii Person" not in body and "pii.person" not in body and "New Name" not in body
    assert json.loads(received[1].content)["data"]["changed_fields"] == ["name"]


def test_redelivery_to_a_deleted_endpoint_is_refused(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    platform.webhook_transport = httpx.MockTransport(lambda request: httpx.Response(200))
    endpoint = client.post(
        "/v1/webhook-endpoints", headers=tenant.headers, json={"url": "https://hooks.example/x"}
    ).json()
    client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test", headers=tenant.headers)
    delivery = client.get("/v1/webhook-deliveries", headers=tenant.headers).json()["data"][0]
    assert delivery["status"] == "succeeded"
    client.delete(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tenant.headers)
    r = client.post(f"/v1/webhook-deliveries/{delivery['id']}/redeliver", headers=tenant.headers)
    assert r.status_code == 409
    assert r.json()["type"].endswith("invalid-state")
