"""FastAPI dependencies: the platform, a unit of work per request, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

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


async def _platform(request: Request) -> Platform:
    return get_platform(request)


async def _services(request: Request) -> Services:
    return get_services(request)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, committed before the response is sent.

    GET requests take a read transaction; everything else a write transaction, which on
    SQLite takes the write lock up front so concurrent writers queue instead of failing.

    Every hop to the thread pool costs about 100 µs, so a read session is opened here on
    the event loop (that does no I/O: the connection is checked out by the first query, in
    the endpoint's thread); taking the write lock, committing and closing, which do I/O and
    may wait, run in the thread pool.
    """
    read = request.method in ("GET", "HEAD")
    unit = get_platform(request).db.session(write=not read)
    if read:
        session = unit.__enter__()
    else:
        session = await run_in_threadpool(unit.__enter__)
    try:
        yield session
    except BaseException as exc:
        await run_in_threadpool(unit.__exit__, type(exc), exc, exc.__traceback__)
        raise
    await run_in_threadpool(unit.__exit__, None, None, None)


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """A read-only session on the event loop's own connection, for ``async def`` endpoints.

    Such an endpoint must not ``await`` while it uses the session (see
    ``Database.loop_reader``); it saves the two or three thread-pool hops of a ``def``
    endpoint (the call, the response serialisation, the commit).
    """
    with get_platform(request).db.loop_reader() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
PlatformDep = Annotated[Platform, Depends(_platform)]
ServicesDep = Annotated[Services, Depends(_services)]


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


async def current_ctx(request: Request) -> Ctx:
    """``authenticate`` without leaving the event loop when the key is in the cache."""
    ctx: Ctx | None = getattr(request.state, "ctx", None)
    if ctx is None:
        services = get_services(request)
        request_id = getattr(request.state, "request_id", None)
        ctx = services.api_keys.from_cache(bearer_secret(request), request_id)
    if ctx is None:
        ctx = await run_in_threadpool(authenticate, request)
    if not ctx.allows(request.client.host if request.client else None):
        raise Forbidden("this address is not on the tenant's IP allow-list")
    request.state.ctx = ctx
    return ctx


async def authorize(request: Request, scope: Scope) -> Ctx:
    """The caller, if its key has ``scope``: what ``require(scope)`` gives as a dependency.

    A hot ``async def`` endpoint may call it first thing instead: FastAPI spends ~50 µs
    solving a dependency (parameters of every kind looked up, a cache key, the call),
    more than the check itself.
    """
    ctx = await current_ctx(request)
    if scope not in ctx.scopes:
        raise Forbidden(f"this operation needs the `{scope.value}` scope")
    return ctx


def require(scope: Scope) -> Callable[..., Coroutine[Any, Any, Ctx]]:
    # Calls ``current_ctx`` itself rather than depending on it: one dependency fewer to
    # solve on every request (``current_ctx`` keeps the caller in ``request.state``).
    async def dependency(request: Request) -> Ctx:
        return await authorize(request, scope)

    return dependency


ReadCtx = Annotated[Ctx, Depends(require(Scope.READ))]
AdminCtx = Annotated[Ctx, Depends(require(Scope.ADMIN))]


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=128, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, after=decode_cursor(cursor))


PageDep = Annotated[PageRequest, Depends(page_params)]
