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
    report = rotate_data_key(platform)
    with platform.db.session(write=False) as session:
        for row in session.scalars(select(Contact).where(Contact.id.in_(ids))):
            assert row.name_enc.startswith(f"v1:{report.new_key_id}:")
            assert row.email_enc.startswith(f"v1:{report.new_key_id}:")
            assert service.to_out(row).email == "a@b.example"
    assert report.rows_reencrypted == 5
