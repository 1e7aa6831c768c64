"""Property tests: whatever bytes arrive, the only failure is an UploadRejected."""

from __future__ import annotations

import contextlib
import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aegis.kyc.documents import (
    DocumentKind,
    MediaType,
    ProcessedUpload,
    UploadLimits,
    UploadRejected,
    process_upload,
    sniff_media_type,
)
from aegis.kyc.documents.formats import (
    PdfInflateLimitExceeded,
    PdfStructureError,
    declared_mismatch,
    inspect_pdf,
)
from tests.kyc.documents import builders as b

# Small images keep each example fast; the limits are relaxed to match.
LIMITS = UploadLimits(min_side=1, min_side_selfie=1, max_pdf_inflated_bytes=1_000_000)
SEEDS = [
    b.jpeg(24, 16),
    b.jpeg(24, 16, exif=b.exif(software="x", orientation=6, gps=True)),
    b.png(24, 16),
    b.webp(24, 16),
    b.webp(24, 16, lossless=True),
    b.animated("PNG", size=(8, 8)),
    b.pdf(),
    b.pdf((*b.PAGE_OBJECTS, b.object_stream([b"<< /Type /Page >>"], first_number=5))),
]
MAGIC = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x01\x00\x00WEBPVP8 ", b"%PDF-1.7\n"]
KINDS = st.sampled_from(list(DocumentKind))
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def attempt(data: bytes, kind: DocumentKind, declared: str | None = None) -> None:
    try:
        result = process_upload(data, declared_type=declared, kind=kind, limits=LIMITS)
    except UploadRejected as error:
        rejected = error
    else:
        check_result(result, data)
        return
    assert rejected.status in (413, 415, 422)
    assert rejected.code.startswith("upload-")


def check_result(result: ProcessedUpload, data: bytes) -> None:
    assert result.sha256 == hashlib.sha256(result.content).hexdigest()
    assert result.original_sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == len(result.content) > 0
    assert sniff_media_type(result.content) is result.media_type


@pytest.mark.filterwarnings("ignore::UserWarning")
@SETTINGS
@given(data=st.binary(max_size=4096), kind=KINDS, declared=st.none() | st.text(max_size=40))
def test_random_bytes(data: bytes, kind: DocumentKind, declared: str | None) -> None:
    attempt(data, kind, declared)


@pytest.mark.filterwarnings("ignore::UserWarning")
@SETTINGS
@given(magic=st.sampled_from(MAGIC), tail=st.binary(max_size=4096), kind=KINDS)
def test_random_bytes_behind_a_valid_magic(magic: bytes, tail: bytes, kind: DocumentKind) -> None:
    attempt(magic + tail, kind)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[at : at + draw(st.integers(1, 16))]
    return bytes(data)


@pytest.mark.filterwarnings("ignore::UserWarning")
@SETTINGS
@given(data=mutated(), kind=KINDS)
def test_mutated_valid_files(data: bytes, kind: DocumentKind) -> None:
    attempt(data, kind)


@given(declared=st.text(max_size=60))
def test_declared_type_never_raises(declared: str) -> None:
    assert isinstance(declared_mismatch(declared, MediaType.PNG), bool)


@settings(max_examples=300, deadline=None)
@given(tail=st.binary(max_size=2048))
def test_pdf_inspection_raises_only_its_own_errors(tail: bytes) -> None:
    with contextlib.suppress(PdfStructureError, PdfInflateLimitExceeded):
        inspect_pdf(b"%PDF-1.7\n" + tail + b"\n%%EOF", max_inflated=100_000)
