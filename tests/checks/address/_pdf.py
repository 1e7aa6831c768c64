"""A minimal PDF writer for fixtures: pages of Helvetica text, or one embedded JPEG.

Written from the PDF 1.4 reference (objects, a content stream, a cross-reference table),
so the tests need no third-party file and no PDF-writing dependency.
"""

from __future__ import annotations

_PAGE_W, _PAGE_H = 595, 842  # A4 in points


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")  # Helvetica's WinAnsiEncoding
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _stream(content: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(content), extra) + content + b"\nendstream"


def _assemble(objects: list[bytes]) -> bytes:
    """Objects numbered from 1 in order; object 1 must be the catalog."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _pages(contents: list[bytes], resources: bytes) -> bytes:
    # 1 catalog, 2 pages, then per page: the page and its content stream.
    first = 3
    kids = b" ".join(b"%d 0 R" % (first + 2 * i) for i in range(len(contents)))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(contents)))
    for i, content in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources %s /Contents %d 0 R >>"
            % (_PAGE_W, _PAGE_H, resources, first + 2 * i + 1)
        )
        objects.append(_stream(content))
    return _assemble(objects)


def text_pdf(pages: list[list[str]], *, size: int = 11) -> bytes:
    """One page per list of lines, set in Helvetica from the top left."""
    font = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
    font += b"/Encoding /WinAnsiEncoding >> >> >>"
    contents = []
    for lines in pages:
        ops = [b"BT /F1 %d Tf %d TL 56 %d Td" % (size, round(size * 1.5), _PAGE_H - 64)]
        ops += [b"(%s) Tj T*" % _escape(line) for line in lines]
        ops.append(b"ET")
        contents.append(b"\n".join(ops))
    return _pages(contents, font)


def drawing_pdf() -> bytes:
    """A page with a rectangle and no text: what a vector-only or flattened page looks like."""
    return _pages([b"0.5 g 56 600 480 120 re f"], b"<< >>")


def image_pdf(jpeg: bytes, width: int, height: int) -> bytes:
    """One page filled by a JPEG (DCTDecode), as a scanner app writes it."""
    image = _stream(
        jpeg,
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /DCTDecode " % (width, height),
    )
    draw = b"q %d 0 0 %d 0 0 cm /Im1 Do Q" % (_PAGE_W, _PAGE_H)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
        b"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>" % (_PAGE_W, _PAGE_H),
        _stream(draw),
        image,
    ]
    return _assemble(objects)
