"""Untrusted XML in, the ISO 20022 Document out, or an :class:`Iso20022Error`.

The parser refuses what XML-based attacks need: no DTD is loaded, no entity expanded, nothing
fetched from the network, the libxml2 depth and text-size limits stay on (no ``huge_tree``),
and any DOCTYPE at all is refused after parsing, since an ISO 20022 message never has one.
The size limit is checked on the bytes before libxml2 sees them.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, Final

from lxml import etree

from aegis.risk.iso20022._nodes import XmlNode
from aegis.risk.iso20022.errors import Iso20022Error
from aegis.risk.iso20022.policy import DEFAULT_MAX_BYTES

ISO_PREFIX: Final = "urn:iso:std:iso:20022:tech:xsd:"
_DOCUMENT_NS: Final = re.compile(
    r"urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.[0-9]{3})\.001\.([0-9]{2})"
)
_HEADER_PREFIX: Final = ISO_PREFIX + "head.001."

_PARSER_OPTIONS: Final[dict[str, Any]] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}


@dataclass(frozen=True, slots=True)
class XmlDocument:
    message: str  # "pacs.008"
    version: int  # 10 for pacs.008.001.10
    document: XmlNode  # the Document element; paths start at /Document


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _namespace(tag: object) -> str | None:
    return etree.QName(tag).namespace if isinstance(tag, str) else None


def _check_size(data: bytes, max_bytes: int) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise Iso20022Error.at("/", "the message must be given as bytes")
    if len(data) > max_bytes:
        raise Iso20022Error.at("/", f"the message is larger than {max_bytes} bytes")
    if not bytes(data[:1024]).strip():
        raise Iso20022Error.at("/", "the message is empty")


def _parse(data: bytes) -> Any:
    # A parser per call: lxml parsers keep per-document state and are not thread-safe.
    parser = etree.XMLParser(remove_comments=True, remove_pis=True, **_PARSER_OPTIONS)
    try:
        root = etree.fromstring(bytes(data), parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise Iso20022Error.at(
            "/", f"not well-formed XML (line {line}, column {column}): {exc.msg}"
        ) from None
    except (etree.LxmlError, ValueError) as exc:
        raise Iso20022Error.at("/", f"not readable as XML: {type(exc).__name__}") from None
    if root is None:
        raise Iso20022Error.at("/", "not well-formed XML: no root element")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise Iso20022Error.at("/", "a DOCTYPE is not allowed in an ISO 20022 message")
    return root


def _document_element(root: Any) -> Any:
    """The Document itself, or the one inside an envelope (``<message>``, ``<RequestPayload>``
    or any other wrapper outside the ISO namespaces) that holds an AppHdr and a Document."""
    name = _local(root.tag)
    if name == "Document":
        return root
    ns = _namespace(root.tag) or ""
    wrapper = f"/{name}"
    if ns.startswith(ISO_PREFIX):
        raise Iso20022Error.at(
            wrapper,
            "the root must be an ISO 20022 Document, or an envelope holding an AppHdr "
            "and a Document",
        )
    documents, errors = [], []
    for child in root:
        if not isinstance(child.tag, str):
            continue
        child_name = _local(child.tag)
        if child_name == "Document":
            documents.append(child)
        elif child_name == "AppHdr":
            if not (_namespace(child.tag) or "").startswith(_HEADER_PREFIX):
                errors.append((f"{wrapper}/AppHdr", "must be in a head.001 namespace"))
        else:
            errors.append((f"{wrapper}/{child_name}", "is not allowed in the envelope"))
    if len(documents) != 1:
        errors.append((wrapper, "the envelope must hold exactly one ISO 20022 Document"))
    if errors:
        raise Iso20022Error(errors)
    return documents[0]


def _identify(ns: str | None) -> tuple[str, int]:
    match = _DOCUMENT_NS.fullmatch(ns or "")
    if match is None:
        raise Iso20022Error.at(
            "/Document",
            "the namespace must be urn:iso:std:iso:20022:tech:xsd:<message>.001.<version>"
            if ns
            else "has no namespace; ISO 20022 documents are namespaced",
        )
    return match.group(1), int(match.group(2))


def parse_document(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> XmlDocument:
    _check_size(data, max_bytes)
    element = _document_element(_parse(data))
    ns = _namespace(element.tag)
    message, version = _identify(ns)
    return XmlDocument(message, version, XmlNode("/Document", element, ns))


def expect(doc: XmlDocument, message: str, versions: frozenset[int]) -> None:
    accepted = ", ".join(f"{message}.001.{v:02d}" for v in sorted(versions))
    if doc.message != message:
        raise Iso20022Error.at(
            "/Document",
            f"is a {doc.message}.001.{doc.version:02d} message; expected {message} ({accepted})",
        )
    if doc.version not in versions:
        raise Iso20022Error.at(
            "/Document",
            f"version {doc.message}.001.{doc.version:02d} is not supported; accepted: {accepted}",
        )


def sniff(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, int]:
    """The message and version of the Document, reading no further than its start tag.

    Routing only: the same hardened options, but the full checks (DOCTYPE, envelope) happen
    when the chosen parser reads the whole message.
    """
    _check_size(data, max_bytes)
    events = etree.iterparse(io.BytesIO(bytes(data)), events=("start",), **_PARSER_OPTIONS)
    namespace: str | None = None
    doctype = ""
    try:
        for _, element in events:
            if _local(element.tag) == "Document":
                namespace = _namespace(element.tag) or ""
                doctype = element.getroottree().docinfo.doctype
                break
    except etree.XMLSyntaxError as exc:
        raise Iso20022Error.at("/", f"not well-formed XML: {exc.msg}") from None
    except (etree.LxmlError, ValueError) as exc:
        raise Iso20022Error.at("/", f"not readable as XML: {type(exc).__name__}") from None
    if namespace is None:
        raise Iso20022Error.at("/", "no ISO 20022 Document element found")
    if doctype:
        raise Iso20022Error.at("/", "a DOCTYPE is not allowed in an ISO 20022 message")
    return _identify(namespace or None)
