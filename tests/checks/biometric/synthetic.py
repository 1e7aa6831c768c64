"""Synthetic test images: non-faces (textures, gradients, a drawn landscape, cartoons) and,
from real photos, fake liveness frames (simulated head turns and blinks).

Everything here is SYNTHETIC: there are no pet photos nor videos in the shared data, so
the tests draw what they need from seeds and from the real face photos.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]


def noise(seed: int, size: tuple[int, int] = (480, 640)) -> Image:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (*size, 3), dtype=np.uint8)


def texture(seed: int, size: tuple[int, int] = (600, 800)) -> Image:
    """Blurred noise at several scales: fur, bark, clouds, gravel."""
    rng = np.random.default_rng(seed)
    h, w = size
    out = np.zeros((h, w, 3), np.float32)
    for scale in (4, 16, 64):
        small = rng.random((max(2, h // scale), max(2, w // scale), 3)).astype(np.float32)
        out += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) / 3
    return np.clip(out * 255, 0, 255).astype(np.uint8)


def gradient(size: tuple[int, int] = (600, 800), angle: float = 30.0) -> Image:
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = np.cos(np.radians(angle)) * xx / w + np.sin(np.radians(angle)) * yy / h
    t = (t - t.min()) / (t.max() - t.min())
    a, b = np.array([30, 60, 160], np.float32), np.array([250, 200, 90], np.float32)
    return (a + (b - a) * t[..., None]).astype(np.uint8)


def landscape(seed: int, size: tuple[int, int] = (600, 900)) -> Image:
    """Sky, sun, mountains, a lake, trees."""
    rng = np.random.default_rng(seed)
    h, w = size
    img = gradient(size, angle=90.0)[:, :, ::-1].copy()
    cv2.circle(img, (int(w * rng.uniform(0.6, 0.9)), int(h * 0.2)), 45, (255, 230, 120), -1)
    for layer, colour in enumerate(((90, 100, 120), (60, 110, 70))):
        xs = np.linspace(0, w, 9)
        ys = h * (0.45 + 0.12 * layer) - rng.uniform(0, h * 0.25, 9)
        pts = [(0, h), *zip(xs.astype(int), ys.astype(int), strict=True), (w, h)]
        cv2.fillPoly(img, [np.array(pts, np.int32)], colour)
    cv2.rectangle(img, (0, int(h * 0.75)), (w, h), (70, 120, 190), -1)
    for _ in range(12):
        x = int(rng.uniform(0, w))
        y = int(h * rng.uniform(0.62, 0.74))
        cv2.rectangle(img, (x - 3, y), (x + 3, y + 25), (60, 40, 20), -1)
        cv2.fillPoly(img, [np.array([(x - 18, y + 5), (x + 18, y + 5), (x, y - 45)])], (20, 90, 30))
    return img


def cartoon_cat(size: tuple[int, int] = (600, 600)) -> Image:
    """A flat cartoon cat's head: ears, eyes, nose, whiskers (a pet, drawn)."""
    h, w = size
    img = np.full((h, w, 3), (200, 230, 245), np.uint8)
    cx, cy, r = w // 2, h // 2 + 30, min(h, w) // 3
    fur = (70, 140, 230)
    cv2.fillPoly(
        img,
        [np.array([(cx - r, cy - r // 3), (cx - r // 2, cy - r - 80), (cx - 10, cy - r + 10)])],
        fur,
    )
    cv2.fillPoly(
        img,
        [np.array([(cx + r, cy - r // 3), (cx + r // 2, cy - r - 80), (cx + 10, cy - r + 10)])],
        fur,
    )
    cv2.ellipse(img, (cx, cy), (r, int(r * 0.85)), 0, 0, 360, fur, -1)
    for dx in (-r // 2.6, r // 2.6):
        cv2.ellipse(img, (int(cx + dx), cy - r // 5), (28, 40), 0, 0, 360, (40, 200, 60), -1)
        cv2.ellipse(img, (int(cx + dx), cy - r // 5), (8, 34), 0, 0, 360, (10, 10, 10), -1)
    cv2.fillPoly(
        img, [np.array([(cx - 16, cy + 20), (cx + 16, cy + 20), (cx, cy + 38)])], (150, 120, 240)
    )
    for side in (-1, 1):
        for k in (-1, 0, 1):
            cv2.line(
                img,
                (cx + side * 30, cy + 40),
                (cx + side * (r + 40), cy + 40 + k * 30),
                (20, 20, 20),
                2,
            )
    return img


def cartoon_smiley(size: tuple[int, int] = (500, 500)) -> Image:
    """A yellow emoji: the kind of 'face' a fraudster might hold up."""
    h, w = size
    img = np.full((h, w, 3), 255, np.uint8)
    cx, cy, r = w // 2, h // 2, min(h, w) // 3
    cv2.circle(img, (cx, cy), r, (255, 210, 40), -1)
    cv2.circle(img, (cx, cy), r, (120, 80, 0), 4)
    for dx in (-r // 3, r // 3):
        cv2.ellipse(img, (cx + dx, cy - r // 4), (14, 26), 0, 0, 360, (40, 30, 10), -1)
    cv2.ellipse(img, (cx, cy + r // 6), (r // 2, r // 3), 0, 15, 165, (40, 30, 10), 6)
    return img


def non_faces() -> dict[str, Image]:
    out: dict[str, Image] = {
        "gradient": gradient(),
        "cartoon_cat": cartoon_cat(),
        "smiley": cartoon_smiley(),
    }
    for seed in range(4):
        out[f"noise_{seed}"] = noise(seed)
        out[f"texture_{seed}"] = texture(seed)
        out[f"landscape_{seed}"] = landscape(seed)
    out["grey_flat"] = np.full((300, 400, 3), 128, np.uint8)
    out["tiny"] = noise(9, (12, 16))
    return out


# --- Synthetic liveness frames ------------------------------------------------------------
# Built from one real, near-frontal photo and its 68 landmarks. A head turn is simulated by
# sliding the inner face (eyes, nose, mouth) sideways inside a fixed face contour, the way
# the features move when a head rotates; a blink by inpainting the eyes with the
# surrounding skin and drawing a lash line. Each frame also gets hand shake (a random
# sub-pixel to 1.5 px shift) and sensor noise, as every real camera frame has.


def turned(img: Image, pts: NDArray[np.float64], amount: float) -> Image:
    """Slide the nose ``amount`` face-widths toward image right (> 0) or left (< 0)."""
    h, w = img.shape[:2]
    x0, x1, xc = pts[0:3, 0].mean(), pts[14:17, 0].mean(), pts[30, 0]
    shift = amount * (x1 - x0)
    top, bottom = pts[17:27, 1].min(), pts[8, 1]
    height = bottom - top
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    src = xs.copy()
    left = (xs >= x0) & (xs <= xc + shift)
    right = (xs > xc + shift) & (xs <= x1)
    src[left] = x0 + (xs[left] - x0) * (xc - x0) / (xc + shift - x0)
    src[right] = xc + (xs[right] - xc - shift) * (x1 - xc) / (x1 - xc - shift)
    ramp = 0.3 * height
    y_top, y_bottom = top - 0.6 * height, bottom + 0.3 * height
    weight = np.clip(
        np.minimum((ys - (y_top - ramp)) / ramp, ((y_bottom + ramp) - ys) / ramp), 0, 1
    )
    map_x = (xs + weight * (src - xs)).astype(np.float32)
    return cv2.remap(img, map_x, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def eyes_closed(img: Image, pts: NDArray[np.float64]) -> Image:
    mask = np.zeros(img.shape[:2], np.uint8)
    eyes = ((slice(36, 42), [36, 41, 40, 39]), (slice(42, 48), [42, 47, 46, 45]))
    for eye_slice, _ in eyes:
        eye = pts[eye_slice]
        centre = eye.mean(axis=0)
        grown = (centre + (eye - centre) * np.array([1.2, 1.4])).astype(np.int32)
        cv2.fillPoly(mask, [cv2.convexHull(grown)], 255)
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    out = cv2.inpaint(img, mask, 5, cv2.INPAINT_TELEA)
    for eye_slice, lower in eyes:
        eye = pts[eye_slice]
        width = float(np.hypot(*(eye[0] - eye[3])))
        lid = pts[lower].copy()
        lid[:, 1] = lid[:, 1] * 0.6 + eye[:, 1].mean() * 0.4
        cv2.polylines(
            out, [lid.astype(np.int32)], False, (40, 30, 25), max(1, round(width / 12)), cv2.LINE_AA
        )
    return out


def camera(img: Image, rng: np.random.Generator) -> Image:
    """Hand shake and sensor noise: what makes two real frames never identical."""
    dx, dy = rng.uniform(-1.5, 1.5, 2)
    moved = cv2.warpAffine(
        img,
        np.float32([[1, 0, dx], [0, 1, dy]]),
        (img.shape[1], img.shape[0]),
        borderMode=cv2.BORDER_REFLECT,
    )
    return np.clip(moved + rng.normal(0, 1.5, img.shape), 0, 255).astype(np.uint8)


TURN_STEPS = (0.1, 0.21, 0.21, 0.1, 0.0)


def performance(
    img: Image, pts: NDArray[np.float64], actions: list[str], seed: int = 0
) -> list[Image]:
    """Frames of someone doing ``actions`` (unmirrored camera: the applicant's left is the
    image's right), starting and ending facing the camera."""
    rng = np.random.default_rng(seed)
    poses: list[Image] = [img, img]
    for action in actions:
        if action == "blink":
            closed = eyes_closed(img, pts)
            poses += [closed, closed, img, img]
        else:
            sign = 1.0 if action == "turn_left" else -1.0
            poses += [turned(img, pts, sign * step) if step else img for step in TURN_STEPS]
    return [camera(p, rng) for p in poses]
