"""Face detection, 128-d encodings and selfie-to-portrait matching with dlib.

Pipeline for every image: decode upright RGB (``images.py``, at most 1600 px on the long
side), detect on a grey copy scaled to at most ``detect_max_side`` (640 px) with dlib's HOG
frontal detector (small images are upsampled 2x inside dlib instead), map the boxes back,
then take the 5-point landmarks and the ResNet encoding from the 1600 px pixels so that
downscaling for speed never costs encoding quality. Boxes are reported in the uploaded
photo's own (EXIF-upright) pixel coordinates.

Detector: HOG finds the face in all 29 single-face photos of the shared evaluation data
and the right count in its group photos, and nothing in the synthetic non-faces. It runs
on grey pixels at 640 px: 0.011-0.037 s a photo on one core (0.54 s for the 32 photos),
against 1.13 s for the same photos in colour at 800 px, with the same detections (colour at
800 px even found a third, false face in one group photo). The encoder, dlib's ResNet on a
150 px chip, costs 0.08-0.1 s a face whatever the photo size (this dlib has no BLAS), so it
dominates a comparison. dlib's
CNN (mmod) detector took 2.3 s on one 800x450 photo, far beyond the 0.3 s budget for a
whole comparison, so it is opt-in (``Detector.CNN``, or ``Detector.HOG_THEN_CNN`` to
try it only when HOG finds nothing).

Threshold (Euclidean distance between encodings; a match is ``distance <= threshold``):
**0.6**, dlib's published operating point (99.38 % on LFW). Measured with this pipeline
(``bench/face_threshold.py``) on shared/data/faces, 6 identities: over the 16 photos of
the identity folders, 18 same-person pairs lie at or under 0.523 and 102 different-person
pairs at 0.698 and above (gap midpoint 0.61); adding _obama_resolutions, _partial and
_misc as Obama and _duplicates as whom they copy (29 photos), 133 same-person pairs
reach at most 0.523 (alex_lacamoire's illustration-like PNG against his photos) and 273
different-person pairs start at 0.662 (a half-hidden Obama face against Lin-Manuel
Miranda); gap midpoint 0.592. 0.6 lies inside both gaps: no false accept and no false
reject here, with margins of 0.077 and 0.062. Six identities are far too few to move the
threshold away from the LFW-calibrated value; a tenant wanting fewer false accepts can
lower it per policy (0.55 still separates this data).

Similarity is ``1 - distance / (2 * threshold)`` clamped to [0, 1]: monotone decreasing
in the distance, 1.0 for identical encodings, exactly 0.5 at the threshold (so
``similarity >= 0.5`` is a match) and 0 from twice the threshold on. It is a display
value for reviewers, not a probability.

Face size: encodings drift as faces shrink (measured against the same face at full
size: 0.04-0.09 at 70-90 px wide, 0.11-0.16 at 45-55 px, 0.2-0.25 at 35 px, 0.3-0.4
at 22-28 px); below ``min_face_px`` = 48 px the face is reported FACE_TOO_SMALL rather
than matched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from aegis.checks.biometric.images import RGB, ImageSource, Picture, load_picture
from aegis.checks.biometric.models import FaceModels, get_models
from aegis.checks.result import CheckResult, Outcome

MATCH_THRESHOLD = 0.6
MIN_FACE_PX = 48
ENCODING_SIZE = 128

NO_FACE = "NO_FACE"
MULTIPLE_FACES = "MULTIPLE_FACES"
FACE_MISMATCH = "FACE_MISMATCH"
FACE_TOO_SMALL = "FACE_TOO_SMALL"


class Detector(StrEnum):
    HOG = "hog"
    CNN = "cnn"
    HOG_THEN_CNN = "hog+cnn"


@dataclass(frozen=True, slots=True, kw_only=True)
class FacePolicy:
    threshold: float = MATCH_THRESHOLD
    min_face_px: int = MIN_FACE_PX
    # Long side the detector sees: 640 px finds faces down to ~80 px in it.
    detect_max_side: int = 640
    # Images whose long side is below this are searched at twice their size.
    upsample_below: int = 480
    # When nothing is found, search once more at twice the size (costs ~4x, only then).
    retry_upsampled: bool = True
    detector: Detector = Detector.HOG
    # HOG scores are SVM margins: above 0 is a detection, real faces score 0.5-3.
    min_confidence: float = 0.0
    # Jitters average the encoding over perturbed crops: slower, barely more accurate.
    num_jitters: int = 1
    # Portraits on documents scanned sideways: try 90/270/180 degrees when none is found.
    portrait_rotations: bool = True
    model_dir: Path | None = None


DEFAULT_POLICY = FacePolicy()


@dataclass(frozen=True, slots=True, kw_only=True)
class Box:
    """Pixel box (right and bottom exclusive), clipped to the image."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def as_dict(self) -> dict[str, int]:
        return {"left": self.left, "top": self.top, "right": self.right, "bottom": self.bottom}


