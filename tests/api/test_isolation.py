"""Another tenant's IDs answer 404, for every resource type of this layer."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.tenants import Probe, TenantHandle, assert_tenant_isolation


def test_contacts_are_isolated(
    client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    def create(owner: TenantHandle) -> str:
        r = client.post(
            "/v1/contacts",
            headers=owner.headers,
            json={"role": "mlro", "name": "Owner Person", "email": "owner@example.com"},
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    cid = assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=create,
        probes=[
            Probe("GET", "/v1/contacts/{id}"),
            Probe("PATCH", "/v1/contacts/{id}", {"name": "Hijacked"}),
            Probe("DELETE", "/v1/contacts/{id}"),
        ],
        list_path="/v1/contacts",
        read_back="/v1/contacts/{id}",
    )
    # Blind-index search is tenant-scoped too.
    found = client.post(
        "/v1/contacts/search", headers=other_tenant.headers, json={"email": "owner@example.com"}
    )
    assert found.status_code == 200 and found.json() == []
    mine = client.post(
        "/v1/contacts/search", headers=tenant.headers, json={"email": "owner@example.com"}
    )
    assert [c["id"] for c in mine.json()] == [cid]


def test_api_keys_are_isolated(
    client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    def create(owner: TenantHandle) -> str:
        r = client.post(
            "/v1/api-keys", headers=owner.headers, json={"name": "k", "scopes": ["read"]}
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=create,
        probes=[
            Probe("GET", "/v1/api-keys/{id}"),
            Probe("POST", "/v1/api-keys/{id}/revoke"),
            Probe("POST", "/v1/api-keys/{id}/rotate", {"grace_seconds": 0}),
        ],
        list_path="/v1/api-keys",
        read_back="/v1/api-keys/{id}",
    )


def test_tenant_and_audit_views_are_own_only(
    client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    assert client.get("/v1/tenant", headers=tenant.headers).json()["id"] == tenant.id
    assert client.get("/v1/tenant", headers=other_tenant.headers).json()["id"] == other_tenant.id
    r = client.post(
        "/v1/contacts",
        headers=tenant.headers,
        json={"role": "mlro", "name": "A", "email": "a@example.com"},
    )
    cid = r.json()["id"]
    mine = client.get("/v1/audit-events", headers=tenant.headers, params={"target_id": cid}).json()
    theirs = client.get(
        "/v1/audit-events", headers=other_tenant.headers, params={"target_id": cid}
    ).json()
    assert [e["action"] for e in mine["data"]] == ["contact.created"]
    assert theirs["data"] == []
