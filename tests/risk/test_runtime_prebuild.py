"""A process that starts builds its tenants' risk runtimes before it serves, and a process
that gets no request of a tenant still follows what the other processes decide."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aegis.app import create_app
from aegis.platform import Platform
from aegis.risk.runtime import RiskRuntime, TenantRuntime
from tests.risk.test_decisions_api import post, tx
from tests.risk.test_runtime_refresh import hourly_count
from tests.support.tenants import TenantHandle


def spy_builds(monkeypatch: pytest.MonkeyPatch, *, fail_first: bool = False) -> list[str]:
    """The names of the threads that built a runtime from now on; with ``fail_first`` the
    first build raises."""
    builds: list[str] = []
    original = RiskRuntime._build

    def spy(self: RiskRuntime, session: Any, tenant_id: str) -> TenantRuntime:
        builds.append(threading.current_thread().name)
        if fail_first and len(builds) == 1:
            raise RuntimeError("the database went away")
        return original(self, session, tenant_id)

    monkeypatch.setattr(RiskRuntime, "_build", spy)
    return builds


def test_a_starting_app_builds_its_tenants_runtimes_before_its_first_request(
    client: TestClient, platform: Platform, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert post(client, tenant, tx(customer_id="known")).status_code == 201
    builds = spy_builds(monkeypatch)
    other = Platform.build(platform.settings)
    try:
        with TestClient(create_app(other)) as second:
            assert len(builds) == 1  # at startup: no request has been made
            assert other.risk.due(tenant.id) != "now"
            # The first request finds the stored payment replayed, and builds nothing.
            assert hourly_count(second, tenant, "known") == 1.0
            assert len(builds) == 1
    finally:
        other.close()


def test_a_tenant_whose_build_fails_at_start_is_built_on_its_first_request(
    client: TestClient, platform: Platform, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert post(client, tenant, tx(customer_id="known")).status_code == 201
    builds = spy_builds(monkeypatch, fail_first=True)
    other = Platform.build(platform.settings)
    try:
        with TestClient(create_app(other)) as second:  # starts all the same
            assert len(builds) == 1 and other.risk.due(tenant.id) == "now"
            assert hourly_count(second, tenant, "known") == 1.0
            assert len(builds) == 2
    finally:
        other.close()


def test_an_idle_process_follows_the_other_processes_decisions(
    client: TestClient, platform: Platform, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a single request, the second process's history learns the first one's
    payments within a few refresh periods."""
    import aegis.app as app_module

    monkeypatch.setattr(app_module, "IDLE_REFRESH_MIN_SECONDS", 0.02)
    other = Platform.build(platform.settings)
    other.risk.refresh_seconds = 0.02
    try:
        with TestClient(create_app(other)):
            rt = other.risk.settled(tenant.id)  # built at start
            ids = []
            for _ in range(3):
                body = tx(customer_id="followed")
                assert post(client, tenant, body).status_code == 201
                ids.append(body["id"])
            deadline = time.monotonic() + 10
            while not all(i in rt.recent for i in ids) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert all(i in rt.recent for i in ids)
    finally:
        other.close()


def test_refresh_idle_starts_only_due_refreshes(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    assert post(client, tenant, tx()).status_code == 201
    risk = platform.risk
    assert risk.refresh_idle() == 0  # just built: not due
    rt = risk.settled(tenant.id)
    rt.checked_at -= 3600
    assert risk.refresh_idle() == 1
    deadline = time.monotonic() + 10
    while rt.refreshing and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not rt.refreshing and risk.due(tenant.id) is None
