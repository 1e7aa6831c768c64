"""Active liveness on SYNTHETIC frame sequences.

The shared data has no videos: every sequence here is made from one real photo by
``synthetic.performance`` (simulated head turns by warping the inner face, simulated
blinks by painting the eyes shut, plus hand shake and sensor noise). The first tests
check that those fakes really move the yaw and eye measures; the rest use them to test
the verdicts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from aegis.checks.biometric.faces import Face, detect, encode
from aegis.checks.biometric.images import Picture, load_picture
from aegis.checks.biometric.liveness import (
    LIVENESS_FAILED,
    Challenge,
    LivenessPolicy,
    Reason,
    landmarks68,
    verify_frames,
    verify_video,
)
from aegis.checks.biometric.models import get_models
from aegis.checks.biometric.motion import Action, MotionPolicy, eye_aspect_ratio, yaw_ratio
from aegis.checks.result import Outcome
from tests.checks.biometric.synthetic import camera, eyes_closed, landscape, performance, turned

L, R, B = Action.TURN_LEFT, Action.TURN_RIGHT, Action.BLINK
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Subject:
    pixels: np.ndarray
    points: np.ndarray
    selfie: Face


def _subject(path: Path) -> Subject:
    picture = load_picture(path, max_side=640)
    found = detect(picture)
    assert len(found) == 1
    return Subject(
        picture.pixels, landmarks68(picture, found[0].rect, get_models()), encode(path)[0]
    )


@pytest.fixture(scope="module")
def alex(faces_dir: Path) -> Subject:
    return _subject(faces_dir / "alex_lacamoire" / "knn_test_alex_lacamoire1.jpg")


@pytest.fixture(scope="module")
def obama(faces_dir: Path) -> Subject:
    return _subject(faces_dir / "obama" / "examples_obama.jpg")


@pytest.fixture(scope="module")
def rose(faces_dir: Path) -> Subject:
    return _subject(faces_dir / "rose_leslie" / "knn_train_img1.jpg")


def _challenge(*actions: Action) -> Challenge:
    return Challenge(
        nonce="n", actions=actions, issued_at=NOW, expires_at=NOW + timedelta(minutes=2)
    )


def _measure(pixels: np.ndarray) -> tuple[float, float]:
    picture = Picture(
        pixels=pixels, scale=1.0, original_width=pixels.shape[1], original_height=pixels.shape[0]
    )
    found = detect(picture)
    assert len(found) == 1
    points = landmarks68(picture, found[0].rect, get_models())
    return yaw_ratio(points), eye_aspect_ratio(points)


def _verify(
    subject: Subject, frames: list[np.ndarray], *actions: Action, reference: object = "selfie"
):  # type: ignore[no-untyped-def]
    ref = subject.selfie if reference == "selfie" else reference
    return verify_frames(_challenge(*actions), frames, reference=ref, now=NOW)


@pytest.mark.parametrize("who", ["alex", "obama", "rose"])
def test_synthetic_turns_and_blinks_really_move_the_measures(
    who: str, request: pytest.FixtureRequest
) -> None:
    subject: Subject = request.getfixturevalue(who)
    motion = MotionPolicy()
    yaw0, ear0 = _measure(subject.pixels)
    assert abs(yaw0) < motion.turn_off  # a frontal photo to start from
    yaw_left, _ = _measure(turned(subject.pixels, subject.points, 0.21))
    yaw_right, _ = _measure(turned(subject.pixels, subject.points, -0.21))
    assert yaw_left > motion.turn_on and yaw_right < -motion.turn_on
    _, ear_closed = _measure(eyes_closed(subject.pixels, subject.points))
    assert ear_closed < motion.closed_share * ear0


@pytest.mark.parametrize(
    ("who", "actions"), [("alex", (L, B, R)), ("obama", (B, R, L)), ("rose", (R, L, B))]
)
def test_performed_challenge_passes(
    who: str, actions: tuple[Action, ...], request: pytest.FixtureRequest
) -> None:
    subject: Subject = request.getfixturevalue(who)
    frames = performance(subject.pixels, subject.points, [a.value for a in actions], seed=1)
    report = _verify(subject, frames, *actions)
    assert report.result.outcome is Outcome.PASS, report.result.details
    assert report.observed == actions and report.passed
    assert len(report.frames) == len(frames)
    assert all(m.distance is not None and m.distance < 0.6 for m in report.frames)
    assert report.fingerprint is not None


def test_static_photo_has_no_motion(obama: Subject) -> None:
    rng = np.random.default_rng(3)
    frames = [camera(obama.pixels, rng) for _ in range(8)]
    report = _verify(obama, frames, L, B)
    assert report.result.codes == (LIVENESS_FAILED,)
    assert report.result.details["reason"] == Reason.NO_MOTION


def _jpeg(pixels: np.ndarray, quality: int = 90) -> np.ndarray:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=quality)
    return np.asarray(Image.open(out).convert("RGB"))


def test_identical_and_replayed_frames_fail(alex: Subject) -> None:
    frames = performance(alex.pixels, alex.points, ["turn_left", "turn_right"], seed=2)
    duplicated = [*frames[:5], frames[3], *frames[5:]]
    report = _verify(alex, duplicated, L, R)
    assert report.result.details["reason"] == Reason.DUPLICATE_FRAMES
    # Padding by re-encoded copies: every frame three times, never byte-identical.
    padded = [_jpeg(f, q) for f in frames for q in (95, 90, 85)]
    report = _verify(alex, padded, L, R)
    assert report.result.details["reason"] == Reason.REPLAYED_FRAMES
    # A still photo re-encoded (no hand shake, no sensor noise between frames).
    still = [_jpeg(alex.pixels, q) for q in (95, 92, 90, 88, 85, 80)]
    assert _verify(alex, still, L).result.details["reason"] == Reason.REPLAYED_FRAMES


def test_wrong_order_and_a_recording_of_another_challenge_fail(rose: Subject) -> None:
    frames = performance(rose.pixels, rose.points, ["turn_right", "turn_left"], seed=4)
    report = _verify(rose, frames, L, R)
    assert report.result.details["reason"] == Reason.WRONG_ORDER
    assert report.result.details["observed"] == ["turn_right", "turn_left"]
    assert report.result.details["expected"] == ["turn_left", "turn_right"]
    # A recording that contains the challenge and more is still the wrong recording.
    longer = performance(rose.pixels, rose.points, ["turn_left", "blink", "turn_right"], seed=5)
    assert _verify(rose, longer, L, R).result.details["reason"] == Reason.WRONG_ORDER


def test_another_person_fails_even_midway(alex: Subject, obama: Subject) -> None:
    alex_frames = performance(alex.pixels, alex.points, ["turn_left"], seed=6)
    report = _verify(alex, alex_frames, L, reference=obama.selfie)
    assert report.result.details["reason"] == Reason.DIFFERENT_PERSON
    assert report.result.details["frame"] == 0
    swapped = alex_frames[:5] + performance(obama.pixels, obama.points, ["turn_right"], seed=7)[2:]
    report = _verify(alex, swapped, L, R)
    assert report.result.details["reason"] == Reason.DIFFERENT_PERSON
    assert report.result.details["frame"] == 5
    # Without a reference the first frame's face is the reference.
    no_ref = verify_frames(_challenge(L, R), swapped, now=NOW)
    assert no_ref.result.details["reason"] == Reason.DIFFERENT_PERSON


def test_frames_must_show_one_face_and_be_enough(obama: Subject, faces_dir: Path) -> None:
    frames = performance(obama.pixels, obama.points, ["turn_left"], seed=8)
    report = _verify(obama, frames[:3], L)
    assert report.result.details["reason"] == Reason.TOO_FEW_FRAMES
    scenery = np.asarray(Image.fromarray(landscape(1)).resize(obama.pixels.shape[1::-1]))
    report = _verify(obama, [*frames[:4], scenery, *frames[4:]], L)
    assert (report.result.details["reason"], report.result.details["frame"]) == (Reason.NO_FACE, 4)
    crowd = load_picture(faces_dir / "_multi" / "two_people.jpg", max_side=640).pixels
    report = _verify(obama, [*frames, crowd], L)
    assert report.result.details["reason"] == Reason.MULTIPLE_FACES


def test_expired_challenge_fails(obama: Subject) -> None:
    challenge = _challenge(L)
    frames = performance(obama.pixels, obama.points, ["turn_left"], seed=9)
    report = verify_frames(challenge, frames, reference=obama.selfie, now=challenge.expires_at)
    assert report.result.details["reason"] == Reason.CHALLENGE_EXPIRED


def test_video_input_and_replay_fingerprint(alex: Subject, tmp_path: Path) -> None:
    frames = performance(alex.pixels, alex.points, ["blink", "turn_right"], seed=10)
    path = tmp_path / "take.avi"
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (w, h))
    assert writer.isOpened()
    for frame in frames:
        for _ in range(2):  # a constant-rate container repeats frames: decoding drops them
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()

    from_path = verify_video(_challenge(B, R), path, reference=alex.selfie, now=NOW)
    assert from_path.passed, from_path.result.details
    from_bytes = verify_video(_challenge(B, R), path.read_bytes(), reference=alex.selfie, now=NOW)
    assert from_bytes.passed
    assert from_path.fingerprint is not None and from_bytes.fingerprint is not None
    assert from_path.fingerprint == from_bytes.fingerprint  # the same recording, twice

    # The frames behind the video, lossy-encoded differently, are still the same take.
    direct = verify_frames(_challenge(B, R), frames, reference=alex.selfie, now=NOW)
    assert direct.fingerprint is not None
    assert direct.fingerprint.exact != from_path.fingerprint.exact
    assert direct.fingerprint.matches(from_path.fingerprint)
    # Another take, even of the same actions, is not a replay.
    for actions, seed in (((B, R), 11), ((L, B), 12)):
        take = performance(alex.pixels, alex.points, [a.value for a in actions], seed=seed)
        other = verify_frames(_challenge(*actions), take, reference=alex.selfie, now=NOW)
        assert other.passed and other.fingerprint is not None
        assert not other.fingerprint.matches(from_path.fingerprint)

    bad = verify_video(_challenge(B, R), b"not a video at all", now=NOW)
    assert bad.result.details["reason"] == Reason.UNREADABLE_VIDEO


def test_long_inputs_are_subsampled(obama: Subject) -> None:
    frames = performance(obama.pixels, obama.points, ["turn_left"], seed=12)
    policy = LivenessPolicy(max_frames=6)
    report = verify_frames(_challenge(L), frames, reference=obama.selfie, policy=policy, now=NOW)
    assert len(report.frames) <= 6
    assert report.result.outcome in (Outcome.PASS, Outcome.FAIL)
    assert report.result.codes in ((), (LIVENESS_FAILED,))
