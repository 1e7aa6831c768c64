"""PDF uploads: structure, kinds, active content, encryption, pages, signals."""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib

import pytest

from aegis.kyc.documents import (
    DocumentKind,
    MediaType,
    ProcessedUpload,
    UploadBomb,
    UploadCorrupt,
    UploadKindMismatch,
    UploadLimits,
    UploadPdfActiveContent,
    UploadPdfEncrypted,
    UploadPdfTooManyPages,
    UploadRejected,
    UploadTooLarge,
    process_upload,
)
from tests.kyc.documents import builders as b

LIMITS = UploadLimits()
ADDRESS = DocumentKind.PROOF_OF_ADDRESS
CATALOG, PAGES, PAGE, CONTENT = b.PAGE_OBJECTS


def run(
    data: bytes,
    *,
    kind: DocumentKind = ADDRESS,
    limits: UploadLimits = LIMITS,
    declared: str | None = "application/pdf",
) -> ProcessedUpload:
    return process_upload(data, declared_type=declared, kind=kind, limits=limits)


def reject(
    data: bytes,
    error: type[UploadRejected],
    *,
    kind: DocumentKind = ADDRESS,
    limits: UploadLimits = LIMITS,
) -> UploadRejected:
    with pytest.raises(error) as caught:
        run(data, kind=kind, limits=limits)
    return caught.value


def with_catalog(catalog: bytes, *extra: bytes) -> bytes:
    return b.pdf((catalog, PAGES, PAGE, CONTENT, *extra))


# ---------------------------------------------------------------------------------------------
# Accepted


def test_minimal_pdf_is_accepted_for_proof_of_address() -> None:
    data = b.pdf()
    result = run(data)
    assert result.media_type is MediaType.PDF
    assert result.media_type.extension == ".pdf"
    assert result.content == data
    assert result.page_count == 1
    assert (result.width, result.height) == (None, None)
    assert result.sha256 == result.original_sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == result.original_size == len(data)
    assert result.declared_type_mismatch is False
    assert result.signals.had_exif is False
    assert result.signals.metadata_removed == ()


@pytest.mark.parametrize(
    "kind", [DocumentKind.PROOF_OF_ADDRESS, DocumentKind.BANK_STATEMENT, DocumentKind.OTHER]
)
def test_pdf_kinds(kind: DocumentKind) -> None:
    assert run(b.pdf(), kind=kind).page_count == 1


def test_pdf_written_by_pillow_is_accepted_with_its_page_count() -> None:
    result = run(b.pillow_pdf(pages=3), kind=DocumentKind.BANK_STATEMENT)
    assert result.page_count == 3


def test_declared_image_type_on_a_pdf_is_a_mismatch() -> None:
    assert run(b.pdf(), declared="image/jpeg").declared_type_mismatch is True


def test_harmless_open_action_is_accepted() -> None:
    data = with_catalog(b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>")
    assert run(data).page_count == 1


def test_link_annotations_are_accepted() -> None:
    link = b"<< /Type /Annot /Subtype /Link /A << /S /URI /URI (https://bank.example) >> >>"
    assert run(b.pdf((CATALOG, PAGES, PAGE, CONTENT, link))).page_count == 1


def test_creator_and_producer_are_reported() -> None:
    producer_utf16 = ("\ufeff" + "Quartz PDFContext").encode("utf-16-be").hex().upper()
    info = (
        b"<< /Creator (Microsoft\\256 Word \\(365\\)) /Producer <"
        + producer_utf16.encode()
        + b"> >>"
    )
    result = run(b.pdf(info=info))
    assert result.signals.software == "Microsoft® Word (365)"
    assert result.signals.producer == "Quartz PDFContext"


def test_xmp_creator_tool_is_the_fallback_software() -> None:
    xmp = b'<x:xmpmeta><rdf:Description xmp:CreatorTool="LibreOffice Writer"/></x:xmpmeta>'
    metadata = b.stream(xmp, b" /Type /Metadata /Subtype /XML")
    result = run(with_catalog(b"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>", metadata))
    assert result.signals.software == "LibreOffice Writer"


def test_bytes_after_the_last_eof_are_trimmed() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.js", "app.alert(1)")
    clean = b.pdf()
    result = run(clean + archive.getvalue())
    assert result.content == clean
    assert not zipfile.is_zipfile(io.BytesIO(result.content))
    assert result.signals.metadata_removed == ("trailing_data",)
    assert result.original_sha256 != result.sha256


def test_incremental_update_is_accepted() -> None:
    first = b.pdf()
    update = b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] >>\nendobj\n%%EOF\n"
    result = run(first + update)
    assert result.content == first + update
    assert result.page_count is not None


