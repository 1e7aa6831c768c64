"""A lean lane for the busiest routes: served without FastAPI's request machinery.

``POST /v1/transactions`` is called on every payment a partner takes, and FastAPI's
routing, dependency solving, exception middleware and body parsing cost more CPU than the
decision itself. A route registered here is served by its own handler directly under the
request-context middleware (request id, access log and metrics stay the same).

A handler serves only the plain case: a JSON body of declared length within the body
limit, no ``Idempotency-Key``, a known API key with the route's scope, a body the schema
accepts. Anything else goes to the full application with the body replayed, before the
handler changed anything, so every error is rendered by the one code path that renders
errors, byte for byte as without the lane. A handler returns ``None`` to send a request
on that way; it must do so before any side effect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import SimpleNamespace

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Handler = Callable[[Request, bytes], Awaitable[Response | None]]
_JSON = b"application/json"
_NOT_PLAIN = (b"idempotency-key", b"transfer-encoding", b"expect")


class LaneRoutes:
    """The lane's routes and what a request must be to take it: read by ``FastLane`` (the
    ASGI app's path) and by ``aegis.api.lane_protocol`` (the server's path)."""

    def __init__(self, routes: dict[tuple[str, str], Handler], *, max_bytes: int) -> None:
        self.routes = routes
        self.max_bytes = max_bytes
        # What the access log and the metrics label a served request with (they read the
        # matched route's template from the scope, as FastAPI leaves it).
        self.labels = {key: SimpleNamespace(path=key[1]) for key in routes}

    def handler(self, scope: Scope) -> Handler | None:
        """The handler for a plain request to one of the routes, else ``None``."""
        handler = self.routes.get((scope["method"], scope["path"]))
        if handler is None or scope.get("query_string") or not self._plain(scope):
            return None
        return handler

    def _plain(self, scope: Scope) -> bool:
        """A JSON body of declared, acceptable length, no idempotency key, no 100-continue."""
        length: bytes | None = None
        json = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"content-type":
                json = value.split(b";", 1)[0].strip().lower() == _JSON
            elif name in _NOT_PLAIN:
                return False
        return json and length is not None and length.isdigit() and int(length) <= self.max_bytes


class FastLane:
    """Serves the lane's routes itself, everything else through."""

    def __init__(self, app: ASGIApp, *, lane: LaneRoutes):
        self.app = app
        self.lane = lane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        handler = self.lane.handler(scope)
        if handler is None:
            await self.app(scope, receive, send)
            return
        body = await _read(receive)
        if body is None:  # the client went away mid-body: nobody to answer
            return
        response = await handler(Request(scope, receive), body)
        if response is None:
            await self.app(scope, replay_body(body), send)
            return
        scope["route"] = self.lane.labels[(scope["method"], scope["path"])]
        await response(scope, receive, send)


async def _read(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def replay_body(body: bytes) -> Receive:
    """A ``receive`` that gives ``body`` again, for an app after the body was read."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
