"""Structured JSON logs with PII redaction on every line, ours and third-party.

Code should never log PII in the first place; redaction is the second line: keys that
name PII are dropped, and e-mail addresses, phone-like and card-like digit runs are
scrubbed from every string value, including messages from uvicorn, huey and SQLAlchemy.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, cast

import orjson
import structlog

from aegis.ids import PREFIXES

PII_KEYS = frozenset(
    {
        "name",
        "full_name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "address",
        "id_number",
        "card_number",
        "pan",
        "dob",
        "date_of_birth",
        "secret",
        "password",
        "api_key",
        "authorization",
        "token",
        "notes",
    }
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Six or more digits, possibly split by spaces or dashes: phones, cards, ID numbers.
_DIGITS = re.compile(r"\+?\d(?:[\s-]?\d){5,}")
_SECRET = re.compile(r"aegis_(?:sk|whsec)_[A-Za-z0-9_-]+")
# Our own prefixed ULIDs (``req_01j...``): no PII, and a ULID may hold six digits in a row,
# which the digit rule would otherwise turn into ``req_01[digits]...``.
_OUR_ID = re.compile(rf"(?:{'|'.join(sorted(PREFIXES))})_[0-9a-hjkmnp-tv-z]{{26}}")
_ANY_DIGIT = re.compile(r"\d")


def scrub(text: str) -> str:
    # Each rule runs only where it can match, exactly: secrets need "aegis_", e-mails an
    # "@", digit runs a digit (and neither replacement brings one).
    secret = "aegis_" in text
    email = "@" in text
    digits = _ANY_DIGIT.search(text) is not None
    if not (secret or email or digits) or _OUR_ID.fullmatch(text):
        return text
    if secret:
        text = _SECRET.sub("[secret]", text)
    if email:
        text = _EMAIL.sub("[email]", text)
    return _DIGITS.sub("[digits]", text) if digits else text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: ("[redacted]" if k in PII_KEYS else _redact_value(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key in PII_KEYS:
            event[key] = "[redacted]"
        elif key not in ("timestamp", "level", "logger"):
            event[key] = _redact_value(event[key])
    return event


def _dumps(event: Any, **_: Any) -> str:
    # orjson: a log line per request, several times faster than the json module.
    return orjson.dumps(event, default=str).decode()


class _Formatter(structlog.stdlib.ProcessorFormatter):
    """structlog's formatter, without the copy of each record it makes so that other
    formatters may format the same record (a request's access line paid for two log
    records): our events are rendered straight from the event dict."""

    def __init__(self, renderer: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.renderer = renderer

    def format(self, record: logging.LogRecord) -> str:
        logger = getattr(record, "_logger", None)
        name = getattr(record, "_name", None)
        if logger is None or name is None or record.exc_info or record.stack_info:
            return super().format(record)
        # What ``remove_processors_meta`` and the renderer make of a copy of the event.
        return str(self.renderer(logger, name, dict(cast(dict[str, Any], record.msg))))


def configure_logging(level: str = "INFO", *, json: bool = True, stream: Any = None) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_dumps)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        # Drop an event below the level first, before the processors pay for it (a request
        # logs an info line that production, at WARNING, never shows).
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Building a module's logger again for every event cost ~10 µs. A cached logger
        # keeps the processors of the first configuration, which every configuration
        # shares; the stream and the level live in the stdlib logging a call reaches.
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        _Formatter(
            renderer,
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "huey", "huey.consumer"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Access lines duplicate our request log, which carries the request id.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
