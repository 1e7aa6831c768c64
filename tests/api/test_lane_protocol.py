"""``LaneProtocol``: the real server answers ``POST /v1/transactions`` from the protocol,
with the headers, request id, metrics and errors the full application gives, and keeps
HTTP/1.1 as uvicorn does (keep-alive, pipelining, ``Connection: close``, large bodies)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from prometheus_client import REGISTRY
from starlette.requests import Request
from starlette.responses import Response

from aegis.api import lane_protocol
from aegis.app import create_app
from aegis.platform import Platform
from aegis.risk import endpoints
from tests.risk.test_decisions_api import tx
from tests.support.tenants import TenantHandle


class _Server:
    def __init__(self, port: int, served: list[bool], protocol: list[int]) -> None:
        self.port = port
        self.served = served  # per lane call: answered (True) or declined
        self.protocol = protocol  # requests the protocol took to its lane
        self.fail = False

    def raw(self, payload: bytes, *, answers: int) -> list[tuple[bytes, dict[str, str], bytes]]:
        """``payload`` sent as is on one connection; ``answers`` responses read back."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as conn:
            conn.sendall(payload)
            data = b""
            parsed: list[tuple[bytes, dict[str, str], bytes]] = []
            while len(parsed) < answers:
                chunk = conn.recv(65536)
                assert chunk, (parsed, data)
                data += chunk
                parsed, data_left = _parse(data)
            assert data_left == b""
            return parsed


def _parse(data: bytes) -> tuple[list[tuple[bytes, dict[str, str], bytes]], bytes]:
    out = []
    while b"\r\n\r\n" in data:
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        headers = {}
        for line in lines[1:]:
            name, value = line.split(b":", 1)
            headers[name.decode().lower()] = value.strip().decode()
        length = int(headers.get("content-length", "0"))
        if len(rest) < length:
            break
        out.append((lines[0], headers, rest[:length]))
        data = rest[length:]
    return out, data


@pytest.fixture
def server(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    served: list[bool] = []
    original = endpoints.create_transaction_lane
    holder: dict[str, _Server] = {}

    async def spy(request: Request, body: bytes) -> Response | None:
        if holder["server"].fail:
            raise RuntimeError("boom")
        response = await original(request, body)
        served.append(response is not None)
        return response

    monkeypatch.setattr(endpoints, "create_transaction_lane", spy)
    protocol: list[int] = []
    serve = lane_protocol._serve

    def counted(*args: Any) -> Any:
        protocol.append(1)
        return serve(*args)

    monkeypatch.setattr(lane_protocol, "_serve", counted)
    app = create_app(platform)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        app,
        loop="aegis.asgi:FairLoop",
        http="aegis.api.lane_protocol:LaneProtocol",
        log_config=None,
        proxy_headers=False,
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert uv.started
    holder["server"] = _Server(port, served, protocol)
    try:
        yield holder["server"]
    finally:
        uv.should_exit = True
        thread.join(20)
        listener.close()


def _post(tenant: TenantHandle, body: Any, extra: str = "") -> bytes:
    raw = json.dumps(body).encode()
    auth = tenant.headers["Authorization"]
    return (
        b"POST /v1/transactions HTTP/1.1\r\nHost: t\r\nAuthorization: %s\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
        % (auth.encode(), len(raw), extra.encode(), raw)
    )


def test_a_payment_is_answered_by_the_protocol(server: _Server, tenant: TenantHandle) -> None:
    body = tx()
    label = {"method": "POST", "route": "/v1/transactions", "status": "201"}
    before = REGISTRY.get_sample_value("aegis_http_requests_total", label) or 0.0
    url = f"http://127.0.0.1:{server.port}/v1/transactions"
    with httpx.Client() as client:
        first = client.post(url, headers={**tenant.headers, "X-Request-Id": "rq-1"}, json=body)
        again = client.post(url, headers=tenant.headers, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert server.served == [True, True] and len(server.protocol) == 2
    assert first.headers["x-request-id"] == "rq-1"
    assert again.headers["x-request-id"].startswith("req_")
    assert first.headers["content-type"] == "application/json"
    assert {"date", "server"} <= set(first.headers)
    decision = first.json()
    assert again.json() == {**decision, "replayed": True}
    after = REGISTRY.get_sample_value("aegis_http_requests_total", label) or 0.0
    assert after - before == 1


def test_what_the_lane_declines_gets_the_applications_answer(
    server: _Server, tenant: TenantHandle
) -> None:
    bad = tx(amount=-5, currency="XYZ")
    url = f"http://127.0.0.1:{server.port}/v1/transactions"
    with httpx.Client() as client:
        refused = client.post(url, headers=tenant.headers, json=bad)
        chunked = client.post(
            url,
            headers={**tenant.headers, "content-type": "application/json"},
            content=iter([json.dumps(bad).encode()]),
        )
        unknown = client.post(url, headers={"Authorization": "Bearer nope"}, json=tx())
    # Declined by the protocol, then by the app's own lane: the full application answered.
    assert server.served == [False] * 4  # the refused and the unknown key; never the chunked
    assert refused.status_code == chunked.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    pointers = {e["pointer"] for e in refused.json()["errors"]}
    assert (
        pointers
        == {e["pointer"] for e in chunked.json()["errors"]}
        == {
            "#/amount",
            "#/currency",
        }
    )
    assert refused.headers["x-request-id"] == refused.json()["request_id"]
    assert unknown.status_code == 401


def test_pipelined_requests_are_answered_in_order(server: _Server, tenant: TenantHandle) -> None:
    one, two = tx(), tx()
    payload = (
        _post(tenant, one)
        + b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
        + _post(tenant, tx(amount=0))
        + _post(tenant, two)
    )
    answers = server.raw(payload, answers=4)
    assert [a[0].split()[1] for a in answers] == [b"201", b"200", b"422", b"201"]
    assert json.loads(answers[0][2])["external_id"] == one["id"]
    assert json.loads(answers[3][2])["external_id"] == two["id"]
    assert all("x-request-id" in a[1] for a in answers)


def test_connection_close_is_honoured(server: _Server, tenant: TenantHandle) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(_post(tenant, tx(), "Connection: close\r\n"))
        data = b""
        while chunk := conn.recv(65536):  # the server closes after its answer
            data += chunk
    ((status, headers, _),) = _parse(data)[0]
    assert status.split()[1] == b"201" and headers["connection"] == "close"


def test_a_large_body_is_read_whole(server: _Server, tenant: TenantHandle) -> None:
    """Past uvicorn's 64 KiB high-water mark reading pauses until the body is read: the
    lane reads on, and hands the whole body to the application when it declines."""
    body = tx(merchant_id="m" * 100_000)  # too long: refused by the schema
    ((status, _, content),) = server.raw(_post(tenant, body), answers=1)
    assert status.split()[1] == b"422"
    assert {e["pointer"] for e in json.loads(content)["errors"]} == {"#/merchant_id"}


def test_an_unexpected_failure_is_a_problem_not_a_trace(
    server: _Server, tenant: TenantHandle
) -> None:
    server.fail = True
    ((status, headers, content),) = server.raw(_post(tenant, tx()), answers=1)
    assert status.split()[1] == b"500"
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(content)
    assert problem["status"] == 500 and "boom" not in content.decode()
    assert problem["request_id"] == headers["x-request-id"]
