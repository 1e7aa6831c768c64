"""The BIN table shipped with Aegis: card schemes by IIN range, a few issuers, test cards.

Small on purpose. Only what is public and that we are confident of is listed; an operator
who needs full issuer coverage plugs a commercial BIN service into the ``BinLookup`` port.

Sources:
- Scheme ranges: ISO/IEC 7812 issuer identification numbers as the schemes publish them
  (summarised in Wikipedia's "Payment card number" table). High confidence, except the
  UnionPay 81 range (assigned later; medium).
- Issuers: first six digits of the flagship debit cards of large Chinese banks, as printed
  on the cards and widely documented (e.g. ICBC 牡丹灵通卡 622202, ABC 金穗借记卡 622848,
  CMB 一卡通 622588). Confidence per row: "high" where the BIN is the bank's best-known
  one, "medium" where we know it from fewer sources. Nothing here was copied from test
  data sets.
- Test cards: numbers the processors publish for their sandboxes (Stripe, Braintree,
  Adyen docs). A real applicant presenting one is a signal worth recording.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CardType(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"
    PREPAID = "prepaid"


@dataclass(frozen=True, slots=True)
class SchemeRange:
    low: str  # inclusive, same length as high: compared as a prefix of the PAN
    high: str
    scheme: str
    lengths: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class IssuerBin:
    prefix: str
    issuer: str
    issuer_code: str  # the bank's usual abbreviation
    country: str
    card_type: CardType | None
    confidence: str  # "high" | "medium": see the module docstring


def _r(low: str, high: str, scheme: str, *lengths: int) -> SchemeRange:
    return SchemeRange(low, high, scheme, lengths)


_ANY = tuple(range(12, 20))

SCHEME_RANGES: tuple[SchemeRange, ...] = (
    _r("4", "4", "visa", 13, 16, 19),
    _r("51", "55", "mastercard", 16),
    _r("2221", "2720", "mastercard", 16),
    _r("34", "34", "amex", 15),
    _r("37", "37", "amex", 15),
    _r("62", "62", "unionpay", 16, 17, 18, 19),
    _r("81", "81", "unionpay", 16, 17, 18, 19),  # medium confidence
    _r("3528", "3589", "jcb", 16, 17, 18, 19),
    _r("6011", "6011", "discover", 16, 17, 18, 19),
    _r("644", "649", "discover", 16, 17, 18, 19),
    _r("65", "65", "discover", 16, 17, 18, 19),
    _r("36", "36", "diners", 14, 15, 16, 17, 18, 19),
    _r("300", "305", "diners", 14, 15, 16, 17, 18, 19),
    _r("3095", "3095", "diners", 14, 15, 16, 17, 18, 19),
    _r("38", "39", "diners", 14, 15, 16, 17, 18, 19),
    _r("2200", "2204", "mir", 16, 17, 18, 19),
    # Maestro's own IINs; its historical 50-69 space overlaps other schemes, so only these.
    _r("5018", "5018", "maestro", *_ANY),
    _r("5020", "5020", "maestro", *_ANY),
    _r("5038", "5038", "maestro", *_ANY),
    _r("5893", "5893", "maestro", *_ANY),
    _r("6304", "6304", "maestro", *_ANY),
    _r("6759", "6759", "maestro", *_ANY),
    _r("6761", "6763", "maestro", *_ANY),
)

_ICBC = ("Industrial and Commercial Bank of China", "ICBC")
_CCB = ("China Construction Bank", "CCB")
_ABC = ("Agricultural Bank of China", "ABC")
_BOC = ("Bank of China", "BOC")
_CMB = ("China Merchants Bank", "CMB")
_BOCOM = ("Bank of Communications", "BOCOM")
_PSBC = ("Postal Savings Bank of China", "PSBC")


def _i(prefix: str, bank: tuple[str, str], card_type: CardType, confidence: str) -> IssuerBin:
    return IssuerBin(prefix, bank[0], bank[1], "CN", card_type, confidence)


ISSUER_BINS: tuple[IssuerBin, ...] = (
    _i("622202", _ICBC, CardType.DEBIT, "high"),  # 牡丹灵通卡
    _i("622208", _ICBC, CardType.DEBIT, "medium"),
    _i("621700", _CCB, CardType.DEBIT, "high"),  # 龙卡储蓄卡
    _i("622700", _CCB, CardType.DEBIT, "medium"),  # 龙卡通
    _i("436742", _CCB, CardType.DEBIT, "medium"),  # Visa-branded 龙卡 debit
    _i("622848", _ABC, CardType.DEBIT, "high"),  # 金穗借记卡
    _i("621661", _BOC, CardType.DEBIT, "medium"),
    _i("456351", _BOC, CardType.DEBIT, "medium"),  # Visa-branded 长城电子借记卡
    _i("622588", _CMB, CardType.DEBIT, "high"),  # 一卡通
    _i("622262", _BOCOM, CardType.DEBIT, "medium"),  # 太平洋借记卡
    _i("621799", _PSBC, CardType.DEBIT, "medium"),
    _i("622188", _PSBC, CardType.DEBIT, "medium"),
)

# Published sandbox card numbers and the card type their publisher documents (None when the
# publisher does not say).
TEST_PANS: dict[str, CardType | None] = {
    "4111111111111111": None,
    "4242424242424242": CardType.CREDIT,
    "4012888888881881": None,
    "4000056655665556": CardType.DEBIT,
    "5555555555554444": CardType.CREDIT,
    "2223003122003222": CardType.CREDIT,
    "5200828282828210": CardType.DEBIT,
    "5105105105105100": CardType.PREPAID,
    "378282246310005": CardType.CREDIT,
    "371449635398431": CardType.CREDIT,
    "6011111111111117": CardType.CREDIT,
    "6011000990139424": CardType.CREDIT,
    "3056930009020004": CardType.CREDIT,
    "36227206271667": CardType.CREDIT,
    "3566002020360505": CardType.CREDIT,
    "6200000000000005": CardType.CREDIT,
}
