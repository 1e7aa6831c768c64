"""Decode what applicants upload into the one pixel shape the face code works on.

Every photo becomes an upright 8-bit RGB array: EXIF orientation applied (phones store
portrait selfies sideways and set a flag), transparency flattened onto white (a cut-out
PNG portrait must not turn into a black silhouette), greyscale, palette, CMYK and 16-bit
input brought to 8-bit RGB. Large photos are decoded at reduced size where the format
allows it (JPEG's DCT scaling) because nothing downstream needs more than
``max_side`` pixels, and the scale is kept so boxes can be reported in the uploaded
photo's own coordinates.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from aegis.errors import PayloadTooLarge, UnsupportedMediaType

RGB = NDArray[np.uint8]
# What callers may hand over: encoded bytes, a file path, a Pillow image, or pixels
# (arrays are RGB or RGBA, never OpenCV's BGR; any integer or float depth).
ImageSource = Union[bytes, bytearray, memoryview, str, Path, Image.Image, NDArray[np.generic]]  # noqa: UP007

# Past this many pixels a file is a decompression bomb, not a selfie (a 50 MP phone
# photo still fits).
MAX_PIXELS = 80_000_000
DEFAULT_MAX_SIDE = 1600
# Large JPEGs are decoded at a power-of-two reduction that still keeps this long side.
DECODE_MIN_SIDE = 900


class UnreadableImage(UnsupportedMediaType):
    title = "Not a readable image"


class ImageTooLarge(PayloadTooLarge):
    title = "Image has too many pixels"


@dataclass(frozen=True, slots=True, kw_only=True)
class Picture:
    """Upright RGB pixels plus how they relate to the uploaded image."""

    pixels: RGB
    # pixels are the original (after EXIF rotation) times ``scale`` (<= 1).
    scale: float
    original_width: int
    original_height: int

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def load_picture(source: ImageSource, *, max_side: int = DEFAULT_MAX_SIDE) -> Picture:
    """Decode ``source`` to upright RGB no larger than ``max_side`` on its long side.

    Raises ``UnreadableImage`` for anything that is not a decodable image and
    ``ImageTooLarge`` for pixel counts beyond ``MAX_PIXELS``.
    """
    if isinstance(source, np.ndarray):
        return _fit(to_rgb8(source), max_side)
    if isinstance(source, Image.Image):
        return _from_pil(source, max_side)
    if isinstance(source, (str, Path)):
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise UnreadableImage(f"cannot read {Path(source).name}: {exc.strerror}") from exc
        return _decode(data, max_side)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _decode(bytes(source), max_side)
    raise UnreadableImage(f"unsupported image source type {type(source).__name__}")


def load_rgb(source: ImageSource, *, max_side: int = DEFAULT_MAX_SIDE) -> RGB:
    return load_picture(source, max_side=max_side).pixels


def _decode(data: bytes, max_side: int) -> Picture:
    if not data:
        raise UnreadableImage("empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            return _from_pil(image, max_side)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageTooLarge("image has too many pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # Pillow reports truncated and corrupt files through all of these.
        raise UnreadableImage("not a readable image") from exc


def _from_pil(image: Image.Image, max_side: int) -> Picture:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise UnreadableImage("image has no pixels")
    if width * height > MAX_PIXELS:
        raise ImageTooLarge(f"{width}x{height} pixels is more than {MAX_PIXELS}")
    orientation = image.getexif().get(0x0112, 1) if hasattr(image, "getexif") else 1
    floor = min(max_side, DECODE_MIN_SIDE)
    if image.format == "JPEG" and max(width, height) > floor:
        # DCT-domain downscale while decoding (1/2, 1/4, 1/8): several times faster on
        # phone photos. The draft never goes below the requested size.
        ratio = floor / max(width, height)
        image.draft("RGB", (max(1, int(width * ratio)), max(1, int(height * ratio))))
    image.load()
    decoded_w, decoded_h = image.size
    upright = ImageOps.exif_transpose(image) if orientation in range(2, 9) else image
    pixels = _pil_to_rgb8(upright)
    # Original size as the applicant sees it: rotated by EXIF like the pixels.
    if orientation in (5, 6, 7, 8):
        width, height = height, width
        decoded_w, decoded_h = decoded_h, decoded_w
    picture = _fit(pixels, max_side)
    return Picture(
        pixels=picture.pixels,
        scale=picture.scale * decoded_w / width if width else 1.0,
        original_width=width,
        original_height=height,
    )


def _pil_to_rgb8(image: Image.Image) -> RGB:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return to_rgb8(np.asarray(image))
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode in ("LA", "PA", "La", "RGBa"):
        image = image.convert("RGBA")
    elif mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, 1
    return to_rgb8(np.asarray(image))


def to_rgb8(array: NDArray[np.generic]) -> RGB:
    """Any HxW, HxWx1, HxWx3 (RGB) or HxWx4 (RGBA) array as contiguous uint8 RGB."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise UnreadableImage(f"unsupported pixel array shape {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise UnreadableImage("image has no pixels")
    if array.shape[0] * array.shape[1] > MAX_PIXELS:
        raise ImageTooLarge(f"{array.shape[1]}x{array.shape[0]} pixels is too many")
    eight = _to_uint8(array)
    if eight.ndim == 2:
        eight = np.repeat(eight[:, :, None], 3, axis=2)
    elif eight.shape[2] == 4:
        eight = _flatten_alpha(eight)
    return np.ascontiguousarray(eight)


def _to_uint8(array: NDArray[np.generic]) -> NDArray[np.uint8]:
    if array.dtype == np.uint8:
        return array.astype(np.uint8, copy=False)
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.floating):
        values = np.nan_to_num(array.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        # Floats in [0, 1] are the usual convention; anything else is stretched.
        top = float(values.max(initial=0.0))
        low = float(values.min(initial=0.0))
        if low >= 0.0 and top <= 1.0:
            return np.round(values * 255.0).astype(np.uint8)
        span = top - low or 1.0
        return np.round((values - low) * (255.0 / span)).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        ints: NDArray[np.int64] = array.astype(np.int64)
        top = int(ints.max(initial=0))
        low = int(ints.min(initial=0))
        if low >= 0 and top <= 255:
            return ints.astype(np.uint8)
        # 16-bit sensor or PNG data (also stored in Pillow's 32-bit "I" mode).
        if low >= 0 and top <= 65535:
            return (ints >> 8).astype(np.uint8) if top > 4095 else _stretch(ints, top)
        return _stretch(ints - low, top - low)
    raise UnreadableImage(f"unsupported pixel type {array.dtype}")


def _stretch(values: NDArray[np.int64], top: int) -> NDArray[np.uint8]:
    # 10/12-bit data in 16-bit containers would be almost black if shifted by 8.
    out: NDArray[np.uint8] = (values * 255 // max(top, 1)).astype(np.uint8)
    return out


def _flatten_alpha(rgba: NDArray[np.uint8]) -> NDArray[np.uint8]:
    alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0
    rgb = rgba[:, :, :3].astype(np.float32)
    flat: NDArray[np.float32] = rgb * alpha + 255.0 * (1.0 - alpha)
    return np.round(flat).astype(np.uint8)


def _fit(pixels: RGB, max_side: int) -> Picture:
    height, width = pixels.shape[:2]
    longest = max(width, height)
    if longest <= max_side:
        return Picture(pixels=pixels, scale=1.0, original_width=width, original_height=height)
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    return Picture(
        pixels=np.ascontiguousarray(small),
        scale=size[0] / width,
        original_width=width,
        original_height=height,
    )
