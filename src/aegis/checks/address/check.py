"""The proof-of-address verdict: name, address and issue date, from text already read.

Pure: no I/O, no clock (``today`` is an argument), no logging. The result's details are
PII-free by construction: scores, counts, which keyword dated the document, its age in
days; never a name, an address or the text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aegis.checks.address._text import clean_text
from aegis.checks.address.addresses import AddressMatch, match_address
from aegis.checks.address.dates import FoundDate, Label, find_dates, pick_issue_date
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
)
from aegis.checks.address.names import match_name
from aegis.checks.result import CheckResult

_OK, _OLD, _FUTURE = "ok", "too_old", "future"


class _Findings:
    """Codes gathered from the three sub-checks, with the outcome each one asks for."""

    def __init__(self) -> None:
        self.fail: list[str] = []
        self.review: list[str] = []
        self.details: dict[str, Any] = {}

    def add(self, code: str, *, hard: bool) -> None:
        (self.fail if hard else self.review).append(code)


def check_proof_of_address(
    text: PoaText | str,
    *,
    applicant: PoaApplicant,
    today: date,
    policy: PoaPolicy = PoaPolicy(),
) -> CheckResult:
    """Does this utility bill or bank statement name the applicant, at their address, lately?

    FAIL when the document clearly names someone else, shows another address, or is too old
    (or dated in the future); REVIEW when it cannot be read, carries no date, or a score
    falls between the review and pass thresholds; PASS otherwise. Every code found is kept,
    so a failed document still tells the reviewer its date was missing too.
    """
    poa = text if isinstance(text, PoaText) else PoaText(text=text)
    base: dict[str, Any] = {"source": poa.source.value}
    if poa.ocr_confidence is not None:
        base["ocr_confidence"] = round(poa.ocr_confidence, 1)
    if poa.unsupported:
        return CheckResult.review(CHECK, UNSUPPORTED_FORMAT, **base)
    if poa.unreadable:
        return CheckResult.review(CHECK, UNREADABLE, reason=poa.unreadable, **base)
    cleaned = clean_text(poa.text)
    chars = sum(c.isalnum() for c in cleaned)
    if chars < policy.min_text_chars:
        return CheckResult.review(CHECK, UNREADABLE, reason="too_little_text", **base)

    lines = cleaned.split("\n")
    address = PoaAddress.parse(applicant.address)
    found = _Findings()
    found.details.update(base, text_chars=chars, text_lines=len(lines))
    _judge_name(found, lines, applicant, policy)
    window = policy.address_window_lines
    _judge_address(found, match_address(lines, address=address, window=window), policy)
    _judge_date(found, find_dates(cleaned, country=address.country), today, policy)

    low_confidence = (
        poa.ocr_confidence is not None and poa.ocr_confidence < policy.fail_needs_ocr_confidence
    )
    if found.fail and low_confidence:
        # Poor OCR: a mismatch may be a misreading, so a person decides.
        found.details["low_ocr_confidence"] = True
        found.review = [*found.fail, *found.review]
        found.fail = []
    codes = (*found.fail, *found.review)
    if found.fail:
        return CheckResult.failed(CHECK, *codes, **found.details)
    if found.review:
        return CheckResult.review(CHECK, *codes, **found.details)
    return CheckResult.passed(CHECK, **found.details)


def _judge_name(
    found: _Findings, lines: list[str], applicant: PoaApplicant, policy: PoaPolicy
) -> None:
    match = match_name(lines, name=applicant.name, native_name=applicant.native_name)
    found.details.update(name_score=match.score, name_matched_via=match.via)
    if match.score < policy.name_pass:
        found.add(NAME_MISMATCH, hard=match.score < policy.name_review)


def _judge_address(found: _Findings, match: AddressMatch, policy: PoaPolicy) -> None:
    found.details.update(
        address_score=match.score,
        address_tokens=match.tokens,
        address_tokens_missing=match.missing,
        postcode_found=match.postcode_found,
    )
    if match.tokens == 0:
        found.add(ADDRESS_MISMATCH, hard=False)  # nothing declared to compare
        return
    postcode_missing = policy.postcode_required and match.postcode_found is False
    if match.score >= policy.address_pass and match.missing == 0 and not postcode_missing:
        return
    # One key token missing (a misread house number, a flat number written differently)
    # or a postcode not found is worth a person's look; more is another address.
    near = match.score >= policy.address_review and match.missing <= 1
    found.add(ADDRESS_MISMATCH, hard=not near)


def _verdict(issued: date, today: date, policy: PoaPolicy) -> str:
    age = (today - issued).days
    if age < -policy.future_tolerance_days:
        return _FUTURE
    return _OLD if age > policy.max_age_days else _OK


def _judge_date(found: _Findings, dates: list[FoundDate], today: date, policy: PoaPolicy) -> None:
    chosen = pick_issue_date(dates, today=today, future_tolerance_days=policy.future_tolerance_days)
    if chosen is None:
        due = [d for d in dates if d.label is Label.DUE]
        # The issue date precedes every due date: a due date already too old settles it.
        if due and _verdict(max(d.value for d in due), today, policy) == _OLD:
            chosen = max(due, key=lambda d: d.value)
        else:
            found.details["date_basis"] = "due_only" if due else None
            found.add(DATE_NOT_FOUND, hard=False)
            return
    verdict = _verdict(chosen.value, today, policy)
    found.details.update(
        date_basis=chosen.label.value,
        date_keyword=chosen.keyword,
        date_format=chosen.fmt,
        age_days=(today - chosen.value).days,
        date_ambiguous=chosen.alternative is not None,
    )
    if chosen.alternative is not None and _verdict(chosen.alternative, today, policy) != verdict:
        found.add(DATE_AMBIGUOUS, hard=False)
        return
    if verdict == _OLD:
        found.add(TOO_OLD, hard=True)
    elif verdict == _FUTURE:
        found.add(DATE_IN_FUTURE, hard=True)
