"""Bank-card element verification (银行卡二/三/四要素): does this card belong to this person?

The bank (through an aggregator) answers whether the elements agree with its records:
2 elements = name + card; 3 = name + ID number + card; 4 = those + the phone the bank holds.
``BankVerifier`` is the port; ``verify_bank_card`` calls it with retries and turns "no
answer" into an ``unavailable`` verdict; ``check_bank_card`` maps a verdict to a result.
An unavailable bank is REVIEW, never a pass.

Sandbox test cards (by the last four digits; each example is Luhn-valid):

    ====== ================== ===================================================
    ending example            answer
    ====== ================== ===================================================
    0002   6222020000050002   mismatch: name
    0003   6222020000040003   mismatch: id_number (match for a 2-element request)
    0004   6222020000030004   mismatch: phone (match unless 4-element)
    0005   6222020000020005   card_invalid (no such card at the bank, or closed)
    0006   6222020000010006   no answer: waits out the timeout, ``BankUnavailable``
    0007   6222020000000007   no answer to the first request for the card, then as
                              "other" below (shows a retry recovering)
    other  6222020000060001   the first request binds the card to its elements;
                              later ones must agree on every element both carry,
                              else mismatch on those; a blank name is a mismatch
    ====== ================== ===================================================

A PAN that is not 12-19 digits or fails Luhn is ``card_invalid``, as a bank would answer.
"""

from __future__ import annotations

import hashlib
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from stdnum import luhn

from aegis.checks.ports import PortUnavailable, call_with_retries
from aegis.checks.result import CheckResult

CHECK = "bank_card"


class BankUnavailable(PortUnavailable):
    """The bank or aggregator did not answer (timeout, 5xx)."""


class BankElement(StrEnum):
    NAME = "name"
    ID_NUMBER = "id_number"
    PHONE = "phone"


class BankOutcome(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    CARD_INVALID = "card_invalid"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class BankVerificationRequest:
    """The elements to check; every field is PII, so none appears in the repr."""

    name: str = field(repr=False)
    card_number: str = field(repr=False)
    id_number: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)  # E.164
    id_type: str = "national_id"

    def __post_init__(self) -> None:
        if self.phone is not None and self.id_number is None:
            # No bank product checks name + card + phone without the ID number.
            raise ValueError("a 4-element check needs the ID number too")

    @property
    def elements(self) -> int:
        return 2 + (self.id_number is not None) + (self.phone is not None)


@dataclass(frozen=True, slots=True)
class BankVerdict:
    outcome: BankOutcome
    elements: int
    mismatched: tuple[BankElement, ...] = ()
    reference: str | None = None  # the provider's id for this check, for disputes


class BankVerifier(Protocol):
    def verify(self, request: BankVerificationRequest) -> BankVerdict:
        """The bank's answer; raises ``BankUnavailable`` when there is none."""
        ...


def verify_bank_card(
    verifier: BankVerifier,
    request: BankVerificationRequest,
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
) -> BankVerdict:
    """Ask with retries (2 by default, backing off); no answer becomes ``unavailable``."""
    try:
        return call_with_retries(lambda: verifier.verify(request), attempts, sleep)
    except PortUnavailable:
        return BankVerdict(BankOutcome.UNAVAILABLE, request.elements)


def check_bank_card(verdict: BankVerdict) -> CheckResult:
    """match: pass; mismatch: CARD_VERIFICATION_FAILED; card_invalid: CARD_NUMBER_INVALID;
    unavailable: REVIEW with CARD_VERIFICATION_UNAVAILABLE."""
    elements = verdict.elements
    if verdict.outcome is BankOutcome.MATCH:
        return CheckResult.passed(CHECK, elements=elements)
    if verdict.outcome is BankOutcome.MISMATCH:
        mismatched = sorted(str(e) for e in verdict.mismatched)
        return CheckResult.failed(
            CHECK, "CARD_VERIFICATION_FAILED", elements=elements, mismatched=mismatched
        )
    if verdict.outcome is BankOutcome.CARD_INVALID:
        return CheckResult.failed(CHECK, "CARD_NUMBER_INVALID", elements=elements)
    return CheckResult.review(CHECK, "CARD_VERIFICATION_UNAVAILABLE", elements=elements)


