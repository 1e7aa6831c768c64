"""``aegis kyc verify`` end to end: a synthetic passport carrying a real portrait, real
selfies, synthetic liveness frames (see tests/checks/biometric/synthetic.py)."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from aegis.checks.biometric.faces import detect
from aegis.checks.biometric.images import load_picture
from aegis.checks.biometric.liveness import landmarks68
from aegis.checks.biometric.models import get_models
from aegis.checks.document.fields import DocumentFields, DocumentType
from aegis.checks.document.mrz import MrzFormat, compose_mrz
from aegis.checks.document.synthetic.mrz_docs import render
from aegis.cli.main import app
from tests.checks.biometric.synthetic import performance
from tests.checks.helpers import SHARED_DATA

FACES = SHARED_DATA / "faces"
TODAY = dt.date(2026, 11, 21)
runner = CliRunner()

PROFILE = {
    "first_name": "Erika", "last_name": "Mustermann", "date_of_birth": "1984-08-12",
    "nationality": "DE", "phone": "+4915112345678", "email": "erika@example.com",
    "id_type": "passport", "id_number": "C01X00T47", "id_country": "DE",
    "address": {"line1": "Heidestrasse 17", "city": "Koeln", "postal_code": "51147",
                "country": "DE"},
}  # fmt: skip


def passport(
    tmp: Path,
    portrait: Path,
    *,
    expiry: dt.date,
    name: str = "doc.jpg",
    surname: str = "MUSTERMANN",
    given: str = "ERIKA",
    number: str = "C01X00T47",
) -> Path:
    fields = DocumentFields(
        document_type=DocumentType.PASSPORT,
        document_code="P",
        issuing_country="D",
        surname=surname,
        given_names=given,
        document_number=number,
        nationality="D",
        birth_date=dt.date(1984, 8, 12),
        expiry_date=expiry,
        sex="F",
    )
    lines = compose_mrz(fields, MrzFormat.TD3)
    image = render(fields, lines, MrzFormat.TD3, random.Random(7))
    # The portrait box of the synthetic layout (see mrz_docs._visual_zone).
    width, height = image.size
    margin = round(4 * width / 125)
    box_w = int(width * 0.26)
    box = (margin, int(height * 0.16), margin + box_w, int(height * 0.16) + int(box_w * 1.28))
    face = Image.open(portrait).convert("RGB")
    side = min(face.size)
    face = face.crop(((face.width - side) // 2, 0, (face.width + side) // 2, side))
    image.paste(face.resize((box[2] - box[0], box[3] - box[1])), box[:2])
    out = tmp / name
    image.save(out, "JPEG", quality=90)
    return out


def frames(tmp: Path, photo: Path, actions: list[str], *, repeat: bool = False) -> list[Path]:
    picture = load_picture(photo, max_side=640)
    found = detect(picture)
    points = landmarks68(picture, found[0].rect, get_models())
    shots = performance(picture.pixels, points, actions, seed=3)
    if repeat:  # a replay: one still frame over and over
        shots = [shots[0]] * len(shots)
    paths = []
    for i, shot in enumerate(shots):
        buf = io.BytesIO()
        Image.fromarray(np.asarray(shot)).save(buf, "JPEG", quality=92)
        path = tmp / f"frame-{i:02d}.jpg"
        path.write_bytes(buf.getvalue())
        paths.append(path)
    return paths


def verify(tmp: Path, *, document: Path, selfie: Path, liveness: list[Path]) -> dict[str, Any]:
    applicant = tmp / "applicant.json"
    applicant.write_text(json.dumps({"profile": PROFILE}))
    args = ["kyc", "verify", "--applicant", str(applicant), "--document", str(document),
            "--selfie", str(selfie), "--challenge", "turn_left,blink",
            "--today", TODAY.isoformat(), "--json"]  # fmt: skip
    for frame in liveness:
        args += ["--liveness", str(frame)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def codes(data: dict[str, Any]) -> dict[str, list[str]]:
    return {c["check"]: c["codes"] for c in data["checks"] if c["outcome"] != "pass"}


@pytest.fixture(scope="module")
def obama() -> tuple[Path, Path]:
    if not FACES.is_dir():
        pytest.skip(f"shared face photos not found at {FACES}")
    # (document portrait, selfie): two different photos of one person.
    return FACES / "obama" / "knn_test_obama1.jpg", FACES / "obama" / "examples_obama.jpg"


def test_genuine_applicant_passes(tmp_path: Path, obama: tuple[Path, Path]) -> None:
    portrait, selfie = obama
    doc = passport(tmp_path, portrait, expiry=dt.date(2031, 5, 1))
    live = frames(tmp_path, selfie, ["turn_left", "blink"])
    data = verify(tmp_path, document=doc, selfie=selfie, liveness=live)
    assert codes(data) == {}, data["checks"]
    assert data["decision"]["status"] == "approved"
    face = data["evidence"]["face"]
    assert face["match"] is True and face["distance"] < face["threshold"]


def test_expired_document_fails(tmp_path: Path, obama: tuple[Path, Path]) -> None:
    portrait, selfie = obama
    doc = passport(tmp_path, portrait, expiry=dt.date(2025, 5, 1))
    data = verify(tmp_path, document=doc, selfie=selfie, liveness=[])
    assert codes(data).get("document_expiry") == ["DOC_EXPIRED"]
    assert data["decision"]["status"] == "resubmission_requested"
    assert "DOC_EXPIRED" in [r["code"] for r in data["decision"]["reasons"]]


def test_another_persons_selfie_fails(tmp_path: Path, obama: tuple[Path, Path]) -> None:
    portrait, _ = obama
    doc = passport(tmp_path, portrait, expiry=dt.date(2031, 5, 1))
    someone_else = FACES / "biden" / "examples_biden.jpg"
    data = verify(tmp_path, document=doc, selfie=someone_else, liveness=[])
    assert "FACE_MISMATCH" in codes(data)["face_match"]
    assert data["decision"]["status"] != "approved"


def test_replayed_liveness_fails(tmp_path: Path, obama: tuple[Path, Path]) -> None:
    portrait, selfie = obama
    doc = passport(tmp_path, portrait, expiry=dt.date(2031, 5, 1))
    live = frames(tmp_path, selfie, ["turn_left", "blink"], repeat=True)
    data = verify(tmp_path, document=doc, selfie=selfie, liveness=live)
    assert codes(data)["liveness"] == ["LIVENESS_FAILED"]
    assert data["decision"]["status"] != "approved"


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    applicant = tmp_path / "applicant.json"
    applicant.write_text(json.dumps({"first_name": "X"}))
    result = runner.invoke(
        app, ["kyc", "verify", "--applicant", str(applicant), "--document", "nope.jpg", "--json"]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "error" in json.loads(result.output)
