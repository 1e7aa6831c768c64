"""Byte-level knowledge of the accepted formats, with no imaging or PDF library.

- Sniffing: which accepted type (JPEG, PNG, WebP, PDF) the bytes really are, from magic bytes,
  and whether the type a client declared disagrees.
- WebP: whether the image chunk is lossless, so re-encoding can stay lossless.
- PDF: Aegis has no PDF library, and a full parser would be attack surface of its own, so
  :func:`inspect_pdf` tokenises just enough of the file to answer five questions: is it
  structurally a PDF (header and ``%%EOF``), does it carry active content (names such as
  ``/JavaScript`` or ``/Launch``), is it encrypted, how many pages does it have, and which
  software produced it.

  It fails closed. Names are decoded (``/J#61vaScript`` is ``/JavaScript``), compressed object
  streams (``/Type /ObjStm``, where PDF 1.5+ files keep most dictionaries) are inflated within a
  budget and scanned too, and an object stream that cannot be decoded is reported as
  ``uninspectable`` rather than waved through. Other stream bodies (page content, images, fonts)
  are skipped: they hold no dictionaries, and scanning their binary data would let random bytes
  such as ``/JS`` raise false alarms. :func:`inspect_pdf` raises nothing but
  :class:`PdfStructureError` and :class:`PdfInflateLimitExceeded`.
"""

from __future__ import annotations

import html
import re
import zlib
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Final


class MediaType(StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"
    PDF = "application/pdf"

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self]


_EXTENSIONS: Final = {
    MediaType.JPEG: ".jpg",
    MediaType.PNG: ".png",
    MediaType.WEBP: ".webp",
    MediaType.PDF: ".pdf",
}


def sniff_media_type(data: bytes) -> MediaType | None:
    """The accepted type ``data`` really is, from its magic bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return MediaType.WEBP
    if data.startswith(b"%PDF-"):
        return MediaType.PDF
    return None


# Recognised only to word the rejection helpfully (an iPhone's HEIC is the common case).
_KNOWN_UNSUPPORTED: Final = (
    (re.compile(rb"GIF8[79]a"), "GIF"),
    (re.compile(rb"....ftyp(?:heic|heix|hevc|heim|heis|mif1|msf1)", re.DOTALL), "HEIC/HEIF"),
    (re.compile(rb"....ftypavi[fs]", re.DOTALL), "AVIF"),
    (re.compile(rb"II\*\x00|MM\x00\*"), "TIFF"),
    (re.compile(rb"BM.{4}\x00\x00\x00\x00", re.DOTALL), "BMP"),
    (re.compile(rb"PK\x03\x04"), "ZIP"),
)

_DECLARED_ALIASES: Final = {
    "image/jpeg": MediaType.JPEG,
    "image/jpg": MediaType.JPEG,
    "image/pjpeg": MediaType.JPEG,
    "image/png": MediaType.PNG,
    "image/x-png": MediaType.PNG,
    "image/webp": MediaType.WEBP,
    "application/pdf": MediaType.PDF,
    "application/x-pdf": MediaType.PDF,
}
# What clients send when they do not know: no claim, so no mismatch.
_UNDECLARED: Final = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def declared_mismatch(declared_type: str | None, media: MediaType) -> bool:
    """Whether a client's declared type names a different type than the sniffed one."""
    if declared_type is None:
        return False
    base = declared_type.split(";", 1)[0].strip().lower()
    if base in _UNDECLARED:
        return False
    return _DECLARED_ALIASES.get(base) is not media


def describe_unsupported(data: bytes) -> str | None:
    """A name for a well-known format we refuse (for a helpful message), or None."""
    for pattern, name in _KNOWN_UNSUPPORTED:
        if pattern.match(data):
            return name
    return None


def webp_is_lossless(data: bytes) -> bool:
    """Whether a WebP's image chunk is VP8L (lossless) rather than VP8 (lossy)."""
    if sniff_media_type(data) is not MediaType.WEBP:
        return False
    pos = 12
    while pos + 8 <= len(data):
        fourcc = data[pos : pos + 4]
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        pos += 8 + size + (size & 1)
    return False


# ---------------------------------------------------------------------------------------------
# PDF

