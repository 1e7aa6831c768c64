"""Image checks through the worker, over the HTTP API: a genuine applicant is approved by
the machine; the same face under another identity is held for review as a duplicate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.kyc.conftest import Flow
from tests.kyc.test_verify_cli import FACES, passport

PROFILE = {
    "first_name": "Erika", "last_name": "Mustermann", "native_name": None,
    "date_of_birth": "1984-08-12", "nationality": "DE", "phone": "+4915112345678",
    "email": "erika@example.com", "id_type": "passport", "id_number": "C01X00T47",
    "id_country": "DE",
}  # fmt: skip


@pytest.fixture(scope="module")
def photos() -> tuple[Path, Path]:
    if not FACES.is_dir():
        pytest.skip(f"shared face photos not found at {FACES}")
    return FACES / "obama" / "knn_test_obama1.jpg", FACES / "obama" / "examples_obama.jpg"


def submit(flow: Flow, profile: dict[str, object], document: Path, selfie: Path) -> str:
    a = flow.create(level="standard", profile=profile)
    flow.verify_phone(a["id"])
    flow.upload(a["id"], "passport", document.read_bytes())
    flow.upload(a["id"], "selfie", selfie.read_bytes())
    flow.submit(a["id"])
    return str(a["id"])


def test_genuine_then_duplicate_face(flow: Flow, tmp_path: Path, photos: tuple[Path, Path]) -> None:
    portrait, selfie = photos
    doc = passport(tmp_path, portrait, expiry=dt.date.today() + dt.timedelta(days=900))
    first = submit(flow, PROFILE, doc, selfie)
    checks = flow.checks(first)
    failing = {k: v["codes"] for k, v in checks.items() if v["outcome"] != "pass"}
    assert failing == {}, failing
    assert flow.get(first)["status"] == "approved"
    assert checks["face_match"]["details"]["distance"] < 0.6
    assert checks["duplicate_face"]["outcome"] == "pass"
    # The same person again, with another name, number and phone: a second identity.
    other = {**PROFILE, "first_name": "Hans", "last_name": "Schmidt", "id_number": "C4J7R3L65",
             "phone": "+4915112345679", "email": "hans@example.com"}  # fmt: skip
    doc2 = passport(
        tmp_path,
        portrait,
        expiry=dt.date.today() + dt.timedelta(days=900),
        name="doc2.jpg",
        surname="SCHMIDT",
        given="HANS",
        number="C4J7R3L65",
    )
    second = submit(flow, other, doc2, selfie)
    dup = flow.checks(second)["duplicate_face"]
    assert dup["codes"] == ["DUPLICATE_FACE"] and dup["details"]["duplicate_of"] == [first]
    assert flow.get(second)["status"] == "in_review"
    # No face encoding ever appears in a check's details.
    assert "encoding" not in str(flow.checks(second))
