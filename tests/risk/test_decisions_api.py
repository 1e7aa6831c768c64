"""The risk engine over HTTP: decisions with explanations, idempotent transaction ids, bad
input refused without touching the features, frozen accounts, lists, rule changes in force
without a restart, labels with their delay, alerts and webhooks, tenant isolation."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from aegis.kit.time import utcnow
from aegis.platform import Platform
from aegis.webhooks import verify_signature
from tests.support.tenants import Probe, TenantHandle, assert_tenant_isolation

_ids = itertools.count(1)


def tx(**overrides: Any) -> dict[str, Any]:
    n = next(_ids)
    body = {
        "id": f"t-{n}",
        "time": (utcnow() - dt.timedelta(seconds=5)).isoformat(),
        "type": "payment",
        "amount": 2_500,
        "currency": "EUR",
        "customer_id": "cust-1",
        "card_fingerprint": "card-aaaa-0001",
        "device_id": "dev-1",
        "ip": "203.0.113.7",
        "channel": "web",
        "payee": {"account": "DE89370400440532013000", "name": "Some Shop GmbH", "country": "DE"},
        "geolocation": {"country": "DE"},
    }
    body.update(overrides)
    return body


def post(client: TestClient, tenant: TenantHandle, body: dict[str, Any]) -> httpx.Response:
    return client.post("/v1/transactions", headers=tenant.headers, json=body)


def test_decision_is_explained(client: TestClient, tenant: TenantHandle) -> None:
    r = post(client, tenant, tx())
    assert r.status_code == 201, r.text
    decision = r.json()
    assert decision["outcome"] == "approve" and decision["replayed"] is False
    assert decision["rule_set"] == "default" and decision["rule_set_version"] == 1
    explained = client.get(f"/v1/decisions/{decision['id']}", headers=tenant.headers).json()
    assert explained["outcome"] == "approve"
    rule_ids = {e["rule_id"] for e in explained["executions"]}
    assert {"frozen_account", "velocity_burst_1h", "structuring_below_threshold"} <= rule_ids
    frozen = next(e for e in explained["executions"] if e["rule_id"] == "frozen_account")
    assert frozen["hit"] is False and frozen["values"] == {"customer.frozen": False}
    assert all(e["duration_us"] >= 0 for e in explained["executions"])
    assert explained["features"]["customer_count_1h"] == 0.0
    assert explained["transaction_status"] == "decided"


def test_same_id_same_decision_and_not_counted_twice(
    client: TestClient, tenant: TenantHandle
) -> None:
    body = tx()
    first = post(client, tenant, body)
    again = post(client, tenant, body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["replayed"] is True
    conflict = post(client, tenant, {**body, "amount": 9_999})
    assert conflict.status_code == 409
    assert conflict.json()["type"].endswith("transaction-conflict")
    later = post(client, tenant, tx())
    explained = client.get(f"/v1/decisions/{later.json()['id']}", headers=tenant.headers).json()
    assert explained["features"]["customer_count_1h"] == 1.0  # the replay did not count


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"currency": "XYZ"}, "/currency"),
        ({"amount": -5}, "/amount"),
        ({"amount": 0}, "/amount"),
        ({"time": (utcnow() + dt.timedelta(hours=2)).isoformat()}, "/time"),
        ({"time": "2026-01-01T10:00:00"}, "/time"),
        ({"type": "gift"}, "/type"),
        ({"ip": "999.1.1.1"}, "/ip"),
        ({"surprise": True}, "/surprise"),
    ],
)
def test_bad_transactions_are_422_and_not_counted(
    client: TestClient, tenant: TenantHandle, change: dict[str, Any], pointer: str
) -> None:
    r = post(client, tenant, tx(**change))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(e["pointer"].endswith(pointer) for e in r.json()["errors"]), r.json()
    ok = post(client, tenant, tx(customer_id="fresh-customer-" + pointer))
    explained = client.get(f"/v1/decisions/{ok.json()['id']}", headers=tenant.headers).json()
    assert explained["features"]["customer_count_1h"] == 0.0


def test_frozen_account_always_declines_even_when_allowed(
    client: TestClient, tenant: TenantHandle
) -> None:
    h = tenant.headers
    r = client.post("/v1/risk-lists", headers=h, json={
        "list": "allow", "kind": "customer", "value": "cust-frozen", "reason": "VIP customer"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert post(client, tenant, tx(customer_id="cust-frozen")).json()["outcome"] == "approve"
    r = client.post("/v1/account-restrictions", headers=h, json={
        "customer_id": "cust-frozen", "frozen": True, "reason": "court order 12/2026"})  # fmt: skip
    assert r.status_code == 200 and r.json()["frozen"] is True
    decision = post(client, tenant, tx(customer_id="cust-frozen")).json()
    assert decision["outcome"] == "decline"
    assert decision["reasons"][0]["rule_id"] == "frozen_account"
    r = client.post("/v1/account-restrictions", headers=h, json={
        "customer_id": "cust-frozen", "frozen": False, "reason": "order lifted"})  # fmt: skip
    assert post(client, tenant, tx(customer_id="cust-frozen")).json()["outcome"] == "approve"


def test_block_list_declines_until_it_expires(client: TestClient, tenant: TenantHandle) -> None:
    h = tenant.headers
    r = client.post("/v1/risk-lists", headers=h, json={
        "list": "block", "kind": "ip", "value": "198.51.100.0/24", "reason": "botnet"})  # fmt: skip
    entry = r.json()
    assert r.status_code == 201 and entry["value"] == "198.51.100.0/24"
    assert post(client, tenant, tx(ip="198.51.100.23")).json()["outcome"] == "decline"
    assert client.delete(f"/v1/risk-lists/{entry['id']}", headers=h).status_code == 204
    assert post(client, tenant, tx(ip="198.51.100.23")).json()["outcome"] == "approve"
    bad = client.post("/v1/risk-lists", headers=h, json={
        "list": "block", "kind": "ip", "value": "not-an-ip", "reason": "typo"})  # fmt: skip
    assert bad.status_code == 422


def test_published_rule_change_takes_effect_without_restart(
    client: TestClient, tenant: TenantHandle
) -> None:
    h = tenant.headers
    assert post(client, tenant, tx(amount=77_700)).json()["outcome"] == "approve"
    draft = {
        "description": "Block a test amount.",
        "rules": [
            {"id": "odd_amount", "name": "Odd amount", "description": "A test rule.",
             "expression": "tx.amount == 77700", "outcome": "decline"},
        ],
    }  # fmt: skip
    bad = client.post("/v1/rule-sets/default/drafts", headers=h, json={
        "rules": [{**draft["rules"][0], "expression": "tx.amount ==== 1"}]})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"].endswith("/expression")
    r = client.post("/v1/rule-sets/default/drafts", headers=h, json=draft)
    assert r.status_code == 201, r.text
    version = r.json()["version"]
    assert version == 2 and r.json()["status"] == "draft"
    assert post(client, tenant, tx(amount=77_700)).json()["outcome"] == "approve"  # a draft
    r = client.post(f"/v1/rule-sets/default/versions/{version}/publish", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "published"
    decision = post(client, tenant, tx(amount=77_700)).json()
    assert decision["outcome"] == "decline" and decision["rule_set_version"] == 2
    again = client.post(f"/v1/rule-sets/default/versions/{version}/publish", headers=h)
    assert again.status_code == 409
    versions = client.get("/v1/rule-sets/default", headers=h).json()
    assert [(v["version"], v["status"], v["builtin"]) for v in versions] == [
        (1, "retired", True),
        (2, "published", False),
    ]


def test_alerts_and_webhook_for_non_approvals(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    events: list[dict[str, Any]] = []
    secret = {}

    def handler(request: httpx.Request) -> httpx.Response:
        verify_signature(request.content, request.headers["Aegis-Signature"], secret["s"])
        events.append(json.loads(request.content))
        return httpx.Response(200)

    platform.webhook_transport = httpx.MockTransport(handler)
    r = client.post("/v1/webhook-endpoints", headers=tenant.headers,
                    json={"url": "https://partner.example/risk", "event_types": ["risk.*"]})  # fmt: skip
    secret["s"] = r.json()["secret"]
    client.post("/v1/risk-lists", headers=tenant.headers, json={
        "list": "block", "kind": "card", "value": "stolen-card-0001", "reason": "reported stolen"})  # fmt: skip
    decision = post(client, tenant, tx(card_fingerprint="stolen-card-0001")).json()
    assert decision["outcome"] == "decline"
    alerts = client.get("/v1/alerts", headers=tenant.headers).json()["data"]
    assert [a["decision_id"] for a in alerts] == [decision["id"]]
    [event] = [e for e in events if e["type"] == "risk.decision"]
    assert event["data"]["decision_id"] == decision["id"] and event["data"]["outcome"] == "decline"


def test_labels_wait_for_their_delay(client: TestClient, tenant: TenantHandle) -> None:
    first = post(client, tenant, tx(terminal_id="term-9")).json()
    r = client.post("/v1/labels", headers=tenant.headers,
                    json={"transaction_id": first["external_id"], "kind": "chargeback"})  # fmt: skip
    assert r.status_code == 201, r.text
    label = r.json()
    delay = dt.datetime.fromisoformat(label["usable_at"]) - dt.datetime.fromisoformat(
        label["reported_at"]
    )
    assert delay == dt.timedelta(days=7)
    missing = client.post("/v1/labels", headers=tenant.headers,
                          json={"transaction_id": "nope", "kind": "chargeback"})  # fmt: skip
    assert missing.status_code == 404


def test_decisions_are_isolated(
    client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=lambda owner: str(post(client, owner, tx()).json()["id"]),
        probes=(Probe("GET", "/v1/decisions/{id}"),),
        list_path="/v1/decisions",
        read_back="/v1/decisions/{id}",
    )


def test_processes_share_a_history_through_the_database(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    """Two processes on one embedded database (two web workers): each one's in-memory
    history learns what the other decided, and a restarted one rebuilds it."""
    from aegis.app import create_app

    other = Platform.build(platform.settings)
    try:
        with TestClient(create_app(other)) as second:
            assert post(second, tenant, tx(customer_id="shared")).status_code == 201
            assert post(client, tenant, tx(customer_id="shared")).status_code == 201
            other.risk.invalidate(tenant.id)  # as after the refresh period
            third = post(second, tenant, tx(customer_id="shared")).json()
            explained = second.get(f"/v1/decisions/{third['id']}", headers=tenant.headers)
            assert explained.json()["features"]["customer_count_1h"] == 2.0
    finally:
        other.close()
    fresh = Platform.build(platform.settings)  # a restart: the history is replayed
    try:
        with TestClient(create_app(fresh)) as restarted:
            fourth = post(restarted, tenant, tx(customer_id="shared")).json()
            explained = restarted.get(f"/v1/decisions/{fourth['id']}", headers=tenant.headers)
            assert explained.json()["features"]["customer_count_1h"] == 3.0
    finally:
        fresh.close()


@pytest.mark.redis
def test_memory_and_redis_state_decide_alike(
    client: TestClient, platform: Platform, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    """The same payments through the embedded shape (memory) and the scaled one (Redis)
    give the same features and decisions."""
    import redis

    from aegis.app import create_app
    from tests.conftest import REDIS_URL, service_url

    url = service_url("REDIS", REDIS_URL, 6379)
    scaled = Platform.build(platform.settings.model_copy(update={"redis_url": url}))
    try:
        with TestClient(create_app(scaled)) as second:
            start = utcnow() - dt.timedelta(hours=2)
            for i in range(40):
                body = tx(
                    id=f"same-{i}",
                    time=(start + dt.timedelta(minutes=3 * i)).isoformat(),
                    customer_id=f"c{i % 3}",
                    card_fingerprint=f"card-{i % 5:08d}",
                    device_id=f"dev-{i % 4}",
                    terminal_id=f"t{i % 2}",
                    amount=1_000 + 997 * i,
                )
                a = post(client, tenant, body).json()
                b = post(second, other_tenant, body).json()
                assert a["outcome"] == b["outcome"] and a["score"] == b["score"]
                fa = client.get(f"/v1/decisions/{a['id']}", headers=tenant.headers).json()
                fb = second.get(f"/v1/decisions/{b['id']}", headers=other_tenant.headers).json()
                assert fa["features"] == fb["features"], i
    finally:
        client_redis = redis.Redis.from_url(url)
        for key in client_redis.scan_iter(f"aegis:risk:{other_tenant.id}:*"):
            client_redis.delete(key)
        scaled.close()
