"""Blind indexes: keyed HMACs of normalised values, for exact lookups without decryption.

Normalising first means ``+86 138 0013 8000`` and ``13800138000`` (region CN) index the same,
and so do ``Alice@Example.COM`` and ``alice@example.com``. The index key never rotates with
data keys: rotating it would mean recomputing every index, which ``keys rotate`` does not do.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

import phonenumbers

from aegis.privacy.crypto import KeyedHasher, KeyRing


class IndexKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    ID_NUMBER = "id_number"
    CARD = "card"


_NON_ALNUM = re.compile(r"[^0-9A-Z]")
_NON_DIGIT = re.compile(r"\D")


def normalise_email(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


def normalise_phone(value: str, default_region: str | None = None) -> str:
    """E.164 when the number parses; otherwise digits only, so lookups still agree."""
    try:
        parsed = phonenumbers.parse(value, default_region)
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return (
            "+" + _NON_DIGIT.sub("", value)
            if value.strip().startswith("+")
            else _NON_DIGIT.sub("", value)
        )


def normalise_id_number(value: str) -> str:
    return _NON_ALNUM.sub("", unicodedata.normalize("NFKC", value).upper())


def normalise_card(value: str) -> str:
    return _NON_DIGIT.sub("", value)


NORMALISERS = {
    IndexKind.EMAIL: normalise_email,
    IndexKind.PHONE: normalise_phone,
    IndexKind.ID_NUMBER: normalise_id_number,
    IndexKind.CARD: normalise_card,
}


class BlindIndexer:
    def __init__(self, ring: KeyRing) -> None:
        self._hasher = KeyedHasher(ring, "index")

    def compute(self, tenant_id: str, kind: IndexKind, value: str) -> str:
        normal = NORMALISERS[kind](value)
        # The kind is inside the MAC so an e-mail and a card with equal text never collide.
        return self._hasher.digest(tenant_id, f"{kind.value}\x00{normal}".encode())

    def compute_optional(self, tenant_id: str, kind: IndexKind, value: str | None) -> str | None:
        return None if value is None else self.compute(tenant_id, kind, value)
