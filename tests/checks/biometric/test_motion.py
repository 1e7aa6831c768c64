"""The pure liveness measures: yaw from landmarks, eye aspect ratio, events, hashes."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from aegis.checks.biometric.liveness import issue_challenge
from aegis.checks.biometric.motion import (
    TURNS,
    Action,
    MotionPolicy,
    dhash,
    eye_aspect_ratio,
    fingerprint,
    matches_challenge,
    near_duplicate_share,
    observed_actions,
    thumbnail,
    yaw_ratio,
)

L, R, B = Action.TURN_LEFT, Action.TURN_RIGHT, Action.BLINK


def _head(yaw_deg: float, roll_deg: float = 0.0, eye_open: float = 1.0) -> np.ndarray:
    """68 landmarks of a generic 3D head (nose tip at the origin, the usual solvePnP
    model's proportions) turned by ``yaw_deg`` and projected orthographically."""
    pts3 = np.zeros((68, 3))
    for i in range(17):  # jaw: ear to ear, behind the nose; 0-2 and 14-16 at cheek height
        side = -1 if i < 8 else 1
        x = 300 if i in (0, 1, 2, 14, 15, 16) else 300 - 40 * (min(i, 16 - i) - 2)
        pts3[i] = (side * x, 100 - 40 * min(i, 16 - i), -250)
    pts3[30] = (0, 0, 0)
    for base, cx in ((36, -150), (42, 150)):  # eyes: corner, 2 upper, corner, 2 lower
        lid = 25 * eye_open
        pts3[base : base + 6] = [
            (cx - 60, 170, -135), (cx - 20, 170 + lid, -135), (cx + 20, 170 + lid, -135),
            (cx + 60, 170, -135), (cx + 20, 170 - lid, -135), (cx - 20, 170 - lid, -135),
        ]  # fmt: skip
    yaw = np.radians(yaw_deg)
    x = pts3[:, 0] * np.cos(yaw) + pts3[:, 2] * np.sin(yaw)
    y = -pts3[:, 1]  # image y grows downwards
    roll = np.radians(roll_deg)
    rot = np.array([[np.cos(roll), -np.sin(roll)], [np.sin(roll), np.cos(roll)]])
    return np.stack([x, y], axis=1) @ rot.T + 500


@pytest.mark.parametrize("degrees", [0, 5, 10, 15, 20, 30, 40])
def test_yaw_ratio_follows_the_head_model(degrees: float) -> None:
    for sign in (1, -1):
        expected = 250 / 300 * np.tan(np.radians(sign * degrees))
        assert yaw_ratio(_head(sign * degrees)) == pytest.approx(expected, abs=1e-6)


def test_yaw_ratio_ignores_roll_and_is_monotone() -> None:
    for roll in (-25, -10, 10, 25):
        assert yaw_ratio(_head(20, roll)) == pytest.approx(yaw_ratio(_head(20)), abs=1e-6)
    series = [yaw_ratio(_head(d)) for d in range(-45, 46, 5)]
    assert all(a < b for a, b in itertools.pairwise(series))


def test_eye_aspect_ratio_falls_when_eyes_close() -> None:
    open_ear = eye_aspect_ratio(_head(0))
    assert open_ear == pytest.approx(50 / 120)
    assert eye_aspect_ratio(_head(0, eye_open=0.1)) == pytest.approx(0.1 * open_ear)


def _series(*segments: tuple[float, float, int]) -> tuple[list[float], list[float]]:
    yaws: list[float] = []
    ears: list[float] = []
    for yaw, ear, n in segments:
        yaws += [yaw] * n
        ears += [ear] * n
    return yaws, ears


def test_turns_and_blinks_in_order() -> None:
    yaws, ears = _series(
        (0, 0.3, 3),
        (0.15, 0.3, 1),
        (0.35, 0.3, 2),
        (0.0, 0.3, 2),
        (0, 0.1, 2),
        (0, 0.3, 2),
        (-0.4, 0.3, 2),
        (0, 0.3, 2),
    )
    assert observed_actions(yaws, ears) == [L, B, R]
    assert observed_actions(yaws, ears, MotionPolicy(mirrored=True)) == [R, B, L]


def test_a_turn_counts_once_until_the_head_comes_back() -> None:
    # Wobbling between 0.2 and 0.4 (never under turn_off) is still one turn.
    yaws, ears = _series(
        (0, 0.3, 2), (0.4, 0.3, 1), (0.2, 0.3, 1), (0.4, 0.3, 1), (0.0, 0.3, 1), (0.4, 0.3, 1)
    )
    assert observed_actions(yaws, ears) == [L, L]


def test_a_head_turned_from_the_first_frame_does_not_count() -> None:
    yaws, ears = _series((0.4, 0.3, 4), (0.0, 0.3, 3))
    assert observed_actions(yaws, ears) == []
    yaws, ears = _series((0.2, 0.3, 2), (0.4, 0.3, 2), (0.0, 0.3, 2))  # half-turned at start
    assert observed_actions(yaws, ears) == []


def test_blink_needs_eyes_to_reopen_and_a_frontal_head() -> None:
    assert observed_actions(*_series((0, 0.3, 4), (0, 0.1, 3))) == []  # never reopened
    assert observed_actions(*_series((0, 0.3, 4), (0, 0.25, 2), (0, 0.3, 2))) == []  # squint
    # Eyes "closing" on a turned head are foreshortening, not a blink.
    assert observed_actions(*_series((0, 0.3, 4), (0.3, 0.1, 2), (0.3, 0.3, 2), (0, 0.3, 2))) == [L]
    with pytest.raises(ValueError, match="per frame"):
        observed_actions([0.0], [])


def test_challenge_matching_is_exact() -> None:
    assert matches_challenge([L, B, R], (L, B, R))
    assert not matches_challenge([L, B, R, B], (L, B, R))  # a longer recording
    assert not matches_challenge([B, L, R], (L, B, R))
    assert not matches_challenge([L, R], (L, B, R))


def test_issued_challenges_are_varied_and_well_formed() -> None:
    rng = random.Random(7)
    seen = set()
    for _ in range(300):
        challenge = issue_challenge(length=3, rng=rng)
        acts = challenge.actions
        assert len(acts) == 3 and any(a in TURNS for a in acts)
        assert all(a is not b for a, b in itertools.pairwise(acts))
        seen.add(acts)
        assert challenge.expires_at > challenge.issued_at
    assert len(seen) == 12  # every valid sequence of three comes up
    assert len({issue_challenge().nonce for _ in range(50)}) == 50
    assert issue_challenge(length=1, actions=(L,)).actions == (L,)
    with pytest.raises(ValueError, match="turn"):
        issue_challenge(actions=(B,))
    with pytest.raises(ValueError, match="at least one"):
        issue_challenge(length=0)


def test_hashes_and_near_duplicates() -> None:
    rng = np.random.default_rng(1)
    cells = (rng.random((15, 20, 3)) * 255).astype(np.uint8)
    base = np.asarray(np.kron(cells, np.ones((32, 32, 1))), np.uint8)  # 480x640 blocky scene
    noisy = np.clip(np.round(base + rng.normal(0, 1.5, base.shape)), 0, 255).astype(np.uint8)
    moved = np.roll(base, 12, axis=1)
    assert bin(dhash(base) ^ dhash(noisy)).count("1") <= 12
    assert bin(dhash(base) ^ dhash(moved)).count("1") > 12
    thumbs = [thumbnail(f) for f in (base, noisy, moved)]
    assert near_duplicate_share(thumbs, 0.5) == pytest.approx(2 / 3)
    assert near_duplicate_share(thumbs[:1], 0.5) == 0.0

    a = fingerprint([base, moved, noisy])
    assert a == fingerprint([base.copy(), moved.copy(), noisy.copy()])
    assert a.matches(fingerprint([noisy, moved, base]))  # lossy copy of the same frames
    assert not a.matches(fingerprint([moved, np.roll(base, 40, axis=0), np.flipud(base)]))
    assert len(a.as_dict()["perceptual"]) == 3  # type: ignore[arg-type]
