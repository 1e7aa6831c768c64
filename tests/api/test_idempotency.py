from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aegis.contacts.models import Contact
from aegis.platform import Platform
from tests.support.tenants import TenantHandle

BODY = {"role": "technical", "name": "Ada Lovelace", "email": "ada@example.com"}


def _count(platform: Platform) -> int:
    with platform.db.session(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Contact)) or 0)


def test_same_key_same_body_replays(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    h = {**tenant.headers, "Idempotency-Key": "k-1"}
    first = client.post("/v1/contacts", headers=h, json=BODY)
    second = client.post("/v1/contacts", headers=h, json=BODY)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert _count(platform) == 1


def test_same_key_different_body_is_409(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    h = {**tenant.headers, "Idempotency-Key": "k-2"}
    assert client.post("/v1/contacts", headers=h, json=BODY).status_code == 201
    other = client.post("/v1/contacts", headers=h, json={**BODY, "name": "Someone Else"})
    assert other.status_code == 409
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["type"].endswith("idempotency-conflict")
    assert _count(platform) == 1


def test_keys_are_scoped_per_tenant(
    client: TestClient, platform: Platform, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    a = client.post(
        "/v1/contacts", headers={**tenant.headers, "Idempotency-Key": "shared"}, json=BODY
    )
    b = client.post(
        "/v1/contacts", headers={**other_tenant.headers, "Idempotency-Key": "shared"}, json=BODY
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert _count(platform) == 2


def test_client_errors_are_replayed_too(client: TestClient, tenant: TenantHandle) -> None:
    h = {**tenant.headers, "Idempotency-Key": "k-3"}
    bad = {"role": "technical"}
    first = client.post("/v1/contacts", headers=h, json=bad)
    second = client.post("/v1/contacts", headers=h, json=bad)
    assert first.status_code == second.status_code == 422
    assert second.headers.get("idempotent-replayed") == "true"


def test_without_key_each_post_creates(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    for _ in range(2):
        assert client.post("/v1/contacts", headers=tenant.headers, json=BODY).status_code == 201
    assert _count(platform) == 2


def test_bad_idempotency_key_is_400(client: TestClient, tenant: TenantHandle) -> None:
    r = client.post(
        "/v1/contacts", headers={**tenant.headers, "Idempotency-Key": "x" * 300}, json=BODY
    )
    assert r.status_code == 400


def test_stored_response_is_encrypted(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    from aegis.api.models import IdempotencyRecord

    client.post("/v1/contacts", headers={**tenant.headers, "Idempotency-Key": "k-enc"}, json=BODY)
    with platform.db.session(write=False) as session:
        record = session.scalars(select(IdempotencyRecord)).one()
        assert record.response_body is not None
        assert b"ada@example.com" not in record.response_body


def test_oversized_chunked_body_with_key_is_413(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"role": "mlro", "name": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'", "email": "x@example.com"}'

    r = client.post(
        "/v1/contacts",
        headers={**tenant.headers, "Idempotency-Key": "big", "Content-Type": "application/json"},
        content=chunks(),
    )
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _count(platform) == 0
