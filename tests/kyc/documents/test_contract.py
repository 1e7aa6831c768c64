"""The public contract: kinds, limits, error codes and statuses, sniffing."""

from __future__ import annotations

import re

import pytest

from aegis.errors import AegisError, responses
from aegis.kyc.documents import (
    UPLOAD_ERRORS,
    DocumentKind,
    MediaType,
    UploadLimits,
    UploadRejected,
    sniff_media_type,
)
from tests.kyc.documents import builders as b

# The codes are an interface: the endpoint and partners switch on them. Add, never rename.
EXPECTED_CODES = {
    "upload-empty": 422,
    "upload-too-large": 413,
    "upload-type-unsupported": 415,
    "upload-kind-mismatch": 422,
    "upload-corrupt": 422,
    "upload-dimensions": 422,
    "upload-bomb": 422,
    "upload-animated": 422,
    "upload-too-small": 422,
    "upload-pdf-active-content": 422,
    "upload-pdf-encrypted": 422,
    "upload-pdf-too-many-pages": 422,
}


def test_error_codes_and_statuses_are_stable() -> None:
    assert {error.slug: error.status for error in UPLOAD_ERRORS} == EXPECTED_CODES


@pytest.mark.parametrize("error", UPLOAD_ERRORS, ids=lambda e: e.slug)
def test_each_error_is_an_aegis_error_with_a_code(error: type[UploadRejected]) -> None:
    instance = error()
    assert isinstance(instance, AegisError)
    assert instance.code == error.slug
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", instance.code)
    assert instance.detail == error.title
    assert instance.type_uri == "urn:aegis:problem:" + error.slug


def test_errors_feed_openapi_responses() -> None:
    documented = responses(*UPLOAD_ERRORS)
    assert {413, 415, 422} <= set(documented)


def test_document_kinds() -> None:
    assert [kind.value for kind in DocumentKind] == [
        "passport",
        "id_card_front",
        "id_card_back",
        "driver_licence",
        "residence_permit",
        "selfie",
        "selfie_with_document",
        "proof_of_address",
        "bank_statement",
        "other",
    ]
    assert {kind for kind in DocumentKind if kind.accepts_pdf} == {
        DocumentKind.PROOF_OF_ADDRESS,
        DocumentKind.BANK_STATEMENT,
        DocumentKind.OTHER,
    }
    assert {kind for kind in DocumentKind if kind.is_selfie} == {
        DocumentKind.SELFIE,
        DocumentKind.SELFIE_WITH_DOCUMENT,
    }


def test_default_limits() -> None:
    limits = UploadLimits()
    assert limits.max_bytes == 15 * 1024 * 1024
    assert limits.max_pdf_bytes == 10 * 1024 * 1024
    assert limits.max_pixels == 40_000_000
    assert limits.max_side == 12_000
    assert limits.min_side_for(DocumentKind.PASSPORT) == 300
    assert limits.min_side_for(DocumentKind.SELFIE) == 200


@pytest.mark.parametrize(
    "changes",
    [{"max_bytes": 0}, {"max_pixels": -1}, {"min_side": 20_000}, {"min_side_selfie": -1}],
)
def test_nonsense_limits_are_refused(changes: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must"):
        UploadLimits(**changes)


@pytest.mark.parametrize(
    ("data", "media"),
    [
        (b.jpeg(), MediaType.JPEG),
        (b.png(), MediaType.PNG),
        (b.webp(), MediaType.WEBP),
        (b.pdf(), MediaType.PDF),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"GIF89a", None),
        (b"", None),
        (b" %PDF-1.7", None),
    ],
)
def test_sniffing(data: bytes, media: MediaType | None) -> None:
    assert sniff_media_type(data) is media


def test_extensions() -> None:
    assert [m.extension for m in MediaType] == [".jpg", ".png", ".webp", ".pdf"]
