"""Nearest-neighbour search over a tenant's selfie faces, kept in memory per process.

Exact search: the tenant's encodings are one float32 matrix and a query is one
matrix-vector product (128 multiply-adds per stored face: a million faces take a few
milliseconds). The matrix is built by decrypting the tenant's rows once, then kept up to
date by reading only rows newer than the last one seen (ids are time-ordered), so a face
stored by another process is found as soon as its transaction has committed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from aegis.kyc.faces.models import FaceEmbedding
from aegis.privacy.crypto import Vault
from aegis.privacy.registry import row_aad

DIMENSIONS = 128


def seal(vault: Vault, row: FaceEmbedding, encoding: npt.ArrayLike) -> None:
    vector = np.asarray(encoding, dtype=np.float32).reshape(DIMENSIONS)
    row.embedding_enc = vault.encrypt(vector.tobytes().hex(), row_aad(row, "embedding_enc"))


def unseal(vault: Vault, row: FaceEmbedding) -> npt.NDArray[np.float32]:
    raw = bytes.fromhex(vault.decrypt(row.embedding_enc, row_aad(row, "embedding_enc")))
    return np.frombuffer(raw, dtype=np.float32).copy()


@dataclass(frozen=True, slots=True)
class Neighbour:
    applicant_id: str
    identity_bidx: str | None
    distance: float


@dataclass
class _TenantFaces:
    last_id: str = ""
    vectors: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.zeros((0, DIMENSIONS), dtype=np.float32)
    )
    applicants: list[str] = field(default_factory=list)
    identities: list[str | None] = field(default_factory=list)


class FaceIndex:
    """Per-tenant face matrices for one process."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self._tenants: dict[str, _TenantFaces] = {}
        self._lock = threading.Lock()

    def _catch_up(self, session: Session, tenant_id: str) -> _TenantFaces:
        with self._lock:
            faces = self._tenants.setdefault(tenant_id, _TenantFaces())
            stmt = (
                select(FaceEmbedding)
                .where(FaceEmbedding.tenant_id == tenant_id, FaceEmbedding.id > faces.last_id)
                .order_by(FaceEmbedding.id)
            )
            rows = list(session.scalars(stmt))
            if rows:
                new = np.stack([unseal(self.vault, r) for r in rows])
                faces.vectors = np.concatenate([faces.vectors, new])
                faces.applicants += [r.applicant_id for r in rows]
                faces.identities += [r.identity_bidx for r in rows]
                faces.last_id = rows[-1].id
            return faces

    def nearest(
        self,
        session: Session,
        tenant_id: str,
        encoding: npt.ArrayLike,
        *,
        within: float,
        exclude_applicant: str | None = None,
        limit: int = 10,
    ) -> list[Neighbour]:
        """Stored faces closer than ``within`` (Euclidean), nearest first."""
        faces = self._catch_up(session, tenant_id)
        if not faces.applicants:
            return []
        query = np.asarray(encoding, dtype=np.float32).reshape(DIMENSIONS)
        distances = np.linalg.norm(faces.vectors - query, axis=1)
        order = np.argsort(distances)
        out: list[Neighbour] = []
        for i in order:
            if distances[i] >= within or len(out) >= limit:
                break
            if faces.applicants[i] == exclude_applicant:
                continue
            out.append(Neighbour(faces.applicants[i], faces.identities[i], float(distances[i])))
        return out
