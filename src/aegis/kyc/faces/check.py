"""The duplicate-face check: one person opening accounts under several identities."""

from __future__ import annotations

import numpy.typing as npt
from sqlalchemy.orm import Session

from aegis.checks.result import CheckResult
from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.kyc.faces.index import FaceIndex, seal
from aegis.kyc.faces.models import FaceEmbedding
from aegis.kyc.models import Applicant
from aegis.privacy.crypto import Vault

# Tighter than the selfie-to-document match (0.6): two selfies of one person are closer
# than a selfie and an old document photo, and a false "duplicate" costs a review.
DUPLICATE_DISTANCE = 0.5


def duplicate_face_check(
    session: Session,
    index: FaceIndex,
    row: Applicant,
    encoding: npt.ArrayLike,
    *,
    within: float = DUPLICATE_DISTANCE,
) -> CheckResult:
    """REVIEW ``DUPLICATE_FACE`` when the face is on file for another applicant whose
    identity (ID number) differs; the same person again under the same identity passes."""
    neighbours = index.nearest(
        session, row.tenant_id, encoding, within=within, exclude_applicant=row.id
    )
    others = [n for n in neighbours if n.identity_bidx != row.id_number_bidx]
    if not others:
        return CheckResult.passed("duplicate_face", compared=True)
    return CheckResult.review(
        "duplicate_face",
        "DUPLICATE_FACE",
        duplicate_of=sorted({n.applicant_id for n in others}),
        distance=round(min(n.distance for n in others), 4),
    )


def remember_face(
    session: Session, vault: Vault, row: Applicant, encoding: npt.ArrayLike
) -> FaceEmbedding:
    """Store the selfie's encoding (encrypted) so later applicants are compared with it."""
    face = FaceEmbedding(
        id=new_id("fce"),
        tenant_id=row.tenant_id,
        applicant_id=row.id,
        attempt=row.attempt,
        identity_bidx=row.id_number_bidx,
        created_at=utcnow(),
    )
    seal(vault, face, encoding)
    session.add(face)
    return face
