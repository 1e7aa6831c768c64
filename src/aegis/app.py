"""The FastAPI application factory."""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from aegis import __version__
from aegis.api import problems
from aegis.api.fastlane import FastLane, LaneRoutes
from aegis.api.health import router as health_router
from aegis.api.idempotency import IdempotencyMiddleware
from aegis.api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from aegis.errors import AegisError, Problem
from aegis.platform import Platform
from aegis.queue.transport import Worker
from aegis.services import Services

log = structlog.get_logger(__name__)
PROBLEM_REF = "#/components/schemas/Problem"
# Multipart uploads get their own, larger body limit.
UPLOAD_PATHS = re.compile(r"^/v1/applicants/[^/]+/(documents|liveness/[^/]+)$")
DESCRIPTION = """
Identity verification (KYC) and payment risk control.

**Authentication**: every `/v1` route needs `Authorization: Bearer <api key>`.
**Errors**: RFC 9457 `application/problem+json`, with field-level `errors` for validation.
**Idempotency**: send `Idempotency-Key` on POST to make retries safe.
**Pagination**: list endpoints take `limit` and `cursor` and return `next_cursor`.
See `docs/api.md` for the full guide.
"""


def _warm_screening(platform: Platform) -> None:
    """Build the lists' name index before the first screening needs it (seconds for tens
    of thousands of names), when lists are loaded; a failure only defers it to first use."""
    from aegis.screening.repository import ListRepository

    try:
        with platform.db.session(write=False) as session:
            if any(ListRepository(session).versions().values()):
                platform.screening_index.current(session)
    except Exception:  # noqa: BLE001 - best effort; the first screening builds it anyway
        log.warning("screening_warmup_failed")


def create_app(platform: Platform, *, run_worker: bool = False) -> FastAPI:
    services = Services.build(platform)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if run_worker:
            worker = Worker(
                platform.queue,
                threads=platform.settings.queue_workers,
                sweep_interval=platform.settings.sweep_interval_seconds,
            )
            worker.start()
        threading.Thread(
            target=_warm_screening, args=(platform,), name="screening-warmup", daemon=True
        ).start()
        # Before the first connection: uvicorn serves once startup is done, and meanwhile
        # the other web workers take the connections.
        await run_in_threadpool(platform.risk.prebuild)
        try:
            yield
        finally:
            # Decisions already taken are written before the process goes.
            services.decisions.writer.close()
            if worker is not None:
                worker.stop()

    app = FastAPI(
        title="Aegis API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        # Aegis reports through Prometheus and its access log; FastAPI's OpenTelemetry
        # hooks would look for providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.platform = platform
    app.state.services = services

    app.add_exception_handler(AegisError, problems.handle_aegis)
    app.add_exception_handler(RequestValidationError, problems.handle_validation)
    app.add_exception_handler(StarletteHTTPException, problems.handle_http)
    app.add_exception_handler(Exception, problems.handle_unexpected)

    # Added innermost first: idempotency sees a bounded body and a request id; the fast
    # lane serves its routes' plain requests before either (it needs neither).
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=platform.settings.max_body_bytes,
        uploads=UPLOAD_PATHS,
        max_upload_bytes=platform.settings.max_upload_bytes,
    )
    from aegis.risk.endpoints import create_transaction_lane

    lane = LaneRoutes(
        {("POST", "/v1/transactions"): create_transaction_lane},
        max_bytes=platform.settings.max_body_bytes,
    )
    # The server's protocol serves the lane before the ASGI app (aegis.api.lane_protocol).
    app.state.lane = lane
    app.add_middleware(FastLane, lane=lane)
    app.add_middleware(RequestContextMiddleware)

    from aegis.api.v1 import GatedRouter, gated_routers

    app.include_router(GatedRouter(health_router))
    for router in gated_routers():
        app.include_router(router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


BODY_ERRORS = {
    "400": "The body is malformed (for JSON: not valid JSON, or not an object)",
    "413": "Request body too large",
    "415": "The body is not in a media type this operation accepts",
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}},
    }


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI files error models under application/json; ours are application/problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if code.isdigit() and int(code) >= 400 and "application/json" in content:
                    json_content = content.pop("application/json")
                    if json_content.get("schema", {}).get("$ref", "").endswith("/Problem") or (
                        "application/problem+json" in content
                    ):
                        content["application/problem+json"] = json_content
                    else:
                        content["application/json"] = json_content
            if "422" in operation.get("responses", {}):
                operation["responses"]["422"] = _problem("The request is not valid")
            if "requestBody" in operation:
                # Answered for any operation with a body, before the endpoint runs.
                for code, description in BODY_ERRORS.items():
                    operation["responses"].setdefault(code, _problem(description))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in problem_schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components.setdefault("Problem", problem_schema)
    app.openapi_schema = schema
    return schema
