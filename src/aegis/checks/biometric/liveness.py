"""Active liveness: the applicant performs a random challenge in front of the camera.

The server issues a ``Challenge`` (a nonce and a random sequence of head turns and
blinks, valid for two minutes); the applicant's app records a short video or a burst of
frames while the applicant performs it; ``verify_frames`` / ``verify_video`` check that

* there are enough frames and none is an exact or near-exact copy of another
  (frames padded or looped from a few stills fail as ``replayed_frames``);
* every frame shows exactly one face, and it is the selfie's person (encoding
  distance under the face-match threshold), so the person cannot be swapped midway;
* the head yaw (nose against the face contour, from dlib's 68 landmarks) and eye
  aspect ratio series show exactly the challenged actions, in the challenged order.

The report carries a ``SequenceFingerprint``: the caller stores it and rejects a later
submission that ``matches`` a stored one (the same recording sent twice), and marks the
challenge's nonce used so a challenge is answered at most once.

What this defends against: a static photo or a printed/screen photo held still (no
motion, or near-duplicate frames); a replayed recording made for another challenge
(wrong actions or order: with three actions out of turn left/right and blink there are
12 possible challenges, and a nonce is answered once); the same recording submitted
again (fingerprint); a different person performing the challenge, or a swap of person
during it (per-frame identity).

What it does NOT defend against: a real-time deepfake or face-swap, a 3D mask, or a
puppeted/animated photo that actually performs the challenged actions; a camera-feed
injection of such content. Detecting those needs passive presentation-attack detection
(texture, depth, moire, rPPG) models, and no such model can be had offline here: route
high-risk cases to human review or a certified liveness vendor through a port.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from aegis.checks.biometric.faces import Encoding, Face, FacePolicy, detect, distance, to_faces
from aegis.checks.biometric.images import RGB, ImageSource, Picture, UnreadableImage, load_picture
from aegis.checks.biometric.models import FaceModels, get_models
from aegis.checks.biometric.motion import (
    TURNS,
    Action,
    MotionPolicy,
    Points,
    SequenceFingerprint,
    eye_aspect_ratio,
    fingerprint,
    matches_challenge,
    near_duplicate_share,
    observed_actions,
    pixel_hash,
    thumbnail,
    yaw_ratio,
)
from aegis.checks.result import CheckResult

LIVENESS_FAILED = "LIVENESS_FAILED"
CHECK = "liveness"


class Reason(StrEnum):
    """Why liveness failed (``details["reason"]``)."""

    CHALLENGE_EXPIRED = "challenge_expired"
    UNREADABLE_VIDEO = "unreadable_video"
    TOO_FEW_FRAMES = "too_few_frames"
    DUPLICATE_FRAMES = "duplicate_frames"
    REPLAYED_FRAMES = "replayed_frames"
    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    DIFFERENT_PERSON = "different_person"
    NO_MOTION = "no_motion"
    WRONG_ORDER = "wrong_order"


class _Random(Protocol):
    def choice(self, seq: Sequence[Action]) -> Action: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Challenge:
    nonce: str
    actions: tuple[Action, ...]
    issued_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def as_dict(self) -> dict[str, Any]:
        return {
            "nonce": self.nonce,
            "actions": [a.value for a in self.actions],
            "issued_at": self.issued_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }


def issue_challenge(
    *,
    length: int = 3,
    actions: Sequence[Action] = tuple(Action),
    ttl: timedelta = timedelta(minutes=2),
    now: datetime | None = None,
    rng: _Random | None = None,
) -> Challenge:
    """A fresh challenge: ``length`` actions, no action twice in a row, at least one turn.

    ``rng`` defaults to the operating system's CSPRNG: a predictable challenge could be
    recorded in advance.
    """
    if length < 1:
        raise ValueError("a challenge has at least one action")
    pool = tuple(dict.fromkeys(actions))
    if not any(a in TURNS for a in pool) or (length > 1 and len(pool) < 2):
        raise ValueError("actions must include a turn, and two kinds for longer challenges")
    rng = rng or secrets.SystemRandom()
    while True:
        chosen: list[Action] = []
        for _ in range(length):
            options = [a for a in pool if not chosen or a is not chosen[-1]]
            chosen.append(rng.choice(options))
        if any(a in TURNS for a in chosen):
            break
    issued = now or datetime.now(UTC)
    return Challenge(
        nonce=secrets.token_urlsafe(18),
        actions=tuple(chosen),
        issued_at=issued,
        expires_at=issued + ttl,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LivenessPolicy:
    min_frames: int = 5
    # Longer inputs are subsampled evenly down to this many frames (each costs ~0.1 s).
    max_frames: int = 40
    # Decoding stops here: 30 s at 30 fps.
    max_video_frames: int = 900
    frame_max_side: int = 640
    # Near-duplicates: thumbnails within this mean grey-level difference.
    near_duplicate_diff: float = 0.5
    max_near_duplicate_share: float = 0.5
    motion: MotionPolicy = field(default_factory=MotionPolicy)
    face: FacePolicy = field(default_factory=FacePolicy)


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameMeasure:
    index: int
    yaw: float
    ear: float
    distance: float | None  # to the reference face


@dataclass(frozen=True, slots=True, kw_only=True)
class LivenessReport:
    result: CheckResult
    expected: tuple[Action, ...]
    observed: tuple[Action, ...]
    frames: tuple[FrameMeasure, ...]
    fingerprint: SequenceFingerprint | None

    @property
    def passed(self) -> bool:
        return not self.result.codes


def landmarks68(picture: Picture, rect: Any, models: FaceModels) -> Points:
    pixels = picture.pixels
    shape = models.landmarks68.call(lambda sp: sp(pixels, rect))
    return np.array([[shape.part(i).x, shape.part(i).y] for i in range(68)], dtype=np.float64)


def _subsample(items: Sequence[Any], limit: int) -> list[Any]:
    if len(items) <= limit:
        return list(items)
    picks = np.linspace(0, len(items) - 1, limit).round().astype(int)
    return [items[i] for i in picks]


def decode_video(source: bytes | Path | str, *, policy: LivenessPolicy | None = None) -> list[RGB]:
    """RGB frames of a short video, consecutive identical frames dropped (codecs repeat
    frames to fill a constant frame rate), evenly subsampled to ``max_frames``."""
    policy = policy or LivenessPolicy()
    temp: str | None = None
    if isinstance(source, bytes):
        if not source:
            raise UnreadableImage("empty video")
        # OpenCV's FFmpeg backend reads from a path only.
        handle, temp = tempfile.mkstemp(prefix="aegis-liveness-", suffix=".video")
        with os.fdopen(handle, "wb") as out:
            out.write(source)
        path = temp
    else:
        path = str(source)
        if not Path(path).is_file():
            raise UnreadableImage(f"cannot read {Path(path).name}")
    try:
        capture = cv2.VideoCapture(path)
        frames: list[RGB] = []
        last: str | None = None
        try:
            while capture.isOpened() and len(frames) < policy.max_video_frames:
                ok, bgr = capture.read()
                if not ok or bgr is None:
                    break
                rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
                digest = pixel_hash(rgb)
                if digest != last:
                    frames.append(load_picture(rgb, max_side=policy.frame_max_side).pixels)
                last = digest
        finally:
            capture.release()
    finally:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
    if not frames:
        raise UnreadableImage("not a readable video")
    return _subsample(frames, policy.max_frames)


def _fail(
    challenge: Challenge,
    reason: Reason,
    *,
    observed: Sequence[Action] = (),
    measures: Sequence[FrameMeasure] = (),
    fp: SequenceFingerprint | None = None,
    **details: Any,
) -> LivenessReport:
    if observed:
        details["observed"] = [a.value for a in observed]
    return LivenessReport(
        result=CheckResult.failed(CHECK, LIVENESS_FAILED, reason=reason.value, **details),
        expected=challenge.actions,
        observed=tuple(observed),
        frames=tuple(measures),
        fingerprint=fp,
    )


def verify_frames(
    challenge: Challenge,
    frames: Sequence[ImageSource],
    *,
    reference: Encoding | None = None,
    policy: LivenessPolicy | None = None,
    now: datetime | None = None,
    models: FaceModels | None = None,
) -> LivenessReport:
    """Check a burst of frames (oldest first) against ``challenge``.

    ``reference`` is the selfie's ``Face`` (or its 128 encoding values); without it the
    first frame's face is the reference, and the caller must match the selfie itself.
    Unreadable frames raise ``UnreadableImage`` (a client error, not a liveness result).
    """
    policy = policy or LivenessPolicy()
    pixels = [
        load_picture(f, max_side=policy.frame_max_side).pixels
        for f in _subsample(frames, policy.max_frames)
    ]
    return _verify(challenge, pixels, reference, policy, now, models)


def verify_video(
    challenge: Challenge,
    video: bytes | Path | str,
    *,
    reference: Encoding | None = None,
    policy: LivenessPolicy | None = None,
    now: datetime | None = None,
    models: FaceModels | None = None,
) -> LivenessReport:
    """``verify_frames`` on a short video (any container FFmpeg reads: MP4, WebM, AVI)."""
    policy = policy or LivenessPolicy()
    try:
        pixels = decode_video(video, policy=policy)
    except UnreadableImage:
        return _fail(challenge, Reason.UNREADABLE_VIDEO)
    return _verify(challenge, pixels, reference, policy, now, models)


def _picture(frame: RGB) -> Picture:
    return Picture(
        pixels=frame, scale=1.0, original_width=frame.shape[1], original_height=frame.shape[0]
    )


def _face_region(
    frame: RGB, policy: LivenessPolicy, models: FaceModels
) -> tuple[int, int, int, int] | None:
    """The first frame's face box grown by half its size on every side."""
    found = detect(_picture(frame), policy=policy.face, models=models)
    if not found:
        return None
    rect = found[0].rect
    w, h = rect.width(), rect.height()
    return (
        rect.left() - w // 2,
        rect.top() - h // 2,
        rect.right() + w // 2,
        rect.bottom() + h // 2,
    )


