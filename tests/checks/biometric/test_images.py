"""Decoding uploads: orientation, transparency, depth, bad input."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from aegis.checks.biometric.images import (
    ImageTooLarge,
    UnreadableImage,
    load_picture,
    load_rgb,
    to_rgb8,
)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _jpeg_with_orientation(pixels: np.ndarray, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def test_exif_orientation_is_applied_and_sizes_follow() -> None:
    upright = np.zeros((60, 100, 3), np.uint8)
    upright[:10, :, 0] = 255  # a red band along the top edge
    # Orientation 6: the stored pixels must be turned 90 degrees clockwise to view.
    stored = np.ascontiguousarray(np.rot90(upright, 1))
    picture = load_picture(_jpeg_with_orientation(stored, 6))
    assert (picture.width, picture.height) == (100, 60)
    assert (picture.original_width, picture.original_height) == (100, 60)
    assert picture.pixels[:8, :, 0].mean() > 200 and picture.pixels[20:, :, 0].mean() < 40


def test_rgba_is_flattened_onto_white() -> None:
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[:, :10] = (0, 0, 0, 255)  # opaque black left half, transparent right half
    pixels = load_rgb(_png(Image.fromarray(rgba, "RGBA")))
    assert pixels[:, :10].max() == 0
    assert pixels[:, 10:].min() == 255


def test_greyscale_palette_and_sixteen_bit_become_rgb8() -> None:
    grey = np.tile(np.arange(256, dtype=np.uint8), (10, 1))
    from_l = load_rgb(_png(Image.fromarray(grey, "L")))
    assert from_l.shape == (10, 256, 3) and from_l.dtype == np.uint8
    assert (from_l[:, :, 0] == grey).all() and (from_l[:, :, 2] == grey).all()

    sixteen = grey.astype(np.uint16) * 257  # full 16-bit range
    from_16 = load_rgb(_png(Image.fromarray(sixteen)))
    assert np.abs(from_16[:, :, 1].astype(int) - grey).max() <= 1

    palette = Image.fromarray(np.stack([grey] * 3, axis=2)).convert("P")
    assert load_rgb(_png(palette)).shape == (10, 256, 3)


def test_array_inputs_of_any_depth() -> None:
    floats = np.linspace(0.0, 1.0, 50, dtype=np.float32).reshape(5, 10)
    assert to_rgb8(floats).max() == 255 and to_rgb8(floats).min() == 0
    twelve_bit = (np.arange(50, dtype=np.uint16) * 80).reshape(5, 10)  # up to 3920
    assert to_rgb8(twelve_bit).max() == 255
    assert to_rgb8(np.ones((4, 4, 1), bool)).min() == 255
    with pytest.raises(UnreadableImage):
        to_rgb8(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(UnreadableImage):
        to_rgb8(np.zeros((0, 4, 3), np.uint8))


def test_large_images_are_reduced_and_the_scale_is_kept() -> None:
    big = np.random.default_rng(0).integers(0, 255, (1500, 3000, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(big).save(out, "JPEG", quality=80)
    picture = load_picture(out.getvalue(), max_side=1600)
    assert max(picture.width, picture.height) <= 1600
    assert (picture.original_width, picture.original_height) == (3000, 1500)
    assert picture.scale == pytest.approx(picture.width / 3000, abs=1e-3)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"\xff\xd8\xff" + b"x" * 50],
)
def test_unreadable_input_raises(data: bytes) -> None:
    with pytest.raises(UnreadableImage):
        load_picture(data)


def test_missing_path_and_bad_types_raise(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnreadableImage):
        load_picture(tmp_path / "absent.jpg")
    with pytest.raises(UnreadableImage):
        load_picture(12345)  # type: ignore[arg-type]


def test_decompression_bomb_is_refused() -> None:
    header = Image.new("L", (12000, 12000))  # 144 MP, past MAX_PIXELS
    out = io.BytesIO()
    header.save(out, "PNG")
    with pytest.raises(ImageTooLarge):
        load_picture(out.getvalue())
