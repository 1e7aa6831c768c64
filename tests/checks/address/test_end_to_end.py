"""From rendered bills (images and PDFs) through the reader and OCR to a verdict.

Each document is rendered and read once per session (OCR is the slow part); the tests then
judge it against one or more applicants.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from functools import cache

import pytest
from PIL import Image

from aegis.checks.address import (
    ADDRESS_MISMATCH,
    DATE_IN_FUTURE,
    DATE_NOT_FOUND,
    NAME_MISMATCH,
    TOO_OLD,
    UNREADABLE,
    PoaApplicant,
    PoaText,
    TextSource,
    check_proof_of_address,
    read_poa_text,
)
from aegis.checks.result import CheckResult, Outcome
from tests.checks.address import _bills as bills
from tests.checks.address._pdf import drawing_pdf, image_pdf, text_pdf

TODAY = date(2026, 10, 20)
RECENT = date(2026, 10, 3)
OLD = date(2026, 5, 3)
FUTURE = date(2026, 12, 1)


def _tesseract_languages() -> set[str]:
    if shutil.which("tesseract") is None:
        return set()
    done = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, check=False
    )
    return set(done.stdout.split()[1:])


needs_ocr = pytest.mark.skipif(
    not {"eng", "chi_sim"} <= _tesseract_languages(),
    reason="Tesseract with eng and chi_sim is not installed (scripts/system-packages)",
)
needs_latin_font = pytest.mark.skipif(
    bills.latin_font_path() is None, reason="no DejaVu Sans font (fonts-dejavu-core)"
)
needs_cjk_font = pytest.mark.skipif(
    bills.cjk_font_path() is None, reason="no Chinese font (fonts-wqy-microhei)"
)


def _exif_sideways(image: Image.Image) -> bytes:
    """Stored turned a quarter, with the EXIF tag that tells a viewer to turn it back."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return bills.encode(image.rotate(90, expand=True), "JPEG", quality=85, exif=exif.tobytes())


@cache
def read(case: str) -> PoaText:
    john, zhang, emily = bills.JOHN, bills.ZHANG, bills.EMILY
    en = bills.render(bills.utility_bill(john, RECENT))
    if case == "en_png":
        return read_poa_text(bills.encode(en, "PNG"), "image/png")
    if case == "en_photo_jpeg":
        photo = bills.encode(bills.degrade(en), "JPEG", quality=55)
        return read_poa_text(photo, "image/jpeg")
    if case == "en_skewed_8deg":
        skewed = en.rotate(8, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=235)
        return read_poa_text(bills.encode(skewed, "JPEG", quality=70), "image/jpeg")
    if case == "en_exif_sideways":
        return read_poa_text(_exif_sideways(en), "image/jpeg")
    if case == "en_old_webp":
        old = bills.render(bills.utility_bill(john, OLD))
        return read_poa_text(bills.encode(old, "WEBP", quality=80), "image/webp")
    if case == "bank_png":
        statement = bills.render(bills.bank_statement(emily, date(2026, 9, 28)))
        return read_poa_text(bills.encode(statement, "PNG"), "image/png")
    if case == "cn_png":
        cn = bills.render(bills.cn_bill(zhang, RECENT), cjk=True)
        return read_poa_text(bills.encode(cn, "PNG"), "image/png")
    if case == "cn_photo_jpeg":
        cn = bills.render(bills.cn_bill(zhang, RECENT), cjk=True)
        return read_poa_text(bills.encode(bills.degrade(cn), "JPEG", quality=55), "image/jpeg")
    if case == "scanned_pdf":
        scan = bills.encode(en, "JPEG", quality=80)
        return read_poa_text(image_pdf(scan, en.width, en.height), "application/pdf")
    if case == "blank_png_labelled_pdf":
        blank = bills.encode(Image.new("L", (800, 600), 255), "PNG")
        return read_poa_text(blank, "application/pdf")
    raise AssertionError(case)


def judge(text: PoaText, applicant: PoaApplicant) -> CheckResult:
    return check_proof_of_address(text, applicant=applicant, today=TODAY)


def pdf(lines: list[str]) -> PoaText:
    text = read_poa_text(text_pdf([lines]), "application/pdf")
    assert text.source is TextSource.PDF_TEXT
    return text


# --- images, through Tesseract ---------------------------------------------------------


@needs_ocr
@needs_latin_font
@pytest.mark.parametrize("case", ["en_png", "en_photo_jpeg", "en_skewed_8deg", "en_exif_sideways"])
def test_a_matching_recent_bill_image_passes(case: str) -> None:
    text = read(case)
    assert text.source is TextSource.IMAGE_OCR
    result = judge(text, bills.JOHN.applicant)
    assert (result.outcome, result.codes) == (Outcome.PASS, ()), result.details
    assert result.details["age_days"] == (TODAY - RECENT).days


