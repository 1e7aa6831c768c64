"""Hot statements inside a caller's session: the driver's connection is looked up once
per transaction, and a later transaction of the same session reads on its own."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from aegis.partners.webhooks.models import WebhookEndpoint
from aegis.platform import Platform
from aegis.storage.hot import HotStatement, session_driver
from tests.support.tenants import TenantHandle

_IDS = HotStatement(
    select(WebhookEndpoint.id).where(WebhookEndpoint.tenant_id == bindparam("tenant_id"))
)


def _add_endpoint(session: Session, tenant_id: str, endpoint_id: str) -> None:
    session.add(
        WebhookEndpoint(
            id=endpoint_id,
            tenant_id=tenant_id,
            url="https://partner.example/hooks",
            secret_enc="unused",
            event_types=["risk.decision"],
            enabled=True,
        )
    )
    session.flush()


def test_driver_kept_for_one_transaction_only(
    platform: Platform, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    with platform.db.session_factory() as session:
        first = session_driver(session)
        calls: list[int] = []
        original = Session.connection

        def counted(self: Session, *args: object, **kwargs: object) -> object:
            calls.append(1)
            return original(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Session, "connection", counted)
        assert session_driver(session) == first
        assert calls == []  # the same transaction: no second lookup
        _add_endpoint(session, tenant.id, "whe_hot_one")
        # A hot read sees the transaction's own flushed row: it runs on that connection.
        assert _IDS.all(session, tenant_id=tenant.id) == [("whe_hot_one",)]
        session.rollback()

        # The next transaction of the same session looks its connection up again, and
        # does not see the rolled-back row.
        assert _IDS.all(session, tenant_id=tenant.id) == []
        assert calls, "a new transaction must ask the session for its connection"
        session.rollback()
