"""Test helpers: tenants with keys, and the proof that one tenant never sees another's data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from aegis.auth.context import Actor, Scope
from aegis.partners.schemas import ApiKeyCreate
from aegis.partners.service import ApiKeyService, AuthCache, TenantService
from aegis.platform import Platform


@dataclass(frozen=True)
class TenantHandle:
    id: str
    key_id: str
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


def make_tenant(
    platform: Platform, name: str, scopes: Sequence[Scope] = (Scope.ADMIN,)
) -> TenantHandle:
    with platform.db.session() as session:
        tenant = TenantService(platform.audit).create(
            session, name=name, actor=Actor("cli", "test")
        )
        issued = ApiKeyService(platform.audit, AuthCache(0)).issue(
            session,
            tenant_id=tenant.id,
            spec=ApiKeyCreate(name="test", scopes=list(scopes)),
            actor="cli:test",
        )
        return TenantHandle(tenant.id, issued.key.id, issued.secret)


@dataclass(frozen=True)
class Probe:
    """One request another tenant must not be able to make against the resource."""

    method: str
    path: str  # with {id}
    json: Any = None


def assert_tenant_isolation(
    client: TestClient,
    owner: TenantHandle,
    intruder: TenantHandle,
    *,
    create: Callable[[TenantHandle], str],
    probes: Sequence[Probe],
    list_path: str | None = None,
    read_back: str | None = None,
) -> str:
    """Create a resource as ``owner``; every probe by ``intruder`` answers 404 and changes
    nothing; the owner's listing shows it, the intruder's does not. Returns the id."""
    resource_id = create(owner)
    before = (
        client.get(read_back.format(id=resource_id), headers=owner.headers).json()
        if read_back
        else None
    )
    for probe in probes:
        path = probe.path.format(id=resource_id)
        response = client.request(probe.method, path, headers=intruder.headers, json=probe.json)
        assert response.status_code == 404, (probe, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert resource_id not in response.text or "not found" in response.text
    if list_path:
        mine = client.get(list_path, headers=owner.headers, params={"limit": 100}).json()
        theirs = client.get(list_path, headers=intruder.headers, params={"limit": 100}).json()
        assert resource_id in {item["id"] for item in mine["data"]}
        assert resource_id not in {item["id"] for item in theirs["data"]}
    if read_back:
        after = client.get(read_back.format(id=resource_id), headers=owner.headers).json()
        assert after == before, "an intruder's request changed the owner's resource"
    return resource_id