def test_page_objects_inside_compressed_object_streams_are_counted() -> None:
    objstm = b.object_stream([PAGES, PAGE], first_number=2)
    data = b.pdf((CATALOG, b"null", b"null", CONTENT, objstm))
    assert run(data).page_count == 1


def test_binary_stream_data_does_not_raise_false_alarms() -> None:
    image = b.stream(b"\x00\x01/JS /Launch /JavaScript\xff" * 50, b" /Subtype /Image")
    assert run(with_catalog(CATALOG, image)).page_count == 1


# ---------------------------------------------------------------------------------------------
# Rejected


@pytest.mark.parametrize(
    "kind",
    [
        DocumentKind.PASSPORT,
        DocumentKind.ID_CARD_FRONT,
        DocumentKind.ID_CARD_BACK,
        DocumentKind.DRIVER_LICENCE,
        DocumentKind.RESIDENCE_PERMIT,
        DocumentKind.SELFIE,
        DocumentKind.SELFIE_WITH_DOCUMENT,
    ],
)
def test_pdf_is_refused_for_identity_documents_and_selfies(kind: DocumentKind) -> None:
    error = reject(b.pdf(), UploadKindMismatch, kind=kind)
    assert (error.code, error.status) == ("upload-kind-mismatch", 422)


@pytest.mark.parametrize(
    ("extra_catalog", "extra_objects", "found"),
    [
        (b"/OpenAction 5 0 R", (b"<< /S /JavaScript /JS (app.alert(1)) >>",), "/JS"),
        (b"/OpenAction << /S /JavaScript /JS 5 0 R >>", (b.stream(b"app.alert(1)"),), "/JS"),
        (b"/Names << /JavaScript 5 0 R >>", (b"<< /Names [(x) 6 0 R] >>",), "/JavaScript"),
        (b"/OpenAction << /S /Launch /F (cmd.exe) >>", (), "/Launch"),
        (b"/Names << /EmbeddedFiles 5 0 R >>", (b"<< /Names [] >>",), "/EmbeddedFiles"),
        (b"/AA << /O << /S /J#61vaScript /J#53 (x) >> >>", (), "/JavaScript"),
        (b"/AcroForm << /XFA 5 0 R >>", (b.stream(b"<xdp/>"),), "/XFA"),
        (b"/OpenAction << /S /SubmitForm /F (https://evil.example) >>", (), "/SubmitForm"),
    ],
    ids=["js", "js-stream", "names-tree", "launch", "embedded", "hex-escaped", "xfa", "submit"],
)
def test_active_content_is_rejected(
    extra_catalog: bytes, extra_objects: tuple[bytes, ...], found: str
) -> None:
    catalog = b"<< /Type /Catalog /Pages 2 0 R " + extra_catalog + b" >>"
    error = reject(with_catalog(catalog, *extra_objects), UploadPdfActiveContent)
    assert (error.code, error.status) == ("upload-pdf-active-content", 422)
    assert found in error.detail


