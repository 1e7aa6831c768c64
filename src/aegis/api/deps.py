"""FastAPI dependencies: the platform, a unit of work per request, the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from aegis.auth.context import Ctx, Scope
from aegis.errors import Forbidden, Unauthorized
from aegis.kit.pagination import MAX_LIMIT, PageRequest, decode_cursor
from aegis.platform import Platform
from aegis.services import Services


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent.

    GET requests take a read transaction; everything else a write transaction, which on
    SQLite takes the write lock up front so concurrent writers queue instead of failing.
    """
    platform = get_platform(request)
    with platform.db.session(write=request.method not in ("GET", "HEAD")) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
PlatformDep = Annotated[Platform, Depends(get_platform)]
ServicesDep = Annotated[Services, Depends(get_services)]


def bearer_secret(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("Send the API key as `Authorization: Bearer <key>`")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("Send the API key as `Authorization: Bearer <key>`")
    return secret.strip()


def authenticate(request: Request) -> Ctx:
    """Resolve the API key; cached per process, so no transaction is opened on a hit."""
    cached: Ctx | None = getattr(request.state, "ctx", None)
    if cached is not None:
        return cached
    services = get_services(request)
    platform = get_platform(request)
    secret = bearer_secret(request)
    request_id = getattr(request.state, "request_id", None)
    with platform.db.session(write=False) as session:
        ctx, stale = services.api_keys.authenticate(session, secret, request_id)
    if stale:
        with platform.db.session() as session:
            services.api_keys.touch(session, ctx.actor.id)
    request.state.ctx = ctx
    return ctx


def require(scope: Scope) -> Callable[..., Ctx]:
    def dependency(ctx: Annotated[Ctx, Depends(authenticate)]) -> Ctx:
        if scope not in ctx.scopes:
            raise Forbidden(f"this operation needs the `{scope.value}` scope")
        return ctx

    return dependency


ReadCtx = Annotated[Ctx, Depends(require(Scope.READ))]
AdminCtx = Annotated[Ctx, Depends(require(Scope.ADMIN))]


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=128, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, after=decode_cursor(cursor))


PageDep = Annotated[PageRequest, Depends(page_params)]
