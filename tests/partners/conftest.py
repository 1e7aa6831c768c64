"""Webhook test helpers: a scripted receiver behind httpx.MockTransport, and time travel
for delivery retries (move the retry job's ``run_after`` into the past, then sweep)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aegis.config import Settings
from aegis.kit.time import utcnow
from aegis.partners.webhooks.service import DELIVER_JOB
from aegis.platform import Platform
from aegis.queue.models import Job
from aegis.webhooks import HEADER, SignatureError, verify_signature
from tests.conftest import make_settings
from tests.support.tenants import TenantHandle

HOOK_URL = "https://hooks.example.com/aegis"

# What the receiver does with the next request: answer with this status, or raise this.
Action = int | Exception


@dataclass
class Received:
    request: httpx.Request
    body: bytes
    verified_with: list[str]

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    def header(self, name: str) -> str:
        return self.request.headers[name]


@dataclass
class Receiver:
    """A partner's endpoint: verifies the signature like a real receiver (400 if it fails),
    then answers as scripted (200 once the script runs out)."""

    secrets: list[str] = field(default_factory=list)
    script: deque[Action] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        verified = []
        for secret in self.secrets:
            try:
                verify_signature(body, request.headers.get(HEADER, ""), secret)
            except SignatureError:
                continue
            verified.append(secret)
        self.received.append(Received(request, body, verified))
        action = self.script.popleft() if self.script else 200
        if isinstance(action, Exception):
            raise action
        if not verified:
            return httpx.Response(400, text="bad signature")
        return httpx.Response(action, text="ok" if action < 300 else "receiver says no")


@pytest.fixture
def receiver(platform: Platform) -> Receiver:
    rec = Receiver()
    platform.webhook_transport = httpx.MockTransport(rec)
    return rec


@pytest.fixture
def strict_platform(settings: Settings) -> Iterator[Platform]:
    """The same database, run with production's target rules (no private addresses)."""
    strict = make_settings(
        settings.data_dir.parent / "strict",
        settings.resolved_database_url,
        webhook_allow_private_targets=False,
    )
    platform = Platform.build(strict, immediate_jobs=True)
    yield platform
    platform.close()


def create_endpoint(
    client: TestClient, tenant: TenantHandle, receiver: Receiver | None = None, **fields: Any
) -> dict[str, Any]:
    """Register an endpoint through the API; its secret goes to the receiver."""
    body = {"url": HOOK_URL, **fields}
    r = client.post("/v1/webhook-endpoints", json=body, headers=tenant.headers)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    if receiver is not None:
        receiver.secrets.append(out["secret"])
    return out


def only_delivery(client: TestClient, tenant: TenantHandle, event_id: str) -> dict[str, Any]:
    r = client.get("/v1/webhook-deliveries", params={"event_id": event_id}, headers=tenant.headers)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert len(data) == 1, data
    out: dict[str, Any] = data[0]
    return out


def delivery_jobs(platform: Platform, delivery_id: str) -> list[Job]:
    with platform.db.session(write=False) as session:
        rows = session.scalars(select(Job).where(Job.name == DELIVER_JOB).order_by(Job.id))
        return [j for j in rows if j.payload.get("delivery_id") == delivery_id]


def pending_retry(platform: Platform, delivery_id: str) -> Job:
    pending = [j for j in delivery_jobs(platform, delivery_id) if j.status == "pending"]
    assert len(pending) == 1, [(j.id, j.status) for j in delivery_jobs(platform, delivery_id)]
    return pending[0]


def advance_to_retry(platform: Platform, delivery_id: str) -> int:
    """Pretend the retry's time has come: make its job due, then let the sweeper run it
    (immediate mode: it runs before ``sweep`` returns). Returns how many jobs were swept."""
    job = pending_retry(platform, delivery_id)
    with platform.db.session() as session:
        row = session.get(Job, job.id)
        assert row is not None
        row.run_after = utcnow() - timedelta(seconds=1)
    return platform.queue.sweep()
