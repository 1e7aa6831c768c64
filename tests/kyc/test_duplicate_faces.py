"""Duplicate faces: encodings stored encrypted, found again across identities and processes."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text

from aegis.checks.result import Outcome
from aegis.kyc.faces.check import duplicate_face_check, remember_face
from aegis.kyc.faces.index import FaceIndex, unseal
from aegis.kyc.faces.models import FaceEmbedding
from aegis.kyc.models import Applicant
from aegis.platform import Platform
from tests.kyc.conftest import Flow
from tests.kyc.ids import ric
from tests.support.tenants import TenantHandle, make_tenant


def _face(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(0, 0.09, 128)
    return vector.astype(np.float32)


def _applicant(flow: Flow, seq: int) -> str:
    profile = {"id_number": ric("110105", "19900101", seq), "phone": f"+8613900{seq:06d}"}
    return str(flow.create(profile=profile)["id"])


def _row(platform: Platform, applicant_id: str) -> Applicant:
    with platform.db.session(write=False) as session:
        row = session.get(Applicant, applicant_id)
        assert row is not None
        session.expunge(row)
        return row


def _check(platform: Platform, index: FaceIndex, applicant_id: str, face: np.ndarray) -> object:
    with platform.db.session() as session:
        row = session.get(Applicant, applicant_id)
        assert row is not None
        result = duplicate_face_check(session, index, row, face)
        remember_face(session, platform.vault, row, face)
        return result


def test_same_face_under_another_identity_is_flagged(flow: Flow, platform: Platform) -> None:
    index = FaceIndex(platform.vault)
    first, second, third = (_applicant(flow, n) for n in (11, 12, 13))
    face = _face(1)
    assert _check(platform, index, first, face).outcome is Outcome.PASS  # type: ignore[attr-defined]
    noisy = face + np.random.default_rng(2).normal(0, 0.01, 128).astype(np.float32)
    result = _check(platform, index, second, noisy)
    assert result.outcome is Outcome.REVIEW  # type: ignore[attr-defined]
    assert result.codes == ("DUPLICATE_FACE",)  # type: ignore[attr-defined]
    assert result.details["duplicate_of"] == [first]  # type: ignore[attr-defined]
    # Somebody else entirely.
    assert _check(platform, index, third, _face(3)).outcome is Outcome.PASS  # type: ignore[attr-defined]


def test_same_face_same_identity_passes(flow: Flow, platform: Platform) -> None:
    index = FaceIndex(platform.vault)
    first = _applicant(flow, 21)
    face = _face(4)
    _check(platform, index, first, face)
    # A resubmission of the same applicant is not a duplicate of itself.
    assert _check(platform, index, first, face).outcome is Outcome.PASS  # type: ignore[attr-defined]


def test_embeddings_are_encrypted_at_rest(flow: Flow, platform: Platform) -> None:
    index = FaceIndex(platform.vault)
    applicant_id = _applicant(flow, 31)
    face = _face(5)
    _check(platform, index, applicant_id, face)
    with platform.db.session(write=False) as session:
        raw = session.execute(text("SELECT embedding_enc FROM face_embeddings")).scalar_one()
        assert face.tobytes().hex() not in raw
        assert raw.count(":") == 2  # a vault token: prefix, key id, sealed body
        row = session.query(FaceEmbedding).one()
        assert np.allclose(unseal(platform.vault, row), face)


def test_a_second_process_sees_new_faces(flow: Flow, platform: Platform) -> None:
    """Each process has its own index; it catches up with rows others committed."""
    mine, theirs = FaceIndex(platform.vault), FaceIndex(platform.vault)
    first, second = _applicant(flow, 41), _applicant(flow, 42)
    face = _face(6)
    assert _check(platform, theirs, first, _face(99)).outcome is Outcome.PASS  # type: ignore[attr-defined]
    _check(platform, mine, first, face)  # stored through the other index
    result = _check(platform, theirs, second, face)
    assert result.outcome is Outcome.REVIEW  # type: ignore[attr-defined]


def test_other_tenants_faces_are_never_matched(
    flow: Flow, platform: Platform, tenant: TenantHandle
) -> None:
    index = FaceIndex(platform.vault)
    face = _face(7)
    _check(platform, index, _applicant(flow, 51), face)
    other = make_tenant(platform, "Tenant C")
    other_flow = Flow(flow.client, platform, other)
    result = _check(platform, index, _applicant(other_flow, 52), face)
    assert result.outcome is Outcome.PASS  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(3))
def test_nearest_is_exact(flow: Flow, platform: Platform, seed: int) -> None:
    index = FaceIndex(platform.vault)
    ids = [_applicant(flow, 60 + 10 * seed + i) for i in range(5)]
    faces = [_face(100 * seed + i) for i in range(5)]
    for applicant_id, face in zip(ids, faces, strict=True):
        _check(platform, index, applicant_id, face)
    with platform.db.session(write=False) as session:
        probe = faces[2] + 0.001
        found = index.nearest(session, _row(platform, ids[0]).tenant_id, probe, within=10.0)
    expected = sorted(range(5), key=lambda i: float(np.linalg.norm(faces[i] - probe)))
    assert [n.applicant_id for n in found] == [ids[i] for i in expected]
