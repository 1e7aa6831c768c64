"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a task per request).

Order, outermost first: request id and access log, metrics, body limit, idempotency.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aegis.api.problems import problem_response
from aegis.errors import PayloadTooLarge
from aegis.ids import new_id

log = structlog.get_logger("aegis.access")
_ACCESS = logging.getLogger("aegis.access")

REQUESTS = Counter(
    "aegis_http_requests_total", "HTTP requests by route and status", ["method", "route", "status"]
)
LATENCY = Histogram(
    "aegis_http_request_duration_seconds",
    "HTTP request latency by route",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Each label set's child metrics: ``labels()`` takes a lock and builds a key every call.
_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _observe(method: str, route: str, status: int, elapsed: float) -> None:
    children = _CHILDREN.get((method, route, status))
    if children is None:
        children = (REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
        _CHILDREN[(method, route, status)] = children
    children[0].inc()
    children[1].observe(elapsed)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _route(scope: Scope) -> str:
    # FastAPI >= 0.13x leaves the router's own route in scope["route"] (its path lacks the
    # include prefix, e.g. no /v1); the route it actually matched carries the full template.
    effective = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(effective, "path_format", None) or getattr(scope.get("route"), "path", None)
    return str(path or "unmatched")


def request_id(scope: Scope) -> str:
    """The caller's ``X-Request-Id`` when it is a sane one, else a new id."""
    incoming = _header(scope, b"x-request-id")
    return incoming if incoming and _GOOD_ID.match(incoming) else new_id("req")


def finished(method: str, route: str, status: int, elapsed: float, ctx: Any) -> None:
    """Metrics and the access line for one answered request."""
    _observe(method, route, status, elapsed)
    # Asked first: below the level structlog would still build the event and drop it by
    # raising, a few microseconds on every request.
    if _ACCESS.isEnabledFor(logging.INFO):
        log.info(
            "request",
            method=method,
            route=route,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
            tenant_id=getattr(ctx, "tenant_id", None),
        )


class RequestContextMiddleware:
    """Request id in, request id out, one structured access line per request, metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        structlog.contextvars.bind_contextvars(request_id=rid)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            state: dict[str, Any] = scope.get("state", {})
            elapsed = time.perf_counter() - started
            finished(scope["method"], _route(scope), status, elapsed, state.get("ctx"))
            structlog.contextvars.unbind_contextvars("request_id")


class BodyLimitMiddleware:
    """Refuse oversized bodies early (Content-Length) or as they stream in (chunked)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        uploads: re.Pattern[str] | None = None,
        max_upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.default_max = max_bytes
        self.uploads = uploads
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_upload = self.uploads is not None and self.uploads.match(scope["path"])
        max_bytes = self.max_upload_bytes if is_upload else self.default_max
        request_id = scope.get("state", {}).get("request_id")
        declared = _header(scope, b"content-length")
        too_big = f"The body must be at most {max_bytes} bytes."
        if declared is not None:
            if not declared.isdigit():
                await problem_response(
                    PayloadTooLarge("Invalid Content-Length."),
                    path=scope["path"],
                    request_id=request_id,
                )(scope, receive, send)
                return
            if int(declared) > max_bytes:
                await problem_response(
                    PayloadTooLarge(too_big), path=scope["path"], request_id=request_id
                )(scope, receive, send)
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    # FastAPI turns other exceptions raised while reading the body into 400.
                    raise HTTPException(413, too_big)
            return message

        await self.app(scope, limited_receive, send)
