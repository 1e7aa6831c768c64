"""Upload processing for identity documents and selfies: pure, no database, no HTTP.

:func:`process_upload` takes the raw bytes of an upload and returns a :class:`ProcessedUpload`
whose ``content`` is safe to store and show, or raises one :class:`UploadRejected` per bad case:

    UploadRejected (AegisError)
    ├── UploadEmpty                 422 upload-empty
    ├── UploadTooLarge              413 upload-too-large
    ├── UploadTypeUnsupported       415 upload-type-unsupported
    ├── UploadKindMismatch          422 upload-kind-mismatch
    ├── UploadCorrupt               422 upload-corrupt
    ├── UploadDimensions            422 upload-dimensions
    ├── UploadBomb                  422 upload-bomb
    ├── UploadAnimated              422 upload-animated
    ├── UploadTooSmall              422 upload-too-small
    ├── UploadPdfActiveContent      422 upload-pdf-active-content
    ├── UploadPdfEncrypted          422 upload-pdf-encrypted
    └── UploadPdfTooManyPages       422 upload-pdf-too-many-pages

Choices worth knowing:

- The type is sniffed from magic bytes; the declared type is never trusted. When the two
  disagree the sniffed type wins and ``declared_type_mismatch`` is set (browsers and phones
  mislabel files all the time; the flag is a weak tampering signal, not a reason to reject).
- Images are decoded and re-encoded (JPEG quality 92, PNG lossless, WebP lossless when the
  original was lossless, else quality 92). Only pixels survive, so metadata and anything
  appended to the file (a JPEG+ZIP polyglot) are gone. The ICC profile is kept when it is
  well-formed and matches the pixels' colour space, because dropping it changes colours.
- EXIF orientation is applied to the pixels and the EXIF block is then dropped whole, rather
  than keeping the Orientation tag: the stored pixels are then upright for every consumer
  (OCR, face matching, the console, browsers that ignore EXIF) and no EXIF survives at all.
- Decompression bombs are stopped from the header alone: ``Image.open`` is lazy, so the
  declared size is checked against :class:`UploadLimits` before any pixel is decoded. We never
  touch ``Image.MAX_IMAGE_PIXELS`` (process-global, so not thread-safe to change); Pillow's own
  guard (89 MP warning, 179 MP error) stays as a backstop and is reported as ``upload-bomb``.
- Multi-frame images are rejected (``upload-animated``) for every kind, except a camera's MPO
  JPEG, whose extra frames are previews or depth maps: its primary image is kept.
- PDFs are not rewritten (there is no PDF library); they are inspected by :mod:`.formats` and
  trimmed after their last ``%%EOF``. Images embedded in a PDF keep their metadata.
- Signals for a later tampering check are read before stripping and hold no PII: the
  software name, whether EXIF/GPS existed (never the coordinates), the original size.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, Final

from PIL import ExifTags, Image, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from aegis.errors import AegisError
from aegis.kyc.documents.formats import (
    MediaType,
    PdfInflateLimitExceeded,
    PdfStructureError,
    declared_mismatch,
    describe_unsupported,
    inspect_pdf,
    sniff_media_type,
    webp_is_lossless,
)

# Registering the three plugins explicitly keeps Image.open from importing every other one.
_PLUGINS = (JpegImagePlugin, PngImagePlugin, WebPImagePlugin)

MIB: Final = 1024 * 1024


class DocumentKind(StrEnum):
    PASSPORT = "passport"
    ID_CARD_FRONT = "id_card_front"
    ID_CARD_BACK = "id_card_back"
    DRIVER_LICENCE = "driver_licence"
    RESIDENCE_PERMIT = "residence_permit"
    SELFIE = "selfie"
    SELFIE_WITH_DOCUMENT = "selfie_with_document"
    PROOF_OF_ADDRESS = "proof_of_address"
    BANK_STATEMENT = "bank_statement"
    OTHER = "other"

    @property
    def is_selfie(self) -> bool:
        return self in _SELFIE_KINDS

    @property
    def accepts_pdf(self) -> bool:
        """Papers may be PDFs; identity documents and selfies must be photos."""
        return self in _PDF_KINDS


_SELFIE_KINDS: Final = frozenset({DocumentKind.SELFIE, DocumentKind.SELFIE_WITH_DOCUMENT})
_PDF_KINDS: Final = frozenset(
    {DocumentKind.PROOF_OF_ADDRESS, DocumentKind.BANK_STATEMENT, DocumentKind.OTHER}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadLimits:
    max_bytes: int = 15 * MIB
    max_pdf_bytes: int = 10 * MIB
    max_pixels: int = 40_000_000
    max_side: int = 12_000
    min_side: int = 300  # documents: both sides at least this many pixels
    min_side_selfie: int = 200
    max_pdf_pages: int = 50
    max_pdf_inflated_bytes: int = 64 * MIB  # budget for inspecting compressed PDF objects

    def __post_init__(self) -> None:
        for name in (
            "max_bytes",
            "max_pdf_bytes",
            "max_pixels",
            "max_side",
            "max_pdf_pages",
            "max_pdf_inflated_bytes",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if (
            not 0 <= self.min_side <= self.max_side
            or not 0 <= self.min_side_selfie <= self.max_side
        ):
            raise ValueError("minimum sides must be between 0 and max_side")

    def min_side_for(self, kind: DocumentKind) -> int:
        return self.min_side_selfie if kind.is_selfie else self.min_side


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadSignals:
    """What the original file said about itself, for a later tampering check. No PII."""

    software: str | None = None  # EXIF Software, XMP CreatorTool, PNG Software or PDF /Creator
    producer: str | None = None  # PDF /Producer
    had_exif: bool = False
    had_gps: bool = False  # only whether coordinates existed, never the coordinates
    original_width: int | None = None
    original_height: int | None = None
    orientation_applied: int = 1  # the EXIF orientation (1-8) baked into the pixels
    metadata_removed: tuple[str, ...] = ()  # e.g. ("comment", "exif", "xmp")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessedUpload:
    content: bytes = field(repr=False)  # cleaned bytes, safe to store and serve
    media_type: MediaType
    kind: DocumentKind
    width: int | None  # after orientation; None for PDFs
    height: int | None
    sha256: str  # hex digest of ``content``
    original_sha256: str  # hex digest of the bytes as uploaded
    size: int  # len(content)
    original_size: int
    signals: UploadSignals
    declared_type_mismatch: bool
    page_count: int | None = None  # PDFs only


# ---------------------------------------------------------------------------------------------
# Errors


class UploadRejected(AegisError):
    """Base of every upload rejection; ``code`` is stable and ``status`` is the HTTP hint."""

    status: ClassVar[int] = 422
    slug: ClassVar[str] = "upload-rejected"
    title: ClassVar[str] = "The upload was rejected"

    @property
    def code(self) -> str:
        return self.slug


class UploadEmpty(UploadRejected):
    slug = "upload-empty"
    title = "The uploaded file is empty"


class UploadTooLarge(UploadRejected):
    status = 413
    slug = "upload-too-large"
    title = "The uploaded file is too large"


class UploadTypeUnsupported(UploadRejected):
    status = 415
    slug = "upload-type-unsupported"
    title = "Only JPEG, PNG, WebP and PDF files are accepted"


class UploadKindMismatch(UploadRejected):
    slug = "upload-kind-mismatch"
    title = "This file type is not accepted for this kind of document"


class UploadCorrupt(UploadRejected):
    slug = "upload-corrupt"
    title = "The file is damaged or cannot be read"


class UploadDimensions(UploadRejected):
    slug = "upload-dimensions"
    title = "The image has too many pixels"


class UploadBomb(UploadRejected):
    slug = "upload-bomb"
    title = "The file expands far beyond its size (decompression bomb)"


class UploadAnimated(UploadRejected):
    slug = "upload-animated"
    title = "Animated or multi-frame images are not accepted"


class UploadTooSmall(UploadRejected):
    slug = "upload-too-small"
    title = "The image is too small to be checked"


class UploadPdfActiveContent(UploadRejected):
    slug = "upload-pdf-active-content"
    title = "The PDF contains scripts, actions or attachments"


class UploadPdfEncrypted(UploadRejected):
    slug = "upload-pdf-encrypted"
    title = "The PDF is encrypted or password-protected"


class UploadPdfTooManyPages(UploadRejected):
    slug = "upload-pdf-too-many-pages"
    title = "The PDF has too many pages"


UPLOAD_ERRORS: Final[tuple[type[UploadRejected], ...]] = (
    UploadEmpty,
    UploadTooLarge,
    UploadTypeUnsupported,
    UploadKindMismatch,
    UploadCorrupt,
    UploadDimensions,
    UploadBomb,
    UploadAnimated,
    UploadTooSmall,
    UploadPdfActiveContent,
    UploadPdfEncrypted,
    UploadPdfTooManyPages,
)
"""Every rejection, for an endpoint's ``responses=errors.responses(*UPLOAD_ERRORS)``."""


