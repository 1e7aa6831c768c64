"""The default rule pack: each rule fires on the case it exists for, and on nothing benign."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aegis.risk.lists import ListKind, ListType
from aegis.risk.model import Outcome
from aegis.risk.rules import (
    CATALOGUE,
    FEATURES_USED,
    CounterpartyFacts,
    CustomerFacts,
    Evaluation,
    Limits,
    ModelFacts,
    compile_rule_set,
    default_rule_set,
)
from tests.risk.rules.support import BENIGN_FEATURES, VERIFIED, hits, transaction, variables

PACK = compile_rule_set(default_rule_set())
DOCS = Path(__file__).resolve().parents[3] / "docs" / "risk-rules.md"


def run(**kwargs: Any) -> Evaluation:
    return PACK.evaluate(variables(**kwargs))


def features(**changes: float) -> dict[str, float]:
    return {**BENIGN_FEATURES, **changes}


def customer(**changes: Any) -> CustomerFacts:
    from dataclasses import replace

    return replace(VERIFIED, **changes)


# rule id -> (the case it exists for, a near miss that must not fire it)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "frozen_account": ({"customer": customer(frozen=True)}, {"customer": customer(limited=True)}),
    "account_limit_exceeded": (
        {"customer": customer(limited=True, limit_amount=1_000)},
        {"customer": customer(limited=True, limit_amount=4_500)},
    ),
    "customer_sanctioned": (
        {"customer": customer(screening="hit")},
        {"customer": customer(screening="unknown")},
    ),
    "counterparty_sanctioned": (
        {"counterparty": CounterpartyFacts(screening="hit", screening_score=0.93)},
        {"counterparty": CounterpartyFacts(screening="clear", screening_score=0.6)},
    ),
    "list_blocked": (
        {"lists": hits((ListType.BLOCK, ListKind.CARD))},
        {"lists": hits()},
    ),
    "list_allowed": (
        {"lists": hits((ListType.ALLOW, ListKind.CUSTOMER))},
        {"lists": hits()},
    ),
    "unverified_over_limit": (
        {"customer": customer(kyc_status="in_review"), "tx": transaction(amount=150_000)},
        {"customer": customer(kyc_status="in_review"), "tx": transaction(amount=100_000)},
    ),
    "velocity_burst_1h": (
        {"features": features(customer_count_1h=9.0)},
        {"features": features(customer_count_1h=8.0)},
    ),
    "card_velocity_burst_1h": (
        {"features": features(card_count_1h=9.0)},
        {"features": features(card_count_1h=8.0)},
    ),
    "amount_spike": (
        {"features": features(customer_amount_ratio_30d=8.0), "tx": transaction(amount=60_000)},
        {
            "features": features(customer_amount_ratio_30d=8.0, customer_count_30d=2.0),
            "tx": transaction(amount=60_000),
        },
    ),
    "new_device_high_amount": (
        {"features": features(customer_new_device=1.0), "tx": transaction(amount=250_000)},
        {"features": features(customer_new_device=0.0), "tx": transaction(amount=250_000)},
    ),
    "new_country_high_amount": (
        {"features": features(customer_new_country=1.0), "tx": transaction(amount=250_000)},
        {"features": features(customer_new_country=1.0), "tx": transaction(amount=150_000)},
    ),
    "new_payee_high_amount": (
        {"features": features(customer_new_payee=1.0), "tx": transaction(amount=600_000)},
        {"features": features(customer_new_payee=1.0), "tx": transaction(amount=400_000)},
    ),
    "structuring_below_threshold": (
        {
            "features": features(
                customer_count_1d=2.0,
                customer_amount_mean_1d=960_000.0,
                customer_amount_max_1d=980_000.0,
            ),
            "tx": transaction(amount=950_000),
        },
        {
            "features": features(
                customer_count_1d=2.0,
                customer_amount_mean_1d=960_000.0,
                customer_amount_max_1d=1_200_000.0,  # one was above: not avoiding it
            ),
            "tx": transaction(amount=950_000),
        },
    ),
    "dormant_account_reactivated": (
        {"customer": customer(days_since_last_tx=400), "tx": transaction(amount=60_000)},
        {"customer": customer(days_since_last_tx=400), "tx": transaction(amount=4_000)},
    ),
    "many_cards_one_device": (
        {"features": features(device_distinct_cards_7d=3.0)},
        {"features": features(device_distinct_cards_7d=2.0)},
    ),
    "risky_terminal": (
        {"features": features(terminal_risk_share_7d=0.5, terminal_risk_count_7d=10.0)},
        {"features": features(terminal_risk_share_7d=0.5, terminal_risk_count_7d=2.0)},
    ),
    "model_high_score": (
        {"model": ModelFacts(score=0.6, version="1")},
        {"model": ModelFacts(score=0.4, version="1")},
    ),
    "model_very_high_score": (
        {"model": ModelFacts(score=0.95, version="1")},
        {"model": ModelFacts(score=0.89, version="1")},
    ),
}


def test_every_default_rule_has_a_case() -> None:
    assert set(CASES) == {r.id for r in PACK.rule_set.rules}


def test_a_benign_payment_hits_nothing_and_is_approved() -> None:
    result = run()
    assert result.hits == () and result.errors == ()
    assert result.outcome is Outcome.APPROVE


def test_a_payment_without_any_features_raises_no_errors() -> None:
    # No customer history, no device, no card: every feature rule must guard with has().
    result = run(features={}, tx=transaction(card_fingerprint=None, device_id=None))
    assert result.errors == ()
    assert result.outcome is Outcome.APPROVE


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_each_rule_fires_on_its_case_alone(rule_id: str) -> None:
    case, near_miss = CASES[rule_id]
    result = run(**case)
    assert [e.rule_id for e in result.hits] == [rule_id]
    assert result.errors == ()
    near = run(**near_miss)
    assert rule_id not in {e.rule_id for e in near.hits}
    assert near.errors == ()


@pytest.mark.parametrize(
    ("rule_id", "outcome"),
    [
        ("frozen_account", Outcome.DECLINE),
        ("customer_sanctioned", Outcome.DECLINE),
        ("counterparty_sanctioned", Outcome.DECLINE),
        ("list_blocked", Outcome.DECLINE),
        ("unverified_over_limit", Outcome.DECLINE),
        ("new_device_high_amount", Outcome.STEP_UP),
        ("structuring_below_threshold", Outcome.REVIEW),
        ("many_cards_one_device", Outcome.REVIEW),
        ("model_very_high_score", Outcome.DECLINE),
        ("velocity_burst_1h", Outcome.APPROVE),  # a burst alone is not enough
        ("list_allowed", Outcome.APPROVE),
    ],
)
def test_outcome_of_each_case(rule_id: str, outcome: Outcome) -> None:
    assert run(**CASES[rule_id][0]).outcome is outcome


def test_frozen_declines_even_when_allow_listed_and_otherwise_clean() -> None:
    result = run(
        customer=customer(frozen=True),
        lists=hits((ListType.ALLOW, ListKind.CUSTOMER), (ListType.ALLOW, ListKind.CARD)),
        model=ModelFacts(score=0.01, version="1"),
    )
    assert result.outcome is Outcome.DECLINE
    assert result.decided_by == ("frozen_account",)
    assert result.total_score < 0  # the allow-list credit applied, and changed nothing


def test_sanctions_decline_even_when_allow_listed() -> None:
    result = run(
        counterparty=CounterpartyFacts(screening="hit", screening_score=0.97),
        lists=hits((ListType.ALLOW, ListKind.ACCOUNT)),
    )
    assert result.outcome is Outcome.DECLINE
    assert result.decided_by == ("counterparty_sanctioned",)


def test_block_beats_allow() -> None:
    result = run(lists=hits((ListType.ALLOW, ListKind.CUSTOMER), (ListType.BLOCK, ListKind.IP)))
    assert {e.rule_id for e in result.hits} == {"list_blocked"}
    assert result.outcome is Outcome.DECLINE


def test_allow_list_lowers_a_score_only_decision() -> None:
    model = ModelFacts(score=0.95, version="1")
    assert run(model=model).outcome is Outcome.DECLINE
    allowed = run(model=model, lists=hits((ListType.ALLOW, ListKind.CUSTOMER)))
    assert (allowed.total_score, allowed.outcome) == (60, Outcome.REVIEW)


def test_scores_combine() -> None:
    result = run(
        features=features(customer_count_1h=12.0, customer_amount_ratio_30d=9.0),
        tx=transaction(amount=80_000),
    )
    assert {e.rule_id for e in result.hits} == {"velocity_burst_1h", "amount_spike"}
    assert (result.total_score, result.outcome) == (65, Outcome.REVIEW)


def test_limits_tune_the_pack_without_a_new_version() -> None:
    case = {"features": features(customer_count_1h=4.0)}
    assert run(**case).hits == ()
    tight = run(**case, limits=Limits(velocity_count_1h=5))
    assert [e.rule_id for e in tight.hits] == ["velocity_burst_1h"]


def test_the_pack_reads_only_features_the_feature_engine_computes() -> None:
    from aegis.risk.features import FEATURE_NAMES

    assert FEATURES_USED.issubset(FEATURE_NAMES)
    assert compile_rule_set(default_rule_set(), known_features=FEATURE_NAMES)
    assert PACK.features == FEATURES_USED


def test_every_rule_is_documented() -> None:
    docs = DOCS.read_text()
    for r in PACK.rule_set.rules:
        assert len(r.description) > 80, r.id
        assert f"`{r.id}`" in docs, r.id


def test_every_variable_and_limit_is_documented() -> None:
    docs = DOCS.read_text()
    for root, fields in CATALOGUE.items():
        for name in fields:
            assert f"`{root}.{name}`" in docs, f"{root}.{name}"
    for name in FEATURES_USED:
        assert f"`{name}`" in docs, name
