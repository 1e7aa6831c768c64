"""Cursor pagination over time-ordered prefixed IDs.

The cursor is opaque to clients; today it is the last ID of the page, base64url-encoded,
so that a later change of ordering key does not break clients.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from aegis.errors import FieldError, ValidationFailed

T = TypeVar("T")
R = TypeVar("R")
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int = 20
    after: str | None = None


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if "_" not in raw or len(raw) > 64:
        raise ValidationFailed(
            "Invalid cursor",
            errors=[
                FieldError("query:cursor", "not a cursor returned by this API", "invalid_cursor")
            ],
        )
    return raw


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class PageOut(BaseModel, Generic[T]):
    data: list[T]
    has_more: bool = Field(description="Whether another page follows.")
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to fetch the next page; null on the last page."
    )


def page_out(page: Page[R], render: Callable[[R], T]) -> PageOut[T]:
    """A repository page rendered for the API, item by item."""
    return PageOut(
        data=[render(item) for item in page.items],
        has_more=page.next_cursor is not None,
        next_cursor=page.next_cursor,
    )
