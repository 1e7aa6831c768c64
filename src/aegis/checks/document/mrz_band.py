"""Finding the machine-readable zone on a document image: pure OpenCV, no OCR.

An MRZ is two or three long lines of evenly spaced characters of one size, stacked at a fixed
pitch across most of the document's width. The finder makes text strokes stand out (black-hat
morphology, which keeps dark details on any lighter background, then the horizontal gradient,
strong on character edges and weak on flat print and photos), joins each text line into a bar
(closing along the line), and keeps bars that are long and thin. Bars of similar extent stacked
at a regular pitch become a band; a band of 2 or 3 bars near the bottom ranks first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]

_WORK_WIDTH = 900


@dataclass(frozen=True, slots=True)
class Box:
    """A band as a rotated rectangle, in source pixels: centre, size along and across the
    lines, and the angle (degrees, counter-clockwise) its lines make with the horizontal."""

    cx: float
    cy: float
    w: float
    h: float
    angle: float
    lines: int
    line_height: float
    score: float = 0.0  # higher is likelier an MRZ

    def turned_half(self, width: int, height: int) -> Box:
        """The same band in the image turned by 180 degrees."""
        return replace(self, cx=width - self.cx, cy=height - self.cy)

    def crop(self, gray: Gray, *, scale: float, pad_x: float, pad_y: float) -> Gray:
        """The band turned level, padded and scaled, in one interpolation."""
        out_w = max(8, round((self.w + 2 * pad_x) * scale))
        out_h = max(8, round((self.h + 2 * pad_y) * scale))
        matrix = cv2.getRotationMatrix2D((self.cx, self.cy), self.angle, scale)
        matrix[0, 2] += out_w / 2 - self.cx
        matrix[1, 2] += out_h / 2 - self.cy
        interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        out = cv2.warpAffine(
            gray, matrix, (out_w, out_h), flags=interp, borderMode=cv2.BORDER_REPLICATE
        )
        return np.asarray(out, dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class _Bar:
    cx: float
    cy: float
    w: float
    h: float
    angle: float


def _bars(gray: Gray) -> list[_Bar]:
    width = gray.shape[1]
    stroke = max(3, round(width / 90))
    blackhat = cv2.morphologyEx(
        gray,
        cv2.MORPH_BLACKHAT,
        cv2.getStructuringElement(cv2.MORPH_RECT, (stroke * 2 + 1, stroke)),
    )
    grad = np.absolute(cv2.Sobel(blackhat, cv2.CV_32F, 1, 0, ksize=3))
    top = float(np.percentile(grad, 99.5)) or 1.0
    grad_u8 = np.clip(grad * (255.0 / top), 0, 255).astype(np.uint8)
    joined = cv2.morphologyEx(
        grad_u8, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (stroke * 2 + 1, 1))
    )
    _, binary = cv2.threshold(joined, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    binary = cv2.morphologyEx(
        binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (stroke, 2))
    )
    binary = cv2.morphologyEx(
        binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (stroke * 3, 1))
    )
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    bars = []
    for contour in contours:
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        if rw < rh:
            rw, rh, angle = rh, rw, angle - 90
        angle = (angle + 90) % 180 - 90
        if abs(angle) > 30:
            continue
        # Long, thin and mostly filled: a line of text, not a photo edge or a frame.
        area = cv2.contourArea(contour)
        if rw >= 0.3 * width and rh >= 4 and rw >= 7 * rh and area >= 0.35 * rw * rh:
            bars.append(_Bar(cx, cy, rw, rh, angle))
    return bars


def _group(bars: list[_Bar]) -> list[list[_Bar]]:
    """Runs of bars with similar angle, width, height and left end, at a regular pitch."""
    groups: list[list[_Bar]] = []
    for bar in sorted(bars, key=lambda b: b.cy):
        for group in groups:
            last = group[-1]
            height = max(bar.h, last.h)
            gap = (bar.cy - last.cy) * np.cos(np.radians(last.angle))
            left_bar = bar.cx - bar.w / 2 * np.cos(np.radians(bar.angle))
            left_last = last.cx - last.w / 2 * np.cos(np.radians(last.angle))
            similar = (
                abs(bar.angle - last.angle) <= 3
                and abs(left_bar - left_last) <= 0.06 * last.w + height
                and abs(bar.w - last.w) <= 0.12 * last.w + height
                and 0.5 * height <= gap <= 3.2 * height
                and len(group) < 3
            )
            if similar:
                group.append(bar)
                break
        else:
            groups.append([bar])
    return groups


def find_bands(gray: Gray, *, limit: int = 3) -> list[Box]:
    """Candidate MRZ bands in ``gray`` (source pixel coordinates), most likely first."""
    h, w = gray.shape
    scale = _WORK_WIDTH / w
    small: Gray = np.asarray(
        cv2.resize(
            gray,
            (_WORK_WIDTH, max(1, round(h * scale))),
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
        ),
        dtype=np.uint8,
    )
    scored: list[tuple[float, Box]] = []
    sh = small.shape[0]
    for group in _group(_bars(small)):
        angle = float(np.mean([b.angle for b in group]))
        cx = float(np.mean([b.cx for b in group]))
        cy = float(np.mean([b.cy for b in group]))
        width = max(b.w for b in group)
        line_h = float(np.mean([b.h for b in group]))
        span = abs(group[-1].cy - group[0].cy) * np.cos(np.radians(angle)) + line_h
        # Two or three lines beat one; wide beats narrow; lower on the page beats higher.
        score = (2.0 if len(group) > 1 else 0.0) + width / _WORK_WIDTH + 0.5 * cy / sh
        box = Box(
            cx / scale, cy / scale, width / scale, float(span) / scale, angle, len(group),
            line_h / scale, score,
        )  # fmt: skip
        scored.append((score, box))
    scored.sort(key=lambda item: item[0], reverse=True)
    return [box for _, box in scored[:limit]]


@dataclass(frozen=True, slots=True)
class LineImages:
    """The text lines of a band, cut apart, top first."""

    images: tuple[Gray, ...]


def split_lines(crop: Gray, expected: int) -> LineImages | None:
    """Cut a level band crop into its ``expected`` text lines, each trimmed to its ink with
    a margin of about one character."""
    _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    profile = (ink > 0).sum(axis=1)
    if profile.max() == 0:
        return None
    rows = profile > 0.2 * profile.max()
    segments: list[tuple[int, int]] = []
    start = None
    for y, on in enumerate([*rows.tolist(), False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            segments.append((start, y))
            start = None
    segments = [s for s in segments if s[1] - s[0] >= 4]
    by_ink = sorted(segments, key=lambda s: int(profile[s[0] : s[1]].sum()), reverse=True)
    chosen = sorted(by_ink[:expected])
    if len(chosen) < expected:
        return None
    images = []
    for a, b in chosen:
        line_h = b - a
        top, bottom = max(0, a - line_h // 2), min(crop.shape[0], b + line_h // 2)
        columns = np.flatnonzero(ink[a:b].sum(axis=0))
        if columns.size == 0:
            return None
        margin = line_h
        left = max(0, int(columns[0]) - margin)
        right = min(crop.shape[1], int(columns[-1]) + 1 + margin)
        images.append(np.ascontiguousarray(crop[top:bottom, left:right]))
    return LineImages(tuple(images))
