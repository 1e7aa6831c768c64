"""uvicorn's httptools protocol, serving the fast lane's requests before the ASGI stack.

``aegis.api.fastlane`` spares ``POST /v1/transactions`` FastAPI's routing and body
parsing, but a request still crossed uvicorn's ASGI cycle, Starlette's error and body-limit
middleware, the request-context middleware and a ``Response`` sent as two ASGI messages:
about a seventh of a web worker's CPU per payment, on a worker bound by its GIL. Here the
protocol hands a plain request for a lane route (``LaneRoutes.handler``) to the handler
itself and writes the answer in one piece, with what the middleware would have added: the
server's default headers, ``X-Request-Id``, the metrics and the access line.

Everything else takes uvicorn's own path, unchanged: other routes, a request that is not
plain, a request the handler sends on (``None``: the body is still unread in the cycle, so
the full application reads it as if the lane had not looked), the 503 of a concurrency
limit. Pipelining, keep-alive, flow control and a client gone mid-request use uvicorn's
cycle state, which the lane keeps as uvicorn's own sending would.
"""

from __future__ import annotations

import contextvars
import time
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from uvicorn._types import ASGI3Application as _App
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from aegis.api.fastlane import Handler, LaneRoutes
from aegis.api.middleware import finished, request_id
from aegis.api.problems import handle_unexpected


class LaneProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that serves its app's ``state.lane`` routes directly.

    An app without a lane (or one uvicorn wrapped in middleware of its own) is served
    exactly as by ``HttpToolsProtocol``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lane = getattr(getattr(self.app, "state", None), "lane", None)
        self.lane: LaneRoutes | None = lane if isinstance(lane, LaneRoutes) else None

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: _App) -> None:
        # ``app`` is another one when uvicorn answers 503 for its concurrency limit.
        scope: Any = cycle.scope
        handler = self.lane.handler(scope) if self.lane and app is self.app else None
        if handler is None:
            super()._start_asgi_task(cycle, app)
            return
        work = _serve(cycle, app, handler)
        if self.config.reset_contextvars:
            task = self.loop.create_task(work, context=contextvars.Context())
        else:
            task = self.loop.create_task(work)
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)


async def _serve(cycle: RequestResponseCycle, app: _App, handler: Handler) -> None:
    # The body usually arrived with the headers; a larger one is waited for, reading
    # resumed (uvicorn pauses reading past its high-water mark until the app reads). The
    # event stays set once the body is complete, as ``receive`` of a fallback expects.
    while cycle.more_body and not cycle.disconnected:
        cycle.flow.resume_reading()
        await cycle.message_event.wait()
        if cycle.more_body:
            cycle.message_event.clear()
    if cycle.disconnected:
        return
    scope: Any = cycle.scope
    scope["app"] = app  # what Starlette sets: ``request.app`` finds the services there
    rid = request_id(scope)
    scope["state"]["request_id"] = rid
    tokens = structlog.contextvars.bind_contextvars(request_id=rid)
    started = time.perf_counter()
    try:
        request = Request(scope)
        try:
            response = await handler(request, bytes(cycle.body))
        except Exception as exc:  # rendered as the app renders it: a 500 problem, logged
            response = await handle_unexpected(request, exc)
        if response is None:
            await cycle.run_asgi(app)
            return
        await _send(cycle, response, rid)
        elapsed = time.perf_counter() - started
        # A lane route is its own template: the label FastAPI would give it.
        ctx = scope["state"].get("ctx")
        finished(scope["method"], scope["path"], response.status_code, elapsed, ctx)
    finally:
        structlog.contextvars.reset_contextvars(**tokens)


async def _send(cycle: RequestResponseCycle, response: Response, rid: str) -> None:
    """``response`` in one write, and the cycle completed as uvicorn's ``send`` does."""
    if cycle.flow.write_paused and not cycle.disconnected:
        await cycle.flow.drain()
    cycle.response_started = True
    if not cycle.disconnected:
        parts = [STATUS_LINE[response.status_code]]
        for name, value in (*cycle.default_headers, *response.raw_headers):
            parts += (name, b": ", value, b"\r\n")
        parts += (b"x-request-id: ", rid.encode(), b"\r\n")
        if not cycle.keep_alive:
            parts.append(b"connection: close\r\n")
        parts += (b"\r\n", bytes(response.body))
        data = b"".join(parts)
        # Sent at once where the server corks its writes (``aegis.asgi``): the answer is
        # whole, and waiting for the loop's next turn would add that turn to its latency.
        write_now = getattr(cycle.transport, "write_now", None)
        (write_now or cycle.transport.write)(data)
    cycle.response_complete = True
    cycle.message_event.set()
    if not cycle.keep_alive:
        cycle.transport.close()
    cycle.on_response()