@dataclass(frozen=True, slots=True, kw_only=True)
class Face:
    box: Box  # in the uploaded image's (EXIF-upright) pixel coordinates
    confidence: float  # detector score: HOG SVM margin, or the CNN's confidence
    size: int  # face width in the uploaded image, pixels
    resolution: int  # face width in the pixels it was encoded from (<= size)
    encoding: tuple[float, ...] | None = field(default=None, repr=False)

    def vector(self) -> NDArray[np.float64]:
        if self.encoding is None:
            raise ValueError("this face was detected but not encoded")
        return np.asarray(self.encoding, dtype=np.float64)

    def summary(self) -> dict[str, Any]:
        """PII-free description (no encoding: it is biometric data)."""
        return {
            "box": self.box.as_dict(),
            "confidence": round(self.confidence, 3),
            "size": self.size,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Detection:
    """A face found in a ``Picture``: the dlib rectangle in its pixel coordinates."""

    rect: Any  # dlib.rectangle
    score: float


def _box_in_original(picture: Picture, rect: Any) -> Box:
    s = picture.scale
    left = max(0, round(rect.left() / s))
    top = max(0, round(rect.top() / s))
    right = min(picture.original_width, round((rect.right() + 1) / s))
    bottom = min(picture.original_height, round((rect.bottom() + 1) / s))
    return Box(left=left, top=top, right=max(right, left), bottom=max(bottom, top))


def _run_hog(models: FaceModels, pixels: NDArray[Any], upsample: int) -> list[tuple[Any, float]]:
    rects, scores, _ = models.hog.call(lambda hog: hog.run(pixels, upsample, 0.0))
    return list(zip(rects, (float(s) for s in scores), strict=True))


def _run_cnn(models: FaceModels, pixels: RGB, upsample: int) -> list[tuple[Any, float]]:
    found = models.cnn.call(lambda cnn: cnn(pixels, upsample))
    return [(d.rect, float(d.confidence)) for d in found]


def detect(
    picture: Picture, *, policy: FacePolicy = DEFAULT_POLICY, models: FaceModels | None = None
) -> list[Detection]:
    """Faces in ``picture``, largest first, as rectangles in its pixel coordinates."""
    import dlib

    models = models or get_models(policy.model_dir)
    pixels = picture.pixels
    longest = max(pixels.shape[:2])
    shrink = min(1.0, policy.detect_max_side / longest)
    small = pixels
    if shrink < 1.0:
        size = (max(1, round(pixels.shape[1] * shrink)), max(1, round(pixels.shape[0] * shrink)))
        small = np.ascontiguousarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA))
        shrink = size[0] / pixels.shape[1]
    upsample = 1 if max(small.shape[:2]) < policy.upsample_below else 0

    found: list[tuple[Any, float]] = []
    if policy.detector in (Detector.HOG, Detector.HOG_THEN_CNN):
        # HOG on colour takes the strongest gradient of three channels: grey is a third
        # faster and, measured, finds the same faces.
        grey = np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
        found = _run_hog(models, grey, upsample)
        if not found and policy.retry_upsampled and upsample == 0:
            found = _run_hog(models, grey, 1)
    if policy.detector is Detector.CNN or (policy.detector is Detector.HOG_THEN_CNN and not found):
        found = _run_cnn(models, small, upsample)

    detections = []
    for rect, score in found:
        if score < policy.min_confidence:
            continue
        scaled = dlib.rectangle(
            round(rect.left() / shrink),
            round(rect.top() / shrink),
            round((rect.right() + 1) / shrink) - 1,
            round((rect.bottom() + 1) / shrink) - 1,
        )
        detections.append(Detection(rect=scaled, score=score))
    detections.sort(key=lambda d: d.rect.width() * d.rect.height(), reverse=True)
    return detections


