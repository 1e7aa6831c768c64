"""A due refresh of a tenant's risk runtime runs beside the decisions, which go on with the
current runtime; a change made in this process is waited for."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aegis.platform import Platform
from aegis.risk.runtime import RiskRuntime
from tests.risk.test_decisions_api import post, tx
from tests.support.tenants import TenantHandle


def hourly_count(c: TestClient, tenant: TenantHandle, customer_id: str) -> float:
    """Decide a payment of ``customer_id`` through ``c``; the customer's payments in the
    hour before it, as its decision explains them."""
    decided = post(c, tenant, tx(customer_id=customer_id)).json()
    explained = c.get(f"/v1/decisions/{decided['id']}", headers=tenant.headers).json()
    return float(explained["features"]["customer_count_1h"])


def test_a_due_refresh_does_not_hold_decisions(
    client: TestClient, platform: Platform, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert post(client, tenant, tx()).status_code == 201  # the runtime is built
    gate, entered, waited_out = threading.Event(), threading.Event(), []
    original = RiskRuntime._refresh

    def held(self: RiskRuntime, session: Any, rt: Any, *rest: Any) -> None:
        entered.set()
        # Released only once the decision below is answered: a decision that waited for
        # this refresh would make it time out.
        waited_out.append(not gate.wait(10))
        original(self, session, rt, *rest)

    monkeypatch.setattr(RiskRuntime, "_refresh", held)
    rt = platform.risk.settled(tenant.id)
    rt.checked_at -= 3600  # the refresh period has passed
    assert platform.risk.due(tenant.id) == "soon"
    assert post(client, tenant, tx()).status_code == 201
    assert entered.wait(10)
    assert rt.refreshing
    gate.set()
    deadline = time.monotonic() + 10
    while rt.refreshing and time.monotonic() < deadline:
        time.sleep(0.01)
    assert waited_out == [False] and not rt.refreshing
    assert platform.risk.due(tenant.id) is None


def test_an_invalidated_runtime_is_refreshed_before_the_decision(
    client: TestClient, platform: Platform, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert post(client, tenant, tx()).status_code == 201
    refreshed: list[str] = []
    original = RiskRuntime._refresh

    def spy(self: RiskRuntime, session: Any, rt: Any, *rest: Any) -> None:
        original(self, session, rt, *rest)
        refreshed.append(threading.current_thread().name)

    monkeypatch.setattr(RiskRuntime, "_refresh", spy)
    platform.risk.invalidate(tenant.id)  # as a publish in this process does
    assert platform.risk.due(tenant.id) == "now"
    assert post(client, tenant, tx()).status_code == 201
    assert len(refreshed) == 1 and platform.risk.due(tenant.id) is None


@pytest.mark.parametrize("rowids_restarted", [False, True])
def test_other_processes_decisions_are_tailed_once(
    client: TestClient, platform: Platform, tenant: TenantHandle, rowids_restarted: bool
) -> None:
    """Two processes on one database: each learns the other's payments at its refresh,
    each exactly once (SQLite by rowid, PostgreSQL by storage time with an overlap), also
    after SQLite's rowids start again (a table emptied by retention)."""
    from aegis.app import create_app

    def count(c: TestClient) -> float:
        return hourly_count(c, tenant, "tailed")

    assert count(client) == 0.0
    other = Platform.build(platform.settings)
    try:
        with TestClient(create_app(other)) as second:
            assert count(second) == 1.0  # built: the first one replayed
            rt = platform.risk.settled(tenant.id)
            if rowids_restarted and rt.tail_row is not None:
                rt.tail_row += 1_000_000
            for _ in range(3):
                assert post(second, tenant, tx(customer_id="tailed")).status_code == 201
            platform.risk.invalidate(tenant.id)  # as after the refresh period
            assert count(client) == 5.0
            platform.risk.invalidate(tenant.id)  # a second poll adds nothing again
            assert count(client) == 6.0
    finally:
        other.close()