@needs_ocr
@needs_latin_font
def test_a_bank_statement_image_passes() -> None:
    result = judge(read("bank_png"), bills.EMILY.applicant)
    assert (result.outcome, result.codes) == (Outcome.PASS, ()), result.details
    assert result.details["date_format"] == "iso"


@needs_ocr
@needs_latin_font
def test_someone_elses_bill_image_fails_on_name_and_address() -> None:
    result = judge(read("en_png"), bills.EMILY.applicant)
    assert result.outcome is Outcome.FAIL
    assert set(result.codes) == {NAME_MISMATCH, ADDRESS_MISMATCH}


@needs_ocr
@needs_latin_font
def test_an_old_bill_image_fails() -> None:
    result = judge(read("en_old_webp"), bills.JOHN.applicant)
    assert (result.outcome, result.codes) == (Outcome.FAIL, (TOO_OLD,)), result.details
    assert result.details["age_days"] == (TODAY - OLD).days


@needs_ocr
@needs_cjk_font
@pytest.mark.parametrize("case", ["cn_png", "cn_photo_jpeg"])
def test_a_chinese_bill_image_passes_on_hanzi(case: str) -> None:
    result = judge(read(case), bills.ZHANG.applicant)
    assert (result.outcome, result.codes) == (Outcome.PASS, ()), result.details
    assert (result.details["name_matched_via"], result.details["date_keyword"]) == (
        "native",
        "账单日期",
    )


@needs_ocr
@needs_cjk_font
def test_a_chinese_bill_matches_a_latin_only_applicant_through_pinyin() -> None:
    latin_only = PoaApplicant(name="Wei Zhang", address=bills.ZHANG.applicant.address)
    result = judge(read("cn_png"), latin_only)
    assert (result.outcome, result.details["name_matched_via"]) == (Outcome.PASS, "pinyin")


@needs_ocr
@needs_latin_font
def test_a_scanned_pdf_is_read_through_its_page_image() -> None:
    text = read("scanned_pdf")
    assert text.source is TextSource.PDF_IMAGE_OCR
    assert judge(text, bills.JOHN.applicant).outcome is Outcome.PASS


@needs_ocr
def test_a_blank_image_is_unreadable_whatever_it_was_called() -> None:
    text = read("blank_png_labelled_pdf")
    assert text.source is TextSource.IMAGE_OCR
    result = judge(text, bills.JOHN.applicant)
    assert (result.outcome, result.codes) == (Outcome.REVIEW, (UNREADABLE,))


# --- text PDFs --------------------------------------------------------------------------


def test_a_matching_recent_text_pdf_passes() -> None:
    result = judge(pdf(bills.utility_bill(bills.JOHN, RECENT)), bills.JOHN.applicant)
    assert (result.outcome, result.codes) == (Outcome.PASS, ())
    assert result.details["source"] == "pdf_text"


def test_a_text_pdf_for_another_name_fails() -> None:
    other = bills.Person(
        applicant=bills.JOHN.applicant,
        name_line="Mr Peter Jones",
        address_lines=bills.JOHN.address_lines,
    )
    result = judge(pdf(bills.utility_bill(other, RECENT)), bills.JOHN.applicant)
    assert (result.outcome, result.codes) == (Outcome.FAIL, (NAME_MISMATCH,))


def test_a_text_pdf_for_another_address_fails() -> None:
    moved = bills.Person(
        applicant=bills.JOHN.applicant,
        name_line=bills.JOHN.name_line,
        address_lines=("44 Mill Lane", "LEEDS", "LS1 4AP"),
    )
    result = judge(pdf(bills.utility_bill(moved, RECENT)), bills.JOHN.applicant)
    assert (result.outcome, result.codes) == (Outcome.FAIL, (ADDRESS_MISMATCH,))


def test_an_old_text_pdf_fails() -> None:
    result = judge(pdf(bills.utility_bill(bills.JOHN, OLD)), bills.JOHN.applicant)
    assert (result.outcome, result.codes) == (Outcome.FAIL, (TOO_OLD,))


def test_a_future_dated_text_pdf_fails() -> None:
    result = judge(pdf(bills.utility_bill(bills.JOHN, FUTURE)), bills.JOHN.applicant)
    assert (result.outcome, result.codes) == (Outcome.FAIL, (DATE_IN_FUTURE,))
    assert result.details["age_days"] == (TODAY - FUTURE).days


def test_an_undated_text_pdf_goes_to_review() -> None:
    result = judge(pdf(bills.utility_bill(bills.JOHN, None)), bills.JOHN.applicant)
    assert (result.outcome, result.codes) == (Outcome.REVIEW, (DATE_NOT_FOUND,))


def test_a_pdf_without_text_goes_to_review_as_unreadable() -> None:
    result = judge(read_poa_text(drawing_pdf(), "application/pdf"), bills.JOHN.applicant)
    assert (result.outcome, result.codes) == (Outcome.REVIEW, (UNREADABLE,))
    assert result.details["reason"] == "pdf_no_text"
