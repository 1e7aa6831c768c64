"""Pure measures for active liveness: head yaw, eye openness, events, frame hashes.

No I/O and no models here: inputs are 68-point landmarks (dlib / iBUG 300-W order) and
pixel arrays, so every rule is tested exhaustively without a camera.

Landmark indices used: jaw contour 0-16 (0 on the image's left), nose tip 30, the eye
on the image's left 36-41 and on the image's right 42-47, each eye listed corner, two
upper-lid points, corner, two lower-lid points.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
from numpy.typing import NDArray

Points = NDArray[np.float64]  # (68, 2) x, y
Pixels = NDArray[np.uint8]


class Action(StrEnum):
    """What the applicant is asked to do, in the applicant's own terms."""

    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    BLINK = "blink"


TURNS = (Action.TURN_LEFT, Action.TURN_RIGHT)


def yaw_ratio(points: Points) -> float:
    """Signed head yaw measure in [-1, 1]; 0 is frontal, > 0 the nose points image-right.

    ``(L - R) / (L + R)`` with L and R the distances from the nose tip to the left and
    right face contour (jaw points 0-2 and 14-16, at cheek height), measured along the
    line through the eye centres so that head roll does not count as yaw. Under a generic
    3D head (contour points 30 cm to each side of and 25 cm behind the nose tip, in
    the units of the usual solvePnP model) it is about ``0.83 * tan(yaw)``: 0.15 at
    10 degrees, 0.22 at 15, 0.30 at 20, 0.48 at 30.
    """
    left_eye = points[36:42].mean(axis=0)
    right_eye = points[42:48].mean(axis=0)
    axis = right_eye - left_eye
    norm = float(np.hypot(*axis))
    if norm < 1e-6:
        return 0.0
    axis = axis / norm
    nose = points[30]
    left = float(np.dot(nose - points[0:3].mean(axis=0), axis))
    right = float(np.dot(points[14:17].mean(axis=0) - nose, axis))
    total = left + right
    if total <= 1e-6:
        return 0.0
    return float(np.clip((left - right) / total, -1.0, 1.0))


def _eye_ratio(eye: Points) -> float:
    width = float(np.hypot(*(eye[0] - eye[3])))
    if width < 1e-6:
        return 0.0
    lids = float(np.hypot(*(eye[1] - eye[5])) + np.hypot(*(eye[2] - eye[4])))
    return lids / (2.0 * width)


def eye_aspect_ratio(points: Points) -> float:
    """Mean eye aspect ratio (Soukupova & Cech 2016): ~0.3 open, under ~0.15 closed."""
    return (_eye_ratio(points[36:42]) + _eye_ratio(points[42:48])) / 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class MotionPolicy:
    # |yaw| above turn_on starts a turn (~17 degrees), below turn_off ends it (~8).
    turn_on: float = 0.25
    turn_off: float = 0.12
    # Blink: EAR falls below closed_share of the open-eye level, then recovers above
    # open_share of it. The open level is the median over the near-frontal frames (a
    # blink lasts a few frames of many). 0.7 of an open ~0.3 is the usual 0.2 cut-off.
    closed_share: float = 0.7
    open_share: float = 0.85
    # Eye shape is unreliable on a turned head: blinks count on near-frontal frames.
    blink_max_yaw: float = 0.2
    # Front cameras often mirror: then the applicant's left is the image's left.
    mirrored: bool = False


def observed_actions(
    yaws: Sequence[float], ears: Sequence[float], policy: MotionPolicy = MotionPolicy()
) -> list[Action]:
    """The turns and blinks that a per-frame yaw and EAR series show, in order.

    A turn counts once when |yaw| crosses ``turn_on`` and cannot count again before the
    head comes back under ``turn_off``; a head already turned in the first frame does not
    count. A blink counts when the eyes close and open again.
    """
    if len(yaws) != len(ears):
        raise ValueError("one yaw and one EAR per frame")
    frontal = [e for y, e in zip(yaws, ears, strict=True) if abs(y) <= policy.blink_max_yaw]
    open_level = float(np.median(frontal)) if frontal else 0.0
    events: list[Action] = []
    pose: Action | None = None
    closed = False
    for index, (yaw, ear) in enumerate(zip(yaws, ears, strict=True)):
        # Unmirrored camera: the applicant's left is the image's right (yaw > 0).
        direction = (yaw > 0) != policy.mirrored
        turn = Action.TURN_LEFT if direction else Action.TURN_RIGHT
        if abs(yaw) >= policy.turn_on:
            if pose is not turn and index > 0:
                events.append(turn)
            pose = turn
        elif abs(yaw) <= policy.turn_off:
            pose = None
        elif index == 0:
            pose = turn  # starts half-turned: that turn must come back first
        if open_level <= 0 or abs(yaw) > policy.blink_max_yaw:
            continue
        if not closed and ear < policy.closed_share * open_level:
            closed = True
        elif closed and ear > policy.open_share * open_level:
            closed = False
            events.append(Action.BLINK)
    return events