def test_javascript_hidden_in_a_compressed_object_stream_is_found() -> None:
    js = b"<< /S /JavaScript /JS (app.alert(1)) >>"
    objstm = b.object_stream([js], first_number=5)
    data = with_catalog(b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", b"null", objstm)
    assert b"JavaScript" not in data
    reject(data, UploadPdfActiveContent)


def test_object_stream_we_cannot_decode_is_refused() -> None:
    body = zlib.compress(b"5 0 << /S /JavaScript /JS (x) >>").hex().encode()
    objstm = b.stream(body, b" /Type /ObjStm /N 1 /First 4 /Filter [/ASCIIHexDecode /FlateDecode]")
    error = reject(with_catalog(CATALOG, objstm), UploadPdfActiveContent)
    assert "cannot be inspected" in error.detail


def test_object_hidden_behind_a_short_stream_length_is_found() -> None:
    # A reader ends the stream after /Length bytes and parses the object that follows;
    # scanning to "endstream" instead would skip it.
    sneaky = (
        b"<< /Length 4 >>\nstream\nAAAA\n9 0 obj << /S /JavaScript /JS (x) >> endobj\nendstream"
    )
    reject(with_catalog(CATALOG, sneaky), UploadPdfActiveContent)


def test_indirect_stream_length_is_resolved() -> None:
    sneaky = b"<< /Length 6 0 R >>\nstream\nAAAA\n9 0 obj << /S /Launch >> endobj\nendstream"
    reject(with_catalog(CATALOG, sneaky, b"4"), UploadPdfActiveContent)


def test_encrypted_pdf_is_refused() -> None:
    encrypt = b"<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>"
    data = b.pdf((*b.PAGE_OBJECTS, encrypt), trailer=b" /Encrypt 5 0 R /ID [<00><00>]")
    error = reject(data, UploadPdfEncrypted)
    assert (error.code, error.status) == ("upload-pdf-encrypted", 422)


def test_too_many_pages() -> None:
    error = reject(
        b.pillow_pdf(pages=3), UploadPdfTooManyPages, limits=UploadLimits(max_pdf_pages=2)
    )
    assert (error.code, error.status) == ("upload-pdf-too-many-pages", 422)
    assert "3 pages" in error.detail


def test_pdf_over_its_own_byte_limit() -> None:
    data = b.pillow_pdf()
    error = reject(data, UploadTooLarge, limits=UploadLimits(max_pdf_bytes=len(data) - 1))
    assert (error.code, error.status) == ("upload-too-large", 413)


def test_default_pdf_limit_is_ten_mebibytes() -> None:
    padding = b.stream(bytes(10 * 1024 * 1024))
    error = reject(with_catalog(CATALOG, padding), UploadTooLarge)
    assert "10.0 MiB" in error.detail


def test_compressed_objects_past_the_inflate_budget_are_a_bomb() -> None:
    objstm = b.object_stream([b"<< /Padding (" + b"A" * 2_000_000 + b") >>"], first_number=5)
    data = with_catalog(CATALOG, objstm)
    assert len(data) < 10_000
    error = reject(data, UploadBomb, limits=UploadLimits(max_pdf_inflated_bytes=1_000_000))
    assert (error.code, error.status) == ("upload-bomb", 422)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-",
        b"%PDF-1.7\n1 0 obj << >> endobj\n",  # no %%EOF
        b"%PDF-x.y\n%%EOF\n",  # no version
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",  # no pages
        b"%PDF-1.7\n1 0 obj << /Length 99 >>\nstream\nabc\n%%EOF\n",  # unterminated stream
        b.pdf()[:-200] + b"%%EOF",  # broken, and no page left
        b.pdf(
            (
                CATALOG,
                b"<< /Type /ObjStm /N 1 /First 2 /Filter /FlateDecode /Length 4 >>"
                b"\nstream\nnope\nendstream",
            )
        ),  # object stream that does not inflate
    ],
    ids=["header-only", "no-eof", "bad-version", "no-pages", "open-stream", "cut", "bad-zlib"],
)
def test_malformed_pdf_is_corrupt(data: bytes) -> None:
    error = reject(data, UploadCorrupt)
    assert (error.code, error.status) == ("upload-corrupt", 422)