# Names whose presence means the PDF can run code, start programs, carry files or send data.
# ``/OpenAction`` alone is harmless (usually "open at page 1, fit width"); when it runs
# JavaScript the action dictionary holds ``/S /JavaScript`` and ``/JS``, which are listed.
ACTIVE_NAMES: Final = frozenset(
    {
        "JavaScript",
        "JS",
        "Launch",
        "EmbeddedFile",
        "EmbeddedFiles",
        "RichMedia",
        "GoToE",
        "SubmitForm",
        "ImportData",
        "XFA",
    }
)

_HEADER = re.compile(rb"%PDF-[12]\.\d")
_EOF = b"%%EOF"
# ``stream`` followed by an end of line; the look-behind keeps ``endstream`` out.
_STREAM = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_NAME = re.compile(rb"/((?:#[0-9A-Fa-f]{2}|[^\x00\t\n\x0c\r ()<>\[\]{}/%])*)")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_LENGTH = re.compile(rb"/Length\s+(\d{1,12})(?:\s+(\d{1,6})\s+R)?")
_FILTER = re.compile(
    rb"/Filter\s*(\[[^\]]*\]|/(?:#[0-9A-Fa-f]{2}|[^\x00\t\n\x0c\r ()<>\[\]{}/%])*)"
)
_INT_OBJECT = re.compile(rb"(?<![0-9])(\d{1,12})\s+(\d{1,6})\s+obj\s*(\d{1,12})\s*endobj")
_XMP_CREATOR_TOOL = re.compile(rb"CreatorTool(?:=\"([^\"<]{0,500})\"|>([^<]{0,500})<)")
_STREAM_DICT_WINDOW: Final = 8192
_STRING_LIMIT: Final = 1024


class PdfStructureError(ValueError):
    """The bytes are not a well-formed enough PDF to inspect."""


class PdfInflateLimitExceeded(ValueError):
    """Compressed object streams inflate beyond the budget: treat as a decompression bomb."""


@dataclass(frozen=True, slots=True)
class PdfReport:
    content: bytes  # the PDF trimmed after its last %%EOF: anything appended is dropped
    page_count: int  # best effort: ``/Type /Page`` dictionaries seen, incremental updates included
    active_content: tuple[str, ...]  # sorted active names found, e.g. ("JS", "JavaScript")
    encrypted: bool
    uninspectable: bool  # an object stream used a filter or predictor we cannot undo
    creator: str | None  # /Creator, else XMP CreatorTool: the authoring application
    producer: str | None  # /Producer: the library that wrote the PDF


def inspect_pdf(data: bytes, *, max_inflated: int) -> PdfReport:
    """Inspect ``data``; ``max_inflated`` bounds the bytes inflated from object streams."""
    if _HEADER.match(data) is None:
        raise PdfStructureError("missing %PDF- header")
    content = _trim_after_eof(data)
    text_parts, streams = _split_streams(content)
    uninspectable = False
    budget = max_inflated
    for dict_text, body in streams:
        dict_names = set(_names(dict_text))
        if "ObjStm" not in dict_names:
            continue
        filters = _filters(dict_text)
        if not filters:
            text_parts.append(body)
        elif filters == ["FlateDecode"] and "Predictor" not in dict_names:
            inflated = _inflate(body, budget)
            budget -= len(inflated)
            text_parts.append(inflated)
        else:
            uninspectable = True
    text = b"\n".join(text_parts)
    names = _names(text)
    name_set = set(names)
    page_count = sum(1 for a, b in pairwise(names) if a == "Type" and b == "Page")
    creator = _string_value(text, b"Creator") or _xmp_creator_tool(content)
    return PdfReport(
        content=content,
        page_count=page_count,
        active_content=tuple(sorted(name_set & ACTIVE_NAMES)),
        encrypted="Encrypt" in name_set,
        uninspectable=uninspectable,
        creator=creator,
        producer=_string_value(text, b"Producer"),
    )


def _trim_after_eof(data: bytes) -> bytes:
    """Cut everything after the last ``%%EOF`` (and its end of line).

    Readers ignore bytes after it, so they can only be a hidden payload (a PDF+ZIP polyglot)."""
    end = data.rfind(_EOF)
    if end < 0:
        raise PdfStructureError("missing %%EOF trailer")
    end += len(_EOF)
    for eol in (b"\r\n", b"\n", b"\r"):
        if data.startswith(eol, end):
            end += len(eol)
            break
    return data[:end]


