from fastapi.testclient import TestClient

from tests.support.tenants import TenantHandle


def test_tenant_read(client: TestClient, tenant: TenantHandle) -> None:
    r = client.get("/v1/tenant", headers=tenant.headers)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == tenant.id
    assert r.headers["x-request-id"].startswith("req_")