# ---------------------------------------------------------------------------------------------
# Entry point


def process_upload(
    data: bytes, *, declared_type: str | None, kind: DocumentKind, limits: UploadLimits
) -> ProcessedUpload:
    """Validate and clean one uploaded file; raise an :class:`UploadRejected` subclass."""
    if not data:
        raise UploadEmpty()
    if len(data) > limits.max_bytes:
        raise UploadTooLarge(_too_large(len(data), limits.max_bytes))
    media = sniff_media_type(data)
    if media is None:
        name = describe_unsupported(data)
        raise UploadTypeUnsupported(
            f"{name} files are not accepted; upload a JPEG, PNG, WebP or PDF file."
            if name
            else "The file is not a JPEG, PNG, WebP or PDF file (judged by its content)."
        )
    mismatch = declared_mismatch(declared_type, media)
    if media is MediaType.PDF:
        return _process_pdf(data, kind=kind, limits=limits, mismatch=mismatch)
    cleaned = _clean_image(data, media=media, kind=kind, limits=limits)
    return ProcessedUpload(
        content=cleaned.content,
        media_type=media,
        kind=kind,
        width=cleaned.width,
        height=cleaned.height,
        sha256=hashlib.sha256(cleaned.content).hexdigest(),
        original_sha256=hashlib.sha256(data).hexdigest(),
        size=len(cleaned.content),
        original_size=len(data),
        signals=cleaned.signals,
        declared_type_mismatch=mismatch,
    )