def _split_streams(data: bytes) -> tuple[list[bytes], list[tuple[bytes, bytes]]]:
    """Split ``data`` into the text between streams and ``(dictionary, body)`` per stream.

    A stream's extent is its ``/Length`` when that is known (direct, or an indirect integer
    object), exactly as a reader computes it, so no object can hide inside what we skip as
    stream data; otherwise it runs to the next ``endstream``."""
    text_parts: list[bytes] = []
    streams: list[tuple[bytes, bytes]] = []
    int_objects: dict[tuple[int, int], int] | None = None
    pos = 0
    while (match := _STREAM.search(data, pos)) is not None:
        text_parts.append(data[pos : match.start()])
        window = data[max(pos, match.start() - _STREAM_DICT_WINDOW) : match.start()]
        obj_at = window.rfind(b"obj")
        dict_text = window if obj_at < 0 else window[obj_at + 3 :]
        start = match.end()
        length: int | None = None
        if (found := _LENGTH.search(dict_text)) is not None:
            if found[2] is None:
                length = int(found[1])
            else:
                if int_objects is None:
                    int_objects = {
                        (int(m[1]), int(m[2])): int(m[3]) for m in _INT_OBJECT.finditer(data)
                    }
                length = int_objects.get((int(found[1]), int(found[2])))
        if length is not None and start + length <= len(data):
            end = start + length
        else:
            end = data.find(b"endstream", start)
            if end < 0:
                raise PdfStructureError("unterminated stream")
        streams.append((dict_text, data[start:end]))
        pos = end
    text_parts.append(data[pos:])
    return text_parts, streams


def _decode_name(raw: bytes) -> str:
    return _HEX_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), raw).decode("latin-1")


def _names(text: bytes) -> list[str]:
    return [_decode_name(m[1]) for m in _NAME.finditer(text)]


def _filters(dict_text: bytes) -> list[str]:
    found = _FILTER.search(dict_text)
    return [] if found is None else _names(found[1])


def _inflate(body: bytes, budget: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(body, budget + 1)
    except zlib.error as exc:
        raise PdfStructureError("object stream does not inflate") from exc
    if len(out) > budget or inflater.unconsumed_tail:
        raise PdfInflateLimitExceeded("object streams inflate beyond the budget")
    return out


def _string_value(text: bytes, key: bytes) -> str | None:
    """The string value of ``/key`` in the first dictionary that has one, decoded."""
    found = re.search(rb"/" + key + rb"\s*(\((?!\))|<(?!<))", text)
    if found is None:
        return None
    if found[1] == b"(":
        raw = _literal_string(text, found.end())
    else:
        close = text.find(b">", found.end(), found.end() + _STRING_LIMIT)
        digits = re.sub(rb"[^0-9A-Fa-f]", b"", text[found.end() : close if close >= 0 else None])
        if len(digits) % 2:
            digits += b"0"
        raw = bytes.fromhex(digits[: 2 * _STRING_LIMIT].decode("ascii"))
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", "replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "replace")
    return raw.decode("latin-1")


_ESCAPES: Final = {
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
    ord("b"): b"\b",
    ord("f"): b"\f",
    ord("("): b"(",
    ord(")"): b")",
    ord("\\"): b"\\",
}


def _literal_string(text: bytes, i: int) -> bytes:
    """Decode a literal string starting just after its ``(``; bounded, balanced parentheses."""
    out = bytearray()
    depth = 1
    end = min(len(text), i + _STRING_LIMIT)
    while i < end:
        c = text[i]
        if c == 0x5C and i + 1 < len(text):  # backslash
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                i += 2
                continue
            octal = re.match(rb"[0-7]{1,3}", text[i + 1 : i + 4])
            if octal is not None:
                out.append(int(octal[0], 8) & 0xFF)
                i += 1 + len(octal[0])
                continue
            i += 2  # line continuation or unknown escape: the backslash is dropped
            if nxt not in b"\r\n":
                out.append(nxt)
            continue
        if c == 0x28:  # (
            depth += 1
        elif c == 0x29:  # )
            depth -= 1
            if depth == 0:
                break
        out.append(c)
        i += 1
    return bytes(out)


def _xmp_creator_tool(data: bytes) -> str | None:
    found = _XMP_CREATOR_TOOL.search(data)
    if found is None:
        return None
    return html.unescape((found[1] or found[2] or b"").decode("utf-8", "replace"))
