"""Builders for rule tests: a benign transaction and its variables, changed per case."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from aegis.risk.lists import ListHits, ListKind, ListMatch, ListType
from aegis.risk.model import Outcome, Transaction, TxType
from aegis.risk.rules import (
    CounterpartyFacts,
    CustomerFacts,
    Limits,
    ModelFacts,
    Rule,
    RuleSet,
    Variables,
    variables_for,
)

NOW = dt.datetime(2024, 5, 1, 14, 30, tzinfo=dt.UTC)


def transaction(**changes: Any) -> Transaction:
    base = Transaction(
        id="t-1",
        time=NOW,
        type=TxType.PAYMENT,
        amount=4_500,  # 45.00
        currency="EUR",
        customer_id="cus-1",
        payer_account="DE89370400440532013000",
        payee_account="FR1420041010050500013M02606",
        payee_name="Boulangerie Martin",
        payee_country="FR",
        card_fingerprint="card-1",
        device_id="dev-1",
        ip="198.51.100.7",
        merchant_id="m-1",
        terminal_id="term-1",
        channel="app",
        country="DE",
    )
    return dataclasses.replace(base, **changes)


# A regular customer with a quiet history: none of the default rules fires.
BENIGN_FEATURES: dict[str, float] = {
    "customer_count_1h": 0.0,
    "customer_count_1d": 1.0,
    "customer_count_30d": 12.0,
    "customer_amount_mean_1d": 3_000.0,
    "customer_amount_max_1d": 3_000.0,
    "customer_amount_ratio_30d": 1.2,
    "customer_new_device": 0.0,
    "customer_new_country": 0.0,
    "customer_new_payee": 0.0,
    "card_count_1h": 0.0,
    "device_distinct_cards_7d": 1.0,
    "terminal_risk_share_7d": 0.0,
    "terminal_risk_count_7d": 40.0,
}

VERIFIED = CustomerFacts(
    kyc_level="basic",
    kyc_status="approved",
    risk_rating="low",
    screening="clear",
    days_since_last_tx=2,
    account_age_days=700,
)


def hits(*matches: tuple[ListType, ListKind]) -> ListHits:
    return ListHits(
        matches=tuple(
            ListMatch(entry_id=f"rle_{i}", list=lt, kind=kind, field=kind.value, reason="test")
            for i, (lt, kind) in enumerate(matches)
        )
    )


def variables(
    *,
    tx: Transaction | None = None,
    features: Mapping[str, float] | None = None,
    customer: CustomerFacts = VERIFIED,
    lists: ListHits | None = None,
    model: ModelFacts | None = None,
    limits: Limits | None = None,
    counterparty: CounterpartyFacts | None = None,
) -> Variables:
    return variables_for(
        tx or transaction(),
        BENIGN_FEATURES if features is None else features,
        customer,
        lists or ListHits(),
        model,
        limits or Limits(),
        counterparty=counterparty or CounterpartyFacts(screening="clear"),
    )


def rule(expression: str, *, id: str = "r1", score: int = 10, **more: Any) -> Rule:
    return Rule(id=id, name=id.replace("_", " "), expression=expression, score=score, **more)


def rule_set(*rules: Rule, thresholds: Any = None) -> RuleSet:
    extra = {} if thresholds is None else {"thresholds": thresholds}
    return RuleSet(name="test", version=1, rules=rules, **extra)


DECLINE = Outcome.DECLINE
