"""``Idempotency-Key`` on POST: same key and body replays the response; a different body is 409.

Keys are scoped to the tenant of the API key. A response is stored only when it is not
a server error, so a client may retry after a 5xx; a crash mid-request leaves the key
``in_progress`` until its lock expires (60 s), after which it can be used again.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aegis.api.fastlane import replay_body
from aegis.api.models import idempotency_aad
from aegis.api.problems import problem_response
from aegis.api.repository import IdempotencyRepository
from aegis.errors import AegisError, BadRequest, IdempotencyConflict, PayloadTooLarge
from aegis.kit.time import utcnow

IN_PROGRESS_LOCK = timedelta(seconds=60)
_STORED_HEADERS = ("content-type", "location")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith("/v1/")
        ):
            await self.app(scope, receive, send)
            return
        key = Headers(scope=scope).get("idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        request_id = scope.get("state", {}).get("request_id")
        if not (1 <= len(key) <= 255) or not key.isprintable():
            await problem_response(
                BadRequest("Idempotency-Key must be 1 to 255 printable characters."),
                path=scope["path"],
                request_id=request_id,
            )(scope, receive, send)
            return

        # Read the whole body (already bounded by BodyLimitMiddleware), then replay it.
        chunks: list[bytes] = []
        more = True
        try:
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
        except HTTPException as exc:  # BodyLimitMiddleware's 413, raised while streaming
            await problem_response(
                PayloadTooLarge(str(exc.detail)), path=scope["path"], request_id=request_id
            )(scope, receive, send)
            return
        body = b"".join(chunks)

        from aegis.api.deps import authenticate

        try:
            ctx = await run_in_threadpool(authenticate, Request(scope))
        except AegisError:
            await self.app(scope, replay_body(body), send)  # the route answers 401 itself
            return
        platform = scope["app"].state.platform
        fingerprint = hashlib.sha256(
            b"\n".join([scope["path"].encode(), scope.get("query_string", b""), body])
        ).hexdigest()

        outcome = await run_in_threadpool(_begin, platform, ctx.tenant_id, key, fingerprint)
        if isinstance(outcome, AegisError):
            await problem_response(outcome, path=scope["path"], request_id=request_id)(
                scope, receive, send
            )
            return
        if isinstance(outcome, Response):
            await outcome(scope, receive, send)
            return

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": []}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body(body), capture)
        finally:
            await run_in_threadpool(_finish, platform, ctx.tenant_id, key, captured)


def _begin(
    platform: Any, tenant_id: str, key: str, fingerprint: str
) -> AegisError | Response | None:
    """None: go ahead. A Response: replay it. An error: refuse."""
    now = utcnow()
    ttl = timedelta(hours=platform.settings.idempotency_ttl_hours)
    with platform.db.session() as session:
        repo = IdempotencyRepository(session, tenant_id)
        existing = repo.get(key)
        stale = existing is not None and (
            existing.expires_at <= now
            or (existing.status == "in_progress" and existing.created_at + IN_PROGRESS_LOCK <= now)
        )
        if existing is not None and stale:
            repo.remove(existing)
            existing = None
        if existing is None:
            if not repo.claim(key, fingerprint, now, now + ttl):
                return IdempotencyConflict("A request with this Idempotency-Key is in progress.")
            return None
        if existing.fingerprint != fingerprint:
            return IdempotencyConflict(
                "This Idempotency-Key was used with a different request body or path."
            )
        if existing.status == "in_progress":
            return IdempotencyConflict("A request with this Idempotency-Key is in progress.")
        headers = dict(orjson.loads(existing.response_headers or "{}"))
        headers["idempotent-replayed"] = "true"
        body = platform.vault.open(existing.response_body, idempotency_aad(tenant_id, key))
        return Response(
            body,
            status_code=existing.response_status or 200,
            headers=headers,
        )


def _finish(platform: Any, tenant_id: str, key: str, captured: dict[str, Any]) -> None:
    with platform.db.session() as session:
        repo = IdempotencyRepository(session, tenant_id)
        if captured["status"] >= 500:
            repo.forget(key)  # a server error is not an answer: let the client retry
            return
        record = repo.get(key)
        if record is None:
            return
        headers = {
            k.decode("latin-1"): v.decode("latin-1")
            for k, v in captured["headers"]
            if k.decode("latin-1").lower() in _STORED_HEADERS
        }
        record.status = "completed"
        record.response_status = captured["status"]
        # Responses can hold PII (a contact's e-mail): sealed like any other record.
        record.response_body = platform.vault.seal(
            b"".join(captured["body"]), idempotency_aad(tenant_id, key)
        )
        record.response_headers = orjson.dumps(headers).decode()
