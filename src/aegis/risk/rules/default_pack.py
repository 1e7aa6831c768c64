"""The default rule pack: what a tenant gets before writing a rule of its own.

Each rule's description says why it exists, what it catches and the typology it stands
for; docs/risk-rules.md shows the same. Rule ids are stable across versions (decisions and
backtests refer to them). Numbers a tenant tunes are in ``limits``, not in the
expressions, so tuning does not need a new rule-set version.

Features are read as ``features.<name>`` with the feature engine's names
(aegis.risk.features). A feature the engine could not compute (no device on the payment,
no history) is absent, so every rule tests ``has(...)`` before comparing it.
"""

from __future__ import annotations

from aegis.risk.model import Outcome
from aegis.risk.rules.schema import DEFAULT_THRESHOLDS, Rule, RuleSet, RuleSetStatus

__all__ = ["DEFAULT_PACK_NAME", "FEATURES_USED", "default_rule_set"]

DEFAULT_PACK_NAME = "default"


class F:
    """The feature names the pack reads, in one place (aegis.risk.features names them)."""

    CUSTOMER_COUNT_1H = "customer_count_1h"
    CUSTOMER_COUNT_1D = "customer_count_1d"
    CUSTOMER_COUNT_30D = "customer_count_30d"
    CUSTOMER_MEAN_1D = "customer_amount_mean_1d"
    CUSTOMER_MAX_1D = "customer_amount_max_1d"
    CUSTOMER_RATIO_30D = "customer_amount_ratio_30d"
    CUSTOMER_NEW_DEVICE = "customer_new_device"
    CUSTOMER_NEW_COUNTRY = "customer_new_country"
    CUSTOMER_NEW_PAYEE = "customer_new_payee"
    CARD_COUNT_1H = "card_count_1h"
    DEVICE_DISTINCT_CARDS_7D = "device_distinct_cards_7d"
    TERMINAL_RISK_SHARE_7D = "terminal_risk_share_7d"
    TERMINAL_RISK_COUNT_7D = "terminal_risk_count_7d"


FEATURES_USED: frozenset[str] = frozenset(
    value for name, value in vars(F).items() if name.isupper()
)


def _f(name: str) -> str:
    return f"features.{name}"


def _has(*names: str) -> str:
    return " && ".join(f"has({_f(n)})" for n in names)


