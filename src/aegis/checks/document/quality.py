"""Is the photo of a document good enough to read? Pure measures on pixels, no OCR.

:func:`assess_quality` finds the document in the frame, measures it and names what is wrong,
each with a hint the applicant can act on:

``DOC_LOW_RESOLUTION``
    The document spans too few pixels: its short side divided by the short side of the
    format it looks like (ID-1 card 54 mm, ID-3 passport page 88 mm) gives the scan density
    in dots per inch.
``DOC_BLURRY``
    A Laplacian-style sharpness measured on the document only (a sharp table must not
    rescue a blurred card), at a fixed working size, in the weakest of twelve directions
    (so camera shake, which leaves edges across it sharp, is caught like defocus), divided
    by the document's own intensity variance (a pale card is not blurry for its contrast).
``DOC_GLARE``
    A specular hot spot (clipped, colourless pixels fading out into a brighter halo)
    covering too much of the document, or a washed-out photo whose darkest ink is grey.
``DOC_TOO_DARK``
    Under-exposure: dim on average and even its brightest parts grey.
``DOC_CROPPED``
    The document runs off the frame (its outline touches some edges of the photo while
    background shows at others), or a photo filled by the document has the wrong
    proportions for any ICAO format, so part of it is missing. An outline counts as the
    document's only where the colour outside it differs from the colour inside: else it is
    a part of a flat scan (a photo, the MRZ band), and the whole frame is the document.

Every number is in :class:`QualityReport`; :class:`QualityThresholds` holds the limits and
why each default is what it is (calibrated on the synthetic cards of
``synthetic.cn_id``; see tests/checks/document/test_quality.py).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field, replace
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage

from aegis.checks.result import CheckResult

CHECK: Final = "document_quality"

LOW_RESOLUTION: Final = "DOC_LOW_RESOLUTION"
BLURRY: Final = "DOC_BLURRY"
GLARE: Final = "DOC_GLARE"
TOO_DARK: Final = "DOC_TOO_DARK"
CROPPED: Final = "DOC_CROPPED"

# The same sentences as aegis.kyc.reasons, which partners show (checks sit below kyc and
# cannot import it; tests/kyc/test_reasons.py keeps the catalogue complete).
HINTS: Final[dict[str, tuple[str, str]]] = {
    LOW_RESOLUTION: (
        "The document photo is too small to read; take it closer, filling the frame.",
        "证件照片分辨率过低，请靠近拍摄并让证件充满画面。",
    ),
    BLURRY: (
        "The document photo is blurry; hold the camera still and let it focus.",
        "证件照片模糊，请保持相机稳定并对焦后拍摄。",
    ),
    GLARE: (
        "Light reflects off the document; tilt it or move away from direct light.",
        "证件表面反光，请调整角度或避开直射光源。",
    ),
    TOO_DARK: (
        "The document photo is too dark; take it in better light.",
        "证件照片过暗，请在光线更好的地方拍摄。",
    ),
    CROPPED: (
        "Part of the document is cut off; show all four corners in the photo.",
        "证件有部分未拍入画面，请确保四个角都在照片内。",
    ),
}

# ICAO 9303 / ISO/IEC 7810 sizes (long x short side, mm). ID-2 and the MRV-B visa share the
# passport page's proportions; the MRV-A visa sits between.
FORMATS: Final[dict[str, tuple[float, float]]] = {
    "ID-1": (85.6, 54.0),
    "MRV-A": (120.0, 80.0),
    "ID-3": (125.0, 88.0),
}

Gray = npt.NDArray[np.uint8]
Image = npt.NDArray[np.uint8]
_WORK_SIDE: Final = 1000  # long side the sharpness is measured at
_DETECT_SIDE: Final = 640  # long side the outline is searched at


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityThresholds:
    """Limits of an acceptable document photo. Defaults calibrated as each comment says."""

    # The visual reader gets every name on our synthetic ID cards right at 100 dpi and
    # above, and 6 in 8 at 70-85 dpi (3 mm Chinese glyphs are then 12 px tall).
    min_dpi: float = 100.0
    # Weakest directional sharpness (see ``_sharpness``). Sharp synthetic photos score
    # 0.8 and above, mildly blurred ones (Gaussian sigma 1 px, 5 px shake) 0.15 to 0.45,
    # ruined ones (sigma 2.5 px and more, 18 px shake and more) 0.035 and below.
    min_sharpness: float = 0.07
    # Glare: clipped blobs of at least ``glare_min_blob`` of the document whose halo (the
    # paper right next to them) is at least ``glare_halo`` grey levels brighter than the
    # paper a blob-radius away, flagged above ``glare_max_fraction`` in total.
    glare_min_blob: float = 0.004
    glare_halo: float = 4.0
    glare_max_fraction: float = 0.015
    # A found outline is the document's only if what lies outside it differs from what
    # lies inside by this distance in CIELAB (0-255 scaled): else it is a part of a
    # document that fills the frame, such as a flat scan.
    background_contrast: float = 22.0
    # Washed out: even the darkest 2 % of the document is lighter than this.
    washed_out_p2: float = 120.0
    # Too dark: mean luminance below this and the brightest 2 % below the second limit.
    dark_mean: float = 80.0
    dark_p98: float = 130.0
    # Cropping: how far from the frame's edge (share of the side) the outline may come
    # before it counts as touching, the share of the frame a found document must cover,
    # the share above which it is taken to fill the frame, and how far the proportions
    # may stray from an ICAO format (relative) before part is taken to be missing.
    border_margin: float = 0.012
    min_document_area: float = 0.15
    fills_frame_area: float = 0.88
    aspect_tolerance: float = 0.09


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentRegion:
    """Where the document lies in the frame, in the frame's pixel coordinates."""

    # Top-left, top-right, bottom-right, bottom-left, long side horizontal.
    corners: tuple[tuple[float, float], ...]
    area_fraction: float
    touches: tuple[str, ...]  # frame edges the outline reaches: left, top, right, bottom
    fills_frame: bool  # nothing but the document is visible (a flat scan)
    aspect: float  # long side / short side, >= 1
    format: str | None  # the ICAO format whose proportions it has, if any

    @property
    def long_side(self) -> float:
        (a, b, c, d) = self.corners
        return max(_dist(a, b), _dist(d, c), _dist(a, d), _dist(b, c))

    @property
    def short_side(self) -> float:
        (a, b, c, d) = self.corners
        return min((_dist(a, b) + _dist(d, c)) / 2, (_dist(a, d) + _dist(b, c)) / 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityReport:
    width: int
    height: int
    document: DocumentRegion | None
    dpi: float  # estimated, from the document's short side and its format
    sharpness: float
    mean_luma: float
    p2_luma: float
    p98_luma: float
    highlight_clip: float  # share of document pixels at 250 or above
    shadow_clip: float  # share at 5 or below
    glare_fraction: float  # share of the document under glare blobs
    codes: tuple[str, ...] = ()
    reasons: dict[str, str] = field(default_factory=dict)  # code -> which measure tripped

    def measures(self) -> dict[str, float | int | str | bool | None]:
        doc = self.document
        return {
            "width": self.width,
            "height": self.height,
            "document_found": doc is not None,
            "document_format": doc.format if doc else None,
            "document_area": round(doc.area_fraction, 3) if doc else None,
            "document_aspect": round(doc.aspect, 3) if doc else None,
            "dpi": round(self.dpi, 1),
            "sharpness": round(self.sharpness, 3),
            "mean_luma": round(self.mean_luma, 1),
            "p2_luma": round(self.p2_luma, 1),
            "p98_luma": round(self.p98_luma, 1),
            "highlight_clip": round(self.highlight_clip, 4),
            "shadow_clip": round(self.shadow_clip, 4),
            "glare_fraction": round(self.glare_fraction, 4),
        }

    def result(self) -> CheckResult:
        """Any finding fails the photo: each one is fixed by taking it again."""
        details: dict[str, object] = {**self.measures(), "reasons": dict(self.reasons)}
        if self.codes:
            return CheckResult.failed(CHECK, *self.codes, **details)
        return CheckResult.passed(CHECK, **details)


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _u8(array: object) -> Gray:
    # OpenCV's stubs type every result as a generic Mat; these are 8-bit images.
    return np.asarray(array, dtype=np.uint8)


def decode_rgb(data: bytes) -> Image:
    """An upload's pixels as an RGB array (the stored upload is already upright)."""
    with PILImage.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8)


