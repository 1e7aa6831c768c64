"""Fixtures made on the fly with Pillow and by hand: no binary file is committed."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from typing import Any

from PIL import Image

RED = (255, 0, 0)
WHITE = (255, 255, 255)
CORNER = 40  # side of the red square painted in the top-left corner


def marked_image(width: int = 400, height: int = 300, mode: str = "RGB") -> Image.Image:
    """A white image with a red square in its top-left corner, to see where pixels moved."""
    img = Image.new("RGB", (width, height), WHITE)
    img.paste(RED, (0, 0, CORNER, CORNER))
    return img if mode == "RGB" else img.convert(mode)


def encode(img: Image.Image, fmt: str, **params: Any) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def jpeg(width: int = 400, height: int = 300, **params: Any) -> bytes:
    return encode(marked_image(width, height), "JPEG", quality=95, **params)


def png(width: int = 400, height: int = 300, **params: Any) -> bytes:
    return encode(marked_image(width, height), "PNG", **params)


def webp(width: int = 400, height: int = 300, **params: Any) -> bytes:
    return encode(marked_image(width, height), "WEBP", **params)


def exif(
    *, software: str | None = None, orientation: int | None = None, gps: bool = False
) -> Image.Exif:
    data = Image.Exif()
    if software is not None:
        data[0x0131] = software
    if orientation is not None:
        data[0x0112] = orientation
    if gps:
        data[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    return data


def animated(fmt: str, frames: int = 3, size: tuple[int, int] = (400, 300)) -> bytes:
    images = [Image.new("RGB", size, (40 * i, 0, 0)) for i in range(frames)]
    return encode(images[0], fmt, save_all=True, append_images=images[1:], duration=100)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` 1-bit pixels over a tiny IDAT.

    Decoding it would need width*height/8 bytes; the file itself is under 100 bytes."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64, 9))
        + _png_chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------------------------
# PDFs, written object by object with a correct cross-reference table.


def stream(data: bytes, extra: bytes = b"") -> bytes:
    """A stream object body with a correct direct ``/Length``."""
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


PAGE_OBJECTS: tuple[bytes, ...] = (
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
    stream(b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET"),
)


def pdf(
    objects: Sequence[bytes] = PAGE_OBJECTS,
    *,
    trailer: bytes = b"",
    info: bytes | None = None,
) -> bytes:
    """A PDF 1.7 file of ``objects`` (numbered from 1; object 1 is the catalog)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    bodies = list(objects)
    if info is not None:
        bodies.append(info)
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    info_ref = b" /Info %d 0 R" % len(bodies) if info is not None else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s%s >>\n" % (len(bodies) + 1, info_ref, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def object_stream(objects: Sequence[bytes], *, first_number: int, compress: bool = True) -> bytes:
    """A ``/Type /ObjStm`` stream object holding ``objects`` (numbered from ``first_number``)."""
    header = bytearray()
    body = bytearray()
    for i, obj in enumerate(objects):
        header += b"%d %d " % (first_number + i, len(body))
        body += obj + b"\n"
    data = bytes(header) + bytes(body)
    filters = b""
    if compress:
        data = zlib.compress(data)
        filters = b" /Filter /FlateDecode"
    return (
        b"<< /Type /ObjStm /N %d /First %d /Length %d%s >>\nstream\n"
        % (len(objects), len(header), len(data), filters)
        + data
        + b"\nendstream"
    )


def pillow_pdf(pages: int = 1) -> bytes:
    images = [marked_image(200, 280) for _ in range(pages)]
    return encode(images[0], "PDF", save_all=True, append_images=images[1:])