def _encode_rects(
    picture: Picture, detections: Sequence[Detection], models: FaceModels, jitters: int
) -> list[tuple[float, ...]]:
    import dlib

    if not detections:
        return []
    pixels = picture.pixels
    shapes = dlib.full_object_detections()

    def landmarks(rect: Any) -> Any:
        return models.landmarks5.call(lambda sp: sp(pixels, rect))

    for detection in detections:
        shapes.append(landmarks(detection.rect))
    vectors = models.encoder.call(lambda enc: enc.compute_face_descriptor(pixels, shapes, jitters))
    return [tuple(float(x) for x in v) for v in vectors]


def to_faces(
    picture: Picture,
    detections: Sequence[Detection],
    *,
    encode: Sequence[Detection] = (),
    policy: FacePolicy = DEFAULT_POLICY,
    models: FaceModels | None = None,
) -> list[Face]:
    """``Face`` records for ``detections``; those also in ``encode`` get encodings."""
    wanted = [d for d in detections if any(d is e for e in encode)]
    vectors: dict[int, tuple[float, ...]] = {}
    if wanted:
        models = models or get_models(policy.model_dir)
        encoded = _encode_rects(picture, wanted, models, policy.num_jitters)
        vectors = {id(d): v for d, v in zip(wanted, encoded, strict=True)}
    faces = []
    for d in detections:
        box = _box_in_original(picture, d.rect)
        faces.append(
            Face(
                box=box,
                confidence=d.score,
                size=box.width,
                resolution=int(d.rect.width()),
                encoding=vectors.get(id(d)),
            )
        )
    return faces


def encode(
    image: ImageSource | Picture,
    *,
    policy: FacePolicy = DEFAULT_POLICY,
    models: FaceModels | None = None,
) -> list[Face]:
    """Every face in ``image``, largest first, each with its 128-d encoding.

    Faces narrower than ``policy.min_face_px`` are left out: their encodings are too
    unreliable to index or match.
    """
    picture = image if isinstance(image, Picture) else load_picture(image)
    models = models or get_models(policy.model_dir)
    usable = [d for d in detect(picture, policy=policy, models=models) if _usable(d, policy)]
    return to_faces(picture, usable, encode=usable, policy=policy, models=models)


def _usable(detection: Detection, policy: FacePolicy) -> bool:
    return int(detection.rect.width()) >= policy.min_face_px


Encoding = Face | Sequence[float] | NDArray[np.floating]


def distance(a: Encoding, b: Encoding) -> float:
    """Euclidean distance between two encodings (0 = identical; same person <= 0.6)."""
    va = a.vector() if isinstance(a, Face) else np.asarray(a, dtype=np.float64)
    vb = b.vector() if isinstance(b, Face) else np.asarray(b, dtype=np.float64)
    if va.shape != (ENCODING_SIZE,) or vb.shape != (ENCODING_SIZE,):
        raise ValueError(f"encodings must have {ENCODING_SIZE} values")
    return float(np.linalg.norm(va - vb))


def similarity(dist: float, threshold: float = MATCH_THRESHOLD) -> float:
    """``1 - dist / (2 * threshold)`` clamped to [0, 1]; 0.5 exactly at the threshold."""
    return float(min(1.0, max(0.0, 1.0 - dist / (2.0 * threshold))))


@dataclass(frozen=True, slots=True, kw_only=True)
class Portrait:
    """The largest face on a document, cropped with a margin."""

    pixels: RGB  # the crop, upright RGB
    face: Face  # encoded; box in the (rotated, see ``rotation``) document's coordinates
    crop: Box  # where the crop lies in that document image
    rotation: int  # degrees counter-clockwise the document was turned to find the face


# Around dlib's box (brows to chin) to get roughly an ID-photo framing.
_MARGIN_SIDE, _MARGIN_TOP, _MARGIN_BOTTOM = 0.45, 0.65, 0.45


