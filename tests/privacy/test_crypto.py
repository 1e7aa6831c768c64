"""The vault's pure parts: envelope format, AAD binding, blind indexes, masking."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aegis.privacy.blind_index import BlindIndexer, IndexKind
from aegis.privacy.crypto import (
    DecryptionError,
    KeyMaterial,
    KeyRing,
    Vault,
    aad_for,
    unwrap_key,
    wrap_key,
)
from aegis.privacy.masking import mask_card, mask_email, mask_id_number, mask_phone


def ring_with(*keys: KeyMaterial) -> KeyRing:
    ring = KeyRing(lambda: list(keys), ttl=3600)
    ring.reload()
    return ring


def material(key_id: str, *, active: bool = True, purpose: str = "data") -> KeyMaterial:
    return KeyMaterial(key_id, purpose, os.urandom(32), active)


@pytest.fixture
def vault() -> Vault:
    return Vault(ring_with(material("dek_a"), material("dek_i", purpose="index")))


@given(st.text(max_size=300))
def test_roundtrip_any_text(text: str) -> None:
    v = Vault(ring_with(material("dek_a")))
    aad = aad_for("ten_1", "contacts", "name_enc", "con_1")
    token = v.encrypt(text, aad)
    assert token.startswith("v1:dek_a:")
    assert v.decrypt(token, aad) == text


def test_ciphertext_hides_plaintext_and_is_randomised(vault: Vault) -> None:
    aad = aad_for("ten_1", "contacts", "email_enc", "con_1")
    a = vault.encrypt("alice@example.com", aad)
    b = vault.encrypt("alice@example.com", aad)
    assert a != b
    assert "alice" not in a


@pytest.mark.parametrize(
    "other",
    [
        aad_for("ten_2", "contacts", "email_enc", "con_1"),
        aad_for("ten_1", "contacts", "name_enc", "con_1"),
        aad_for("ten_1", "contacts", "email_enc", "con_2"),
    ],
)
def test_ciphertext_moved_to_another_record_does_not_decrypt(vault: Vault, other: bytes) -> None:
    token = vault.encrypt("secret", aad_for("ten_1", "contacts", "email_enc", "con_1"))
    with pytest.raises(DecryptionError):
        vault.decrypt(token, other)


def test_tampered_ciphertext_fails(vault: Vault) -> None:
    aad = b"x"
    token = vault.encrypt("hello", aad)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(DecryptionError):
        vault.decrypt(flipped, aad)
    with pytest.raises(DecryptionError):
        vault.decrypt("not-a-token", aad)


def test_old_key_still_decrypts_after_new_key_becomes_active() -> None:
    old = material("dek_old")
    v1 = Vault(ring_with(old))
    token = v1.encrypt("kept", b"aad")
    v2 = Vault(ring_with(KeyMaterial("dek_old", "data", old.key, False), material("dek_new")))
    assert v2.decrypt(token, b"aad") == "kept"
    assert v2.encrypt("x", b"aad").startswith("v1:dek_new:")


def test_blob_seal_and_open(vault: Vault) -> None:
    data = os.urandom(5000)
    sealed = vault.seal(data, b"blob-aad")
    assert data not in sealed
    assert vault.open(sealed, b"blob-aad") == data
    with pytest.raises(DecryptionError):
        vault.open(sealed, b"other")


def test_key_wrapping_is_bound_to_master_and_id() -> None:
    master, key = os.urandom(32), os.urandom(32)
    wrapped = wrap_key(master, "dek_1", key)
    assert unwrap_key(master, "dek_1", wrapped) == key
    with pytest.raises(DecryptionError):
        unwrap_key(os.urandom(32), "dek_1", wrapped)
    with pytest.raises(DecryptionError):
        unwrap_key(master, "dek_2", wrapped)


@pytest.fixture
def indexer() -> BlindIndexer:
    return BlindIndexer(ring_with(material("dek_i", purpose="index")))


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        (IndexKind.EMAIL, "Alice@Example.COM ", "alice@example.com"),
        (IndexKind.PHONE, "+44 7911 123456", "+447911123456"),
        (IndexKind.ID_NUMBER, "11010519491231 002x", "11010519491231002X"),
        (IndexKind.CARD, "4111 1111-1111 1111", "4111111111111111"),
    ],
)
def test_blind_index_normalises(indexer: BlindIndexer, kind: IndexKind, a: str, b: str) -> None:
    assert indexer.compute("ten_1", kind, a) == indexer.compute("ten_1", kind, b)


def test_blind_index_separates_tenants_and_kinds(indexer: BlindIndexer) -> None:
    base = indexer.compute("ten_1", IndexKind.ID_NUMBER, "123456")
    assert base != indexer.compute("ten_2", IndexKind.ID_NUMBER, "123456")
    assert base != indexer.compute("ten_1", IndexKind.CARD, "123456")
    assert base != indexer.compute("ten_1", IndexKind.ID_NUMBER, "123457")
    assert "123456" not in base


def test_masks() -> None:
    assert mask_card("4111 1111 1111 1111") == "411111******1111"
    assert mask_card("378282246310005") == "378282*****0005"
    assert mask_id_number("11010519491231002X") == "**************002X"
    assert mask_id_number("123") == "***"
    assert mask_email("alice@example.com") == "a***@example.com"
    assert mask_phone("+447911123456").endswith("56")
    assert "7911" not in mask_phone("+447911123456")


@given(st.from_regex(r"\d{13,19}", fullmatch=True))
def test_card_mask_never_shows_more_than_ten_digits(pan: str) -> None:
    masked = mask_card(pan)
    assert len(masked) == len(pan)
    assert sum(c.isdigit() for c in masked) == 10
    assert masked[:6] == pan[:6] and masked[-4:] == pan[-4:]
