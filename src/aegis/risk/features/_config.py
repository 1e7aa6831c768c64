"""Feature configuration, and the entities whose histories the engine keeps.

Every entity kind is one *stream* per value (one per customer id, one per device id...). The
kinds are fixed in code, because the model's columns (:data:`FEATURE_NAMES`) and the Redis
layout both follow from them; the windows and the label delay are configuration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from aegis.risk.model import Transaction

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
MICROS = dt.timedelta(microseconds=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureConfig:
    """Windows are sliding, end at the transaction's time, and include their right end.

    ``label_delay`` is the handbook's delay period: terminal and merchant risk read the
    transactions in ``(t - label_delay - window, t - label_delay]``, and of those only the
    fraud labels whose ``usable_at`` has passed.
    """

    windows: tuple[dt.timedelta, ...] = (HOUR, DAY, 7 * DAY, 30 * DAY)
    risk_windows: tuple[dt.timedelta, ...] = (DAY, 7 * DAY, 30 * DAY)
    label_delay: dt.timedelta = 7 * DAY

    def __post_init__(self) -> None:
        for name, spans in (("windows", self.windows), ("risk_windows", self.risk_windows)):
            if not spans or any(w <= dt.timedelta(0) for w in spans):
                raise ValueError(f"{name} must be positive durations")
            if list(spans) != sorted(set(spans)):
                raise ValueError(f"{name} must be strictly increasing")
            if any(w % MICROS for w in spans):
                raise ValueError(f"{name} must be whole microseconds")
        if self.label_delay < dt.timedelta(0) or self.label_delay % MICROS:
            raise ValueError("label_delay must be a non-negative whole number of microseconds")

    @property
    def retention(self) -> dt.timedelta:
        """How long a stream remembers anything: its longest look-back (30 days + delay)."""
        return max(self.windows[-1], self.label_delay + self.risk_windows[-1])

    def fingerprint(self) -> str:
        """Identifies the layout of stored state: a state written under one configuration
        cannot be read under another."""
        spans = ",".join(str(_us(w)) for w in self.windows)
        risks = ",".join(str(_us(w)) for w in self.risk_windows)
        return f"v1;w={spans};r={risks};d={_us(self.label_delay)}"


def _us(span: dt.timedelta) -> int:
    return span // MICROS


def window_label(span: dt.timedelta) -> str:
    """``1h``, ``7d``, ``15m``, ``90s``: the suffix of feature names."""
    seconds = span // dt.timedelta(seconds=1)
    if span % dt.timedelta(seconds=1):
        return f"{_us(span)}us"
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Getter = Callable[[Transaction], str | None]

# Attributes counted as distinct values per entity (and, for the customer, flagged when
# new), by the Transaction field they come from.
ATTRIBUTES: dict[str, str] = {
    "customer": "customer_id",
    "card": "card_fingerprint",
    "device": "device_id",
    "ip": "ip",
    "payee": "payee_account",
    "country": "country",
}


@dataclass(frozen=True, slots=True)
class Kind:
    """One entity kind. ``velocity``: count/sum/mean/max windows and distinct counts;
    ``moments``: the amount against the history (ratio, z-score, percentile) and first-seen
    flags; ``risk``: label-based risk over delayed windows."""

    name: str
    key: Getter
    distinct: tuple[str, ...] = ()
    velocity: bool = True
    moments: bool = False
    risk: bool = False

    @property
    def flags(self) -> str:
        return "".join("1" if f else "0" for f in (self.velocity, self.moments, self.risk))


KINDS: tuple[Kind, ...] = (
    Kind(
        "customer",
        lambda tx: tx.customer_id,
        ("card", "device", "ip", "payee", "country"),
        moments=True,
    ),
    Kind("card", lambda tx: tx.card_fingerprint, ("customer", "device")),
    Kind("device", lambda tx: tx.device_id, ("customer", "card")),
    Kind("ip", lambda tx: tx.ip, ("customer", "card")),
    # A merchant without terminals is its own terminal.
    Kind(
        "terminal",
        lambda tx: tx.terminal_id or tx.merchant_id,
        ("customer", "card"),
        risk=True,
    ),
    Kind("payee", lambda tx: tx.payee_account, ("customer",)),
    Kind("merchant", lambda tx: tx.merchant_id, velocity=False, risk=True),
)