def _too_large(size: int, limit: int) -> str:
    return f"The file is {size / MIB:.1f} MiB; the limit is {limit / MIB:.1f} MiB."


def _process_pdf(
    data: bytes, *, kind: DocumentKind, limits: UploadLimits, mismatch: bool
) -> ProcessedUpload:
    if not kind.accepts_pdf:
        raise UploadKindMismatch(
            f"A {kind.value.replace('_', ' ')} must be a JPEG, PNG or WebP photo."
        )
    if len(data) > limits.max_pdf_bytes:
        raise UploadTooLarge(_too_large(len(data), limits.max_pdf_bytes))
    try:
        report = inspect_pdf(data, max_inflated=limits.max_pdf_inflated_bytes)
    except PdfInflateLimitExceeded:
        raise UploadBomb("The PDF's compressed objects expand beyond the allowed size.") from None
    except PdfStructureError as exc:
        raise UploadCorrupt(f"The PDF is malformed: {exc}.") from None
    if report.encrypted:
        raise UploadPdfEncrypted("Remove the password or encryption and upload the PDF again.")
    if report.active_content:
        found = ", ".join("/" + name for name in report.active_content)
        raise UploadPdfActiveContent(f"The PDF contains {found}; upload a plain PDF.")
    if report.uninspectable:
        raise UploadPdfActiveContent("The PDF holds compressed objects that cannot be inspected.")
    if report.page_count == 0:
        raise UploadCorrupt("The PDF has no pages.")
    if report.page_count > limits.max_pdf_pages:
        raise UploadPdfTooManyPages(
            f"The PDF has {report.page_count} pages; the limit is {limits.max_pdf_pages}."
        )
    content = report.content
    return ProcessedUpload(
        content=content,
        media_type=MediaType.PDF,
        kind=kind,
        width=None,
        height=None,
        sha256=hashlib.sha256(content).hexdigest(),
        original_sha256=hashlib.sha256(data).hexdigest(),
        size=len(content),
        original_size=len(data),
        signals=UploadSignals(
            software=clean_text(report.creator),
            producer=clean_text(report.producer),
            metadata_removed=("trailing_data",) if len(content) < len(data) else (),
        ),
        declared_type_mismatch=mismatch,
        page_count=report.page_count,
    )


_MAX_TEXT: Final = 120


