"""What a rule expression can see, and how it is assembled for one decision.

Expressions read seven maps: ``tx``, ``features``, ``customer``, ``counterparty``,
``lists``, ``model`` and ``limits``. :data:`CATALOGUE` declares every field of the fixed
maps with its CEL type; the compiler refuses a field that is not there (a typo would
otherwise make a rule silently never fire), and docs/risk-rules.md documents the same
list (a test keeps the two in step). ``features`` is open: its names come from the feature
engine (aegis.risk.features) and are read as ``features.customer_count_1h``; a name with
dots would be read as ``features["customer.count_1h"]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from aegis.risk.lists import ListHits, ListType
from aegis.risk.model import Transaction

__all__ = [
    "CATALOGUE",
    "ROOTS",
    "CounterpartyFacts",
    "CustomerFacts",
    "Limits",
    "ModelFacts",
    "VarSpec",
    "Variables",
    "variables_for",
]

Screening = Literal["clear", "hit", "unknown"]


@dataclass(frozen=True, slots=True)
class VarSpec:
    """One field an expression can read: its CEL type, whether it may be null, what it
    means, and a typical value (the compiler's dry run evaluates rules on such values)."""

    type: Literal["int", "double", "string", "bool", "list<string>"]
    doc: str
    sample: Any
    nullable: bool = False
    absent: bool = False  # may be missing from the map: test with has(root.field)


def _s(doc: str, sample: str = "x", *, nullable: bool = True) -> VarSpec:
    return VarSpec("string", doc, sample, nullable=nullable)


TX: dict[str, VarSpec] = {
    "id": _s("The partner's transaction id.", "t-1", nullable=False),
    "type": _s("payment, transfer, withdrawal, top_up or refund.", "payment", nullable=False),
    "amount": VarSpec("int", "Amount in minor units (cents), > 0.", 10_000),
    "currency": _s("ISO 4217 code.", "EUR", nullable=False),
    "customer_id": _s("The partner's customer or the Aegis applicant id."),
    "payer_account": _s("The payer's account (IBAN, wallet or account number)."),
    "payee_account": _s("The payee's account."),
    "payer_name": _s("The payer's name as sent."),
    "payee_name": _s("The payee's name as sent; screened into counterparty.screening."),
    "payee_country": _s("ISO alpha-2 country of the payee.", "DE"),
    "card_fingerprint": _s("A stable hash of the card (never the number)."),
    "device_id": _s("The payer's device."),
    "ip": _s("The payer's IP address.", "192.0.2.1"),
    "merchant_id": _s("The merchant."),
    "terminal_id": _s("The terminal (point of sale, ATM)."),
    "channel": _s("web, app, pos, atm, branch or api.", "web"),
    "country": _s("ISO alpha-2 country where the payer is (geolocation).", "DE"),
    "latitude": VarSpec("double", "Payer latitude.", 52.5, nullable=True),
    "longitude": VarSpec("double", "Payer longitude.", 13.4, nullable=True),
    "cross_border": VarSpec("bool", "country and payee_country are both known and differ.", True),
    "hour_of_day": VarSpec("int", "Hour of the transaction time, UTC, 0..23.", 12),
    "day_of_week": VarSpec("int", "Day of the transaction time, UTC, 1 (Monday)..7.", 3),
    "unix_time": VarSpec("int", "Transaction time in seconds since the epoch.", 1_700_000_000),
}

CUSTOMER: dict[str, VarSpec] = {
    "kyc_level": _s("The verification level passed (basic, standard, enhanced...).", "basic"),
    "kyc_status": _s(
        "Applicant status (approved, in_review, rejected...), or none when no applicant is linked.",
        "approved",
        nullable=False,
    ),
    "verified": VarSpec("bool", "kyc_status is approved.", True),
    "risk_rating": _s("low, medium or high; null when not rated.", "low"),
    "screening": _s(
        "Sanctions/PEP screening of the customer: clear, hit or unknown.",
        "clear",
        nullable=False,
    ),
    "frozen": VarSpec("bool", "The account is frozen: every payment is declined.", True),
    "limited": VarSpec("bool", "The account is limited to limit_amount per payment.", True),
    "limit_amount": VarSpec(
        "int", "Per-payment limit of a limited account, minor units.", 10_000, nullable=True
    ),
    "days_since_last_tx": VarSpec(
        "int",
        "Whole days since the customer's previous transaction; null if there is none.",
        1,
        nullable=True,
    ),
    "account_age_days": VarSpec(
        "int", "Whole days since the customer was created; null if unknown.", 400, nullable=True
    ),
}

COUNTERPARTY: dict[str, VarSpec] = {
    "screening": _s(
        "Screening of the payee name against the sanctions lists at intake: clear, hit "
        "(scored at or above the screening match threshold) or unknown (no name, or not "
        "screened).",
        "clear",
        nullable=False,
    ),
    "screening_score": VarSpec("double", "Best match score 0..1 (0 when not screened).", 0.1),
    "screening_list": _s("The list of the best match (e.g. ofac-sdn); null when clear."),
}

LISTS: dict[str, VarSpec] = {
    "blocked": VarSpec("bool", "A live block-list entry matched.", True),
    "allowed": VarSpec("bool", "A live allow-list entry matched.", True),
    "blocked_kinds": VarSpec(
        "list<string>", "Kinds that matched on the block list (account, card, ...).", ["card"]
    ),
    "allowed_kinds": VarSpec("list<string>", "Kinds that matched on the allow list.", ["card"]),
}

MODEL: dict[str, VarSpec] = {
    "present": VarSpec("bool", "A model scored this transaction.", True),
    "score": VarSpec("double", "The champion model's score 0..1.", 0.5, absent=True),
    "version": VarSpec("string", "The champion model's version.", "1", absent=True),
    "reasons": VarSpec(
        "list<string>", "The model's top reason codes, strongest first.", ["amount"]
    ),
}


class Limits(BaseModel):
    """Per-tenant numbers the rules compare with (``limits.*``). Amounts are minor units of
    the tenant's settlement currency: the engine does not convert currencies."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    unverified_max_amount: int = Field(
        100_000, ge=0, description="Largest payment of a customer who has not passed KYC."
    )
    high_amount: int = Field(
        200_000, ge=0, description="A payment this large on a first-seen device is suspect."
    )
    structuring_threshold: int = Field(
        1_000_000, ge=1, description="The reporting threshold structuring keeps under."
    )
    structuring_margin: float = Field(
        0.1, gt=0, lt=1, description="'Just below' = within this fraction under the threshold."
    )
    structuring_min_count: int = Field(
        3, ge=2, description="Payments just below the threshold in a day, this one included."
    )
    velocity_count_1h: int = Field(10, ge=1, description="Payments per hour that is a burst.")
    amount_spike_ratio: float = Field(
        5.0, gt=1, description="Amount / the customer's 30-day mean that is a spike."
    )
    amount_spike_min_amount: int = Field(
        50_000, ge=0, description="Spikes below this amount are ignored."
    )
    dormant_days: int = Field(180, ge=1, description="Days without payments = dormant.")
    dormant_min_amount: int = Field(
        50_000, ge=0, description="A dormant account waking with less is ignored."
    )
    cards_per_device_7d: int = Field(4, ge=2, description="Distinct cards on one device, 7 days.")
    new_payee_amount: int = Field(
        500_000, ge=0, description="A first payment to a payee this large is checked."
    )
    terminal_risk: float = Field(
        0.2, gt=0, le=1, description="Share of known-fraud payments at a terminal, 7 days."
    )
    model_review_score: float = Field(0.5, gt=0, le=1, description="Model score to review.")
    model_decline_score: float = Field(0.9, gt=0, le=1, description="Model score to decline.")

    @cached_property
    def as_map(self) -> dict[str, int | float]:
        # Built once per Limits object: a tenant's limits change rarely, decisions often.
        return {name: getattr(self, name) for name in type(self).model_fields}


def _limit_specs() -> dict[str, VarSpec]:
    specs: dict[str, VarSpec] = {}
    for name, info in Limits.model_fields.items():
        kind: Literal["int", "double"] = "int" if info.annotation is int else "double"
        specs[name] = VarSpec(kind, info.description or "", info.default)
    return specs


CATALOGUE: dict[str, dict[str, VarSpec]] = {
    "tx": TX,
    "customer": CUSTOMER,
    "counterparty": COUNTERPARTY,
    "lists": LISTS,
    "model": MODEL,
    "limits": _limit_specs(),
}
ROOTS: frozenset[str] = frozenset({*CATALOGUE, "features"})


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerFacts:
    """What the KYC, screening and account-restriction stores know about the payer. The
    default is an unknown customer: not verified, not screened, not restricted."""

    kyc_level: str | None = None
    kyc_status: str = "none"
    risk_rating: str | None = None
    screening: Screening = "unknown"
    frozen: bool = False
    limited: bool = False
    limit_amount: int | None = None
    days_since_last_tx: int | None = None
    account_age_days: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterpartyFacts:
    """The intake's screening of the payee name (``tx.payee_name``)."""

    screening: Screening = "unknown"
    screening_score: float = 0.0
    screening_list: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelFacts:
    score: float
    version: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Variables:
    """Root name -> field -> value, as Python values: what one decision's rules read.

    Mappings are held, not copied (``features`` in particular), so the caller must not
    change them while a rule set evaluates.
    """

    roots: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


_UTC = dt.UTC
_UNKNOWN_COUNTERPARTY = CounterpartyFacts()


def variables_for(
    tx: Transaction,
    features: Mapping[str, float],
    customer: CustomerFacts,
    lists: ListHits,
    model: ModelFacts | None,
    limits: Limits,
    *,
    counterparty: CounterpartyFacts | None = None,
) -> Variables:
    """Assemble the variables of one decision. Cheap: a few small dictionaries; the engine
    converts only the fields its rules read."""
    when = tx.time.astimezone(_UTC)
    tx_map: dict[str, Any] = {
        "id": tx.id,
        "type": tx.type._value_,  # .value without the enum property's cost
        "amount": tx.amount,
        "currency": tx.currency,
        "customer_id": tx.customer_id,
        "payer_account": tx.payer_account,
        "payee_account": tx.payee_account,
        "payer_name": tx.payer_name,
        "payee_name": tx.payee_name,
        "payee_country": tx.payee_country,
        "card_fingerprint": tx.card_fingerprint,
        "device_id": tx.device_id,
        "ip": tx.ip,
        "merchant_id": tx.merchant_id,
        "terminal_id": tx.terminal_id,
        "channel": tx.channel,
        "country": tx.country,
        "latitude": tx.latitude,
        "longitude": tx.longitude,
        "cross_border": bool(tx.country and tx.payee_country and tx.country != tx.payee_country),
        "hour_of_day": when.hour,
        "day_of_week": when.isoweekday(),
        "unix_time": int(when.timestamp()),
    }
    customer_map: dict[str, Any] = {
        "kyc_level": customer.kyc_level,
        "kyc_status": customer.kyc_status,
        "verified": customer.kyc_status == "approved",
        "risk_rating": customer.risk_rating,
        "screening": customer.screening,
        "frozen": customer.frozen,
        "limited": customer.limited,
        "limit_amount": customer.limit_amount,
        "days_since_last_tx": customer.days_since_last_tx,
        "account_age_days": customer.account_age_days,
    }
    cp = counterparty or _UNKNOWN_COUNTERPARTY
    counterparty_map: dict[str, Any] = {
        "screening": cp.screening,
        "screening_score": float(cp.screening_score),
        "screening_list": cp.screening_list,
    }
    lists_map: dict[str, Any] = (
        {
            "blocked": lists.blocked,
            "allowed": lists.allowed,
            "blocked_kinds": list(lists.kinds(ListType.BLOCK)),
            "allowed_kinds": list(lists.kinds(ListType.ALLOW)),
        }
        if lists.matches
        else {"blocked": False, "allowed": False, "blocked_kinds": [], "allowed_kinds": []}
    )
    # No model: score and version are absent (has(model.score) is false), not zero, so a
    # rule cannot mistake "no model" for "the model says safe".
    model_map: dict[str, Any] = (
        {
            "present": True,
            "score": float(model.score),
            "version": model.version,
            "reasons": list(model.reasons),
        }
        if model is not None
        else {"present": False, "reasons": []}
    )
    return Variables(
        roots={
            "tx": tx_map,
            "features": features,
            "customer": customer_map,
            "counterparty": counterparty_map,
            "lists": lists_map,
            "model": model_map,
            "limits": limits.as_map,
        }
    )
