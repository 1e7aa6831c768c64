"""Decisions stored by group commit: concurrent payments share a transaction and each is
answered only once durable; a retry racing its original is a replay, another body a 409;
one failing decision never takes its neighbours down; the hot-path reads on the driver's
cursor read what the ORM reads; evidence is stored compressed and older evidence reads."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import zlib
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from aegis.kit.time import utcnow
from aegis.platform import Platform
from aegis.privacy.registry import row_aad
from aegis.risk.models import AccountRestriction, RiskDecision
from aegis.risk.repository import RestrictionRepository, TransactionRepository
from aegis.storage.group_commit import AlreadyStored, GroupWriter
from tests.risk.test_decisions_api import tx
from tests.support.tenants import TenantHandle


async def _post_all(
    platform: Platform, tenant: TenantHandle, bodies: list[dict[str, Any]]
) -> list[httpx.Response]:
    from aegis.app import create_app

    app = create_app(platform)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return list(
                await asyncio.gather(
                    *(
                        client.post("/v1/transactions", headers=tenant.headers, json=b)
                        for b in bodies
                    )
                )
            )


def test_concurrent_payments_are_all_stored(platform: Platform, tenant: TenantHandle) -> None:
    bodies = [tx(customer_id=f"gc-{i % 4}") for i in range(40)]
    answers = asyncio.run(_post_all(platform, tenant, bodies))
    assert [a.status_code for a in answers] == [201] * 40
    with platform.db.session(write=False) as session:
        repo = TransactionRepository(session, tenant.id)
        stored = repo.by_external_ids([b["id"] for b in bodies])
        assert len(stored) == 40
        decisions = session.scalars(
            select(RiskDecision).where(RiskDecision.tenant_id == tenant.id)
        ).all()
        assert {d.id for d in decisions} >= {a.json()["id"] for a in answers}


def test_a_retry_racing_its_original_is_a_replay(platform: Platform, tenant: TenantHandle) -> None:
    body = tx()
    first, second = asyncio.run(_post_all(platform, tenant, [body, body]))
    codes = sorted([first.status_code, second.status_code])
    assert codes == [200, 201], (first.text, second.text)
    assert first.json()["id"] == second.json()["id"]
    with platform.db.session(write=False) as session:
        assert len(TransactionRepository(session, tenant.id).by_external_ids([body["id"]])) == 1


def test_another_body_racing_the_same_id_is_a_conflict(
    platform: Platform, tenant: TenantHandle
) -> None:
    body = tx()
    other = {**body, "amount": body["amount"] + 1}
    answers = asyncio.run(_post_all(platform, tenant, [body, other]))
    assert sorted(a.status_code for a in answers) == [201, 409]
    conflict = next(a for a in answers if a.status_code == 409)
    assert conflict.headers["content-type"].startswith("application/problem+json")


def test_one_failing_write_does_not_sink_its_batch(platform: Platform) -> None:
    writer = GroupWriter(platform.db, name="test-writer")
    gate = threading.Event()
    table = f"gc_probe_{utcnow().strftime('%H%M%S%f')}"
    with platform.db.session() as session:
        session.execute(text(f"CREATE TABLE {table} (k VARCHAR(10) PRIMARY KEY)"))

    def put(key: str, *, wait: bool = False) -> Any:
        def work(session: Session) -> str:
            if wait:
                gate.wait(5)  # holds the writer so the next ones queue into one batch
            session.execute(text(f"INSERT INTO {table} (k) VALUES (:k)"), {"k": key})
            return key

        return work

    try:
        blocker = writer.submit(put("first", wait=True))
        futures = [writer.submit(put(k)) for k in ("a", "b", "a", "c")]
        gate.set()
        assert blocker.result(10) == "first"
        outcomes = []
        for f in futures:
            try:
                outcomes.append(f.result(10))
            except AlreadyStored:
                outcomes.append("duplicate")
        assert outcomes == ["a", "b", "duplicate", "c"]
        with platform.db.session(write=False) as session:
            keys = {r[0] for r in session.execute(text(f"SELECT k FROM {table}"))}
        assert keys == {"first", "a", "b", "c"}
    finally:
        writer.close()
        with platform.db.session() as session:
            session.execute(text(f"DROP TABLE {table}"))


def test_hot_reads_match_the_orm(platform: Platform, tenant: TenantHandle) -> None:
    when = utcnow().replace(microsecond=123456) - dt.timedelta(days=3)
    with platform.db.session() as session:
        session.add(
            AccountRestriction(
                id="rst_hot1", tenant_id=tenant.id, customer_ref="ref-hot", frozen=True,
                limit_amount=5_000, reason="test", updated_by="test", created_at=when,
                updated_at=when,
            )
        )  # fmt: skip
    bodies = [
        tx(customer_id="hot-1", time=(when + dt.timedelta(minutes=i)).isoformat()) for i in range(2)
    ]
    asyncio.run(_post_all(platform, tenant, bodies))
    with platform.db.session(write=False) as session:
        repo = RestrictionRepository(session, tenant.id)
        orm = repo.by_ref("ref-hot")
        assert orm is not None and repo.state("ref-hot") == (orm.frozen, orm.limit_amount)
        assert repo.state("ref-none") is None
        txs = TransactionRepository(session, tenant.id)
        row = txs.by_external_id(bodies[1]["id"])
        assert row is not None and row.customer_ref is not None
        last = txs.last_time_for_customer(row.customer_ref, utcnow())
        assert last == row.occurred_at and last is not None and last.tzinfo is not None
        assert txs.exists(bodies[0]["id"]) and not txs.exists("no-such-id")
        stored = dict(txs.stored_since(utcnow() - dt.timedelta(minutes=5)))
        assert set(stored) >= {b["id"] for b in bodies}
        assert all(t.tzinfo is not None for t in stored.values())


def test_evidence_is_compressed_and_old_evidence_reads(
    platform: Platform, tenant: TenantHandle
) -> None:
    from aegis.services import Services

    (answer,) = asyncio.run(_post_all(platform, tenant, [tx()]))
    services = Services.build(platform)
    with platform.db.session() as session:
        row = session.get(RiskDecision, answer.json()["id"])
        assert row is not None
        aad = row_aad(row, "evidence_enc")
        raw = platform.vault.decrypt_bytes(row.evidence_enc, aad)
        assert raw[:4] == b"\x04\x22\x4d\x18"  # an LZ4 frame
        evidence = services.decisions.evidence(row)
        assert evidence["rules"]["executions"]
        assert len(raw) * 2 < len(orjson.dumps(evidence))
        # Decisions stored earlier: zlib, and before that plain JSON, under the same seal.
        packed = zlib.compress(orjson.dumps(evidence), 1)
        row.evidence_enc = platform.vault.encrypt_with(platform.vault.ring.active_id(), packed, aad)
        assert services.decisions.evidence(row) == evidence
        row.evidence_enc = platform.vault.encrypt(orjson.dumps(evidence).decode(), aad)
        assert services.decisions.evidence(row) == evidence
        session.rollback()


def test_loop_callers_get_their_own_answers_from_one_batch(platform: Platform) -> None:
    """``submit_async``: a batch's units resolve on the loop together, each with its own
    result or error; a caller that gave up does not stop the others, and its unit is
    still written."""
    writer = GroupWriter(platform.db, name="test-async-writer")
    gate = threading.Event()
    table = f"gc_async_{utcnow().strftime('%H%M%S%f')}"
    with platform.db.session() as session:
        session.execute(text(f"CREATE TABLE {table} (k VARCHAR(10) PRIMARY KEY)"))

    def put(key: str, *, wait: bool = False) -> Any:
        def work(session: Session) -> tuple[str, str]:
            if wait:
                gate.wait(5)
            session.execute(text(f"INSERT INTO {table} (k) VALUES (:k)"), {"k": key})
            return key, threading.current_thread().name

        return work

    async def scenario() -> list[Any]:
        blocker = writer.submit_async(put("first", wait=True))
        waiters = [writer.submit_async(put(k)) for k in ("a", "b", "a", "gone", "c")]
        waiters[3].cancel()
        gate.set()
        results = await asyncio.gather(blocker, *waiters, return_exceptions=True)
        return [r if isinstance(r, tuple) else type(r).__name__ for r in results]

    try:
        outcomes = asyncio.run(scenario())
        assert [o[0] if isinstance(o, tuple) else o for o in outcomes] == [
            "first",
            "a",
            "b",
            "AlreadyStored",
            "CancelledError",
            "c",
        ]
        # SQLite: written by the loop itself; PostgreSQL: by the writer's thread.
        where = "MainThread" if platform.db.writes_on_loop else "test-async-writer"
        assert {o[1] for o in outcomes if isinstance(o, tuple)} == {where}
        with platform.db.session(write=False) as session:
            keys = {r[0] for r in session.execute(text(f"SELECT k FROM {table}"))}
        assert keys == {"first", "a", "b", "gone", "c"}
    finally:
        writer.close()
        with platform.db.session() as session:
            session.execute(text(f"DROP TABLE {table}"))


def test_a_unit_s_before_runs_outside_the_write_lock(platform: Platform) -> None:
    """``before`` (sealing a decision's rows) runs with the write lock free (on SQLite on
    the loop, else on the writer's thread); a unit whose ``before`` raises fails alone and
    writes nothing."""
    writer = GroupWriter(platform.db, name="test-before-writer")
    table = f"gc_before_{utcnow().strftime('%H%M%S%f')}"
    lock = platform.db._writer  # SQLite's queue of writers; PostgreSQL has none
    seen: list[tuple[str, bool]] = []
    with platform.db.session() as session:
        session.execute(text(f"CREATE TABLE {table} (k VARCHAR(10) PRIMARY KEY)"))

    def unit(key: str) -> tuple[Any, Any]:
        def before() -> None:
            held = lock is not None and lock._thread_lock.locked()
            seen.append((threading.current_thread().name, held))
            if key == "bad":
                raise ValueError("cannot seal")

        def work(session: Session) -> str:
            session.execute(text(f"INSERT INTO {table} (k) VALUES (:k)"), {"k": key})
            return key

        return work, before

    async def scenario() -> list[Any]:
        units = [unit(k) for k in ("a", "bad", "b")]
        waiters = [writer.submit_async(work, before=before) for work, before in units]
        results = await asyncio.gather(*waiters, return_exceptions=True)
        return [r if isinstance(r, str) else type(r).__name__ for r in results]

    try:
        assert asyncio.run(scenario()) == ["a", "ValueError", "b"]
        where = "MainThread" if platform.db.writes_on_loop else "test-before-writer"
        assert seen == [(where, False)] * 3
        with platform.db.session(write=False) as session:
            keys = {r[0] for r in session.execute(text(f"SELECT k FROM {table}"))}
        assert keys == {"a", "b"}
    finally:
        writer.close()
        with platform.db.session() as session:
            session.execute(text(f"DROP TABLE {table}"))


def test_a_loop_never_waits_for_another_writer(platform: Platform) -> None:
    """On SQLite a loop writes its units itself, taking the write lock only when it is free:
    while another writer (a thread here; another process alike) holds it, the loop keeps
    serving, its units join one batch, and they are written once the lock is free."""
    if not platform.db.writes_on_loop:
        return  # PostgreSQL: the writer's thread writes, and waits, off the loop
    writer = GroupWriter(platform.db, name="test-loop-writer")
    table = f"gc_loop_{utcnow().strftime('%H%M%S%f')}"
    with platform.db.session() as session:
        session.execute(text(f"CREATE TABLE {table} (k VARCHAR(10) PRIMARY KEY)"))
    held, free = threading.Event(), threading.Event()

    def other_writer() -> None:
        with platform.db.session() as session:
            session.execute(text(f"INSERT INTO {table} (k) VALUES ('other')"))
            held.set()
            free.wait(10)

    def put(key: str) -> Any:
        def work(session: Session) -> str:
            session.execute(text(f"INSERT INTO {table} (k) VALUES (:k)"), {"k": key})
            return key

        return work

    async def scenario() -> tuple[list[str], int, bool]:
        waiters = [writer.submit_async(put(k)) for k in ("a", "b", "c")]
        ticks = 0
        for _ in range(20):  # the loop goes on while the lock is taken
            await asyncio.sleep(0.002)
            ticks += 1
        pending = not any(w.done() for w in waiters)
        free.set()
        return list(await asyncio.gather(*waiters)), ticks, pending

    label = {"writer": "test-loop-writer"}
    batches = REGISTRY.get_sample_value("aegis_group_commit_units_count", label) or 0.0
    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        assert held.wait(10)
        results, ticks, pending = asyncio.run(scenario())
        assert results == ["a", "b", "c"] and ticks == 20 and pending
        # One transaction for the three, once the other writer committed.
        after = REGISTRY.get_sample_value("aegis_group_commit_units_count", label) or 0.0
        assert after - batches == 1
        with platform.db.session(write=False) as session:
            keys = {r[0] for r in session.execute(text(f"SELECT k FROM {table}"))}
        assert keys == {"other", "a", "b", "c"}
    finally:
        free.set()
        thread.join(10)
        writer.close()
        with platform.db.session() as session:
            session.execute(text(f"DROP TABLE {table}"))


def test_closing_writes_what_a_loop_queued(platform: Platform) -> None:
    """Units a loop queued but had not written yet (the lock was taken) are written by
    ``close``, and their callers answered."""
    if not platform.db.writes_on_loop:
        return
    writer = GroupWriter(platform.db, name="test-close-writer")
    table = f"gc_close_{utcnow().strftime('%H%M%S%f')}"
    with platform.db.session() as session:
        session.execute(text(f"CREATE TABLE {table} (k VARCHAR(10) PRIMARY KEY)"))

    def put(key: str) -> Any:
        def work(session: Session) -> str:
            session.execute(text(f"INSERT INTO {table} (k) VALUES (:k)"), {"k": key})
            return key

        return work

    async def scenario() -> list[str]:
        hold = platform.db.hold()  # taken on the loop's thread: the loop cannot write
        waiters = [writer.submit_async(put(k)) for k in ("a", "b")]
        await asyncio.sleep(0.01)
        assert not any(w.done() for w in waiters)
        hold.release()
        writer.close()
        return list(await asyncio.gather(*waiters))

    try:
        assert asyncio.run(scenario()) == ["a", "b"]
        with platform.db.session(write=False) as session:
            keys = {r[0] for r in session.execute(text(f"SELECT k FROM {table}"))}
        assert keys == {"a", "b"}
    finally:
        with platform.db.session() as session:
            session.execute(text(f"DROP TABLE {table}"))


def test_a_loop_gives_up_after_the_writers_wait(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock held past ``WRITER_WAIT_SECONDS`` fails the loop's units as it fails a
    thread's (``write queue full``), rather than leaving their callers waiting."""
    if not platform.db.writes_on_loop:
        return
    from sqlalchemy.exc import OperationalError

    from aegis.storage import db as db_module

    monkeypatch.setattr(db_module, "WRITER_WAIT_SECONDS", 0.05)
    writer = GroupWriter(platform.db, name="test-timeout-writer")

    async def scenario() -> str:
        hold = platform.db.hold()
        try:
            waiter = writer.submit_async(lambda session: "never")
            try:
                await asyncio.wait_for(waiter, 5)
            except OperationalError as exc:
                return str(exc.orig)
            return "written"
        finally:
            hold.release()

    try:
        assert asyncio.run(scenario()) == "write queue full"
    finally:
        writer.close()
