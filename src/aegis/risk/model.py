"""The shapes every part of the risk engine speaks: a transaction, a label, an outcome.

A :class:`Transaction` is what intake (JSON, ISO 20022, the stream) produces and what the
features, rules, model and decisions read. Money is an integer in minor units with its
ISO 4217 code; times are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class TxType(StrEnum):
    PAYMENT = "payment"
    TRANSFER = "transfer"
    WITHDRAWAL = "withdrawal"
    TOP_UP = "top_up"
    REFUND = "refund"


class Outcome(StrEnum):
    """What the engine answers, mildest first (marble's outcomes, plus step-up)."""

    APPROVE = "approve"
    REVIEW = "review"
    STEP_UP = "step_up"  # ask the payer for a second factor before the payment goes through
    DECLINE = "decline"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Outcome.APPROVE: 0, Outcome.REVIEW: 1, Outcome.STEP_UP: 2, Outcome.DECLINE: 3}


@dataclass(frozen=True, slots=True, kw_only=True)
class Transaction:
    id: str  # the partner's id for the transaction: unique per tenant
    time: dt.datetime  # when it happened, UTC
    type: TxType
    amount: int  # minor units, > 0
    currency: str  # ISO 4217
    customer_id: str | None = None  # the partner's customer, or an Aegis applicant id
    payer_account: str | None = None
    payee_account: str | None = None
    payer_name: str | None = None
    payee_name: str | None = None  # screened as the counterparty
    payee_country: str | None = None  # ISO alpha-2
    card_fingerprint: str | None = None  # a stable hash of the card, never the number
    device_id: str | None = None
    ip: str | None = None
    merchant_id: str | None = None
    terminal_id: str | None = None
    channel: str | None = None  # web, app, pos, atm, branch, api
    country: str | None = None  # where the payer is (geolocation), ISO alpha-2
    latitude: float | None = None
    longitude: float | None = None


class LabelKind(StrEnum):
    CHARGEBACK = "chargeback"
    CONFIRMED_FRAUD = "confirmed_fraud"
    GENUINE = "genuine"  # confirmed legitimate (a cleared dispute)


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    """Late truth about a transaction. It may be used by features and training only from
    ``usable_at`` on (reported_at + the configured delay), as a real chargeback feed."""

    transaction_id: str
    kind: LabelKind
    reported_at: dt.datetime
    usable_at: dt.datetime

    @property
    def fraud(self) -> bool:
        return self.kind is not LabelKind.GENUINE
