"""The fast lane serves its routes' plain requests and hands everything else, body
included, to the application."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from aegis.api.fastlane import FastLane, LaneRoutes


async def _app_echo(request: Request) -> Response:
    return PlainTextResponse(b"app:" + await request.body())


async def _lane(request: Request, body: bytes) -> Response | None:
    if body == b'{"pass": true}':
        return None
    return PlainTextResponse(b"lane:" + body, status_code=201)


def _client(max_bytes: int = 100) -> TestClient:
    app = Starlette(routes=[Route("/x", _app_echo, methods=["POST"])])
    app.add_middleware(FastLane, lane=LaneRoutes({("POST", "/x"): _lane}, max_bytes=max_bytes))
    return TestClient(app)


def test_plain_json_is_served_by_the_lane() -> None:
    r = _client().post("/x", content=b'{"a": 1}', headers={"content-type": "application/json"})
    assert (r.status_code, r.text) == (201, 'lane:{"a": 1}')


def test_a_declined_request_reaches_the_app_with_its_body() -> None:
    body = b'{"pass": true}'
    r = _client().post("/x", content=body, headers={"content-type": "application/json"})
    assert (r.status_code, r.text) == (200, 'app:{"pass": true}')


def test_what_is_not_plain_goes_to_the_app() -> None:
    client, body = _client(max_bytes=10), b'{"a": 1}'
    cases = [
        {"content-type": "text/plain"},
        {"content-type": "application/json", "idempotency-key": "k-1"},
    ]
    for headers in cases:
        assert client.post("/x", content=body, headers=headers).text == 'app:{"a": 1}'
    # Over the limit: the app (and its body-limit middleware) decides.
    big = b'{"a": "' + b"x" * 20 + b'"}'
    r = client.post("/x", content=big, headers={"content-type": "application/json"})
    assert r.text == "app:" + big.decode()
    # Chunked (no declared length).
    r = client.post("/x", content=iter([body]), headers={"content-type": "application/json"})
    assert r.text == 'app:{"a": 1}'


def test_other_routes_and_methods_pass_through() -> None:
    client = _client()
    assert client.get("/x").status_code == 405
    assert client.post("/y", content=b"{}").status_code == 404
