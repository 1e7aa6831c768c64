"""Untrusted JSON in, a dict with exact decimals out, or an :class:`Iso20022Error`.

Amounts must keep every digit the sender wrote, so floats are read as :class:`Decimal`
(orjson, used elsewhere, only gives binary floats). Duplicate keys are refused: with them two
readers of the same body can disagree on the amount, which is how filters get bypassed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NoReturn

from aegis.risk.iso20022.errors import Iso20022Error
from aegis.risk.iso20022.policy import DEFAULT_MAX_BYTES


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


class _NotANumber(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


def _constant(name: str) -> NoReturn:
    raise _NotANumber(name)


def load(
    data: bytes | Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    if not isinstance(data, bytes | bytearray):
        raise Iso20022Error.at("/", "the message must be given as bytes or a JSON object")
    if len(data) > max_bytes:
        raise Iso20022Error.at("/", f"the message is larger than {max_bytes} bytes")
    try:
        value = json.loads(
            data, parse_float=Decimal, parse_constant=_constant, object_pairs_hook=_pairs
        )
    except _Duplicate as exc:
        # Keys are ISO element names chosen by the sender's software, not personal data,
        # but they are still cut short.
        raise Iso20022Error.at("/", f"duplicate key {exc.key[:40]!r} in a JSON object") from None
    except _NotANumber as exc:
        raise Iso20022Error.at("/", f"{exc.name} is not a JSON number") from None
    except json.JSONDecodeError as exc:
        raise Iso20022Error.at(
            "/", f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise Iso20022Error.at("/", f"not valid JSON: {type(exc).__name__}") from None
    if not isinstance(value, dict):
        raise Iso20022Error.at("/", "the message must be a JSON object")
    return value
