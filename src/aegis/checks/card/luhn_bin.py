"""Card numbers: is this a well-formed PAN, and what does its BIN say about the card?

``check_card_number`` is pure (length, Luhn, the scheme's lengths). ``lookup_bin`` goes
through the ``BinLookup`` port, whose shipped implementation is a small in-memory table
(``bins.py``); an operator can plug a commercial BIN service instead. The port only ever
sees the first 8 digits, never the PAN, which keeps a BIN provider out of PCI scope.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Protocol

from stdnum import luhn

from aegis.checks.card.bins import (
    ISSUER_BINS,
    SCHEME_RANGES,
    TEST_PANS,
    CardType,
    IssuerBin,
    SchemeRange,
)
from aegis.checks.result import CheckResult

CHECK = "card_number"
CARD_NUMBER_INVALID = "CARD_NUMBER_INVALID"
BIN_DIGITS = 8  # ISO/IEC 7812 moved to 8-digit IINs in 2022; 6-digit ones are prefixes of them

_SEPARATORS = re.compile(r"[\s\-]+")


@dataclass(frozen=True, slots=True)
class BinInfo:
    """What a BIN tells. ``None`` fields are unknown, not "none"."""

    prefix: str  # the longest prefix the answer is based on
    scheme: str | None
    card_type: CardType | None = None
    issuer: str | None = None
    issuer_code: str | None = None
    country: str | None = None  # ISO 3166 alpha-2 of the issuer
    test_card: bool = False


class BinLookup(Protocol):
    def lookup(self, bin_digits: str) -> BinInfo | None:
        """Information for the first 6-8 digits of a PAN, or None if unknown."""
        ...


def normalise_pan(pan: str) -> str:
    """Digits as typed, without spaces or hyphens; full-width digits folded (NFKC)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", pan))


def scheme_range(digits: str) -> SchemeRange | None:
    """The scheme range with the longest prefix matching ``digits``."""
    best: SchemeRange | None = None
    for rng in SCHEME_RANGES:
        size = len(rng.low)
        fits = len(digits) >= size and rng.low <= digits[:size] <= rng.high
        if fits and (best is None or size > len(best.low)):
            best = rng
    return best


class TableBinLookup:
    """The shipped table: scheme from IIN ranges, issuer from the longest known prefix."""

    def __init__(self, issuers: tuple[IssuerBin, ...] = ISSUER_BINS) -> None:
        self._issuers = {entry.prefix: entry for entry in issuers}
        self._lengths = sorted({len(p) for p in self._issuers}, reverse=True)

    def lookup(self, bin_digits: str) -> BinInfo | None:
        rng = scheme_range(bin_digits)
        for size in self._lengths:
            entry = self._issuers.get(bin_digits[:size])
            if entry is not None:
                return BinInfo(
                    prefix=entry.prefix,
                    scheme=rng.scheme if rng else None,
                    card_type=entry.card_type,
                    issuer=entry.issuer,
                    issuer_code=entry.issuer_code,
                    country=entry.country,
                )
        if rng is None:
            return None
        return BinInfo(prefix=bin_digits[: len(rng.low)], scheme=rng.scheme)


DEFAULT_BIN_LOOKUP = TableBinLookup()


def lookup_bin(pan: str, lookup: BinLookup = DEFAULT_BIN_LOOKUP) -> BinInfo | None:
    """BIN information for a PAN (through ``lookup``), flagging published test cards."""
    digits = normalise_pan(pan)
    if not digits.isascii() or not digits.isdigit() or len(digits) < 6:
        return None
    info = lookup.lookup(digits[:BIN_DIGITS])
    if digits in TEST_PANS:
        rng = scheme_range(digits)
        base = info or BinInfo(prefix=digits[:6], scheme=rng.scheme if rng else None)
        return replace(base, test_card=True, card_type=TEST_PANS[digits] or base.card_type)
    return info


def check_card_number(pan: str, *, unionpay_luhn_exempt: bool = False) -> CheckResult:
    """``CARD_NUMBER_INVALID`` unless the PAN is 12-19 digits, fits its scheme, passes Luhn.

    ``unionpay_luhn_exempt``: some UnionPay cards issued before about 2015 do not satisfy
    Luhn. Current cards do, and processors reject those that do not, so the default is strict;
    an operator whose customers still hold old UnionPay cards can exempt the 62/81 ranges.
    Details: length, scheme and a test-card flag; never digits of the PAN.
    """
    digits = normalise_pan(pan)
    if not digits.isascii() or not digits.isdigit():
        return CheckResult.failed(CHECK, CARD_NUMBER_INVALID, reason="format")
    if not 12 <= len(digits) <= 19:
        return CheckResult.failed(CHECK, CARD_NUMBER_INVALID, reason="length")
    rng = scheme_range(digits)
    scheme = rng.scheme if rng else None
    details: dict[str, object] = {"length": len(digits), "scheme": scheme}
    if rng is not None and len(digits) not in rng.lengths:
        return CheckResult.failed(CHECK, CARD_NUMBER_INVALID, reason="length_for_scheme", **details)
    if not luhn.is_valid(digits):
        if scheme == "unionpay" and unionpay_luhn_exempt:
            return CheckResult.passed(CHECK, luhn="exempt", **details)
        return CheckResult.failed(CHECK, CARD_NUMBER_INVALID, reason="checksum", **details)
    if digits in TEST_PANS:
        details["test_card"] = True
    return CheckResult.passed(CHECK, luhn="valid", **details)
