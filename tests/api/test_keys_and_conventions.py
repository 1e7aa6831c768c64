from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from aegis.partners.models import ApiKey
from aegis.platform import Platform
from tests.support.tenants import TenantHandle


def test_key_secret_shown_once_and_stored_hashed(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    r = client.post(
        "/v1/api-keys", headers=tenant.headers, json={"name": "svc", "scopes": ["kyc:write"]}
    )
    assert r.status_code == 201
    secret, key_id = r.json()["secret"], r.json()["id"]
    assert secret.startswith("aegis_sk_") and key_id.startswith("key_")
    assert "secret" not in client.get(f"/v1/api-keys/{key_id}", headers=tenant.headers).json()
    listing = client.get("/v1/api-keys", headers=tenant.headers).text
    assert secret not in listing
    with platform.db.session(write=False) as session:
        row = session.get(ApiKey, key_id)
        assert row is not None and secret not in row.secret_hash and row.secret_hash != secret
    # kyc:write implies read
    assert (
        client.get("/v1/tenant", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )


def test_rotation_with_and_without_grace(client: TestClient, tenant: TenantHandle) -> None:
    r = client.post(
        "/v1/api-keys", headers=tenant.headers, json={"name": "svc", "scopes": ["read"]}
    )
    old = r.json()
    rotated = client.post(
        f"/v1/api-keys/{old['id']}/rotate", headers=tenant.headers, json={"grace_seconds": 600}
    )
    assert rotated.status_code == 201
    new = rotated.json()
    assert new["rotated_from"] == old["id"] and new["scopes"] == ["read"]
    for secret in (old["secret"], new["secret"]):  # both work during the grace period
        assert (
            client.get("/v1/tenant", headers={"Authorization": f"Bearer {secret}"}).status_code
            == 200
        )
    again = client.post(f"/v1/api-keys/{new['id']}/rotate", headers=tenant.headers)
    assert again.status_code == 201
    assert (
        client.get("/v1/tenant", headers={"Authorization": f"Bearer {new['secret']}"}).status_code
        == 401
    )
    assert (
        client.get(f"/v1/api-keys/{new['id']}", headers=tenant.headers).json()["status"]
        == "revoked"
    )
    assert (
        client.post(f"/v1/api-keys/{new['id']}/revoke", headers=tenant.headers).status_code == 409
    )


def test_expired_key_is_refused(client: TestClient, tenant: TenantHandle) -> None:
    r = client.post(
        "/v1/api-keys",
        headers=tenant.headers,
        json={"name": "old", "scopes": ["read"], "expires_at": "2020-01-01T00:00:00Z"},
    )
    assert (
        client.get(
            "/v1/tenant", headers={"Authorization": f"Bearer {r.json()['secret']}"}
        ).status_code
        == 401
    )


def test_cursor_pagination_walks_everything_once(client: TestClient, tenant: TenantHandle) -> None:
    ids = {
        client.post(
            "/v1/contacts",
            headers=tenant.headers,
            json={"role": "billing", "name": f"P {i}", "email": f"p{i}@example.com"},
        ).json()["id"]
        for i in range(7)
    }
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/contacts", headers=tenant.headers, params=params).json()
        seen += [c["id"] for c in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 7 and set(seen) == ids
    assert seen == sorted(seen, reverse=True)  # newest first


def test_request_id_round_trip(client: TestClient, tenant: TenantHandle) -> None:
    r = client.get("/v1/tenant", headers={**tenant.headers, "X-Request-Id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = client.get("/v1/tenant", headers={**tenant.headers, "X-Request-Id": "bad id with spaces"})
    assert r.headers["x-request-id"].startswith("req_")


def test_tenant_settings_update_is_validated_and_audited(
    client: TestClient, tenant: TenantHandle
) -> None:
    bad = client.patch(
        "/v1/tenant", headers=tenant.headers, json={"settings": {"pii_retention_days": 1}}
    )
    assert bad.status_code == 422
    ok = client.patch(
        "/v1/tenant", headers=tenant.headers, json={"settings": {"pii_retention_days": 400}}
    )
    assert ok.status_code == 200 and ok.json()["settings"]["pii_retention_days"] == 400
    actions = [
        e["action"] for e in client.get("/v1/audit-events", headers=tenant.headers).json()["data"]
    ]
    assert "tenant.updated" in actions


def test_health_and_metrics(client: TestClient, tenant: TenantHandle) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}
    client.get("/v1/tenant", headers=tenant.headers)
    metrics = client.get("/metrics").text
    assert "aegis_http_requests_total" in metrics and "/v1/tenant" in metrics


def test_openapi_documents_errors(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        if not path.startswith("/v1"):
            continue
        for method, op in item.items():
            assert op.get("description") or op.get("summary"), (method, path)
            codes = op["responses"]
            assert "401" in codes and "422" in codes, (method, path)
            for code, response in codes.items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        code,
                    )
            if "{" in path:
                assert "404" in codes, (method, path)


@pytest.mark.parametrize("service", ["redis", "nats"])
def test_readyz_checks_configured_services(platform: Platform, service: str) -> None:
    from fastapi.testclient import TestClient as TC

    from aegis.app import create_app
    from tests.conftest import NATS_URL, REDIS_URL, service_url

    url = service_url(
        service.upper(),
        REDIS_URL if service == "redis" else NATS_URL,
        6379 if service == "redis" else 4222,
    )
    settings = platform.settings.model_copy(update={f"{service}_url": url})
    platform.settings = settings
    with TC(create_app(platform)) as c:
        body = c.get("/readyz").json()
        assert body["checks"][service] == "ok", body
    bad = "redis://127.0.0.1:1/0" if service == "redis" else "nats://127.0.0.1:1"
    platform.settings = settings.model_copy(update={f"{service}_url": bad})
    with TC(create_app(platform)) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"][service].startswith("failed")
