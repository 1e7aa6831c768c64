"""Active liveness over the API: a challenge, the frames answering it, once; replays refused;
a level may require it. Frames are synthetic motion made from real photos (see
tests/checks/biometric/synthetic.py)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from aegis.checks.biometric.faces import detect
from aegis.checks.biometric.images import load_picture
from aegis.checks.biometric.liveness import landmarks68
from aegis.checks.biometric.models import get_models
from aegis.kyc.faces.models import LivenessCheck
from aegis.platform import Platform
from tests.checks.biometric.synthetic import performance
from tests.kyc.conftest import Flow, image_bytes
from tests.kyc.test_verify_cli import FACES
from tests.support.tenants import TenantHandle

SELFIE = FACES / "obama" / "examples_obama.jpg"


def _jpeg(pixels: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.asarray(pixels)).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def frames_for(actions: list[str], *, seed: int = 3) -> list[bytes]:
    picture = load_picture(SELFIE, max_side=640)
    points = landmarks68(picture, detect(picture)[0].rect, get_models())
    return [_jpeg(f) for f in performance(picture.pixels, points, actions, seed=seed)]


def answer(client: TestClient, tenant: TenantHandle, path: str, frames: list[bytes]) -> Any:
    files = [("frames", (f"f{i}.jpg", data, "image/jpeg")) for i, data in enumerate(frames)]
    return client.post(path, headers=tenant.headers, files=files)


@pytest.fixture
def faces_present() -> None:
    if not FACES.is_dir():
        pytest.skip(f"shared face photos not found at {FACES}")


def test_challenge_is_random_and_isolated(
    flow: Flow, client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    a = flow.create()
    r = client.post(f"/v1/applicants/{a['id']}/liveness", headers=tenant.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "issued" and 2 <= len(body["actions"]) <= 3
    assert set(body["actions"]) <= {"turn_left", "turn_right", "blink"}
    path = f"/v1/applicants/{a['id']}/liveness/{body['id']}"
    assert client.get(path, headers=tenant.headers).json()["id"] == body["id"]
    # Another tenant sees neither the applicant nor the challenge.
    assert client.get(path, headers=other_tenant.headers).status_code == 404
    other = client.post(f"/v1/applicants/{a['id']}/liveness", headers=other_tenant.headers)
    assert other.status_code == 404


def test_bad_frames_are_clear_4xx(flow: Flow, client: TestClient, tenant: TenantHandle) -> None:
    a = flow.create()
    lid = client.post(f"/v1/applicants/{a['id']}/liveness", headers=tenant.headers).json()["id"]
    path = f"/v1/applicants/{a['id']}/liveness/{lid}"
    few = answer(client, tenant, path, [image_bytes()] * 2)
    assert few.status_code == 422 and few.json()["errors"][0]["pointer"] == "#/frames"
    junk = answer(client, tenant, path, [b"not an image at all"] * 4)
    assert 400 <= junk.status_code < 500 and "Traceback" not in junk.text
    # Nothing was recorded: the challenge is still open.
    assert client.get(path, headers=tenant.headers).json()["status"] == "issued"


@pytest.mark.usefixtures("faces_present")
def test_performed_challenge_passes_once_and_replay_fails(
    flow: Flow, client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    a = flow.create()
    flow.upload(a["id"], "selfie", SELFIE.read_bytes())
    first = client.post(f"/v1/applicants/{a['id']}/liveness", headers=tenant.headers).json()
    frames = frames_for(first["actions"])
    path = f"/v1/applicants/{a['id']}/liveness/{first['id']}"
    r = answer(client, tenant, path, frames)
    assert r.status_code == 200 and r.json()["status"] == "passed", r.text
    assert r.json()["details"]["reference"] is True  # compared with the selfie
    # Answered once only.
    assert answer(client, tenant, path, frames).status_code == 409
    # The same frames again, for a challenge that happened to ask the same actions.
    second = client.post(f"/v1/applicants/{a['id']}/liveness", headers=tenant.headers).json()
    with platform.db.session() as session:
        row = session.get(LivenessCheck, second["id"])
        assert row is not None
        row.actions = list(first["actions"])
    replay = answer(client, tenant, f"/v1/applicants/{a['id']}/liveness/{second['id']}", frames)
    assert replay.json()["status"] == "failed"
    assert [x["code"] for x in replay.json()["reasons"]] == ["LIVENESS_FAILED"]
    assert replay.json()["details"]["reason"] == "replayed"


@pytest.mark.usefixtures("faces_present")
def test_a_level_can_require_liveness(flow: Flow, client: TestClient, tenant: TenantHandle) -> None:
    level = {"name": "selfie-live", "steps": ["identity_data", "id_number", "liveness"],
             "checks": ["id_number", "email"]}  # fmt: skip
    assert client.post("/v1/verification-levels", headers=tenant.headers, json=level).is_success
    a = flow.create(level="selfie-live")
    r = client.post(f"/v1/applicants/{a['id']}/submit", headers=tenant.headers)
    assert r.status_code == 409 and r.json()["errors"][0]["pointer"] == "#/steps/liveness"
    challenge = client.post(f"/v1/applicants/{a['id']}/liveness", headers=tenant.headers).json()
    path = f"/v1/applicants/{a['id']}/liveness/{challenge['id']}"
    assert answer(client, tenant, path, frames_for(challenge["actions"])).status_code == 200
    decided = flow.submit(a["id"])
    assert decided["status"] == "approved", decided
    assert flow.checks(a["id"])["liveness"]["outcome"] == "pass"