def to_gray(image: Image) -> Gray:
    """Luminance (Rec. 601) of an RGB or already grey image."""
    if image.ndim == 2:
        return image
    return _u8(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))


def _resize_long(image: Image, side: int) -> tuple[Image, float]:
    """The image shrunk so its long side is at most ``side``, and the factor used."""
    h, w = image.shape[:2]
    factor = min(1.0, side / max(h, w))
    if factor >= 1.0:
        return image, 1.0
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return _u8(cv2.resize(image, size, interpolation=cv2.INTER_AREA)), factor


def match_format(aspect: float, tolerance: float) -> str | None:
    """ID-1 or ID-3 by proportions (MRV-A visas, between the two, count as ID-3 pages);
    None when the proportions fit no ICAO format even with ``tolerance``.

    The split sits at 1.50, between ID-3's 1.42 and ID-1's 1.585: a card seen at a slant
    looks squarer, a passport page never looks wider than 1.5.
    """
    lowest = min(long / short for long, short in FORMATS.values())
    highest = max(long / short for long, short in FORMATS.values())
    if not lowest * (1 - tolerance) <= aspect <= highest * (1 + tolerance):
        return None
    return "ID-1" if aspect >= 1.50 else "ID-3"


def _order_corners(points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """TL, TR, BR, BL with the long side on top, whichever way the document lies."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    ring = points[np.argsort(angles)]  # clockwise in image coordinates, from about west
    start = int(np.argmin(ring.sum(axis=1)))  # the corner nearest the origin
    ring = np.roll(ring, -start, axis=0)
    top = np.linalg.norm(ring[1] - ring[0]) + np.linalg.norm(ring[2] - ring[3])
    side = np.linalg.norm(ring[3] - ring[0]) + np.linalg.norm(ring[2] - ring[1])
    if side > top:  # portrait: turn a quarter so the long side is horizontal
        ring = np.roll(ring, -1, axis=0)
    return ring


def _outline(gray: Gray) -> npt.NDArray[np.int32] | None:
    """The convex hull of the largest connected edge structure: the document, usually.

    A hull (not the contour) because a document running off the frame shows only some of
    its edges; the hull of those still covers it.
    """
    smooth = cv2.GaussianBlur(gray, (5, 5), 0)
    median = float(np.median(smooth))
    edges = cv2.Canny(smooth, max(10.0, 0.5 * median), max(30.0, 1.2 * median))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    edges = cv2.dilate(edges, kernel, iterations=2)
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    best, best_area = None, 0.0
    for contour in contours:
        hull = cv2.convexHull(contour)
        area = float(cv2.contourArea(hull))
        if area > best_area:
            best, best_area = hull, area
    return None if best is None else np.asarray(best, dtype=np.int32)


def find_document(image: Image, thresholds: QualityThresholds | None = None) -> DocumentRegion:
    """The document's outline in ``image``; the whole frame when nothing stands out."""
    t = thresholds or QualityThresholds()
    h, w = image.shape[:2]
    small, factor = _resize_long(image, _DETECT_SIDE)
    sh, sw = small.shape[:2]
    hull = _outline(to_gray(small))
    area = float(cv2.contourArea(hull)) / float(sh * sw) if hull is not None else 0.0
    if hull is None or area < t.min_document_area or area >= t.fills_frame_area:
        return _whole_frame(w, h, t)
    peri = cv2.arcLength(hull, True)
    approx = cv2.approxPolyDP(hull, 0.02 * peri, True).reshape(-1, 2)
    if len(approx) == 4:
        quad = approx.astype(np.float64)
    else:
        quad = np.asarray(cv2.boxPoints(cv2.minAreaRect(hull)), dtype=np.float64)
    if _background_contrast(small, quad, t) < t.background_contrast:
        return _whole_frame(w, h, t)
    pts = hull.reshape(-1, 2)
    mx, my = t.border_margin * sw, t.border_margin * sh
    touches = tuple(
        side
        for side, hit in (
            ("left", pts[:, 0].min() <= mx),
            ("top", pts[:, 1].min() <= my),
            ("right", pts[:, 0].max() >= sw - 1 - mx),
            ("bottom", pts[:, 1].max() >= sh - 1 - my),
        )
        if hit
    )
    corners = tuple((float(x), float(y)) for x, y in _order_corners(quad) / factor)
    tl, tr, br, bl = corners
    long = (_dist(tl, tr) + _dist(bl, br)) / 2
    short = (_dist(tl, bl) + _dist(tr, br)) / 2
    aspect = long / max(short, 1.0)
    if not touches and match_format(aspect, t.aspect_tolerance) is None:
        # Background all round yet no document's proportions: a part of the document
        # (its MRZ band, a photo) stands out, not the document itself, which cannot be
        # cut off by a frame it does not reach.
        return _whole_frame(w, h, t)
    return DocumentRegion(
        corners=corners,
        area_fraction=area,
        touches=touches,
        fills_frame=len(touches) == 4,
        aspect=aspect,
        format=match_format(aspect, t.aspect_tolerance),
    )


def _background_contrast(
    small: Image, quad: npt.NDArray[np.float64], t: QualityThresholds
) -> float:
    """CIELAB distance between the median colours just inside and just outside ``quad``.

    Both bands leave out the frame's own edges, where the outline of a document running
    off the frame coincides with the border and nothing lies outside.
    """
    sh, sw = small.shape[:2]
    lab = small if small.ndim == 2 else _u8(cv2.cvtColor(small, cv2.COLOR_RGB2LAB))
    shape = np.zeros((sh, sw), np.uint8)
    cv2.fillConvexPoly(shape, np.round(quad).astype(np.int32), 255)
    band = max(3, round(0.03 * min(sh, sw)))
    kernel = np.ones((2 * band + 1, 2 * band + 1), np.uint8)
    gap = np.ones((5, 5), np.uint8)
    inner = (_u8(cv2.erode(shape, gap)) > 0) & (_u8(cv2.erode(shape, kernel)) == 0)
    outer = (_u8(cv2.dilate(shape, kernel)) > 0) & (_u8(cv2.dilate(shape, gap)) == 0)
    edge = max(band, round(t.border_margin * max(sh, sw))) + 2
    keep = np.zeros((sh, sw), bool)
    keep[edge : sh - edge, edge : sw - edge] = True
    inner, outer = inner & keep, outer & keep
    if inner.sum() < 20 or outer.sum() < 20:
        return 0.0
    inside = np.median(lab[inner].reshape(-1, 1 if lab.ndim == 2 else 3), axis=0)
    outside = np.median(lab[outer].reshape(-1, 1 if lab.ndim == 2 else 3), axis=0)
    return float(np.linalg.norm(inside.astype(np.float64) - outside.astype(np.float64)))


def _whole_frame(w: int, h: int, t: QualityThresholds) -> DocumentRegion:
    corners = ((0.0, 0.0), (w - 1.0, 0.0), (w - 1.0, h - 1.0), (0.0, h - 1.0))
    if h > w:
        corners = ((w - 1.0, 0.0), (w - 1.0, h - 1.0), (0.0, h - 1.0), (0.0, 0.0))
    aspect = max(w, h) / max(1, min(w, h))
    return DocumentRegion(
        corners=corners,
        area_fraction=1.0,
        touches=("left", "top", "right", "bottom"),
        fills_frame=True,
        aspect=aspect,
        format=match_format(aspect, t.aspect_tolerance),
    )


def warp_document(
    image: Image, region: DocumentRegion, *, width: int, aspect: float | None = None
) -> Image:
    """The document seen square-on, long side horizontal, ``width`` pixels wide.

    ``aspect`` (long over short side) is the document's true shape when the caller knows
    it; else that of the format its outline matched, else the outline's own.
    """
    if aspect is None:
        fmt = FORMATS.get(region.format or "", None)
        aspect = fmt[0] / fmt[1] if fmt else region.aspect
    height = round(width / aspect)
    src = np.asarray(region.corners, dtype=np.float32)
    dst = np.asarray([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    return _u8(
        cv2.warpPerspective(
            image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
        )
    )


def _document_mask(shape: tuple[int, int], region: DocumentRegion) -> Gray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, np.asarray(region.corners, dtype=np.int32), 255)
    return mask


def _sharpness(gray: Gray, mask: Gray) -> float:
    """The weakest directional second-derivative energy over the intensity variance,
    inside the document, at working size.

    The variance of the Laplacian sums both directions, so a photo smeared along one
    direction (camera shake) keeps the sharp edges across it and scores nearly as well
    as a sharp one. Taking the least of twelve directions catches shake as well as
    defocus. Dividing by the intensity variance keeps a pale card from being called
    blurry for its low contrast.
    """
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return 0.0
    crop = gray[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    inside = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    crop, factor = _resize_long(crop, _WORK_SIDE)
    if factor < 1.0:
        size = (crop.shape[1], crop.shape[0])
        inside = _u8(cv2.resize(inside, size, interpolation=cv2.INTER_NEAREST))
    # Shrink the mask so the document's own outline (a strong edge) is not measured.
    sel = np.asarray(cv2.erode(inside, np.ones((9, 9), np.uint8))) > 0
    if sel.sum() < 100:
        return 0.0
    pixels = crop.astype(np.float32)
    gxx = np.asarray(cv2.Sobel(pixels, cv2.CV_32F, 2, 0, ksize=3))[sel]
    gyy = np.asarray(cv2.Sobel(pixels, cv2.CV_32F, 0, 2, ksize=3))[sel]
    gxy = np.asarray(cv2.Sobel(pixels, cv2.CV_32F, 1, 1, ksize=3))[sel]
    weakest = min(
        float((gxx * c * c + 2 * gxy * c * s + gyy * s * s).var())
        for c, s in (
            (math.cos(a), math.sin(a)) for a in np.linspace(0, math.pi, 12, endpoint=False)
        )
    )
    return weakest / max(float(pixels[sel].var()), 25.0)


def _glare_fraction(rgb: Image, gray: Gray, mask: Gray, t: QualityThresholds) -> float:
    """Share of the document under clipped, colourless blobs that fade out into a halo.

    Glare is light the surface reflects straight back: it clips all three channels and
    fades out gradually, so the paper right next to a hot spot is brighter than the paper
    one blob-radius away. White parts of the print (a page, form fields, a portrait's
    background) clip too, but they end at an edge: the paper next to them is no brighter
    than further out. Blobs reaching the frame's edge are a scanner's margin. The paper's
    level in a ring is its upper quartile, whatever print or portrait the ring crosses.
    """
    inside = mask > 0
    doc_area = float(inside.sum())
    if doc_area == 0:
        return 0.0
    lowest = rgb.min(axis=2) if rgb.ndim == 3 else gray
    clipped = (lowest >= 245) & inside
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        clipped.astype(np.uint8), connectivity=8
    )
    inner = np.asarray(cv2.erode(mask, np.ones((5, 5), np.uint8))) > 0
    fh, fw = gray.shape[:2]
    total = 0.0
    for i in range(1, count):
        size = float(stats[i, cv2.CC_STAT_AREA])
        if size < t.glare_min_blob * doc_area:
            continue
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        if x <= 1 or y <= 1 or x + bw >= fw - 1 or y + bh >= fh - 1:
            continue
        radius = math.sqrt(size / math.pi)
        pad = round(1.5 * radius) + 2
        y0, y1 = max(0, y - pad), min(fh, y + bh + pad)
        x0, x1 = max(0, x - pad), min(fw, x + bw + pad)
        outside = _u8(labels[y0:y1, x0:x1] != i)
        dist = np.asarray(cv2.distanceTransform(outside, cv2.DIST_L2, 3))
        local, ok = gray[y0:y1, x0:x1], inner[y0:y1, x0:x1]
        near = ok & (dist >= 2) & (dist <= max(3.0, 0.1 * radius))
        far = ok & (dist >= radius) & (dist <= 1.5 * radius)
        if near.sum() < 10 or far.sum() < 10:
            continue
        rise = float(np.percentile(local[near], 75)) - float(np.percentile(local[far], 75))
        if rise >= t.glare_halo:
            total += size
    return total / doc_area


def assess_quality(image: Image, thresholds: QualityThresholds | None = None) -> QualityReport:
    """Measure one RGB (or grey) photo of a document and name what makes it unusable."""
    t = thresholds or QualityThresholds()
    if image.ndim not in (2, 3) or min(image.shape[:2]) < 2:
        raise ValueError("expected an RGB or grey image")
    h, w = image.shape[:2]
    region = find_document(image, t)
    gray = to_gray(image)
    mask = _document_mask((h, w), region)
    sel = gray[mask > 0]
    if sel.size == 0:
        sel = gray.reshape(-1)
    p2, p98 = (float(v) for v in np.percentile(sel, (2, 98)))
    fmt = FORMATS[region.format or ("ID-1" if region.aspect >= 1.50 else "ID-3")]
    dpi = region.short_side / (fmt[1] / 25.4)
    report = QualityReport(
        width=w,
        height=h,
        document=region,
        dpi=dpi,
        sharpness=_sharpness(gray, mask),
        mean_luma=float(sel.mean()),
        p2_luma=p2,
        p98_luma=p98,
        highlight_clip=float((sel >= 250).mean()),
        shadow_clip=float((sel <= 5).mean()),
        glare_fraction=_glare_fraction(image, gray, mask, t),
    )
    reasons = _judge(report, t)
    return replace(report, codes=tuple(reasons), reasons=reasons)


def _judge(r: QualityReport, t: QualityThresholds) -> dict[str, str]:
    """The codes, in a fixed order, each with the measure that tripped it."""
    found: dict[str, str] = {}
    doc = r.document
    if doc is not None and not doc.fills_frame and doc.touches:
        found[CROPPED] = "off_frame"
    elif doc is not None and doc.format is None:
        found[CROPPED] = "proportions"
    if r.dpi < t.min_dpi:
        found[LOW_RESOLUTION] = "dpi"
    if r.sharpness < t.min_sharpness:
        found[BLURRY] = "sharpness"
    if r.glare_fraction > t.glare_max_fraction:
        found[GLARE] = "hot_spot"
    elif r.p2_luma > t.washed_out_p2:
        found[GLARE] = "washed_out"
    if r.mean_luma < t.dark_mean and r.p98_luma < t.dark_p98:
        found[TOO_DARK] = "luminance"
    return found
