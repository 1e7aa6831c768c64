"""ISO 4217 currencies and their minor units: decimal amounts to integer minor units, exactly.

ISO 20022 carries amounts as decimals ("5000.25") and Aegis stores integer minor units, so the
conversion needs each currency's exponent as ISO 4217 publishes it. CLDR (Babel) is not a
substitute: its digits are display conventions and differ from ISO for several currencies
(IQD, COP, HUF, IDR...), which would silently scale amounts by 100 or 1000.

The table is ISO 4217 List One as in force in December 2026. Withdrawn codes are left out
on purpose: a payment in a currency that no longer exists is an error, not a transaction
(HRK: euro since 2023; ANG: replaced by XCG in 2025; BGN: euro since January 2026; SLL, ZWL,
CUC: withdrawn). Codes that exist but have no minor unit (precious metals, SDR, the testing
and "no currency" codes) are known but not payable, so callers can say which mistake it was.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final


def _codes(text: str) -> list[str]:
    return text.split()


# Code -> minor-unit exponent. One line per exponent; comments only where ISO and common
# belief (or CLDR) disagree.
_EXPONENT_0: Final = _codes("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF")
_EXPONENT_3: Final = _codes("BHD IQD JOD KWD LYD OMR TND")  # IQD: 3 in ISO, 0 in CLDR
_EXPONENT_4: Final = _codes("CLF UYW")  # Chilean and Uruguayan index units
_EXPONENT_2: Final = _codes(
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN BZD "
    "CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP "
    "GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK "
    "LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO "
    "NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS "
    "SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST "
    "XCD XCG YER ZAR ZMW ZWG"
)
# ISO 4217 "N.A." minor unit: units of account, metals and reserved codes.
_NOT_PAYABLE: Final = _codes("XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA XXX")

MINOR_UNITS: Final[dict[str, int]] = {
    **dict.fromkeys(_EXPONENT_0, 0),
    **dict.fromkeys(_EXPONENT_2, 2),
    **dict.fromkeys(_EXPONENT_3, 3),
    **dict.fromkeys(_EXPONENT_4, 4),
}
ACTIVE_CODES: Final = frozenset(MINOR_UNITS) | frozenset(_NOT_PAYABLE)

# 2**53 - 1: the largest integer every JSON client (JavaScript included) reads exactly, and
# far above any real payment (90 trillion USD).
MAX_MINOR_UNITS: Final = 9_007_199_254_740_991


class AmountError(ValueError):
    """An amount that cannot be expressed in the currency's minor units. The message names
    the rule broken and never the amount itself."""

    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


def is_active(code: str) -> bool:
    """Whether ``code`` is in ISO 4217 List One today (payable or not)."""
    return code in ACTIVE_CODES


def minor_units(code: str) -> int | None:
    """The exponent of ``code`` (JPY 0, EUR 2, BHD 3), or None when it has no minor unit
    or is not an active code."""
    return MINOR_UNITS.get(code)


def check_currency(code: str) -> int:
    """The exponent of a payable currency; :class:`AmountError` otherwise."""
    exponent = MINOR_UNITS.get(code)
    if exponent is not None:
        return exponent
    if code in ACTIVE_CODES:
        raise AmountError(
            f"{code} has no minor unit in ISO 4217 and cannot be used for payments",
            "currency_not_payable",
        )
    raise AmountError("not an active ISO 4217 currency code", "currency_unknown")


def to_minor(amount: Decimal, code: str) -> int:
    """``amount`` (major units) as an integer of minor units, exactly or not at all.

    Trailing zeros are fine ("10.00" JPY is 10 yen); a non-zero digit the currency cannot
    hold ("10.5" JPY) is refused rather than rounded, because rounding someone's payment is
    a decision this layer must not take.
    """
    exponent = check_currency(code)
    if not amount.is_finite():
        raise AmountError("must be a finite number", "amount_invalid")
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise AmountError(
            f"has more decimal places than {code} allows ({exponent})", "amount_precision"
        )
    minor = int(scaled)
    if minor <= 0:
        raise AmountError("must be greater than zero", "amount_not_positive")
    if minor > MAX_MINOR_UNITS:
        raise AmountError("is larger than the maximum Aegis accepts", "amount_too_large")
    return minor


def from_minor(minor: int, code: str) -> Decimal:
    """The decimal amount in major units: the inverse of :func:`to_minor`."""
    return Decimal(minor).scaleb(-check_currency(code))
