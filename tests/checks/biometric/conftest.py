"""Fixtures for the face tests: the shared photos (skipped where absent) and their
encodings, computed once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from aegis.checks.biometric.faces import Face, encode
from tests.checks.helpers import SHARED_DATA

FACES = SHARED_DATA / "faces"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}


def photos(folder: str) -> list[Path]:
    return sorted(p for p in (FACES / folder).glob("*") if p.suffix.lower() in PHOTO_SUFFIXES)


def identity_photos() -> dict[Path, str]:
    """Photo -> person, over the identity folders (not the _underscore ones)."""
    return {
        photo: folder.name
        for folder in sorted(FACES.iterdir())
        if folder.is_dir() and not folder.name.startswith("_")
        for photo in photos(folder.name)
    }


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    if not FACES.is_dir():
        pytest.skip(f"shared face photos not found at {FACES}")
    return FACES


@pytest.fixture(scope="session")
def encodings(faces_dir: Path) -> dict[Path, Face]:
    """The largest face of every photo in every folder but _multi."""
    out: dict[Path, Face] = {}
    for folder in sorted(faces_dir.iterdir()):
        if not folder.is_dir() or folder.name == "_multi":
            continue
        for photo in photos(folder.name):
            found = encode(photo)
            assert found, f"no face found in {photo.relative_to(faces_dir)}"
            out[photo] = found[0]
    return out
