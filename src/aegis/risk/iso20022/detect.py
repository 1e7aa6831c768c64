"""Which parser a request body needs, from its content type and its first structure.

One endpoint can then take every intake shape: ``application/json`` is Aegis' own
transaction body or Tazama's JSON (told apart by the root key), ``application/xml`` is an
ISO 20022 message (told apart by the Document's namespace).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import orjson

from aegis.risk.iso20022._xml import sniff
from aegis.risk.iso20022.errors import Iso20022Error
from aegis.risk.iso20022.policy import DEFAULT_MAX_BYTES


class MessageKind(StrEnum):
    TRANSACTION = "transaction"  # Aegis' JSON body (aegis.risk.intake.TransactionIn)
    PACS008_XML = "pacs.008+xml"
    PACS008_JSON = "pacs.008+json"  # Tazama's form
    PACS002_XML = "pacs.002+xml"
    PACS002_JSON = "pacs.002+json"  # Tazama's form


_XML_KINDS: Final = {"pacs.008": MessageKind.PACS008_XML, "pacs.002": MessageKind.PACS002_XML}
_JSON_ROOTS: Final = {
    "FIToFICstmrCdtTrf": MessageKind.PACS008_JSON,
    "FIToFIPmtSts": MessageKind.PACS002_JSON,
}
XML_MEDIA_TYPES: Final = frozenset({"application/xml", "text/xml"})
JSON_MEDIA_TYPES: Final = frozenset({"application/json"})


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def detect(data: bytes, content_type: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> MessageKind:
    """The kind of ``data``, or :class:`Iso20022Error` saying why it cannot be routed.

    Routing reads only as much as it needs; the chosen parser validates everything.
    """
    media = _media_type(content_type)
    if media in XML_MEDIA_TYPES or media.endswith("+xml"):
        message, version = sniff(data, max_bytes=max_bytes)
        kind = _XML_KINDS.get(message)
        if kind is None:
            raise Iso20022Error.at(
                "/Document",
                f"{message}.001.{version:02d} messages are not accepted here; "
                "send pacs.008 or pacs.002",
            )
        return kind
    if media in JSON_MEDIA_TYPES or media.endswith("+json"):
        if len(data) > max_bytes:
            raise Iso20022Error.at("/", f"the message is larger than {max_bytes} bytes")
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise Iso20022Error.at("/", "not valid JSON") from None
        if not isinstance(value, dict):
            raise Iso20022Error.at("/", "the body must be a JSON object")
        for root, kind in _JSON_ROOTS.items():
            if root in value:
                return kind
        if "TxTp" in value:
            raise Iso20022Error.at(
                "/TxTp", "only pacs.008 and pacs.002 are accepted in Tazama's JSON form"
            )
        return MessageKind.TRANSACTION
    raise Iso20022Error.at(
        "/", "unsupported content type: send application/json or application/xml"
    )
