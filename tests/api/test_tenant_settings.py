from __future__ import annotations

from fastapi.testclient import TestClient

from aegis.app import create_app
from aegis.platform import Platform
from tests.support.tenants import TenantHandle


def test_settings_patch_keeps_unnamed_settings(client: TestClient, tenant: TenantHandle) -> None:
    client.patch(
        "/v1/tenant", headers=tenant.headers, json={"settings": {"pii_retention_days": 400}}
    )
    r = client.patch(
        "/v1/tenant",
        headers=tenant.headers,
        json={"settings": {"webhook_event_types": ["applicant.*"]}},
    )
    assert r.status_code == 200
    settings = r.json()["settings"]
    assert settings["pii_retention_days"] == 400
    assert settings["webhook_event_types"] == ["applicant.*"]


def test_ip_allowlist_must_be_cidr_blocks(client: TestClient, tenant: TenantHandle) -> None:
    r = client.patch(
        "/v1/tenant", headers=tenant.headers, json={"settings": {"ip_allowlist": ["not-a-net"]}}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"].startswith("#/settings/ip_allowlist")


def test_ip_allowlist_is_enforced(platform: Platform, tenant: TenantHandle) -> None:
    # TestClient's peer is "testclient"; a real client sends from an address.
    with TestClient(create_app(platform), client=("203.0.113.5", 50000)) as outside:
        assert outside.get("/v1/tenant", headers=tenant.headers).status_code == 200
        r = outside.patch(
            "/v1/tenant",
            headers=tenant.headers,
            json={"settings": {"ip_allowlist": ["198.51.100.0/24"]}},
        )
        assert r.status_code == 200
        assert r.json()["settings"]["ip_allowlist"] == ["198.51.100.0/24"]
    with TestClient(create_app(platform), client=("203.0.113.5", 50000)) as outside:
        refused = outside.get("/v1/tenant", headers=tenant.headers)
        assert refused.status_code == 403
        assert "allow-list" in refused.json()["detail"]
    with TestClient(create_app(platform), client=("198.51.100.20", 50000)) as inside:
        assert inside.get("/v1/tenant", headers=tenant.headers).status_code == 200


def test_null_settings_leave_values_alone(client: TestClient, tenant: TenantHandle) -> None:
    body = {
        "settings": {"webhook_event_types": None, "pii_retention_days": None, "ip_allowlist": None}
    }
    r = client.patch("/v1/tenant", headers=tenant.headers, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["webhook_event_types"] == ["*"]