_RULES: tuple[Rule, ...] = (
    Rule(
        id="frozen_account",
        name="Frozen account",
        description=(
            "An investigator or compliance officer froze the customer's account (a case "
            "action). Every payment is declined, whatever any other rule or list says: a "
            "freeze is a legal hold, and an allow-list entry must never undo it."
        ),
        expression="customer.frozen",
        outcome=Outcome.DECLINE,
        tags=("account", "restriction"),
    ),
    Rule(
        id="account_limit_exceeded",
        name="Limited account over its limit",
        description=(
            "The account is limited (a case action short of a freeze) and the payment is "
            "above the limit set for it."
        ),
        expression=(
            "customer.limited && customer.limit_amount != null && tx.amount > customer.limit_amount"
        ),
        outcome=Outcome.DECLINE,
        tags=("account", "restriction"),
    ),
    Rule(
        id="customer_sanctioned",
        name="Customer on a sanctions list",
        description=(
            "Screening matched the customer to a sanctions or PEP list entry (a hit not "
            "yet dismissed by a reviewer). Funds must not move for a listed party; the "
            "decline raises an alert for compliance."
        ),
        expression='customer.screening == "hit"',
        outcome=Outcome.DECLINE,
        tags=("sanctions",),
    ),
    Rule(
        id="counterparty_sanctioned",
        name="Payee on a sanctions list",
        description=(
            "The intake screened the payee name against the sanctions lists and it scored "
            "at or above the match threshold. Paying a listed person or entity is the "
            "sanctions-evasion typology (funds routed to a designated party); the payment "
            "is held (declined with an alert) until compliance clears the hit."
        ),
        expression='counterparty.screening == "hit"',
        outcome=Outcome.DECLINE,
        tags=("sanctions",),
    ),
    Rule(
        id="list_blocked",
        name="Block-listed account, card, device, IP, country or customer",
        description=(
            "A live block-list entry matched (lists.blocked_kinds says which kinds). "
            "Block lists hold confirmed mule accounts, stolen cards, fraud devices and IP "
            "ranges, and embargoed countries."
        ),
        expression="lists.blocked",
        outcome=Outcome.DECLINE,
        tags=("lists",),
    ),
    Rule(
        id="list_allowed",
        name="Allow-listed",
        description=(
            "A live allow-list entry matched and nothing is block-listed: a known-good "
            "customer, card or account earns a lower score. It lowers the score only, so "
            "it never overrides a freeze, a sanctions hit or a block (they force decline)."
        ),
        expression="lists.allowed && !lists.blocked",
        score=-40,
        tags=("lists",),
    ),
    Rule(
        id="unverified_over_limit",
        name="Unverified customer above the limit",
        description=(
            "A customer who has not passed KYC (no approved verification) pays more than "
            "limits.unverified_max_amount. Regulators cap what an unverified account may "
            "move; above it, the customer must verify first. Tenants whose payers are not "
            "KYC'd customers should disable this rule."
        ),
        expression=(
            "tx.customer_id != null && !customer.verified && "
            "tx.amount > limits.unverified_max_amount"
        ),
        outcome=Outcome.DECLINE,
        tags=("kyc", "limits"),
    ),
    Rule(
        id="velocity_burst_1h",
        name="Burst of payments in an hour",
        description=(
            "The customer reaches limits.velocity_count_1h payments within an hour, this "
            "one included. Bursts are how stolen credentials and cards are cashed out "
            "before the owner notices (account takeover, card testing)."
        ),
        expression=(
            f"{_has(F.CUSTOMER_COUNT_1H)} && "
            f"{_f(F.CUSTOMER_COUNT_1H)} + 1.0 >= double(limits.velocity_count_1h)"
        ),
        score=30,
        tags=("velocity",),
    ),
    Rule(
        id="card_velocity_burst_1h",
        name="Burst of payments on one card in an hour",
        description=(
            "The card reaches limits.velocity_count_1h payments within an hour, whoever "
            "the customer: card testing and cash-out across accounts show on the card."
        ),
        expression=(
            f"{_has(F.CARD_COUNT_1H)} && "
            f"{_f(F.CARD_COUNT_1H)} + 1.0 >= double(limits.velocity_count_1h)"
        ),
        score=30,
        tags=("velocity", "card"),
    ),
    Rule(
        id="amount_spike",
        name="Amount far above the customer's usual",
        description=(
            "The amount is limits.amount_spike_ratio times the customer's 30-day mean or "
            "more, with at least 3 earlier payments to compare with and at least "
            "limits.amount_spike_min_amount. A thief empties an account in a few large "
            "payments unlike the owner's (account takeover)."
        ),
        expression=(
            f"{_has(F.CUSTOMER_RATIO_30D, F.CUSTOMER_COUNT_30D)} && "
            f"{_f(F.CUSTOMER_COUNT_30D)} >= 3.0 && "
            f"{_f(F.CUSTOMER_RATIO_30D)} >= limits.amount_spike_ratio && "
            "tx.amount >= limits.amount_spike_min_amount"
        ),
        score=35,
        tags=("amount",),
    ),
    Rule(
        id="new_device_high_amount",
        name="High amount from a new device",
        description=(
            "The customer pays at least limits.high_amount from a device never seen with "
            "them. Account takeover: the fraudster logs in from their own device. A second "
            "factor (step-up) is the right answer: the owner passes it, a thief does not."
        ),
        expression=(
            f"{_has(F.CUSTOMER_NEW_DEVICE)} && {_f(F.CUSTOMER_NEW_DEVICE)} == 1.0 && "
            "tx.amount >= limits.high_amount"
        ),
        score=30,
        outcome=Outcome.STEP_UP,
        tags=("device", "account_takeover"),
    ),
    Rule(
        id="new_country_high_amount",
        name="High amount from a new country",
        description=(
            "The customer pays at least limits.high_amount from a country (geolocation) "
            "never seen with them: account takeover from abroad, or a card used far from "
            "its owner."
        ),
        expression=(
            f"{_has(F.CUSTOMER_NEW_COUNTRY)} && {_f(F.CUSTOMER_NEW_COUNTRY)} == 1.0 && "
            "tx.amount >= limits.high_amount"
        ),
        score=20,
        tags=("geography", "account_takeover"),
    ),
    Rule(
        id="new_payee_high_amount",
        name="Large first payment to a new payee",
        description=(
            "The customer sends at least limits.new_payee_amount to a payee account never "
            "paid before. Authorised push-payment scams and money-mule recruitment both "
            "start with a large transfer to a fresh account."
        ),
        expression=(
            f"{_has(F.CUSTOMER_NEW_PAYEE)} && {_f(F.CUSTOMER_NEW_PAYEE)} == 1.0 && "
            "tx.amount >= limits.new_payee_amount"
        ),
        score=25,
        tags=("payee", "scam"),
    ),
    Rule(
        id="structuring_below_threshold",
        name="Structuring just below the reporting threshold",
        description=(
            "This payment is just below limits.structuring_threshold (within "
            "limits.structuring_margin) and the customer's earlier payments of the day, at "
            "least limits.structuring_min_count - 1 of them, were all below the threshold "
            "and on average just below it too. Splitting a sum into payments under the "
            "amount that triggers a report is structuring (smurfing), a money-laundering "
            "typology; it goes to review so a report can be filed."
        ),
        expression=(
            "tx.amount < limits.structuring_threshold && "
            "double(tx.amount) >= "
            "double(limits.structuring_threshold) * (1.0 - limits.structuring_margin) && "
            f"{_has(F.CUSTOMER_COUNT_1D, F.CUSTOMER_MEAN_1D, F.CUSTOMER_MAX_1D)} && "
            f"{_f(F.CUSTOMER_COUNT_1D)} + 1.0 >= double(limits.structuring_min_count) && "
            f"{_f(F.CUSTOMER_MAX_1D)} < double(limits.structuring_threshold) && "
            f"{_f(F.CUSTOMER_MEAN_1D)} >= "
            "double(limits.structuring_threshold) * (1.0 - limits.structuring_margin)"
        ),
        score=50,
        outcome=Outcome.REVIEW,
        tags=("aml", "structuring"),
    ),
    Rule(
        id="dormant_account_reactivated",
        name="Dormant account wakes up",
        description=(
            "No payment for limits.dormant_days days or more, then at least "
            "limits.dormant_min_amount. Dormant accounts are bought or taken over to serve "
            "as mules, and forgotten ones are emptied by insiders."
        ),
        expression=(
            "customer.days_since_last_tx != null && "
            "customer.days_since_last_tx >= limits.dormant_days && "
            "tx.amount >= limits.dormant_min_amount"
        ),
        score=40,
        tags=("account", "mule"),
    ),
    Rule(
        id="many_cards_one_device",
        name="Many cards on one device",
        description=(
            "The device has carried limits.cards_per_device_7d distinct cards in 7 days, "
            "counting this payment's. One device cycling through cards is card testing or "
            "a carding shop cashing out stolen cards."
        ),
        expression=(
            f"{_has(F.DEVICE_DISTINCT_CARDS_7D)} && tx.card_fingerprint != null && "
            f"{_f(F.DEVICE_DISTINCT_CARDS_7D)} + 1.0 >= double(limits.cards_per_device_7d)"
        ),
        score=50,
        tags=("device", "card"),
    ),
    Rule(
        id="risky_terminal",
        name="Terminal with recent confirmed fraud",
        description=(
            "At least limits.terminal_risk of the terminal's (or merchant's) payments in "
            "the delayed 7-day window were later labelled fraud, over at least 3 payments. "
            "A compromised terminal (skimmer, breached merchant) keeps producing fraud "
            "until it is found."
        ),
        expression=(
            f"{_has(F.TERMINAL_RISK_SHARE_7D, F.TERMINAL_RISK_COUNT_7D)} && "
            f"{_f(F.TERMINAL_RISK_COUNT_7D)} >= 3.0 && "
            f"{_f(F.TERMINAL_RISK_SHARE_7D)} >= limits.terminal_risk"
        ),
        score=40,
        tags=("terminal",),
    ),
    Rule(
        id="model_high_score",
        name="Model: elevated fraud score",
        description=(
            "The champion model scores the payment between limits.model_review_score and "
            "limits.model_decline_score. Brings the model's judgement into the decision "
            "through the same explained score as every rule."
        ),
        expression=(
            "has(model.score) && model.score >= limits.model_review_score && "
            "model.score < limits.model_decline_score"
        ),
        score=40,
        tags=("model",),
    ),
    Rule(
        id="model_very_high_score",
        name="Model: very high fraud score",
        description=(
            "The champion model scores the payment at limits.model_decline_score or above. "
            "Enough on its own to reach decline, yet (being a score, not a forced outcome) "
            "an allow-list entry can bring it down to review."
        ),
        expression="has(model.score) && model.score >= limits.model_decline_score",
        score=100,
        tags=("model",),
    ),
)


def default_rule_set(
    *, version: int = 1, status: RuleSetStatus = RuleSetStatus.PUBLISHED
) -> RuleSet:
    """The default pack as a rule set (published version 1 unless asked otherwise)."""
    return RuleSet(
        name=DEFAULT_PACK_NAME,
        version=version,
        status=status,
        description="Aegis default rules: the typologies every payment business meets.",
        rules=_RULES,
        thresholds=DEFAULT_THRESHOLDS,
    )