def _rotated(picture: Picture, quarter_turns: int) -> Picture:
    if quarter_turns % 4 == 0:
        return picture
    pixels = np.ascontiguousarray(np.rot90(picture.pixels, quarter_turns))
    w, h = picture.original_width, picture.original_height
    if quarter_turns % 2:
        w, h = h, w
    return Picture(pixels=pixels, scale=picture.scale, original_width=w, original_height=h)


# HOG margins of real, upright faces are 0.5 to 3; below, a detection may be a false one.
_CONFIDENT = 0.5


@dataclass(frozen=True, slots=True)
class Located:
    """A document's faces, found once (up to four detections when it lies sideways) and
    shared by ``find_portrait`` and ``compare``: the picture turned upright, its
    detections largest first, and the turn in degrees."""

    picture: Picture
    found: list[Detection]
    rotation: int
    _encoded: dict[int, Face] = field(default_factory=dict, compare=False, repr=False)

    def largest(self, policy: FacePolicy, models: FaceModels) -> Face:
        """The largest face, encoded once however many checks ask for it."""
        face = self._encoded.get(policy.num_jitters)
        if face is None:
            top = self.found[:1]
            face = to_faces(self.picture, top, encode=top, policy=policy, models=models)[0]
            self._encoded[policy.num_jitters] = face
        return face


def locate_portrait(
    picture: Picture, *, policy: FacePolicy = DEFAULT_POLICY, models: FaceModels | None = None
) -> Located:
    models = models or get_models(policy.model_dir)
    return Located(*_largest_face(picture, policy, models))


def _largest_face(
    picture: Picture, policy: FacePolicy, models: FaceModels
) -> tuple[Picture, list[Detection], int]:
    turns = (0, 1, 3, 2) if policy.portrait_rotations else (0,)
    weak: tuple[Picture, list[Detection], int] | None = None
    for quarter in turns:
        candidate = _rotated(picture, quarter)
        found = detect(candidate, policy=policy, models=models)
        if found and found[0].score >= _CONFIDENT:
            return candidate, found, quarter * 90
        # A faint detection may be a pattern in the print of a document lying sideways:
        # the other turns get their chance, and the most confident one wins.
        if found and (weak is None or found[0].score > weak[1][0].score):
            weak = (candidate, found, quarter * 90)
    return weak if weak is not None else (picture, [], 0)


