"""Which columns hold vault ciphertexts, so rotation can find every one of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aegis.privacy.crypto import aad_for


@dataclass(frozen=True, slots=True)
class EncryptedTable:
    model: type[Any]
    columns: tuple[str, ...]


ENCRYPTED: list[EncryptedTable] = []
T = TypeVar("T")


def encrypted_columns(*columns: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: declare a model's ciphertext columns (tenant-owned models only)."""

    def register(cls: type[T]) -> type[T]:
        ENCRYPTED.append(EncryptedTable(cls, columns))
        return cls

    return register


def row_aad(row: Any, column: str) -> bytes:
    return aad_for(row.tenant_id, row.__tablename__, column, row.id)
