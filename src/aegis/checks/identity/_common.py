"""Small helpers every ID-number rule shares: normalising input and building results."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from aegis.checks.result import CheckResult

CHECK = "id_number"

INVALID = "ID_NUMBER_INVALID"
DOB_MISMATCH = "ID_NUMBER_DOB_MISMATCH"
REGION_UNKNOWN = "ID_NUMBER_REGION_UNKNOWN"
LEGACY = "ID_NUMBER_LEGACY"
TYPE_UNSUPPORTED = "ID_TYPE_UNSUPPORTED"

# Separators people type or copy from a card: spaces, hyphens, dots, slashes and the
# parentheses around a Hong Kong check digit ("A123456(3)"). Anything else stays, so the
# charset checks can reject it.
_SEPARATORS = re.compile(r"[\s\-./()]+")


def normalise(number: str) -> str:
    """Upper-case, separators removed, full-width forms folded (NFKC).

    NFKC matters for Chinese input methods, which often produce full-width digits and
    letters ("１１０１０５…") that look right on screen but fail every ASCII pattern.
    """
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", number)).upper()


def fold(number: str) -> str:
    """NFKC, trimmed, upper-case, separators kept: for python-stdnum, which strips the
    separators it knows itself and needs some of them (the century sign in a Finnish
    HETU, 131052-308T, is a hyphen)."""
    return unicodedata.normalize("NFKC", number).strip().upper()


def invalid(scheme: str, reason: str, **details: Any) -> CheckResult:
    """A hard failure of the number itself; ``reason`` says which part failed."""
    return CheckResult.failed(CHECK, INVALID, scheme=scheme, reason=reason, **details)


def dob_matches(encoded: date, declared: date, *, century_ambiguous: bool = False) -> bool:
    """Whether the birth date in a number agrees with the declared date of birth.

    Some numbers carry only a two-digit year; for them a difference of exactly a century
    is a reading ambiguity, not a mismatch.
    """
    if encoded == declared:
        return True
    return (
        century_ambiguous
        and (encoded.month, encoded.day) == (declared.month, declared.day)
        and abs(encoded.year - declared.year) == 100
    )


def combine(
    scheme: str,
    *,
    validated: str,
    fail_codes: list[str],
    review_codes: list[str],
    **details: Any,
) -> CheckResult:
    """One result from the findings: any hard finding fails, else any soft one reviews.

    Every finding's code is kept, so a reviewer of a failed number still sees that its
    region was unknown too.
    """
    codes = (*fail_codes, *review_codes)
    if fail_codes:
        return CheckResult.failed(CHECK, *codes, scheme=scheme, validated=validated, **details)
    if review_codes:
        return CheckResult.review(CHECK, *codes, scheme=scheme, validated=validated, **details)
    return CheckResult.passed(CHECK, scheme=scheme, validated=validated, **details)
