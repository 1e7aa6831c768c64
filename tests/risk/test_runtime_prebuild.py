"""A process that starts builds its tenants' risk runtimes before it serves."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def another_process(platform: Platform, **settings: Any) -> Iterator[tuple[Platform, TestClient]]:
    """A second process on the same database (``settings`` changed), started."""
    other = Platform.build(platform.settings.model_copy(update=settings))
    try:
        with TestClient(create_app(other)) as second:
            yield other, second
    finally:
        other.close()


def test_a_starting_app_builds_its_tenants_runtimes_before_its_first_request(
    client: TestClient, platform: Platform, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert post(client, tenant, tx(customer_id="known")).status_code == 201
    builds = spy_builds(monkeypatch)
    with another_process(platform) as (other, second):
        assert len(builds) == 1  # at startup: no request has been made
        assert other.risk.due(tenant.id) != "now"
        # The first request finds the stored payment replayed, and builds nothing.
        assert hourly_count(second, tenant, "known") == 1.0
        assert len(builds) == 1


def test_a_tenant_whose_build_fails_at_start_is_built_on_its_first_request(
    client: TestClient, platform: Platform, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert post(client, tenant, tx(customer_id="known")).status_code == 201
    builds = spy_builds(monkeypatch, fail_first=True)
    with another_process(platform) as (other, second):  # starts all the same
        assert len(builds) == 1 and other.risk.due(tenant.id) == "now"
        assert hourly_count(second, tenant, "known") == 1.0
        assert len(builds) == 2


def test_without_prebuild_a_runtime_is_built_on_the_first_request(
    client: TestClient, platform: Platform, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert post(client, tenant, tx(customer_id="known")).status_code == 201
    builds = spy_builds(monkeypatch)
    with another_process(platform, risk_prebuild=False) as (other, second):
        assert builds == [] and other.risk.due(tenant.id) == "now"
        assert hourly_count(second, tenant, "known") == 1.0
        assert len(builds) == 1


def test_tenants_that_cannot_be_listed_leave_the_app_starting(
    client: TestClient, platform: Platform, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aegis.partners.repository import TenantStore

    def unreadable(self: TenantStore) -> list[str]:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(TenantStore, "active_ids", unreadable)
    builds = spy_builds(monkeypatch)
    with another_process(platform) as (other, second):
        assert builds == [] and other.risk.prebuild() == 0
        assert post(second, tenant, tx()).status_code == 201
        assert len(builds) == 1
