"""Append-only rows (``append_later``) go out on the driver's cursor where they can: they
read back exactly as the ORM writes them, a column default computed in Python still gets
its value, and a duplicate key is the usual IntegrityError."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from aegis.ids import new_id
from aegis.partners.webhooks.models import WebhookEvent
from aegis.platform import Platform
from aegis.storage.db import _raw_insert, append_later, build
from tests.support.tenants import TenantHandle

WHEN = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)


def test_appended_rows_read_back_as_written(platform: Platform, tenant: TenantHandle) -> None:
    payload = {"amount": 12550, "nested": {"ok": True, "list": [1, 2.5, None]}, "text": "é"}
    ids = [new_id("evt") for _ in range(3)]
    with platform.db.session() as session:
        for i, event_id in enumerate(ids[:2]):
            append_later(session, build(WebhookEvent, id=event_id, tenant_id=tenant.id,
                         type=f"t.{i}", payload=payload, created_at=WHEN))  # fmt: skip
        # No created_at: its default is computed in Python, which only Core does.
        append_later(session, build(WebhookEvent, id=ids[2], tenant_id=tenant.id,
                     type="t.default", payload={}))  # fmt: skip
    dialect = platform.db.engine.dialect
    table = WebhookEvent.__table__
    every = frozenset(c.key for c in table.columns)
    assert _raw_insert(dialect, table, every) is not None
    assert _raw_insert(dialect, table, every - {"created_at"}) is None
    with platform.db.session(write=False) as session:
        rows = {
            e.id: e for e in session.scalars(select(WebhookEvent).where(WebhookEvent.id.in_(ids)))
        }
    assert [rows[i].type for i in ids] == ["t.0", "t.1", "t.default"]
    assert rows[ids[0]].payload == payload and rows[ids[0]].created_at == WHEN
    assert rows[ids[2]].created_at is not None and rows[ids[2]].created_at > WHEN


def test_a_duplicate_appended_row_is_an_integrity_error(
    platform: Platform, tenant: TenantHandle
) -> None:
    event_id = new_id("evt")
    row = {"id": event_id, "tenant_id": tenant.id, "type": "t", "payload": {}, "created_at": WHEN}
    with platform.db.session() as session:
        append_later(session, build(WebhookEvent, **row))
    with pytest.raises(IntegrityError) as caught, platform.db.session() as session:
        append_later(session, build(WebhookEvent, **row))
    assert "t" not in str(caught.value.params or "")  # no row values in the error
    with platform.db.session(write=False) as session:
        found = session.scalars(select(WebhookEvent).where(WebhookEvent.id == event_id)).all()
    assert len(found) == 1