def find_portrait(
    document: ImageSource | Picture,
    *,
    policy: FacePolicy = DEFAULT_POLICY,
    models: FaceModels | None = None,
    located: Located | None = None,
) -> Portrait | None:
    """The document's portrait: its largest face (ghost images are smaller), or None.
    ``located``: the faces ``locate_portrait`` found on this document already."""
    models = models or get_models(policy.model_dir)
    if located is None:
        picture = document if isinstance(document, Picture) else load_picture(document)
        located = locate_portrait(picture, policy=policy, models=models)
    turned, found, rotation = located.picture, located.found, located.rotation
    if not found:
        return None
    face = located.largest(policy, models)
    rect = found[0].rect
    w, h = rect.width(), rect.height()
    left = max(0, int(rect.left() - _MARGIN_SIDE * w))
    top = max(0, int(rect.top() - _MARGIN_TOP * h))
    right = min(turned.width, int(rect.right() + 1 + _MARGIN_SIDE * w))
    bottom = min(turned.height, int(rect.bottom() + 1 + _MARGIN_BOTTOM * h))
    s = turned.scale
    return Portrait(
        pixels=np.ascontiguousarray(turned.pixels[top:bottom, left:right]),
        face=face,
        crop=Box(
            left=round(left / s),
            top=round(top / s),
            right=round(right / s),
            bottom=round(bottom / s),
        ),
        rotation=rotation,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FaceComparison:
    selfie_faces: tuple[Face, ...]
    portrait_faces: tuple[Face, ...]
    distance: float | None  # None when either side has no usable face
    similarity: float | None
    match: bool
    threshold: float
    result: CheckResult

    def as_dict(self) -> dict[str, Any]:
        return {
            "selfie_faces": [f.summary() for f in self.selfie_faces],
            "portrait_faces": [f.summary() for f in self.portrait_faces],
            "distance": None if self.distance is None else round(self.distance, 4),
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "match": self.match,
            "threshold": self.threshold,
            "outcome": self.result.outcome.value,
            "codes": list(self.result.codes),
        }


def _selfie_problems(
    faces: Sequence[Detection], policy: FacePolicy
) -> tuple[list[str], dict[str, Any]]:
    usable = [d for d in faces if _usable(d, policy)]
    if not faces:
        return [NO_FACE], {}
    if len(usable) > 1:
        return [MULTIPLE_FACES], {"faces": len(usable)}
    if not usable:
        return [FACE_TOO_SMALL], {"face_px": int(faces[0].rect.width())}
    return [], {}


def check_selfie(
    image: ImageSource | Picture,
    *,
    policy: FacePolicy = DEFAULT_POLICY,
    models: FaceModels | None = None,
) -> CheckResult:
    """Exactly one usable face. Smaller faces (background people) are not counted."""
    picture = image if isinstance(image, Picture) else load_picture(image)
    found = detect(picture, policy=policy, models=models)
    codes, details = _selfie_problems(found, policy)
    if codes:
        return CheckResult.failed("selfie", *codes, **details)
    return CheckResult.passed("selfie", face_px=int(found[0].rect.width()))


def compare(
    selfie: ImageSource | Picture,
    portrait: ImageSource | Picture,
    *,
    policy: FacePolicy = DEFAULT_POLICY,
    models: FaceModels | None = None,
    located: Located | None = None,
) -> FaceComparison:
    """Is the selfie's one face the same person as the portrait's largest face?

    The selfie must show exactly one usable face (MULTIPLE_FACES otherwise: someone
    holding up another person's photo shows two); the portrait side may be a whole
    document image, whose largest face is used. ``located``: the faces
    ``locate_portrait`` found on that image already (not searched again).
    """
    models = models or get_models(policy.model_dir)
    selfie_pic = selfie if isinstance(selfie, Picture) else load_picture(selfie)
    selfie_found = detect(selfie_pic, policy=policy, models=models)
    if located is None:
        portrait_pic = portrait if isinstance(portrait, Picture) else load_picture(portrait)
        located = locate_portrait(portrait_pic, policy=policy, models=models)
    portrait_pic, portrait_found, rotation = located.picture, located.found, located.rotation

    codes: list[str] = []
    details: dict[str, Any] = {}
    selfie_codes, selfie_details = _selfie_problems(selfie_found, policy)
    for code in selfie_codes:
        codes.append(code)
        details.setdefault("selfie", []).append(code)
    details.update({f"selfie_{k}": v for k, v in selfie_details.items()})
    if not portrait_found:
        codes.append(NO_FACE)
        details.setdefault("portrait", []).append(NO_FACE)
    elif not _usable(portrait_found[0], policy):
        codes.append(FACE_TOO_SMALL)
        details.setdefault("portrait", []).append(FACE_TOO_SMALL)
    if rotation:
        details["portrait_rotation"] = rotation

    selfie_encode = selfie_found[:1] if not selfie_codes else []
    portrait_encode = portrait_found[:1] if not details.get("portrait") else []
    selfie_faces = to_faces(
        selfie_pic, selfie_found, encode=selfie_encode, policy=policy, models=models
    )
    portrait_faces = to_faces(portrait_pic, portrait_found, policy=policy, models=models)
    if portrait_encode:  # the largest face, encoded once for the portrait check and here
        portrait_faces[0] = located.largest(policy, models)

    dist = sim = None
    match = False
    if not codes:
        dist = distance(selfie_faces[0], portrait_faces[0])
        sim = similarity(dist, policy.threshold)
        match = dist <= policy.threshold
        details.update(distance=round(dist, 4), threshold=policy.threshold)
        if not match:
            codes.append(FACE_MISMATCH)
    result = (
        CheckResult("face_match", Outcome.FAIL, tuple(dict.fromkeys(codes)), details)
        if codes
        else CheckResult.passed("face_match", **details)
    )
    return FaceComparison(
        selfie_faces=tuple(selfie_faces),
        portrait_faces=tuple(portrait_faces),
        distance=dist,
        similarity=sim,
        match=match,
        threshold=policy.threshold,
        result=result,
    )


def check_face_match(
    selfie: ImageSource | Picture,
    portrait: ImageSource | Picture,
    *,
    policy: FacePolicy = DEFAULT_POLICY,
    models: FaceModels | None = None,
) -> CheckResult:
    return compare(selfie, portrait, policy=policy, models=models).result
