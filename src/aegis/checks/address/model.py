"""The shapes the proof-of-address check speaks: applicant, text read, policy, reason codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

CHECK = "proof_of_address"

# Reason codes (hints for end users live in kyc/reasons.py, owned elsewhere).
NAME_MISMATCH = "POA_NAME_MISMATCH"
ADDRESS_MISMATCH = "POA_ADDRESS_MISMATCH"
TOO_OLD = "POA_TOO_OLD"
DATE_IN_FUTURE = "POA_DATE_IN_FUTURE"
DATE_NOT_FOUND = "POA_DATE_NOT_FOUND"
DATE_AMBIGUOUS = "POA_DATE_AMBIGUOUS"
UNREADABLE = "POA_UNREADABLE"
UNSUPPORTED_FORMAT = "POA_UNSUPPORTED_FORMAT"


@dataclass(frozen=True, slots=True, kw_only=True)
class PoaAddress:
    """An address as the applicant declared it.

    ``lines`` hold street, building and unit in any order and any script; ``country`` is an
    ISO 3166-1 alpha-2 or alpha-3 code and only decides how ambiguous numeric dates
    (03/10/2026) are read: bills rarely print the country, so it is never matched.
    """

    lines: tuple[str, ...] = ()
    city: str | None = None
    postcode: str | None = None
    country: str | None = None

    @classmethod
    def parse(cls, address: PoaAddress | str) -> PoaAddress:
        return address if isinstance(address, PoaAddress) else cls(lines=(address,))


@dataclass(frozen=True, slots=True, kw_only=True)
class PoaApplicant:
    """Who the document must name. ``native_name`` is the name in its own script (张伟)."""

    name: str
    address: PoaAddress | str
    native_name: str | None = None


class TextSource(StrEnum):
    SUPPLIED = "supplied"  # the caller passed text (tests, or another reader upstream)
    PDF_TEXT = "pdf_text"
    PDF_IMAGE_OCR = "pdf_image_ocr"  # a scanned PDF: its embedded page image was OCR'd
    IMAGE_OCR = "image_ocr"
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class PoaText:
    """What a reader got out of a document. Holds PII (the text): never log it.

    ``unreadable`` names why nothing usable came out (``pdf_encrypted``, ``pdf_no_text``,
    ``image_undecodable``...) and ``unsupported`` marks a format we do not take at all;
    the check turns either into a REVIEW result without looking at ``text``.
    """

    text: str
    source: TextSource = TextSource.SUPPLIED
    pages_read: int = 0
    # Mean Tesseract word confidence, 0-100; None when the text did not come from OCR.
    ocr_confidence: float | None = None
    unreadable: str | None = None
    unsupported: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PoaPolicy:
    """Thresholds; scores are 0-100.

    A score at or above ``*_pass`` passes, at or above ``*_review`` goes to a person, below
    fails. OCR'd text whose mean confidence is under ``fail_needs_ocr_confidence`` cannot
    fail: a misread word is then as likely as a wrong document, so mismatches go to review.
    """

    max_age_days: int = 92
    # Clocks and time zones: a bill dated tomorrow in the issuer's zone is not a forgery.
    future_tolerance_days: int = 1
    name_pass: float = 90.0
    name_review: float = 80.0
    address_pass: float = 85.0
    address_review: float = 70.0
    # Consecutive lines an address may spread over on the document.
    address_window_lines: int = 6
    # A declared postcode the document does not show keeps the address from passing (it
    # goes to review). Turn off where bills rarely print one (China's).
    postcode_required: bool = True
    min_text_chars: int = 30
    # Clean renders OCR at 90-95; blurred, small photos whose Chinese lines Tesseract took
    # for Latin at 56-75 (measured on the synthetic bills).
    fail_needs_ocr_confidence: float = 80.0