def _fold(text: str) -> str:
    """Names compare without case, width or spacing differences (张三 = 张 三)."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _digest(text: str) -> str:
    # The sandbox keeps digests, not the elements: even a demo should not hoard PII.
    return hashlib.sha256(text.encode()).hexdigest()


class SandboxBankVerifier:
    """Deterministic stand-in for a bank-verification provider (see the module table)."""

    def __init__(
        self,
        *,
        latency: float = 0.005,
        timeout: float = 3.0,
        sleep: Callable[[float], None] = time.sleep,
        max_cards: int = 100_000,
    ) -> None:
        self.latency = latency
        self.timeout = timeout
        self._sleep = sleep
        self._max_cards = max_cards
        self._lock = threading.Lock()
        self._bound: dict[str, dict[BankElement, str]] = {}
        self._flaky_seen: set[str] = set()

    def verify(self, request: BankVerificationRequest) -> BankVerdict:
        if self.latency:
            self._sleep(self.latency)
        pan = "".join(request.card_number.split()).replace("-", "")
        n = request.elements
        if not (pan.isascii() and pan.isdigit() and 12 <= len(pan) <= 19 and luhn.is_valid(pan)):
            return self._verdict(BankOutcome.CARD_INVALID, n)
        ending = pan[-4:]
        if ending == "0006":
            self._sleep(self.timeout)
            raise BankUnavailable(f"no answer within {self.timeout:g}s (sandbox)")
        card_key = _digest(pan)
        if ending == "0007":
            with self._lock:
                if card_key not in self._flaky_seen:
                    self._flaky_seen.add(card_key)
                    raise BankUnavailable("temporary failure (sandbox, first request)")
        fixed = {
            "0002": BankElement.NAME,
            "0003": BankElement.ID_NUMBER if n >= 3 else None,
            "0004": BankElement.PHONE if n == 4 else None,
        }
        if ending in fixed:
            element = fixed[ending]
            if element is None:
                return self._verdict(BankOutcome.MATCH, n)
            return self._verdict(BankOutcome.MISMATCH, n, (element,))
        if ending == "0005":
            return self._verdict(BankOutcome.CARD_INVALID, n)
        return self._bound_verdict(card_key, request)

    def _bound_verdict(self, card_key: str, request: BankVerificationRequest) -> BankVerdict:
        n = request.elements
        if not _fold(request.name):
            return self._verdict(BankOutcome.MISMATCH, n, (BankElement.NAME,))
        given = {BankElement.NAME: _digest(_fold(request.name))}
        if request.id_number is not None:
            given[BankElement.ID_NUMBER] = _digest(_fold(request.id_number))
        if request.phone is not None:
            given[BankElement.PHONE] = _digest(_fold(request.phone))
        with self._lock:
            bound = self._bound.get(card_key)
            if bound is None:
                if len(self._bound) >= self._max_cards:
                    self._bound.pop(next(iter(self._bound)))  # oldest first: bounded memory
                self._bound[card_key] = dict(given)
                return self._verdict(BankOutcome.MATCH, n)
            wrong = tuple(
                e for e in BankElement if e in given and e in bound and given[e] != bound[e]
            )
            if not wrong:
                # A consistent 3-element check teaches the card its ID number; a
                # mismatching request teaches nothing.
                for element, value in given.items():
                    bound.setdefault(element, value)
        if wrong:
            return self._verdict(BankOutcome.MISMATCH, n, wrong)
        return self._verdict(BankOutcome.MATCH, n)

    @staticmethod
    def _verdict(
        outcome: BankOutcome, elements: int, mismatched: tuple[BankElement, ...] = ()
    ) -> BankVerdict:
        return BankVerdict(outcome, elements, mismatched, f"sbx_bank_{uuid.uuid4().hex[:16]}")