def _verify(
    challenge: Challenge,
    frames: list[RGB],
    reference: Encoding | None,
    policy: LivenessPolicy,
    now: datetime | None,
    models: FaceModels | None,
) -> LivenessReport:
    if challenge.expired(now or datetime.now(UTC)):
        return _fail(challenge, Reason.CHALLENGE_EXPIRED)
    models = models or get_models(policy.face.model_dir)
    fp = fingerprint(frames, _face_region(frames[0], policy, models)) if frames else None
    if len(frames) < policy.min_frames:
        return _fail(
            challenge, Reason.TOO_FEW_FRAMES, fp=fp, frames=len(frames), needed=policy.min_frames
        )
    hashes = [pixel_hash(f) for f in frames]
    if len(set(hashes)) < len(hashes):
        return _fail(challenge, Reason.DUPLICATE_FRAMES, fp=fp, unique=len(set(hashes)))
    share = near_duplicate_share([thumbnail(f) for f in frames], policy.near_duplicate_diff)
    if share > policy.max_near_duplicate_share:
        return _fail(challenge, Reason.REPLAYED_FRAMES, fp=fp, near_duplicate_share=round(share, 2))

    ref: NDArray[np.float64] | None = None
    if isinstance(reference, Face):
        ref = reference.vector()
    elif reference is not None:
        ref = np.asarray(reference, dtype=np.float64)
    measures: list[FrameMeasure] = []
    for index, frame in enumerate(frames):
        picture = _picture(frame)
        found = [
            d
            for d in detect(picture, policy=policy.face, models=models)
            if d.rect.width() >= policy.face.min_face_px
        ]
        if len(found) != 1:
            reason = Reason.NO_FACE if not found else Reason.MULTIPLE_FACES
            return _fail(challenge, reason, measures=measures, fp=fp, frame=index)
        face = to_faces(picture, found, encode=found, policy=policy.face, models=models)[0]
        if ref is None:
            ref = face.vector()
        dist = distance(face, ref)
        points = landmarks68(picture, found[0].rect, models)
        measures.append(
            FrameMeasure(
                index=index, yaw=yaw_ratio(points), ear=eye_aspect_ratio(points), distance=dist
            )
        )
        if dist > policy.face.threshold:
            return _fail(
                challenge,
                Reason.DIFFERENT_PERSON,
                measures=measures,
                fp=fp,
                frame=index,
                distance=round(dist, 4),
            )

    observed = observed_actions([m.yaw for m in measures], [m.ear for m in measures], policy.motion)
    expected = [a.value for a in challenge.actions]
    if not observed:
        return _fail(challenge, Reason.NO_MOTION, measures=measures, fp=fp, expected=expected)
    if not matches_challenge(observed, challenge.actions):
        return _fail(
            challenge,
            Reason.WRONG_ORDER,
            observed=observed,
            measures=measures,
            fp=fp,
            expected=expected,
        )
    return LivenessReport(
        result=CheckResult.passed(CHECK, frames=len(frames), actions=expected),
        expected=challenge.actions,
        observed=tuple(observed),
        frames=tuple(measures),
        fingerprint=fp,
    )
