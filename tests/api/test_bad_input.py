"""Every client mistake gets a clear 4xx problem document and changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aegis.contacts.models import Contact
from aegis.platform import Platform
from aegis.privacy.audit.models import AuditEvent
from tests.support.tenants import TenantHandle

GOOD = {"role": "mlro", "name": "Grace Hopper", "email": "grace@example.com"}


def _snapshot(platform: Platform) -> tuple[int, int]:
    with platform.db.session(write=False) as session:
        contacts = session.scalar(select(func.count()).select_from(Contact)) or 0
        audits = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return int(contacts), int(audits)


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:aegis:problem:")
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body


@pytest.mark.parametrize(
    ("content", "content_type", "status", "pointer"),
    [
        (b'{"role": "mlro", ', "application/json", 400, "#"),
        (b"[1, 2]", "application/json", 400, None),
        (b'"text"', "application/json", 400, None),
        (
            b'{"role": "mlro", "name": 5, "email": "grace@example.com"}',
            "application/json",
            422,
            "#/name",
        ),
        (
            b'{"role": "chief", "name": "G", "email": "grace@example.com"}',
            "application/json",
            422,
            "#/role",
        ),
        (
            b'{"role": "mlro", "name": "G", "email": "not-an-email"}',
            "application/json",
            422,
            "#/email",
        ),
        (
            b'{"role": "mlro", "name": "G", "email": "g@example.com", "admin": true}',
            "application/json",
            422,
            "#/admin",
        ),
        (
            b'{"role": "mlro", "name": "G", "email": "g@example.com", "phone": "12"}',
            "application/json",
            422,
            "#/phone",
        ),
        (b"role=mlro", "application/x-www-form-urlencoded", 415, None),
    ],
)
def test_bad_bodies(
    client: TestClient,
    platform: Platform,
    tenant: TenantHandle,
    content: bytes,
    content_type: str,
    status: int,
    pointer: str | None,
) -> None:
    before = _snapshot(platform)
    r = client.post(
        "/v1/contacts", headers={**tenant.headers, "Content-Type": content_type}, content=content
    )
    body = _problem(r, status)
    if pointer:
        assert pointer in [e["pointer"] for e in body["errors"]]
    assert _snapshot(platform) == before


def test_oversized_body_is_413(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    before = _snapshot(platform)
    big = (
        b'{"role": "mlro", "name": "'
        + b"a" * (platform.settings.max_body_bytes + 10)
        + b'", "email": "x@example.com"}'
    )
    _problem(
        client.post(
            "/v1/contacts",
            headers={**tenant.headers, "Content-Type": "application/json"},
            content=big,
        ),
        413,
    )

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"role": "mlro", "name": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'", "email": "x@example.com"}'

    r = client.post(
        "/v1/contacts",
        headers={**tenant.headers, "Content-Type": "application/json"},
        content=chunks(),
    )
    _problem(r, 413)
    assert _snapshot(platform) == before


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer aegis_sk_nope"},
        {"Authorization": "Bearer not-even-our-format"},
    ],
)
def test_missing_or_unknown_key_is_401(
    client: TestClient, platform: Platform, headers: dict[str, str]
) -> None:
    before = _snapshot(platform)
    body = _problem(client.post("/v1/contacts", headers=headers, json=GOOD), 401)
    assert "unauthorized" in body["type"]
    _problem(client.get("/v1/tenant", headers=headers), 401)
    assert _snapshot(platform) == before


def test_revoked_key_is_401(client: TestClient, platform: Platform, tenant: TenantHandle) -> None:
    issued = client.post(
        "/v1/api-keys", headers=tenant.headers, json={"name": "temp", "scopes": ["read"]}
    )
    assert issued.status_code == 201
    temp = {"Authorization": f"Bearer {issued.json()['secret']}"}
    assert client.get("/v1/tenant", headers=temp).status_code == 200
    assert (
        client.post(
            f"/v1/api-keys/{issued.json()['id']}/revoke", headers=tenant.headers
        ).status_code
        == 200
    )
    before = _snapshot(platform)
    _problem(client.get("/v1/tenant", headers=temp), 401)
    _problem(client.post("/v1/contacts", headers=temp, json=GOOD), 401)
    assert _snapshot(platform) == before


def test_scope_is_enforced(client: TestClient, platform: Platform, tenant: TenantHandle) -> None:
    issued = client.post(
        "/v1/api-keys", headers=tenant.headers, json={"name": "reader", "scopes": ["read"]}
    )
    reader = {"Authorization": f"Bearer {issued.json()['secret']}"}
    before = _snapshot(platform)
    _problem(client.post("/v1/contacts", headers=reader, json=GOOD), 403)
    _problem(
        client.post("/v1/api-keys", headers=reader, json={"name": "x", "scopes": ["admin"]}), 403
    )
    assert client.get("/v1/contacts", headers=reader).status_code == 200
    assert _snapshot(platform) == before


def test_unknown_route_and_method(client: TestClient, tenant: TenantHandle) -> None:
    _problem(client.get("/v1/nothing-here", headers=tenant.headers), 404)
    _problem(client.put("/v1/tenant", headers=tenant.headers, json={}), 405)


@pytest.mark.parametrize("cursor", ["%%%", "bm90LWFuLWlk", "A" * 120])
def test_bad_cursor_is_422(client: TestClient, tenant: TenantHandle, cursor: str) -> None:
    body = _problem(
        client.get("/v1/contacts", headers=tenant.headers, params={"cursor": cursor}), 422
    )
    assert body["errors"]
