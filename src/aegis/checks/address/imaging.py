"""Images for OCR: safe decoding, upright, greyscale, Tesseract's preferred size, level, binary.

Pure functions over bytes and pixels (no Tesseract here), so each step is tested alone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})  # MPO: JPEG from some phones
Pixels = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageLimits:
    max_pixels: int = 40_000_000
    # Tesseract reads best with capital letters about 30 px tall: small images are
    # enlarged towards this long side (at most 3x), huge ones reduced to the max (OCR time
    # grows with the area).
    target_long_side: int = 2400
    max_long_side: int = 4200
    # Photos come a few degrees off; Tesseract copes with about 5, so anything within this
    # range is levelled first.
    max_skew_degrees: float = 10.0


def open_image(data: bytes, limits: ImageLimits = ImageLimits()) -> Image.Image | str:
    """A decoded, upright image, or the reason it cannot be one."""
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in _FORMATS:
            return "image_format_unsupported"
        # Checked on the header, before a single pixel is decoded: a 1 kB PNG can declare
        # a 100 000 x 100 000 canvas.
        if image.width * image.height > limits.max_pixels:
            return "image_too_large"
        image.load()
        # Phones store photos sideways with an orientation tag; Tesseract needs them upright.
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - hostile bytes may fail anywhere in a decoder
        return "image_undecodable"


def greyscale(image: Image.Image, limits: ImageLimits = ImageLimits()) -> Pixels:
    """Grey pixels on white paper, scaled towards ``target_long_side``, levelled."""
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        # Transparent pixels have arbitrary colour underneath; paper is white.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    grey = image.convert("L")
    long_side = max(grey.size)
    if long_side < limits.target_long_side:
        scale = min(3.0, limits.target_long_side / long_side)
    else:
        scale = min(1.0, limits.max_long_side / long_side)
    if scale != 1.0:
        size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
        grey = grey.resize(size, Image.Resampling.LANCZOS)
    pixels: Pixels = np.asarray(grey, dtype=np.uint8)
    angle = estimate_skew(pixels, max_degrees=limits.max_skew_degrees)
    return rotate(pixels, angle) if abs(angle) >= 0.3 else pixels


def binarise(pixels: Pixels) -> Pixels:
    """Otsu's threshold: the ink/paper cut taken from the image's own histogram, which copes
    with the grey paper and faint print of photographed bills better than a fixed one."""
    # A light blur first, or JPEG noise around the letters splits into specks.
    blurred = cv2.GaussianBlur(pixels, (3, 3), 0)
    _, binary = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.asarray(binary, dtype=np.uint8)


def prepare_for_ocr(image: Image.Image, limits: ImageLimits = ImageLimits()) -> Image.Image:
    """Greyscale, scaled, levelled and binarised: what Tesseract is given first."""
    return Image.fromarray(binarise(greyscale(image, limits)))


def rotate(pixels: Pixels, degrees: float) -> Pixels:
    """Turned ``degrees`` anticlockwise about the centre; corners filled with paper white."""
    h, w = pixels.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    turned = cv2.warpAffine(
        pixels, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )  # fmt: skip
    return np.asarray(turned, dtype=np.uint8)


def estimate_skew(pixels: Pixels, *, max_degrees: float = 10.0) -> float:
    """The rotation (degrees, anticlockwise) that levels the text lines.

    Projection profiles: turned the right way, text rows and the gaps between them give
    the row sums of ink their sharpest contrast. Searched coarse then fine on a reduced
    copy, which keeps it to a few tens of milliseconds.
    """
    h, w = pixels.shape
    factor = min(1.0, 1000 / max(h, w))
    small = cv2.resize(pixels, (max(1, round(w * factor)), max(1, round(h * factor))))
    _, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if not ink.any():
        return 0.0
    sh, sw = ink.shape
    centre = (sw / 2, sh / 2)

    def sharpness(degrees: float) -> float:
        matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
        turned = cv2.warpAffine(ink, matrix, (sw, sh), flags=cv2.INTER_NEAREST)
        rows = turned.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(rows)).sum())

    coarse = np.arange(-max_degrees, max_degrees + 1e-9, 1.0)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - 0.9, best + 0.9 + 1e-9, 0.1)
    return round(float(max(fine, key=sharpness)), 1)
