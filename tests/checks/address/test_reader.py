"""Reading uploads without OCR: format sniffing, PDF guards, image guards, preprocessing."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from aegis.checks.address import PoaReadLimits, TextSource, read_poa_text
from aegis.checks.address.imaging import (
    ImageLimits,
    estimate_skew,
    greyscale,
    open_image,
    prepare_for_ocr,
)
from aegis.checks.address.reader import sniff
from tests.checks.address import _bills as bills
from tests.checks.address._bills import encode
from tests.checks.address._pdf import drawing_pdf, text_pdf

LINES = ["NORTHWIND ENERGY LTD", "Statement date: 3 October 2026", "Mr John Smith (account)"]


def encrypted(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf([LINES]))))
    writer.encrypt(user_password=user_password, owner_password="owner-only", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (b"\r\n  junk before the header %PDF-1.4", "pdf"),
        (b"\xff\xd8\xff\xe0....", "jpeg"),
        (b"\x89PNG\r\n\x1a\n....", "png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"GIF89a....", None),
        (b"\x00\x00\x00\x18ftypheic", None),
        (b"", None),
    ],
)
def test_the_bytes_decide_the_format(data: bytes, kind: str | None) -> None:
    assert sniff(data) == kind


def test_a_text_pdf_gives_its_text_layer() -> None:
    text = read_poa_text(text_pdf([LINES]), "application/pdf")
    assert text.source is TextSource.PDF_TEXT
    assert (text.unreadable, text.pages_read, text.ocr_confidence) == (None, 1, None)
    assert text.text.split("\n")[:3] == LINES


def test_only_the_first_pages_are_read() -> None:
    pages = [[f"Page {i} of the statement, nothing else"] for i in range(6)]
    text = read_poa_text(
        text_pdf(pages), "application/pdf", limits=PoaReadLimits(pdf_pages_to_read=2)
    )
    assert text.pages_read == 2
    assert "Page 1" in text.text
    assert "Page 2" not in text.text


def test_extracted_text_is_capped() -> None:
    pages = [["x" * 80] * 40] * 3
    limits = PoaReadLimits(max_text_chars=1000)
    assert len(read_poa_text(text_pdf(pages), "application/pdf", limits=limits).text) == 1000


def test_a_pdf_needing_a_password_is_refused() -> None:
    text = read_poa_text(encrypted("secret"), "application/pdf")
    assert (text.unreadable, text.text) == ("pdf_encrypted", "")


def test_a_pdf_merely_locked_against_editing_opens_unless_told_otherwise() -> None:
    locked = encrypted("")
    assert read_poa_text(locked, "application/pdf").text.split("\n")[0] == LINES[0]
    strict = PoaReadLimits(open_owner_locked_pdf=False)
    assert read_poa_text(locked, "application/pdf", limits=strict).unreadable == "pdf_encrypted"


@pytest.mark.parametrize(
    ("data", "limits", "reason"),
    [
        (text_pdf([LINES])[:300], PoaReadLimits(), "pdf_invalid"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >>", PoaReadLimits(), "pdf_invalid"),
        (text_pdf([LINES] * 3), PoaReadLimits(max_pdf_pages=2), "pdf_too_many_pages"),
        (text_pdf([LINES]), PoaReadLimits(max_bytes=100), "file_too_large"),
        (drawing_pdf(), PoaReadLimits(), "pdf_no_text"),
    ],
)
def test_broken_hostile_or_empty_pdfs_are_unreadable(
    data: bytes, limits: PoaReadLimits, reason: str
) -> None:
    text = read_poa_text(data, "application/pdf", limits=limits)
    assert (text.unreadable, text.text) == (reason, "")


def test_formats_we_do_not_take_are_unsupported_not_unreadable() -> None:
    gif = read_poa_text(b"GIF89a\x01\x00\x01\x00", "image/gif")
    heic = read_poa_text(b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic")
    assert gif.unsupported and heic.unsupported


def test_an_accepted_type_with_other_content_is_unreadable() -> None:
    text = read_poa_text(b"this is not a jpeg", "image/jpeg; charset=binary")
    assert (text.unsupported, text.unreadable) == (False, "content_not_jpeg")


def test_image_guards_run_before_decoding() -> None:
    big = encode(Image.new("L", (400, 300), 255), "PNG")
    assert open_image(big, ImageLimits(max_pixels=100_000)) == "image_too_large"
    assert isinstance(open_image(big), Image.Image)
    assert open_image(big[:60]) == "image_undecodable"
    tiff = encode(Image.new("L", (10, 10), 255), "TIFF")
    assert open_image(tiff) == "image_format_unsupported"
    limits = PoaReadLimits(image=ImageLimits(max_pixels=100_000))
    assert read_poa_text(big, "image/png", limits=limits).unreadable == "image_too_large"


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to view
    data = encode(Image.new("L", (400, 300), 255), "JPEG", exif=exif.tobytes())
    image = open_image(data)
    assert isinstance(image, Image.Image)
    assert image.size == (300, 400)


def test_preprocessing_scales_small_images_and_binarises() -> None:
    small = Image.new("RGB", (600, 400), (200, 200, 190))
    small.paste((20, 20, 20), (100, 100, 300, 140))
    out = prepare_for_ocr(small, ImageLimits(target_long_side=1800))
    assert out.mode == "L"
    assert out.size == (1800, 1200)
    assert set(np.unique(np.asarray(out)).tolist()) == {0, 255}


def test_preprocessing_reduces_huge_images_and_never_enlarges_past_three_times() -> None:
    huge = prepare_for_ocr(Image.new("L", (6000, 3000), 255), ImageLimits(max_long_side=4000))
    assert huge.size == (4000, 2000)
    tiny = prepare_for_ocr(Image.new("L", (100, 50), 255))
    assert tiny.size == (300, 150)


def test_transparent_background_becomes_white_paper() -> None:
    clear = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    clear.paste((0, 0, 0, 255), (50, 50, 250, 80))
    pixels = np.asarray(prepare_for_ocr(clear))
    assert (pixels == 255).mean() > 0.7  # mostly paper, not a black sheet
    assert (pixels == 0).any()


@pytest.mark.skipif(bills.latin_font_path() is None, reason="no DejaVu Sans font")
@pytest.mark.parametrize("degrees", [-8.0, -2.5, 0.0, 4.0, 7.5])
def test_skew_is_measured_and_levelled(degrees: float) -> None:
    page = bills.render(["Statement date: 3 October 2026"] + ["Flat 3, 12 Baker Street"] * 8)
    turned = page.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    pixels = np.asarray(turned, dtype=np.uint8)
    assert estimate_skew(pixels) == pytest.approx(-degrees, abs=0.4)
    assert estimate_skew(greyscale(turned)) == pytest.approx(0.0, abs=0.4)


def test_a_blank_page_has_no_skew() -> None:
    assert estimate_skew(np.full((300, 400), 255, dtype=np.uint8)) == 0.0
