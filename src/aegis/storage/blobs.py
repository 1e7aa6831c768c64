"""Blob-store port and its local-folder implementation; every file is sealed by the vault."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from aegis.ids import new_id
from aegis.privacy.crypto import Vault


class BlobNotFound(LookupError):
    pass


class BlobStore(Protocol):
    def put(self, tenant_id: str, data: bytes) -> str: ...
    def get(self, tenant_id: str, blob_id: str) -> bytes: ...
    def delete(self, tenant_id: str, blob_id: str) -> None: ...
    def iter_ids(self) -> Iterator[tuple[str, str]]: ...
    def reseal(self, tenant_id: str, blob_id: str, active_key_id: str) -> bool: ...


def _aad(tenant_id: str, blob_id: str) -> bytes:
    return f"{tenant_id}|blob|{blob_id}".encode()


class LocalBlobStore:
    """Files under ``root/<tenant>/<blob id>``, written atomically, encrypted with AES-GCM."""

    def __init__(self, root: Path, vault: Vault) -> None:
        self.root = root
        self.vault = vault

    def _path(self, tenant_id: str, blob_id: str) -> Path:
        if "/" in tenant_id or "/" in blob_id or ".." in tenant_id or ".." in blob_id:
            raise BlobNotFound(blob_id)
        return self.root / tenant_id / blob_id

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put(self, tenant_id: str, data: bytes) -> str:
        blob_id = new_id("blb")
        self._write(self._path(tenant_id, blob_id), self.vault.seal(data, _aad(tenant_id, blob_id)))
        return blob_id

    def get(self, tenant_id: str, blob_id: str) -> bytes:
        try:
            sealed = self._path(tenant_id, blob_id).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(blob_id) from None
        return self.vault.open(sealed, _aad(tenant_id, blob_id))

    def delete(self, tenant_id: str, blob_id: str) -> None:
        self._path(tenant_id, blob_id).unlink(missing_ok=True)

    def iter_ids(self) -> Iterator[tuple[str, str]]:
        if not self.root.exists():
            return
        for tenant_dir in sorted(self.root.iterdir()):
            if tenant_dir.is_dir():
                for f in sorted(tenant_dir.iterdir()):
                    if f.name.startswith("blb_"):
                        yield tenant_dir.name, f.name

    def reseal(self, tenant_id: str, blob_id: str, active_key_id: str) -> bool:
        """Re-encrypt under the active key unless already under it; True if rewritten."""
        path = self._path(tenant_id, blob_id)
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            return False  # erased meanwhile: never write it back
        if Vault.sealed_key_id(sealed) == active_key_id:
            return False
        data = self.vault.open(sealed, _aad(tenant_id, blob_id))
        self._write(path, self.vault.seal(data, _aad(tenant_id, blob_id)))
        return True
