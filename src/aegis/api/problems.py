"""Rendering errors as RFC 9457 problem documents, and mapping framework errors onto ours."""

from __future__ import annotations

import re
import traceback
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import orjson
import structlog
from fastapi import Request, params
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from aegis.errors import (
    AegisError,
    BadRequest,
    FieldError,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    problem_body,
)

log = structlog.get_logger(__name__)
PROBLEM_JSON = "application/problem+json"


class _MethodNotAllowed(AegisError):
    status = 405
    slug = "method-not-allowed"
    title = "Method not allowed"


def problem_response(error: AegisError, *, path: str | None, request_id: str | None) -> Response:
    # RequestContextMiddleware adds X-Request-Id to every response, this one included.
    headers = {"WWW-Authenticate": 'Bearer realm="aegis"'} if error.status == 401 else None
    return Response(
        orjson.dumps(problem_body(error, instance=path, request_id=request_id)),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _pointer(loc: Sequence[Any]) -> str:
    # Pydantic adds labels of its own validators (``function-after[...]``, union branch
    # names) to locations; they are not fields of the request.
    parts = [str(p) for p in loc if not ("[" in str(p) or str(p).startswith("function-"))]
    if parts and parts[0] in ("body", "query", "path", "header"):
        where, rest = parts[0], parts[1:]
        return ("#/" if where == "body" else f"{where}:") + "/".join(rest)
    return "#/" + "/".join(parts)


_MESSAGES = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
}


def from_validation(errors: Sequence[Any]) -> AegisError:
    """Pydantic errors carry the submitted input: we keep location and reason, never the value."""
    fields: list[FieldError] = []
    for err in errors:
        kind = str(err.get("type", "invalid"))
        if kind == "json_invalid":
            return MalformedBody(
                "The body could not be parsed as JSON.",
                errors=[FieldError("#", "not valid JSON", "json_invalid")],
            )
        if kind in ("model_attributes_type", "dict_type") and tuple(err.get("loc", ())) == (
            "body",
        ):
            return BadRequest(
                "The body must be a JSON object.",
                errors=[FieldError("#", "expected a JSON object", kind)],
            )
        loc = tuple(str(p) for p in err.get("loc", ()))
        if kind == "value_error" and any("email" in p for p in loc):
            # email-validator's messages can quote parts of the address.
            message = "Not a valid e-mail address."
        else:
            message = _MESSAGES.get(kind, str(err.get("msg", "Invalid value.")))
        pointer = _pointer(err.get("loc", ()))
        if all(f.pointer != pointer for f in fields):  # a union reports once per member
            fields.append(FieldError(pointer, message, kind))
    return ValidationFailed(f"{len(fields)} field(s) are invalid.", errors=fields)


def _expects_form(request: Request) -> bool:
    """Whether the matched route takes a form (multipart uploads), not a JSON body."""
    body = getattr(request.scope.get("route"), "body_field", None)
    return isinstance(getattr(body, "field_info", None), params.Form)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


async def handle_aegis(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AegisError)
    return problem_response(exc, path=request.url.path, request_id=_request_id(request))


async def handle_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    body_expected = request.method in ("POST", "PUT", "PATCH")
    content_type = request.headers.get("content-type", "")
    error: AegisError
    if (
        body_expected
        and content_type
        and "json" not in content_type
        and not _expects_form(request)
        and any(tuple(e.get("loc", ()))[:1] == ("body",) for e in exc.errors())
    ):
        error = UnsupportedMediaType("Send the body as application/json.")
    else:
        error = from_validation(exc.errors())
    return problem_response(error, path=request.url.path, request_id=_request_id(request))


async def handle_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    error: AegisError
    if exc.status_code == 404:
        error = NotFound("No such endpoint." if "route" not in request.scope else str(exc.detail))
    elif exc.status_code == 405:
        error = _MethodNotAllowed()
        allowed = _allowed_methods(request)
        if allowed:
            # Starlette names only the methods of the first route matching the path.
            exc.headers = {**(exc.headers or {}), "Allow": allowed}
    elif exc.status_code == 413:
        error = PayloadTooLarge()
    elif exc.status_code < 500:
        error = BadRequest(str(exc.detail))
    else:
        error = AegisError()
    response = problem_response(error, path=request.url.path, request_id=_request_id(request))
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@lru_cache(maxsize=256)
def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def _allowed_methods(request: Request) -> str | None:
    """The methods the OpenAPI document lists for the requested path; where templates
    overlap (``/contacts/search`` and ``/contacts/{contact_id}``) the most literal wins."""
    paths: dict[str, dict[str, Any]] = request.app.openapi().get("paths", {})
    matching = [t for t in paths if _template(t).fullmatch(request.url.path)]
    if not matching:
        return None
    fewest = min(t.count("{") for t in matching)
    methods = {
        method.upper()
        for template in matching
        if template.count("{") == fewest
        for method in paths[template]
        if method in _METHODS
    }
    return ", ".join(sorted(methods)) or None


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    # The exception text may quote data; log its type and a traceback, answer without either.
    log.error(
        "unhandled_error",
        error=type(exc).__name__,
        path=request.url.path,
        stack="".join(traceback.format_tb(exc.__traceback__)),
    )
    return problem_response(
        AegisError("An unexpected error occurred; quote the request id to support."),
        path=request.url.path,
        request_id=_request_id(request),
    )