def clean_text(value: object) -> str | None:
    """A metadata string made safe to store and show: printable, trimmed, bounded."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    text = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    return text[:_MAX_TEXT] or None


# ---------------------------------------------------------------------------------------------
# Images

_PIL_FORMATS: Final = {
    MediaType.JPEG: ("JPEG",),
    MediaType.PNG: ("PNG",),
    MediaType.WEBP: ("WEBP",),
}
# An image over the pixel limit that also holds fewer bytes than one per this many pixels is no
# honest photo or scan (those stay under ~10 pixels a byte): it is a bomb, not just too big.
_BOMB_PIXELS_PER_BYTE: Final = 100
_MAX_ICC: Final = 1 * MIB
_JPEG_QUALITY: Final = 92
_WEBP_QUALITY: Final = 92
_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_GPS_POSITION_TAGS: Final = frozenset({1, 2, 3, 4})  # latitude and longitude, with their refs
# Modes each encoder writes as they are; anything else becomes RGB, or RGBA when transparent.
_KEEP_MODES: Final = {
    MediaType.JPEG: frozenset({"L", "RGB", "CMYK"}),
    MediaType.PNG: frozenset({"1", "L", "LA", "I", "I;16", "RGB", "RGBA"}),
    MediaType.WEBP: frozenset({"RGB", "RGBA"}),
}
_ICC_SPACES: Final = {
    "1": b"GRAY",
    "L": b"GRAY",
    "LA": b"GRAY",
    "I": b"GRAY",
    "I;16": b"GRAY",
    "RGB": b"RGB ",
    "RGBA": b"RGB ",
    "CMYK": b"CMYK",
}
_XMP_CREATOR_TOOL = re.compile(r"CreatorTool(?:=\"([^\"<]{0,500})\"|>([^<]{0,500})<)")


@dataclass(frozen=True, slots=True)
class _CleanImage:
    content: bytes
    width: int
    height: int
    signals: UploadSignals


def _clean_image(
    data: bytes, *, media: MediaType, kind: DocumentKind, limits: UploadLimits
) -> _CleanImage:
    img = _open(data, media)
    try:
        # Everything up to load() reads the header only: no pixel is decoded yet.
        width, height = img.size
        _check_extent(width, height, len(data), limits)
        frames = int(getattr(img, "n_frames", 1))
        if frames > 1 and img.format != "MPO":
            raise UploadAnimated("Upload a single still photo.")
        needed = limits.min_side_for(kind)
        if min(width, height) < needed:
            raise UploadTooSmall(
                f"The image is {width}x{height} pixels; at least {needed} pixels are needed on "
                "each side."
            )
        _decode(img)
        signals, orientation = _read_metadata(img, width=width, height=height)
        icc = _usable_icc(img.info.get("icc_profile"))
        try:
            method = _TRANSPOSE.get(orientation)
            pixels = img.transpose(method) if method is not None else img.copy()
            pixels = _normalise_mode(pixels, media)
            pixels.info = {}  # every piece of metadata goes, whatever the encoder would copy
            if icc is not None and icc[16:20] != _ICC_SPACES.get(pixels.mode):
                icc = None
            content = _encode(pixels, media, icc=icc, lossless=webp_is_lossless(data))
        except UploadRejected:
            raise
        except Exception:
            raise UploadCorrupt("The image cannot be re-encoded.") from None
        removed = set(signals.metadata_removed)
        if "icc_profile" in img.info and icc is None:
            removed.add("icc_profile")
        if frames > 1:
            removed.add("extra_images")
        return _CleanImage(
            content=content,
            width=pixels.width,
            height=pixels.height,
            signals=UploadSignals(
                software=signals.software,
                had_exif=signals.had_exif,
                had_gps=signals.had_gps,
                original_width=width,
                original_height=height,
                orientation_applied=orientation,
                metadata_removed=tuple(sorted(removed)),
            ),
        )
    finally:
        img.close()


def _open(data: bytes, media: MediaType) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=_PIL_FORMATS[media])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadBomb("The image declares more pixels than can be decoded safely.") from None
    except Exception:
        raise UploadCorrupt("The image cannot be read.") from None


def _check_extent(width: int, height: int, size: int, limits: UploadLimits) -> None:
    if width < 1 or height < 1:
        raise UploadCorrupt("The image has no pixels.")
    pixels = width * height
    if pixels > limits.max_pixels and pixels > size * _BOMB_PIXELS_PER_BYTE:
        raise UploadBomb(f"The image declares {width}x{height} pixels in only {size} bytes.")
    if pixels > limits.max_pixels or max(width, height) > limits.max_side:
        raise UploadDimensions(
            f"The image is {width}x{height} pixels; the limits are "
            f"{limits.max_pixels / 1_000_000:g} megapixels and {limits.max_side} pixels a side."
        )


def _decode(img: Image.Image) -> None:
    try:
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadBomb("The image declares more pixels than can be decoded safely.") from None
    except Exception:
        raise UploadCorrupt("The image is damaged or truncated.") from None


def _read_metadata(img: Image.Image, *, width: int, height: int) -> tuple[UploadSignals, int]:
    """Signals from the original's metadata, and the EXIF orientation to apply (1 = none)."""
    info = img.info
    had_exif = bool(info.get("exif")) or "Raw profile type exif" in info
    try:
        exif = img.getexif()  # also reads an XMP tiff:Orientation when EXIF has none
    except Exception:
        exif = Image.Exif()
    orientation = exif.get(ExifTags.Base.Orientation, 1)
    if not isinstance(orientation, int) or orientation not in _TRANSPOSE:
        orientation = 1
    had_gps = False
    if ExifTags.IFD.GPSInfo in exif:
        try:
            had_gps = bool(_GPS_POSITION_TAGS & exif.get_ifd(ExifTags.IFD.GPSInfo).keys())
        except Exception:
            had_gps = True  # a GPS block we cannot read: assume it held a position
    xmp = _as_text(info.get("xmp") or info.get("XML:com.adobe.xmp"))
    software = clean_text(exif.get(ExifTags.Base.Software))
    if software is None and xmp:
        found = _XMP_CREATOR_TOOL.search(xmp)
        if found is not None:
            software = clean_text(html.unescape(found[1] or found[2] or ""))
    if software is None:
        software = clean_text(info.get("Software"))  # PNG tEXt "Software"
    removed = set()
    if had_exif:
        removed.add("exif")
    if xmp:
        removed.add("xmp")
    if "photoshop" in info:
        removed.add("iptc")
    if "comment" in info:
        removed.add("comment")
    if isinstance(img, PngImagePlugin.PngImageFile) and img.text:
        removed.add("text")
    signals = UploadSignals(
        software=software,
        had_exif=had_exif,
        had_gps=had_gps,
        original_width=width,
        original_height=height,
        metadata_removed=tuple(sorted(removed)),
    )
    return signals, orientation


