"""Bad copies of a clean synthetic document: what phones, scanners and e-mail do to them.

Each helper takes an RGB ``PIL`` image and a ``random.Random`` and returns a new image, so a
copy is a pure function of the clean image and the seed. :func:`degrade` chains them the way a
real upload arrives: captured (scan or photo on a table), resampled, blurred, noisy, JPEG.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

RGB = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True, kw_only=True)
class DegradeSpec:
    """The ranges a random degraded copy is drawn from."""

    dpi: tuple[int, int] = (100, 150)  # the clean image is drawn at 300 dpi
    rotation_deg: float = 3.0
    blur_sigma: tuple[float, float] = (0.0, 0.9)
    noise_sigma: tuple[float, float] = (0.0, 8.0)
    jpeg_quality: tuple[int, int] = (40, 70)
    photo_probability: float = 0.35


def resample_dpi(image: Image.Image, dpi: float, *, source_dpi: float = 300) -> Image.Image:
    scale = dpi / source_dpi
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR)


def rotate(image: Image.Image, degrees: float, *, fill: tuple[int, int, int]) -> Image.Image:
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def blur(image: Image.Image, sigma: float) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(sigma)) if sigma > 0 else image


def add_noise(image: Image.Image, sigma: float, rng: random.Random) -> Image.Image:
    if sigma <= 0:
        return image
    gen = np.random.default_rng(rng.getrandbits(32))
    arr = np.asarray(image, dtype=np.float32) + gen.normal(
        0.0, sigma, (image.height, image.width, 3)
    )
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as decoded:
        return decoded.convert("RGB")


def _table_texture(width: int, height: int, rng: random.Random) -> RGB:
    """Wood-ish or fabric-ish: low-frequency colour noise with streaks."""
    gen = np.random.default_rng(rng.getrandbits(32))
    base = np.array([rng.randint(60, 200) for _ in range(3)], dtype=np.float32)
    small = gen.normal(0, 25, (max(2, height // 40), max(2, width // 8), 1)).astype(np.float32)
    field = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    streaks = gen.normal(0, 6, (height, width)).astype(np.float32)
    arr = base[None, None, :] + field[:, :, None] + streaks[:, :, None]
    out: RGB = np.clip(arr, 0, 255).astype(np.uint8)
    return out


def photo_on_table(image: Image.Image, rng: random.Random) -> Image.Image:
    """The document pasted with a mild perspective onto a textured background, lit unevenly."""
    src = np.asarray(image.convert("RGB"))
    h, w = src.shape[:2]
    margin_x, margin_y = int(w * rng.uniform(0.08, 0.2)), int(h * rng.uniform(0.08, 0.2))
    out_w, out_h = w + 2 * margin_x, h + 2 * margin_y
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    jitter = 0.04
    target = np.array(
        [
            [
                margin_x + x + rng.uniform(-jitter, jitter) * w,
                margin_y + y + rng.uniform(-jitter, jitter) * h,
            ]
            for x, y in corners
        ],
        dtype=np.float32,
    )
    matrix = cv2.getPerspectiveTransform(corners, target)
    background = _table_texture(out_w, out_h, rng)
    warped = cv2.warpPerspective(
        src, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT
    )
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, (out_w, out_h))
    composed = np.where(mask[:, :, None] > 127, warped, background)
    # A lamp on one side: a gentle brightness ramp across the picture.
    ramp = np.linspace(rng.uniform(0.8, 1.0), rng.uniform(1.0, 1.1), out_w, dtype=np.float32)
    lit = np.clip(composed.astype(np.float32) * ramp[None, :, None], 0, 255).astype(np.uint8)
    return Image.fromarray(lit)


def degrade(image: Image.Image, rng: random.Random, spec: DegradeSpec | None = None) -> Image.Image:
    """One random bad copy of ``image`` (drawn at 300 dpi)."""
    spec = spec or DegradeSpec()
    out = image.convert("RGB")
    if rng.random() < spec.photo_probability:
        out = photo_on_table(out, rng)
    else:
        paper = (rng.randint(215, 255),) * 3
        out = rotate(out, rng.uniform(-spec.rotation_deg, spec.rotation_deg), fill=paper)
    out = resample_dpi(out, rng.uniform(*spec.dpi))
    out = blur(out, rng.uniform(*spec.blur_sigma))
    out = add_noise(out, rng.uniform(*spec.noise_sigma), rng)
    return jpeg(out, rng.randint(*spec.jpeg_quality))
