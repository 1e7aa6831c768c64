"""Proof of address: utility bills and bank statements.

Two steps, kept apart so the verdict can be tested and replayed without Tesseract:

- ``read_poa_text(data, media_type)`` turns an upload (JPEG, PNG, WebP or PDF) into
  ``PoaText``: a PDF's text layer, or OCR (English and Simplified Chinese). I/O, slow.
- ``check_proof_of_address(text, applicant=..., today=...)`` is pure: does the text name the
  applicant (any script, pinyin included), show their address, and carry an issue date
  within ``PoaPolicy.max_age_days``? Returns a ``CheckResult`` with PII-free details.
"""

from aegis.checks.address.check import check_proof_of_address
from aegis.checks.address.model import (
    ADDRESS_MISMATCH,
    CHECK,
    DATE_AMBIGUOUS,
    DATE_IN_FUTURE,
    DATE_NOT_FOUND,
    NAME_MISMATCH,
    TOO_OLD,
    UNREADABLE,
    UNSUPPORTED_FORMAT,
    PoaAddress,
    PoaApplicant,
    PoaPolicy,
    PoaText,
    TextSource,
)
from aegis.checks.address.reader import ACCEPTED_MEDIA_TYPES, PoaReadLimits, read_poa_text

__all__ = [
    "ACCEPTED_MEDIA_TYPES",
    "ADDRESS_MISMATCH",
    "CHECK",
    "DATE_AMBIGUOUS",
    "DATE_IN_FUTURE",
    "DATE_NOT_FOUND",
    "NAME_MISMATCH",
    "TOO_OLD",
    "UNREADABLE",
    "UNSUPPORTED_FORMAT",
    "PoaAddress",
    "PoaApplicant",
    "PoaPolicy",
    "PoaReadLimits",
    "PoaText",
    "TextSource",
    "check_proof_of_address",
    "read_poa_text",
]
