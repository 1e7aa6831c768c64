"""``POST /v1/transactions`` on the fast lane: plain payments are decided there, and every
request it declines gets exactly the answer the full application gives."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from starlette.requests import Request
from starlette.responses import Response

from aegis.app import create_app
from aegis.auth.context import Scope
from aegis.logging import configure_logging
from aegis.platform import Platform
from aegis.risk import endpoints
from tests.risk.test_decisions_api import tx
from tests.support.tenants import TenantHandle, make_tenant


@pytest.fixture
def lane(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, list[bool]]]:
    """A client whose lane records, per request, whether it answered (True) or declined."""
    served: list[bool] = []
    original = endpoints.create_transaction_lane

    async def spy(request: Request, body: bytes) -> Response | None:
        response = await original(request, body)
        served.append(response is not None)
        return response

    monkeypatch.setattr(endpoints, "create_transaction_lane", spy)
    with TestClient(create_app(platform), raise_server_exceptions=False) as client:
        yield client, served


def _both_ways(client: TestClient, headers: dict[str, str], body: Any) -> tuple[Any, Any]:
    """The answer through the lane, and through the full application (a chunked body is
    never the lane's)."""
    raw = json.dumps(body).encode()
    h = {**headers, "content-type": "application/json"}
    laned = client.post("/v1/transactions", headers=h, content=raw)
    full = client.post("/v1/transactions", headers=h, content=iter([raw]))
    return laned, full


def _same(a: Any, b: Any) -> None:
    assert a.status_code == b.status_code
    assert a.headers["content-type"] == b.headers["content-type"]
    one, two = a.json(), b.json()
    for doc in (one, two):
        doc.pop("request_id", None)
    assert one == two


def test_plain_payments_are_decided_on_the_lane(
    lane: tuple[TestClient, list[bool]], tenant: TenantHandle
) -> None:
    client, served = lane
    body = tx()
    first = client.post("/v1/transactions", headers=tenant.headers, json=body)
    again = client.post("/v1/transactions", headers=tenant.headers, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["replayed"] is True
    assert first.headers["x-request-id"]
    assert served == [True, True]


def test_declined_requests_get_the_applications_answer(
    lane: tuple[TestClient, list[bool]], tenant: TenantHandle, platform: Platform
) -> None:
    client, served = lane
    h = tenant.headers
    reader = make_tenant(platform, "reader", scopes=(Scope.READ,)).headers
    cases: list[tuple[dict[str, str], Any]] = [
        (h, tx(amount=-5)),  # the schema refuses it
        (h, tx(currency="XYZ")),
        (h, tx(time="2999-01-01T00:00:00Z")),  # the intake refuses it (future)
        (h, [tx()]),  # not an object
        ({}, tx()),  # no key
        (reader, tx()),  # a key without the scope
    ]
    for headers, body in cases:
        laned, full = _both_ways(client, headers, body)
        assert laned.status_code in (400, 401, 403, 422), laned.text
        _same(laned, full)
    assert served == [False] * len(cases)
    # Not JSON at all: the application's 400.
    r = client.post(
        "/v1/transactions", headers={**h, "content-type": "application/json"}, content=b"{"
    )
    assert r.status_code == 400 and served[-1] is False


def test_a_conflict_on_the_lane_is_the_usual_problem(
    lane: tuple[TestClient, list[bool]], tenant: TenantHandle
) -> None:
    client, served = lane
    body = tx()
    assert client.post("/v1/transactions", headers=tenant.headers, json=body).status_code == 201
    laned, full = _both_ways(client, tenant.headers, {**body, "amount": 9_999})
    assert laned.status_code == 409
    assert laned.headers["content-type"].startswith("application/problem+json")
    _same(laned, full)
    assert served == [True, True]


def test_the_lane_logs_and_counts_like_the_app(
    lane: tuple[TestClient, list[bool]], tenant: TenantHandle
) -> None:
    client, served = lane
    buffer = io.StringIO()
    configure_logging("INFO", json=True, stream=buffer)
    try:
        before = REGISTRY.get_sample_value(
            "aegis_http_requests_total",
            {"method": "POST", "route": "/v1/transactions", "status": "201"},
        )
        assert post_json(client, tenant.headers, tx()).status_code == 201
        configure_logging("WARNING", json=True, stream=buffer)
        assert post_json(client, tenant.headers, tx()).status_code == 201
    finally:
        configure_logging("INFO")
    after = REGISTRY.get_sample_value(
        "aegis_http_requests_total",
        {"method": "POST", "route": "/v1/transactions", "status": "201"},
    )
    assert served == [True, True]
    assert (after or 0) - (before or 0) == 2
    lines = [json.loads(x) for x in buffer.getvalue().splitlines() if '"request"' in x]
    assert len(lines) == 1  # the second came at WARNING
    assert lines[0]["route"] == "/v1/transactions" and lines[0]["status"] == 201
    assert lines[0]["tenant_id"] == tenant.id and lines[0]["request_id"].startswith("req_")


def post_json(client: TestClient, headers: dict[str, str], body: Any) -> Any:
    return client.post("/v1/transactions", headers=headers, json=body)
