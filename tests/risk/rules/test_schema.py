"""Rules and rule sets as data: strict, API-ready, thresholds monotone."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from aegis.risk.model import Outcome
from aegis.risk.rules import (
    DEFAULT_THRESHOLDS,
    Rule,
    RuleSet,
    RuleSetStatus,
    Threshold,
    default_rule_set,
    outcome_for_score,
)


def body(**changes: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "name": "cards",
        "version": 3,
        "rules": [
            {"id": "big_amount", "name": "Big", "expression": "tx.amount > 100", "score": 20},
            {
                "id": "frozen",
                "name": "Frozen",
                "expression": "customer.frozen",
                "outcome": "decline",
                "tags": ["account"],
            },
        ],
        "thresholds": [
            {"min_score": 0, "outcome": "approve"},
            {"min_score": 50, "outcome": "decline"},
        ],
    }
    doc.update(changes)
    return doc


def test_a_json_body_parses_both_as_json_and_as_parsed_json() -> None:
    from_json = RuleSet.model_validate_json(json.dumps(body()))
    from_dict = RuleSet.model_validate(body())  # what FastAPI does with a parsed body
    assert from_json == from_dict
    assert from_dict.status is RuleSetStatus.DRAFT
    assert from_dict.rules[1].outcome is Outcome.DECLINE
    assert from_dict.rules[1].tags == ("account",)
    assert from_dict.rule("frozen") is from_dict.rules[1]


def test_the_data_round_trips() -> None:
    rs = default_rule_set()
    assert RuleSet.model_validate_json(rs.model_dump_json()) == rs


@pytest.mark.parametrize(
    "changes",
    [
        {"version": "3"},  # strict: no coercion
        {"version": 0},
        {"name": "Has Spaces"},
        {"surprise": True},  # extra fields refused
        {"status": "maybe"},
        {"thresholds": []},
    ],
)
def test_invalid_rule_sets_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RuleSet.model_validate(body(**changes))


@pytest.mark.parametrize(
    "rule",
    [
        {"id": "x", "name": "n", "expression": "true", "score": 1},  # id too short
        {"id": "Upper", "name": "n", "expression": "true", "score": 1},
        {"id": "ok_id", "name": "", "expression": "true", "score": 1},
        {"id": "ok_id", "name": "n", "expression": "", "score": 1},
        {"id": "ok_id", "name": "n", "expression": "true", "score": "1"},
        {"id": "ok_id", "name": "n", "expression": "true", "score": 5000},
        {"id": "ok_id", "name": "n", "expression": "true"},  # neither score nor outcome
        {"id": "ok_id", "name": "n", "expression": "true", "score": 1, "outcome": "block"},
        {"id": "ok_id", "name": "n", "expression": "true", "outcome": "approve"},
        {"id": "ok_id", "name": "n", "expression": "true", "score": 1, "tags": [""]},
        {"id": "ok_id", "name": "n", "expression": "true", "score": 1, "weight": 2},
    ],
)
def test_invalid_rules_are_refused(rule: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Rule.model_validate(rule)


def test_rule_ids_are_unique_in_a_set() -> None:
    doc = body()
    rules = doc["rules"]
    assert isinstance(rules, list)
    doc["rules"] = [rules[0], rules[0]]
    with pytest.raises(ValidationError, match="used twice"):
        RuleSet.model_validate(doc)


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ([(0, "review")], "first threshold must lead to approve"),
        ([(0, "approve"), (0, "review")], "scores must increase"),
        ([(0, "approve"), (50, "decline"), (60, "review")], "more severe"),
        ([(0, "approve"), (50, "review"), (60, "review")], "more severe"),
    ],
)
def test_thresholds_are_monotone(thresholds: list[tuple[int, str]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RuleSet.model_validate(body(thresholds=thresholds))


def test_thresholds_accept_the_pair_form() -> None:
    rs = RuleSet.model_validate(body(thresholds=[[0, "approve"], [40, "review"]]))
    assert rs.thresholds == (
        Threshold(min_score=0, outcome=Outcome.APPROVE),
        Threshold(min_score=40, outcome=Outcome.REVIEW),
    )


def test_default_thresholds() -> None:
    assert [(t.min_score, t.outcome) for t in DEFAULT_THRESHOLDS] == [
        (0, Outcome.APPROVE),
        (40, Outcome.REVIEW),
        (70, Outcome.STEP_UP),
        (100, Outcome.DECLINE),
    ]
    assert outcome_for_score(DEFAULT_THRESHOLDS, -100) is Outcome.APPROVE
    assert outcome_for_score(DEFAULT_THRESHOLDS, 39) is Outcome.APPROVE
    assert outcome_for_score(DEFAULT_THRESHOLDS, 40) is Outcome.REVIEW
    assert outcome_for_score(DEFAULT_THRESHOLDS, 99) is Outcome.STEP_UP
    assert outcome_for_score(DEFAULT_THRESHOLDS, 100) is Outcome.DECLINE


@st.composite
def valid_thresholds(draw: st.DrawFn) -> tuple[Threshold, ...]:
    later = draw(st.lists(st.sampled_from(list(Outcome)[1:]), unique=True))
    later.sort(key=lambda o: o.rank)
    scores = sorted(
        draw(
            st.lists(
                st.integers(-500, 500),
                min_size=len(later) + 1,
                max_size=len(later) + 1,
                unique=True,
            )
        )
    )
    outcomes = [Outcome.APPROVE, *later]
    return tuple(Threshold(min_score=s, outcome=o) for s, o in zip(scores, outcomes, strict=True))


@given(thresholds=valid_thresholds(), a=st.integers(-2000, 2000), b=st.integers(-2000, 2000))
def test_the_outcome_is_monotone_in_the_score(
    thresholds: tuple[Threshold, ...], a: int, b: int
) -> None:
    RuleSet(name="x", version=1, thresholds=thresholds)  # valid by construction
    low, high = sorted((a, b))
    assert outcome_for_score(thresholds, low).rank <= outcome_for_score(thresholds, high).rank