def test_a_refresh_aside_records_the_others_on_the_loop_in_pieces(
    client: TestClient, platform: Platform, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event loop decrypts and records the other processes' payments, a piece per turn,
    so requests are served between pieces. On SQLite it reads them too, a page per turn;
    elsewhere the refresh's thread reads them."""
    from aegis.app import create_app
    from aegis.risk import runtime

    def count(c: TestClient) -> float:
        return hourly_count(c, tenant, "sliced")

    paged = platform.db.writes_on_loop
    monkeypatch.setattr(runtime, "TAIL_SLICE", 2)
    monkeypatch.setattr(runtime, "TAIL_PAGE", 2)
    pieces: list[tuple[str, int]] = []
    name = "_tail_pages" if paged else "_record_slices"
    original = getattr(RiskRuntime, name)

    def spy(self: RiskRuntime, rt: Any, *rest: Any) -> None:
        pieces.append((threading.current_thread().name, rt.tail_row if paged else rest[1]))
        original(self, rt, *rest)

    monkeypatch.setattr(RiskRuntime, name, spy)
    assert count(client) == 0.0
    other = Platform.build(platform.settings)
    try:
        with TestClient(create_app(other)) as second:
            for _ in range(5):
                assert post(second, tenant, tx(customer_id="sliced")).status_code == 201
        rt = platform.risk.settled(tenant.id)
        rt.checked_at -= 3600  # due: refreshed aside by the next decision
        assert count(client) == 1.0  # decided before the refresh read the others
        deadline = time.monotonic() + 10
        while (len(pieces) < 3 or rt.tailing) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        if paged:
            # Each turn reads on from where the one before stopped, two rows at a time (a
            # turn that found the refresh's thread still holding the lock tries again).
            marks = [mark for _, mark in pieces]
            assert marks == sorted(marks) and len(set(marks)) >= 3
        else:
            assert [start for _, start in pieces] == [0, 2, 4]
        assert "risk-refresh" not in {thread for thread, _ in pieces}
        assert not rt.tailing
        assert count(client) == 7.0  # two of ours, five of theirs
    finally:
        other.close()


def test_a_refresh_aside_tails_once_also_when_rowids_restart(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    """A refresh aside records each of the other process's payments once. On SQLite, a
    page read past the newest rowid (the table emptied by retention, rowids starting again)
    makes the loop start over from the first row, and the ones it had recorded are not
    counted twice; on PostgreSQL the thread reads by storage time."""
    from aegis.app import create_app

    def count(c: TestClient) -> float:
        return hourly_count(c, tenant, "restarted")

    assert count(client) == 0.0
    other = Platform.build(platform.settings)
    try:
        with TestClient(create_app(other)) as second:
            for _ in range(3):
                assert post(second, tenant, tx(customer_id="restarted")).status_code == 201
        rt = platform.risk.settled(tenant.id)
        if rt.tail_row is not None:
            rt.tail_row += 1_000_000
        rt.checked_at -= 3600
        assert count(client) == 1.0
        deadline = time.monotonic() + 10
        while (rt.refreshing or rt.tailing) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        assert count(client) == 5.0  # two of ours (each once), three of theirs
    finally:
        other.close()


def test_a_replayed_history_is_kept_out_of_the_collectors_sight(
    client: TestClient, platform: Platform, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that replays stored payments into its memory history freezes them for the
    cyclic collector (a full collection would otherwise walk all of them)."""
    import gc
    import sys

    from aegis.app import create_app

    frozen_by: list[str] = []
    freeze = gc.freeze

    def spy() -> None:
        frozen_by.append(sys._getframe(1).f_code.co_name)
        freeze()

    monkeypatch.setattr(gc, "freeze", spy)
    assert post(client, tenant, tx(customer_id="replayed")).status_code == 201
    other = Platform.build(platform.settings)
    try:
        with TestClient(create_app(other)) as second:
            decided = post(second, tenant, tx(customer_id="replayed")).json()
            explained = second.get(f"/v1/decisions/{decided['id']}", headers=tenant.headers)
        assert explained.json()["features"]["customer_count_1h"] == 1.0  # replayed
        replayed = other.settings.redis_url is None  # histories in memory: replayed at build
        assert ("_replay" in frozen_by) == replayed
    finally:
        other.close()


def test_an_unreadable_row_is_logged_and_the_others_recorded(
    client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    """A stored payment that cannot be decrypted (a key lost, a row altered) is passed with
    an error logged by id; the payments after it still reach the history."""
    import orjson

    from aegis.privacy.crypto import aad_for
    from aegis.risk.models import RiskTransaction

    assert post(client, tenant, tx(customer_id="damaged")).status_code == 201
    rt = platform.risk.settled(tenant.id)
    good = {"id": "x-1", "time": "2026-01-01T00:00:00Z", "type": "payment", "amount": 5}
    good |= {"currency": "EUR", "customer_id": "damaged"}
    aad = aad_for(tenant.id, RiskTransaction.__tablename__, "data_enc", "txn_good")
    sealed = platform.vault.encrypt(orjson.dumps(good).decode(), aad)
    before = len(rt.recent)
    platform.risk._record_sealed(rt, [("txn_bad", "not a ciphertext"), ("txn_good", sealed)])
    assert len(rt.recent) == before + 1 and "x-1" in rt.recent
