"""From an uploaded file to text: a PDF's text layer, or Tesseract OCR of an image.

This is the only part of proof of address that does I/O (it runs Tesseract), and the only
part that touches untrusted bytes, so every failure becomes data: a ``PoaText`` whose
``unreadable`` names the reason (``pdf_encrypted``, ``image_too_large``...), never an
exception. The format is decided by the bytes' signature, not the declared media type:
browsers label files wrongly, and an attacker labels them as they like.

PDFs: the first few pages' text layer is read with pypdf, whose own limits cap every
decompressed stream (75 MB). A PDF without a text layer (a scan) has its first page's
largest embedded image OCR'd when there is one; nothing is rasterised, so a page drawn
with vector paths only stays unreadable. A PDF that needs a password is refused; one that
is merely locked against editing (an owner password, common on bank statements) opens with
the empty user password, as in any viewer, unless ``open_owner_locked_pdf`` is off.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytesseract
from PIL import Image, ImageOps
from pypdf import PasswordType, PdfReader
from pypdf.constants import ImageAttributes
from pypdf.generic import DictionaryObject

from aegis.checks.address.imaging import (
    ImageLimits,
    Pixels,
    binarise,
    greyscale,
    open_image,
)
from aegis.checks.address.model import PoaText, TextSource

ACCEPTED_MEDIA_TYPES = frozenset(
    {"application/pdf", "image/jpeg", "image/jpg", "image/png", "image/webp"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoaReadLimits:
    max_bytes: int = 20_000_000
    # A bill has a few pages, a statement a few dozen; thousands is an attack.
    max_pdf_pages: int = 500
    pdf_pages_to_read: int = 3
    max_text_chars: int = 100_000
    # A text layer with fewer letters and digits than this is treated as absent.
    min_pdf_text_chars: int = 20
    open_owner_locked_pdf: bool = True
    image: ImageLimits = field(default_factory=ImageLimits)
    ocr_languages: str = "eng+chi_sim"
    ocr_timeout_seconds: float = 60.0
    # Below this mean confidence the binarised page is read again in greyscale and the
    # better reading kept: Otsu's cut loses thin strokes on blurred, small photos, where
    # Tesseract's own thresholding does better (measured: confidence 73 -> 81 on one).
    ocr_retry_below_confidence: float = 88.0


def sniff(data: bytes) -> str | None:
    """The format the bytes really are: ``pdf``, ``jpeg``, ``png``, ``webp`` or None."""
    # The header may follow some junk; readers (pypdf included) look in the first kilobyte.
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _unreadable(reason: str, source: TextSource = TextSource.NONE, pages: int = 0) -> PoaText:
    return PoaText(text="", source=source, pages_read=pages, unreadable=reason)


def read_poa_text(
    data: bytes, media_type: str, *, limits: PoaReadLimits = PoaReadLimits()
) -> PoaText:
    """The text of an uploaded bill or statement. Blocks for OCR: run it in a worker."""
    kind = sniff(data)
    if kind is None:
        declared = media_type.split(";")[0].strip().lower()
        if declared in ACCEPTED_MEDIA_TYPES:
            return _unreadable("content_not_" + declared.split("/")[-1])
        return PoaText(text="", source=TextSource.NONE, unsupported=True)
    if len(data) > limits.max_bytes:
        return _unreadable("file_too_large")
    if kind == "pdf":
        return _read_pdf(data, limits)
    image = open_image(data, limits.image)
    if isinstance(image, str):
        return _unreadable(image, TextSource.IMAGE_OCR)
    return _ocr(image, limits, TextSource.IMAGE_OCR)


def _tesseract(pixels: Pixels, limits: PoaReadLimits) -> tuple[str, float]:
    data: dict[str, list[Any]] = pytesseract.image_to_data(
        Image.fromarray(pixels),
        lang=limits.ocr_languages,
        config="--psm 3",
        output_type=pytesseract.Output.DICT,
        timeout=limits.ocr_timeout_seconds,
    )
    return _lines_from_tesseract(data)


def _ocr(image: Image.Image, limits: PoaReadLimits, source: TextSource, pages: int = 1) -> PoaText:
    grey = greyscale(image, limits.image)
    try:
        text, confidence = _tesseract(binarise(grey), limits)
        if confidence < limits.ocr_retry_below_confidence:
            retry = _tesseract(grey, limits)
            text, confidence = max((text, confidence), retry, key=lambda r: r[1])
    except pytesseract.TesseractNotFoundError:
        return _unreadable("ocr_unavailable", source, pages)
    except RuntimeError:  # pytesseract's timeout
        return _unreadable("ocr_timeout", source, pages)
    return PoaText(
        text=text[: limits.max_text_chars],
        source=source,
        pages_read=pages,
        ocr_confidence=confidence if text else None,
    )


def _lines_from_tesseract(data: dict[str, list[Any]]) -> tuple[str, float]:
    """Tesseract's words regrouped into its lines, and their mean confidence by length."""
    lines: dict[tuple[int, int, int, int], list[str]] = {}
    weighted, total = 0.0, 0
    for i, word in enumerate(data["text"]):
        word = str(word).strip()
        conf = float(data["conf"][i])
        if not word or conf < 0:
            continue
        key = (data["page_num"][i], data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(word)
        weighted += conf * len(word)
        total += len(word)
    text = "\n".join(" ".join(ws) for _, ws in sorted(lines.items()))
    return text, (weighted / total if total else 0.0)


def _read_pdf(data: bytes, limits: PoaReadLimits) -> PoaText:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and (
            not limits.open_owner_locked_pdf or reader.decrypt("") == PasswordType.NOT_DECRYPTED
        ):
            return _unreadable("pdf_encrypted", TextSource.PDF_TEXT)
        count = len(reader.pages)
        if count == 0:
            return _unreadable("pdf_no_pages", TextSource.PDF_TEXT)
        if count > limits.max_pdf_pages:
            return _unreadable("pdf_too_many_pages", TextSource.PDF_TEXT)
        pages = min(count, limits.pdf_pages_to_read)
        parts: list[str] = []
        size = 0
        for page in reader.pages[:pages]:
            part = page.extract_text() or ""
            parts.append(part)
            size += len(part)
            if size >= limits.max_text_chars:
                break
        text = "\n".join(parts)[: limits.max_text_chars]
        if sum(c.isalnum() for c in text) >= limits.min_pdf_text_chars:
            return PoaText(text=text, source=TextSource.PDF_TEXT, pages_read=pages)
        scan = _largest_image(reader.pages[0], limits)
    except Exception:  # noqa: BLE001 - hostile bytes may fail anywhere in a parser
        return _unreadable("pdf_invalid", TextSource.PDF_TEXT)
    if isinstance(scan, str):
        return _unreadable(scan, TextSource.PDF_TEXT, 1)
    return _ocr(scan, limits, TextSource.PDF_IMAGE_OCR)


def _largest_image(page: Any, limits: PoaReadLimits) -> Image.Image | str:
    """The biggest image drawn on a page, decoded: what a scanner app puts in a PDF.

    Sizes come from the image dictionaries, so nothing too large is ever decoded.
    """
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    if xobjects is None:
        return "pdf_no_text"
    best_name, best_area = None, 0
    for name, ref in xobjects.get_object().items():
        obj = ref.get_object()
        if not isinstance(obj, DictionaryObject) or obj.get("/Subtype") != "/Image":
            continue
        area = int(obj.get(ImageAttributes.WIDTH, 0)) * int(obj.get(ImageAttributes.HEIGHT, 0))
        if area > best_area:
            best_name, best_area = name, area
    if best_name is None:
        return "pdf_no_text"
    if best_area > limits.image.max_pixels:
        return "image_too_large"
    image = page.images[best_name].image
    if image is None:
        return "pdf_no_text"
    return ImageOps.exif_transpose(image)
