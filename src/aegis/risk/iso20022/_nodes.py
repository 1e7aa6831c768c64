"""One reading layer over both forms of a message, so the mapping is written once.

An ISO 20022 message arrives as XML or as Tazama's JSON rendering of the same structure. A
:class:`Node` hides which: the mapping asks for a child by its ISO name, and the
:class:`Reader` applies the XSD's rules (occurrences, text lengths, patterns, code lists,
dates, amounts) to what it finds, collecting every problem with its path instead of stopping
at the first, so a partner fixes a message in one round trip.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Final

from aegis.risk.iso20022.currencies import AmountError, to_minor
from aegis.risk.iso20022.errors import MAX_REPORTED

COUNTRY: Final = re.compile(r"[A-Z]{2}")
CURRENCY: Final = re.compile(r"[A-Z]{3}")
IBAN: Final = re.compile(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}")
UUID4: Final = re.compile(r"[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}")
NUMERIC15: Final = re.compile(r"[0-9]{1,15}")

# xs:decimal's lexical space: no exponent, no grouping, an optional sign.
_DECIMAL: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# xs:dateTime: the year may be longer or negative in XSD; Python cannot hold those, and
# no payment happens in them, so they fail the range check below rather than the pattern.
_DATETIME: Final = re.compile(
    r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)
# ActiveCurrencyAndAmount_SimpleType in every accepted version.
_FRACTION_DIGITS: Final = 5
_TOTAL_DIGITS: Final = 18


class _Composite:
    """What :meth:`Node.scalar` returns for an element with children or a JSON object."""


COMPOSITE: Final = _Composite()


class Node(ABC):
    __slots__ = ("path",)
    is_xml: ClassVar[bool]

    def __init__(self, path: str) -> None:
        self.path = path

    @abstractmethod
    def find(self, name: str, *, indexed: bool) -> list[Node]:
        """Every occurrence of child ``name``; ``indexed`` puts the position in the path."""

    @abstractmethod
    def is_group(self) -> bool:
        """Whether this can hold children (an element without text, a JSON object)."""

    @abstractmethod
    def scalar(self) -> object:
        """The text or JSON value, or :data:`COMPOSITE`."""

    def attribute(self, name: str) -> str | None:
        return None

    def child_path(self, name: str) -> str:
        return f"{self.path}/{name}"


class XmlNode(Node):
    __slots__ = ("element", "ns")
    is_xml = True

    def __init__(self, path: str, element: Any, ns: str | None) -> None:
        super().__init__(path)
        self.element = element
        self.ns = ns  # None: match any namespace (inside an xs:any envelope)

    def find(self, name: str, *, indexed: bool) -> list[Node]:
        tag = f"{{{self.ns}}}{name}" if self.ns is not None else f"{{*}}{name}"
        found = self.element.findall(tag)
        # SplmtryData/Envlp is xs:any: what is inside may use any namespace.
        ns = None if name == "Envlp" else self.ns
        base = self.child_path(name)
        if not indexed and len(found) == 1:
            return [XmlNode(base, found[0], ns)]
        return [XmlNode(f"{base}[{i}]", el, ns) for i, el in enumerate(found, 1)]

    def is_group(self) -> bool:
        return not (self.element.text or "").strip()

    def scalar(self) -> object:
        if len(self.element):
            return COMPOSITE
        text: str = self.element.text or ""
        return text

    def attribute(self, name: str) -> str | None:
        value: str | None = self.element.get(name)
        return value


class JsonNode(Node):
    __slots__ = ("value",)
    is_xml = False

    def __init__(self, path: str, value: object) -> None:
        super().__init__(path)
        self.value = value

    def find(self, name: str, *, indexed: bool) -> list[Node]:
        if not isinstance(self.value, dict) or name not in self.value:
            return []
        value = self.value[name]
        base = self.child_path(name)
        # Tazama writes some repeatable elements as one object and some singletons (Othr)
        # as one-element arrays: both spellings are read, the occurrence rules still apply.
        if isinstance(value, list):
            return [JsonNode(f"{base}/{i}", item) for i, item in enumerate(value)]
        return [JsonNode(base, value)]

    def is_group(self) -> bool:
        return isinstance(self.value, dict)

    def scalar(self) -> object:
        return COMPOSITE if isinstance(self.value, dict | list) else self.value


def _digits(plain: str) -> tuple[int, int]:
    """(total digits, fraction digits) of an unsigned plain decimal, as XSD counts them:
    leading zeros and trailing fractional zeros do not count."""
    whole, _, fraction = plain.partition(".")
    whole, fraction = whole.lstrip("0"), fraction.rstrip("0")
    return max(len(whole) + len(fraction), 1), len(fraction)


class Reader:
    """Reads typed values from nodes and records, rather than raises, what is wrong."""

    def __init__(self, *, naive_tz: dt.tzinfo = dt.UTC) -> None:
        self.errors: list[tuple[str, str]] = []
        self.naive_tz = naive_tz

    def fail(self, path: str, detail: str) -> None:
        if len(self.errors) < MAX_REPORTED:
            self.errors.append((path, detail))
        elif len(self.errors) == MAX_REPORTED:
            self.errors.append(("/", "too many errors; the rest are not reported"))

    # -- structure -------------------------------------------------------------------

    def _single(self, parent: Node, name: str, *, required: bool) -> Node | None:
        found = parent.find(name, indexed=False)
        if not found:
            if required:
                self.fail(parent.child_path(name), "is required but missing")
            return None
        if len(found) > 1:
            self.fail(parent.child_path(name), f"occurs {len(found)} times; at most once allowed")
            return None
        return found[0]

    def group(self, parent: Node | None, name: str, *, required: bool = False) -> Node | None:
        node = self._single(parent, name, required=required) if parent else None
        if node is not None and not node.is_group():
            self._not_a_group(node)
            return None
        return node

    def _not_a_group(self, node: Node) -> None:
        self.fail(
            node.path, "must contain elements, not text" if node.is_xml else "must be an object"
        )

    def groups(self, parent: Node | None, name: str, *, required: bool = False) -> list[Node]:
        if parent is None:
            return []
        found = parent.find(name, indexed=True)
        if not found and required:
            self.fail(parent.child_path(name), "is required but missing")
        good = []
        for node in found:
            if node.is_group():
                good.append(node)
            else:
                self._not_a_group(node)
        return good

    def choice(self, node: Node, *names: str) -> None:
        """XSD choices: exactly one of ``names``."""
        present = [n for n in names if node.find(n, indexed=False)]
        if len(present) > 1:
            self.fail(node.path, f"must hold only one of {', '.join(names)}")
        elif not present:
            self.fail(node.path, f"must hold one of {', '.join(names)}")

    # -- scalars ---------------------------------------------------------------------

    def _string(self, node: Node) -> str | None:
        raw = node.scalar()
        if raw is COMPOSITE:
            self.fail(node.path, "must be text, not elements" if node.is_xml else "must be text")
            return None
        if not isinstance(raw, str):
            self.fail(node.path, "must be a string")
            return None
        return raw

    def _check_text(
        self,
        node: Node,
        raw: str,
        *,
        max_len: int,
        pattern: re.Pattern[str] | None,
        codes: Collection[str] | None,
    ) -> str | None:
        # ISO text types keep whitespace (xs:string), so it counts towards the length as the
        # XSD counts it; codes and patterns are checked on the exact text too.
        if codes is not None:
            if raw not in codes:
                self.fail(node.path, f"must be one of {', '.join(sorted(codes))}")
                return None
        elif not raw:
            self.fail(node.path, "must not be empty")
            return None
        elif len(raw) > max_len:
            self.fail(node.path, f"is {len(raw)} characters long; at most {max_len} allowed")
            return None
        if pattern is not None and not pattern.fullmatch(raw):
            self.fail(node.path, f"does not match the pattern {pattern.pattern}")
            return None
        return raw

    def text(
        self,
        parent: Node | None,
        name: str,
        *,
        max_len: int,
        required: bool = False,
        pattern: re.Pattern[str] | None = None,
        codes: Collection[str] | None = None,
    ) -> str | None:
        node = self._single(parent, name, required=required) if parent else None
        raw = self._string(node) if node else None
        if node is None or raw is None:
            return None
        return self._check_text(node, raw, max_len=max_len, pattern=pattern, codes=codes)

    def texts(self, parent: Node, name: str, *, max_len: int) -> list[str]:
        out = []
        for node in parent.find(name, indexed=True):
            raw = self._string(node)
            if raw is not None:
                value = self._check_text(node, raw, max_len=max_len, pattern=None, codes=None)
                if value is not None:
                    out.append(value)
        return out

    def count(self, parent: Node, name: str, *, required: bool = False) -> int | None:
        """Max15NumericText in XML, an integer in Tazama's JSON."""
        node = self._single(parent, name, required=required)
        if node is None:
            return None
        raw = node.scalar()
        if node.is_xml:
            if isinstance(raw, str) and NUMERIC15.fullmatch(raw):
                return int(raw)
            self.fail(node.path, "must be 1 to 15 digits")
            return None
        if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 10**15:
            return raw
        self.fail(node.path, "must be a non-negative integer below 10^15")
        return None

    def datetime(
        self, parent: Node | None, name: str, *, required: bool = False
    ) -> dt.datetime | None:
        node = self._single(parent, name, required=required) if parent else None
        raw = self._string(node) if node else None
        if node is None or raw is None:
            return None
        value = self.parse_datetime(raw.strip())
        if isinstance(value, str):
            self.fail(node.path, value)
            return None
        return value

    def parse_datetime(self, raw: str) -> dt.datetime | str:
        """An xs:dateTime as aware UTC, or why not. Without an offset ISO 20022 means local
        time, which only the sender knows: such times are read in ``naive_tz``."""
        m = _DATETIME.fullmatch(raw)
        if m is None:
            return "is not an ISO 8601 date and time (YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm])"
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        if not 1 <= year <= 9999:
            return "has a year outside 0001-9999"
        micro = int((m.group(7) or ".0")[1:].ljust(6, "0")[:6])
        end_of_day = hour == 24 and minute == second == micro == 0  # XSD allows 24:00:00
        try:
            value = dt.datetime(year, month, day, 0 if end_of_day else hour, minute, second, micro)
            if end_of_day:
                value += dt.timedelta(days=1)
        except (ValueError, OverflowError):
            return "is not a valid date and time"
        offset = m.group(8)
        if offset is None:
            return value.replace(tzinfo=self.naive_tz).astimezone(dt.UTC)
        if offset == "Z":
            return value.replace(tzinfo=dt.UTC)
        oh, om = int(offset[1:3]), int(offset[4:6])
        if om >= 60 or oh * 60 + om > 14 * 60:
            return "has a timezone offset outside ±14:00"
        delta = dt.timedelta(hours=oh, minutes=om) * (-1 if offset[0] == "-" else 1)
        try:
            return value.replace(tzinfo=dt.timezone(delta)).astimezone(dt.UTC)
        except OverflowError:
            return "is not a valid date and time"

    # -- money -----------------------------------------------------------------------

    def amount(self, parent: Node, name: str) -> tuple[int, str] | None:
        """A required ActiveCurrencyAndAmount as (minor units, currency).

        XML: ``<IntrBkSttlmAmt Ccy="EUR">12.50</IntrBkSttlmAmt>``; Tazama's JSON:
        ``{"Amt": {"Amt": 12.5, "Ccy": "EUR"}}``.
        """
        node = self._single(parent, name, required=True)
        if node is None:
            return None
        if node.is_xml:
            amount_path, ccy_path = node.path, f"{node.path}/@Ccy"
            value = self._xml_decimal(node)
            ccy = node.attribute("Ccy")
            if ccy is None:
                self.fail(ccy_path, "is required but missing")
        else:
            inner = self.group(node, "Amt", required=True)
            if inner is None:
                return None
            amount_path, ccy_path = inner.child_path("Amt"), inner.child_path("Ccy")
            value = self._json_decimal(inner)
            ccy = self.text(inner, "Ccy", required=True, max_len=3)
        if ccy is not None and not CURRENCY.fullmatch(ccy):
            self.fail(ccy_path, "must be three capital letters (ISO 4217)")
            ccy = None
        if value is None or ccy is None:
            return None
        try:
            return to_minor(value, ccy), ccy
        except AmountError as exc:
            self.fail(ccy_path if exc.code.startswith("currency") else amount_path, exc.detail)
            return None

    def _xml_decimal(self, node: Node) -> Decimal | None:
        raw = node.scalar()
        if not isinstance(raw, str):
            self.fail(node.path, "must be text, not elements")
            return None
        text = raw.strip()  # xs:decimal collapses whitespace
        if not _DECIMAL.fullmatch(text):
            self.fail(node.path, "is not a decimal number (digits, an optional '.')")
            return None
        return self._xsd_amount(node, Decimal(text))

    def _json_decimal(self, inner: Node) -> Decimal | None:
        node = self._single(inner, "Amt", required=True)
        if node is None:
            return None
        raw = node.scalar()
        if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
            self.fail(node.path, "must be a number")
            return None
        try:
            # A float came from a caller's own JSON parser: its shortest repr is the text
            # that was sent for any amount of up to 15 significant digits.
            value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite():
            self.fail(node.path, "must be a finite number")
            return None
        return self._xsd_amount(node, value)

    def _xsd_amount(self, node: Node, value: Decimal) -> Decimal | None:
        if value < 0:
            self.fail(node.path, "must not be negative")
            return None
        total, fraction = _digits(format(value, "f").lstrip("+-"))
        if fraction > _FRACTION_DIGITS:
            self.fail(node.path, f"has more than {_FRACTION_DIGITS} decimal places")
            return None
        if total > _TOTAL_DIGITS:
            self.fail(node.path, f"has more than {_TOTAL_DIGITS} digits")
            return None
        return value

    def decimal_text(self, parent: Node, name: str, *, low: int, high: int) -> float | None:
        """A coordinate given as text (Tazama's geolocation)."""
        node = self._single(parent, name, required=True)
        raw = self._string(node) if node else None
        if node is None or raw is None:
            return None
        text = raw.strip()
        if not _DECIMAL.fullmatch(text) or not low <= Decimal(text) <= high:
            self.fail(node.path, f"must be a decimal number from {low} to {high}")
            return None
        return float(text)
