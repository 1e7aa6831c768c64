"""Liveness, readiness and metrics: unauthenticated, outside /v1, no data in them."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(description="`ok` when every configured dependency answers.")
    checks: dict[str, str] = Field(description="Each dependency and `ok` or the reason it failed.")


@router.get("/healthz", response_model=Health, summary="Liveness")
def healthz() -> Health:
    """The process is up. Does not touch dependencies."""
    return Health(status="ok")


def _check_db(platform: Any) -> str:
    with platform.db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return "ok"


def _check_redis(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


async def _check_nats(url: str) -> str:
    import nats

    nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    try:
        await nc.jetstream().account_info()
    finally:
        await nc.close()
    return "ok"


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness",
    responses={503: {"model": Readiness, "description": "A dependency is down."}},
)
async def readyz(request: Request) -> Response:
    """Checks the database, and Redis and NATS when they are configured."""
    platform = request.app.state.platform
    checks: dict[str, str] = {}

    async def run(name: str, coro: Any) -> None:
        try:
            checks[name] = await asyncio.wait_for(coro, timeout=3)
        except Exception as exc:
            checks[name] = f"failed: {type(exc).__name__}"

    await run("database", run_in_threadpool(_check_db, platform))
    if platform.settings.redis_url:
        await run("redis", run_in_threadpool(_check_redis, platform.settings.redis_url))
    if platform.settings.nats_url:
        await run("nats", _check_nats(platform.settings.nats_url))
    ok = all(v == "ok" for v in checks.values())
    body = Readiness(status="ok" if ok else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