def pixel_hash(pixels: Pixels) -> str:
    """Exact identity of decoded pixels (shape included)."""
    digest = hashlib.sha256(str(pixels.shape).encode())
    digest.update(np.ascontiguousarray(pixels).tobytes())
    return digest.hexdigest()


def thumbnail(pixels: Pixels, side: int = 64) -> NDArray[np.float32]:
    """Grey ``side`` x ``side`` thumbnail, the shared basis of the near-duplicate tests."""
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY) if pixels.ndim == 3 else pixels
    return cv2.resize(grey, (side, side), interpolation=cv2.INTER_AREA).astype(np.float32)


def dhash(pixels: Pixels, side: int = 16) -> int:
    """Difference hash (side x side bits): brighter-than-right-neighbour on a thumbnail."""
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY) if pixels.ndim == 3 else pixels
    small = cv2.resize(grey, (side + 1, side), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def near_duplicate_share(thumbs: Sequence[NDArray[np.float32]], max_mean_diff: float) -> float:
    """Share of frames whose thumbnail is within ``max_mean_diff`` grey levels (mean
    absolute difference) of some other frame's: re-encoded copies of one frame land
    under 0.5, while any real head movement moves whole edges and scores several levels."""
    n = len(thumbs)
    if n < 2:
        return 0.0
    stack = np.stack(thumbs).reshape(n, -1)
    flagged = np.zeros(n, dtype=bool)
    for i in range(n - 1):
        diffs = np.abs(stack[i + 1 :] - stack[i]).mean(axis=1)
        close = np.nonzero(diffs <= max_mean_diff)[0]
        if close.size:
            flagged[i] = True
            flagged[i + 1 + close] = True
    return float(flagged.mean())


@dataclass(frozen=True, slots=True, kw_only=True)
class SequenceFingerprint:
    """What a caller stores to reject the same frame sequence submitted twice.

    ``exact`` is a SHA-256 over every frame's decoded pixels, in order: it catches a
    byte-for-byte (or lossless re-encoded) replay. ``perceptual`` holds one 256-bit
    difference hash per frame, of the face area; ``matches`` compares those, so a lossy
    re-encoding of the same recording is caught too. Measured on synthetic takes: a
    JPEG q75 re-encoding of a take differs by 0-6 bits per frame, a new take of the same
    actions differing only by 1.5 px hand shake and sensor noise by 7-30 (most above 12),
    a take of other actions by 18-62.
    """

    exact: str
    perceptual: tuple[int, ...]

    def matches(
        self, other: SequenceFingerprint, *, max_bits: int = 10, share: float = 0.9
    ) -> bool:
        if self.exact == other.exact:
            return True
        a, b = self.perceptual, other.perceptual
        if not a or not b:
            return False
        # Align by relative position so a different frame sampling still lines up.
        shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
        hits = 0
        for i, h in enumerate(shorter):
            j = round(i * (len(longer) - 1) / max(1, len(shorter) - 1))
            window = longer[max(0, j - 1) : j + 2]
            hits += any(hamming(h, other_hash) <= max_bits for other_hash in window)
        return hits >= share * len(shorter)

    def as_dict(self) -> dict[str, object]:
        return {"exact": self.exact, "perceptual": [f"{h:064x}" for h in self.perceptual]}


Region = tuple[int, int, int, int]  # left, top, right, bottom


def fingerprint(frames: Sequence[Pixels], region: Region | None = None) -> SequenceFingerprint:
    """``region`` (the face area, with a margin) focuses the perceptual hashes where the
    motion is: on whole frames a face is a few cells of the hash grid, and two different
    takes in one room would look alike."""
    digest = hashlib.sha256()
    for frame in frames:
        digest.update(bytes.fromhex(pixel_hash(frame)))
    hashes = []
    for frame in frames:
        part = frame
        if region is not None:
            left, top, right, bottom = region
            part = frame[max(0, top) : bottom, max(0, left) : right]
            if part.shape[0] < 17 or part.shape[1] < 17:
                part = frame
        hashes.append(dhash(np.ascontiguousarray(part)))
    return SequenceFingerprint(exact=digest.hexdigest(), perceptual=tuple(hashes))


def matches_challenge(observed: Sequence[Action], challenged: Sequence[Action]) -> bool:
    """Exactly the challenged actions, in order: no extra turn or blink.

    Strict on purpose: tolerating extra actions would let a recording made for a longer
    challenge pass every challenge it contains.
    """
    return list(observed) == list(challenged)