def _as_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def _usable_icc(icc: object) -> bytes | None:
    """The ICC profile when it is structurally valid (size field, ``acsp`` signature)."""
    if not isinstance(icc, bytes) or not 128 <= len(icc) <= _MAX_ICC:
        return None
    if int.from_bytes(icc[:4], "big") != len(icc) or icc[36:40] != b"acsp":
        return None
    return icc


def _normalise_mode(pixels: Image.Image, media: MediaType) -> Image.Image:
    transparent = "transparency" in pixels.info
    if pixels.mode in _KEEP_MODES[media] and not transparent:
        return pixels
    has_alpha = transparent or pixels.mode in ("RGBA", "LA", "PA", "RGBa", "La")
    return pixels.convert("RGBA" if has_alpha and media is not MediaType.JPEG else "RGB")


def _encode(pixels: Image.Image, media: MediaType, *, icc: bytes | None, lossless: bool) -> bytes:
    out = io.BytesIO()
    extra: dict[str, object] = {} if icc is None else {"icc_profile": icc}
    if media is MediaType.JPEG:
        pixels.save(out, "JPEG", quality=_JPEG_QUALITY, **extra)
    elif media is MediaType.PNG:
        pixels.save(out, "PNG", **extra)
    else:
        # method 2 encodes a 28 MP worst case (noise) in ~3 s where the default 4 takes ~15 s,
        # for files within 1% of the size; lossless uses the fastest method for the same reason.
        if not lossless:
            try:
                pixels.save(out, "WEBP", quality=_WEBP_QUALITY, method=2, **extra)
                return out.getvalue()
            except ValueError:  # libwebp gives up on some noisy images (partition overflow)
                out = io.BytesIO()
        pixels.save(out, "WEBP", lossless=True, quality=0, method=0, **extra)
    return out.getvalue()
