"""One error tree for the whole service; each error knows its HTTP status.

Services raise these (never HTTP exceptions); the API turns them into RFC 9457
problem documents, and endpoints list them so OpenAPI shows every error response.

    AegisError
    ├── BadRequest (400)
    │   └── MalformedBody (400)
    ├── Unauthorized (401)
    ├── Forbidden (403)
    ├── NotFound (404)
    ├── Conflict (409)
    │   ├── IdempotencyConflict (409)
    │   └── InvalidState (409)
    ├── PayloadTooLarge (413)
    ├── UnsupportedMediaType (415)
    ├── ValidationFailed (422)
    ├── RateLimited (429)
    └── ServiceUnavailable (503)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_BASE = "urn:aegis:problem:"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field. ``pointer`` is a JSON Pointer into the request body."""

    pointer: str
    detail: str
    code: str


class AegisError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, *, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = tuple(errors)

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.slug


class BadRequest(AegisError):
    status = 400
    slug = "bad-request"
    title = "Bad request"


class MalformedBody(BadRequest):
    slug = "malformed-body"
    title = "The request body is not valid JSON"


class Unauthorized(AegisError):
    status = 401
    slug = "unauthorized"
    title = "Missing, invalid or revoked API key"


class Forbidden(AegisError):
    status = 403
    slug = "forbidden"
    title = "The API key lacks the scope this operation needs"


class NotFound(AegisError):
    status = 404
    slug = "not-found"
    title = "No such resource"


class Conflict(AegisError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class IdempotencyConflict(Conflict):
    slug = "idempotency-conflict"
    title = "Idempotency-Key reused with a different request, or still in progress"


class InvalidState(Conflict):
    slug = "invalid-state"
    title = "The resource is not in a state that allows this operation"


class PayloadTooLarge(AegisError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(AegisError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class ValidationFailed(AegisError):
    status = 422
    slug = "validation"
    title = "The request is not valid"


class RateLimited(AegisError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class ServiceUnavailable(AegisError):
    status = 503
    slug = "unavailable"
    title = "A dependency is unavailable"


class ProblemFieldError(BaseModel):
    pointer: str = Field(description="JSON Pointer to the offending field, e.g. `#/email`.")
    detail: str = Field(description="What is wrong with it; never echoes the submitted value.")
    code: str = Field(description="Machine-readable reason, e.g. `missing`, `string_too_long`.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(json_schema_extra={"description": "RFC 9457 problem details."})

    type: str = Field(description="URI identifying the problem type.")
    title: str
    status: int
    detail: str
    instance: str | None = Field(None, description="The request path.")
    request_id: str | None = Field(None, description="Quote this when contacting support.")
    errors: list[ProblemFieldError] | None = Field(
        None, description="Field-level detail for validation errors."
    )


def problem_body(
    error: AegisError, *, instance: str | None, request_id: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": error.type_uri,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "instance": instance,
        "request_id": request_id,
    }
    if error.errors:
        body["errors"] = [
            {"pointer": e.pointer, "detail": e.detail, "code": e.code} for e in error.errors
        ]
    return body


def responses(*errors: type[AegisError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for an endpoint: every error it can answer with."""
    out: dict[int | str, dict[str, Any]] = {}
    all_errors: tuple[type[AegisError], ...] = (*errors, Unauthorized, ValidationFailed)
    for err in all_errors:
        entry = out.setdefault(
            err.status,
            {
                "model": Problem,
                "description": err.title,
                "content": {"application/problem+json": {}},
            },
        )
        if err.title not in entry["description"]:
            entry["description"] += f"; {err.title}"
    return out
