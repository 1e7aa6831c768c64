"""`aegis keys rotate` under concurrent writes: nothing lost, everything re-encrypted."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from aegis.auth.context import Actor, Ctx, Scope
from aegis.config import Settings
from aegis.contacts.models import Contact
from aegis.contacts.schemas import ContactCreate, ContactRole, ContactUpdate
from aegis.contacts.service import ContactService
from aegis.platform import Platform
from aegis.privacy.models import VaultKey
from aegis.privacy.rotation import rotate_data_key
from tests.support.tenants import TenantHandle


def _ctx(tenant: TenantHandle) -> Ctx:
    return Ctx(tenant.id, Actor("api_key", tenant.key_id), None, frozenset(Scope))


def test_rotate_twice_while_writing(
    platform: Platform, settings: Settings, tenant: TenantHandle
) -> None:
    ctx = _ctx(tenant)
    service = ContactService(platform)
    expected: dict[str, tuple[str, str]] = {}
    with platform.db.session() as session:
        for i in range(60):
            row = service.create(
                session,
                ctx,
                ContactCreate(role=ContactRole.MLRO, name=f"Person {i}", email=f"p{i}@example.com"),
            )
            expected[row.id] = (f"Person {i}", f"p{i}@example.com")
    blob_data = b"passport scan bytes" * 100
    blob_id = platform.blobs.put(tenant.id, blob_data)
    with platform.db.session(write=False) as session:
        first_key = platform.ring.active_id("data")

    # A second process-like platform with its own key ring writes throughout.
    writer_platform = Platform.build(settings, immediate_jobs=True)
    writer_service = ContactService(writer_platform)
    stop = threading.Event()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer() -> None:
        n = 0
        try:
            while not stop.is_set():
                with writer_platform.db.session() as session:
                    row = writer_service.create(
                        session,
                        ctx,
                        ContactCreate(
                            role=ContactRole.TECHNICAL,
                            name=f"Writer {n}",
                            email=f"w{n}@example.com",
                        ),
                    )
                    row_id = row.id
                with lock:
                    expected[row_id] = (f"Writer {n}", f"w{n}@example.com")
                # Also update an older row so rotation races with updates, not just inserts.
                with lock:
                    target = sorted(expected)[n % len(expected)]
                with writer_platform.db.session() as session:
                    writer_service.update(session, ctx, target, ContactUpdate(name=f"Renamed {n}"))
                with lock:
                    expected[target] = (f"Renamed {n}", expected[target][1])
                n += 1
                time.sleep(0.005)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.3)
        first = rotate_data_key(platform, batch=25)
        time.sleep(0.3)
        second = rotate_data_key(platform, batch=25)
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join(timeout=30)
        writer_platform.close()
    assert not errors, errors
    assert first.new_key_id != second.new_key_id
    assert first.rows_reencrypted >= 60
    assert first_key in first.retired_key_ids
    assert first.new_key_id in second.retired_key_ids

    # Everything reads back, through a fresh key ring.
    platform.ring.reload()
    with platform.db.session(write=False) as session:
        rows = list(session.scalars(select(Contact)))
        got = {r.id: (service.to_out(r).name, service.to_out(r).email) for r in rows}
        keys = {k.id: k.status for k in session.scalars(select(VaultKey))}
    assert got == expected
    assert platform.blobs.get(tenant.id, blob_id) == blob_data
    # Old keys are retired, not destroyed; only the newest encrypts.
    assert keys[first_key] == "retired"
    assert keys[second.new_key_id] == "active"
    assert platform.ring.active_id("data") == second.new_key_id


def test_rotation_reencrypts_everything_when_idle(platform: Platform, tenant: TenantHandle) -> None:
    ctx = _ctx(tenant)
    service = ContactService(platform)
    with platform.db.session() as session:
        ids = [
            service.create(
                session, ctx, ContactCreate(role=ContactRole.MLRO, name="A B", email="a@b.example")
            ).id
            for _ in range(5)
        ]
    with platform.db.session(write=False) as session:
        stamps = {r.id: r.updated_at for r in session.scalars(select(Contact))}
    report = rotate_data_key(platform, actor="cli:ops")
    with platform.db.session(write=False) as session:
        audit = platform.audit.verify(session)
        assert audit.ok
        for row in session.scalars(select(Contact).where(Contact.id.in_(ids))):
            assert row.updated_at == stamps[row.id]  # re-encryption is not a modification
            assert row.name_enc.startswith(f"v1:{report.new_key_id}:")
            assert row.email_enc.startswith(f"v1:{report.new_key_id}:")
            assert service.to_out(row).email == "a@b.example"
    assert report.rows_reencrypted == 5


def test_rotation_is_audited_and_reseals_stored_responses(
    platform: Platform, tenant: TenantHandle
) -> None:
    from fastapi.testclient import TestClient

    from aegis.api.models import IdempotencyRecord
    from aegis.app import create_app
    from aegis.privacy.audit.models import AuditEvent
    from aegis.privacy.crypto import Vault

    with TestClient(create_app(platform)) as client:
        body = {"role": "mlro", "name": "Replayed Person", "email": "rp@example.com"}
        headers = {**tenant.headers, "Idempotency-Key": "rot-1"}
        first = client.post("/v1/contacts", headers=headers, json=body)
        report = rotate_data_key(platform, actor="cli:ops")
        with platform.db.session(write=False) as session:
            record = session.scalars(select(IdempotencyRecord)).one()
            assert record.response_body is not None
            assert Vault.sealed_key_id(record.response_body) == report.new_key_id
            event = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "vault.data_key_rotated")
            ).one()
            assert event.actor == "cli:ops" and event.chain == "operator"
        replay = client.post("/v1/contacts", headers=headers, json=body)
        assert replay.json() == first.json()
