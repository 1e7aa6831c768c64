"""Evaluation: scores, thresholds, forced outcomes, failures that never crash, and the
values each execution saw."""

from __future__ import annotations

import math
from typing import Any

import cel
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aegis.risk.model import Outcome
from aegis.risk.rules import Limits, ModelFacts, Threshold, Variables, compile_rule_set
from tests.risk.rules.support import BENIGN_FEATURES, rule, rule_set, transaction, variables


def evaluate(*rules: Any, v: Variables | None = None, thresholds: Any = None) -> Any:
    compiled = compile_rule_set(rule_set(*rules, thresholds=thresholds))
    return compiled.evaluate(v or variables())


def test_scores_add_up_and_thresholds_map_them() -> None:
    rules = [
        rule("tx.amount > 1000", id="big", score=30),
        rule('tx.currency == "EUR"', id="eur", score=15),
        rule("tx.amount > 1000000", id="huge", score=50),
    ]
    result = evaluate(*rules, v=variables(tx=transaction(amount=5_000)))
    assert result.total_score == 45
    assert result.outcome is Outcome.REVIEW  # default thresholds: 40 review
    assert [e.rule_id for e in result.hits] == ["big", "eur"]
    assert result.decided_by == ()
    result = evaluate(*rules, v=variables(tx=transaction(amount=2_000_000)))
    assert (result.total_score, result.outcome) == (95, Outcome.STEP_UP)


def test_negative_scores_lower_the_total_below_zero() -> None:
    result = evaluate(rule("true", id="credit", score=-40))
    assert result.total_score == -40
    assert result.outcome is Outcome.APPROVE


def test_custom_thresholds() -> None:
    thresholds = [(0, "approve"), (10, "decline")]
    result = evaluate(rule("true", score=10), thresholds=thresholds)
    assert result.outcome is Outcome.DECLINE


def test_a_forced_outcome_wins_over_a_milder_score() -> None:
    rules = [
        rule("true", id="forces_review", score=0, outcome=Outcome.REVIEW),
        rule("true", id="adds", score=75),  # step_up by score
        rule("false", id="would_decline", score=0, outcome=Outcome.DECLINE),
    ]
    result = evaluate(*rules)
    assert result.score_outcome is Outcome.STEP_UP
    assert result.outcome is Outcome.STEP_UP  # review is milder than the score's answer
    assert result.decided_by == ()
    rules.append(rule("true", id="forces_decline", score=0, outcome=Outcome.DECLINE))
    result = evaluate(*rules)
    assert result.outcome is Outcome.DECLINE
    assert result.decided_by == ("forces_decline",)


def test_a_forced_outcome_holds_whatever_negative_scores_follow() -> None:
    rules = [
        rule("true", id="freeze", score=0, outcome=Outcome.DECLINE),
        rule("true", id="credit", score=-500),
    ]
    result = evaluate(*rules)
    assert (result.total_score, result.outcome) == (-500, Outcome.DECLINE)


def test_a_rule_that_fails_at_decision_time_is_not_hit_and_says_why() -> None:
    rules = [
        # no has() guard: the feature is absent for this decision
        rule("features.customer_count_1h > 1.0", id="unguarded"),
        rule("customer.limit_amount > 10", id="null_compare"),
        rule("10 / int(features.customer_count_1h) > 1", id="division"),
        rule("true", id="fine", score=5),
    ]
    features = dict(BENIGN_FEATURES)
    del features["customer_count_1h"]
    result = evaluate(*rules, v=variables(features=features))
    by_id = {e.rule_id: e for e in result.executions}
    assert not any(by_id[r].hit for r in ("unguarded", "null_compare", "division"))
    assert "features.customer_count_1h" in (by_id["unguarded"].error or "")
    assert "absent" in (by_id["unguarded"].error or "")
    assert by_id["null_compare"].error
    assert by_id["fine"].hit and by_id["fine"].error is None
    assert result.total_score == 5
    assert len(result.errors) == 3
    zero = dict(BENIGN_FEATURES, customer_count_1h=0.0)
    [division] = [
        e
        for e in evaluate(*rules, v=variables(features=zero)).executions
        if e.rule_id == "division"
    ]
    assert division.error is not None and "division" in division.error.lower()


def test_an_expression_that_gives_no_bool_at_decision_time_is_an_error() -> None:
    # Boolean on the dry run's values, an int when the limit is null.
    r = rule("customer.limit_amount != null ? true : tx.amount", id="mixed")
    [e] = evaluate(r).executions
    assert not e.hit
    assert e.error == "the expression gave int, not a bool"


def test_nan_features_are_absent_and_has_says_so() -> None:
    features = dict(BENIGN_FEATURES, customer_count_1h=math.nan)
    rules = [
        rule("!has(features.customer_count_1h)", id="absent_nan"),
        rule('!("customer_count_1h" in features)', id="absent_in"),
    ]
    result = evaluate(*rules, v=variables(features=features))
    assert all(e.hit for e in result.executions)
    assert result.executions[0].values == {"features.customer_count_1h": None}


def test_integer_features_are_doubles_for_cel() -> None:
    features = dict(BENIGN_FEATURES, customer_count_1h=3)  # an int from a careless caller
    result = evaluate(
        rule("features.customer_count_1h + 1.0 >= 4.0"), v=variables(features=features)
    )
    assert result.executions[0].hit
    assert result.executions[0].values == {"features.customer_count_1h": 3.0}


def test_values_are_recorded_for_every_execution_hit_or_not() -> None:
    rules = [
        rule(
            "tx.amount > limits.high_amount && has(model.score) && model.score > 0.5",
            id="rich",
        ),
        rule('features["customer.dotted"] > 1.0 || tx.channel == "app"', id="dotted"),
        rule('"card" in lists.blocked_kinds', id="listed"),
    ]
    v = variables(
        tx=transaction(amount=300_000),
        model=ModelFacts(score=0.8, version="7"),
        features={**BENIGN_FEATURES, "customer.dotted": 2.0},
    )
    rich, dotted, listed = evaluate(*rules, v=v).executions
    assert rich.hit and rich.values == {
        "tx.amount": 300_000,
        "limits.high_amount": 200_000,
        "model.score": 0.8,
    }
    assert dotted.values == {'features["customer.dotted"]': 2.0, "tx.channel": "app"}
    assert not listed.hit and listed.values == {"lists.blocked_kinds": []}
    assert all(e.duration_us >= 0 for e in (rich, dotted, listed))
    # absent values are recorded as None
    [rich] = evaluate(rules[0], v=variables(tx=transaction(amount=300_000))).executions
    assert rich.values["model.score"] is None and not rich.hit


def test_an_evaluation_serialises_to_json() -> None:
    result = evaluate(rule("tx.amount > 1", outcome=Outcome.REVIEW))
    doc = orjson.loads(orjson.dumps(result.to_dict()))
    assert doc["outcome"] == "review"
    assert doc["executions"][0]["values"] == {"tx.amount": 4_500}
    assert doc["executions"][0]["outcome"] == "review"


def test_disabled_rules_do_not_run() -> None:
    result = evaluate(rule("true", id="on"), rule("true", id="off", enabled=False))
    assert [e.rule_id for e in result.executions] == ["on"]


def test_limits_can_change_between_decisions() -> None:
    compiled = compile_rule_set(rule_set(rule("tx.amount > limits.high_amount")))
    low, high = Limits(high_amount=1_000), Limits(high_amount=1_000_000)
    for _ in range(2):  # the second round uses the cached specialised programs
        assert compiled.evaluate(variables(limits=low)).executions[0].hit
        assert not compiled.evaluate(variables(limits=high)).executions[0].hit


def test_missing_limits_are_an_error_of_the_rule_not_of_the_decision() -> None:
    compiled = compile_rule_set(rule_set(rule("tx.amount > limits.high_amount")))
    roots = dict(variables().roots)
    roots["limits"] = {}
    [e] = compiled.evaluate(Variables(roots=roots)).executions
    assert not e.hit and "limits.high_amount" in (e.error or "")


def test_whole_root_reads_work_and_are_recorded() -> None:
    r = rule('features.exists(k, k.startsWith("customer_new") && features[k] == 1.0)')
    features = dict(BENIGN_FEATURES, customer_new_payee=1.0)
    [e] = evaluate(r, v=variables(features=features)).executions
    assert e.hit
    assert e.values["features"]["customer_new_payee"] == 1.0


def test_outcome_for_score_is_the_compiled_thresholds() -> None:
    compiled = compile_rule_set(
        rule_set(thresholds=[Threshold(min_score=0, outcome=Outcome.APPROVE)])
    )
    assert compiled.outcome_for_score(10_000) is Outcome.APPROVE
    assert compiled.evaluate(variables()).outcome is Outcome.APPROVE


# The engine rewrites field reads into flat variables; the rewritten program must agree
# with the expression as written, evaluated on one map per root, whatever the data.
EXPRESSIONS = (
    "has(features.a) && features.a + 1.0 >= double(limits.velocity_count_1h)",
    '"a" in features && !("b" in features) || tx.amount > limits.high_amount',
    "has(model.score) ? model.score > 0.5 : customer.frozen",
    "[features.a, 2.0].exists(x, x > 1.5) && tx.amount < 10000",
    'features["a"] > features["b"] || customer.days_since_last_tx == null',
    "(has(features.a) || has(features.b)) && size(lists.blocked_kinds) == 0",
    "customer.limited && customer.limit_amount != null && tx.amount > customer.limit_amount",
)

maybe_feature = st.one_of(st.none(), st.just(math.nan), st.floats(-5, 5, allow_nan=False))


@settings(max_examples=150, deadline=None)
@given(
    expression=st.sampled_from(EXPRESSIONS),
    a=maybe_feature,
    b=maybe_feature,
    amount=st.integers(1, 20_000),
    score=st.one_of(st.none(), st.floats(0, 1)),
    frozen=st.booleans(),
    limit=st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_rewritten_programs_agree_with_the_expression_as_written(
    expression: str,
    a: float | None,
    b: float | None,
    amount: int,
    score: float | None,
    frozen: bool,
    limit: int | None,
) -> None:
    from aegis.risk.rules import CustomerFacts

    features = {k: v for k, v in (("a", a), ("b", b)) if v is not None}
    v = variables(
        tx=transaction(amount=amount),
        features=features,
        customer=CustomerFacts(frozen=frozen, limited=limit is not None, limit_amount=limit),
        model=None if score is None else ModelFacts(score=score, version="1"),
        limits=Limits(high_amount=5_000, velocity_count_1h=3),
    )
    [execution] = evaluate(rule(expression), v=v).executions
    # Field-by-field records show the rewritten form ran (the fallback reads whole roots).
    assert all("." in name or "[" in name for name in execution.values)
    nested: dict[str, Any] = {root: dict(m) for root, m in v.roots.items()}
    nested["features"] = {k: float(x) for k, x in features.items() if x == x}
    try:
        expected = cel.compile(expression).execute(cel.Context(nested))
    except Exception:
        expected = None
    if expected is None:
        assert not execution.hit and execution.error is not None
    else:
        assert execution.hit is expected and execution.error is None


@pytest.mark.parametrize("thread_count", [4])
def test_evaluation_is_thread_safe(thread_count: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    compiled = compile_rule_set(rule_set(rule("tx.amount > limits.high_amount")))
    cases = [(Limits(high_amount=n * 100), n) for n in range(1, 60)]

    def run(case: tuple[Limits, int]) -> bool:
        limits, n = case
        hit = (
            compiled.evaluate(variables(limits=limits, tx=transaction(amount=4_500)))
            .executions[0]
            .hit
        )
        return hit is (n * 100 < 4_500)

    with ThreadPoolExecutor(thread_count) as pool:
        assert all(pool.map(run, cases * 4))


def test_hand_built_variables_with_odd_values_fail_only_the_rules_reading_them() -> None:
    rules = [
        rule("tx.payee_name == 'x'", id="odd_value"),
        rule("has(features.customer_count_1h)", id="odd_feature"),
        rule("limits.high_amount > 1", id="odd_limit"),
        rule("tx.amount > 1", id="fine"),
    ]
    roots = dict(variables().roots)
    roots["tx"] = {**roots["tx"], "payee_name": object()}
    roots["features"] = {"customer_count_1h": "many"}
    roots["limits"] = {"high_amount": [1, 2]}  # unhashable: no specialised programs
    by_id = {e.rule_id: e for e in evaluate(*rules, v=Variables(roots=roots)).executions}
    assert by_id["odd_value"].error is not None
    assert not by_id["odd_feature"].hit and by_id["odd_feature"].error is None  # absent
    assert by_id["odd_limit"].error is not None
    assert by_id["fine"].hit


def test_limits_of_another_type_are_not_mistaken_for_cached_ones() -> None:
    compiled = compile_rule_set(rule_set(rule("limits.high_amount + 1 > 0")))
    roots = dict(variables().roots)
    assert compiled.evaluate(Variables(roots={**roots, "limits": {"high_amount": 5}})).hits
    # 5.0 == 5 in Python; in CEL, double + int is a type error
    [e] = compiled.evaluate(Variables(roots={**roots, "limits": {"high_amount": 5.0}})).executions
    assert not e.hit and e.error is not None


def test_a_context_kept_between_decisions_gives_what_a_fresh_one_gives() -> None:
    """Contexts are reused from one decision to the next with only the changed variables
    updated: a value of another type (int then double), a zero of another sign, a null, or
    a field absent after being present must read as they would in a new context."""
    rules = [
        rule("features.x + 1.0 > 1.0", id="no_guard"),
        rule("has(features.x) && features.x >= 0.0", id="guarded"),
        rule("string(features.x) == '-0'", id="sign"),
        rule("customer.limit_amount == null", id="null"),
        rule("customer.limit_amount + 1 > 0", id="int_only"),
        rule("tx.customer_id != null && tx.amount > 100", id="tx"),
    ]
    from aegis.risk.rules import CustomerFacts

    cases = [
        ({"x": 1.0}, 5, "c1", 500),
        ({"x": -0.0}, None, "c1", 500),
        ({"x": 0.0}, None, "c2", 50),
        ({}, 7, None, 500),
        ({"x": math.nan}, 7, "c1", 500),
        ({"x": 2.0}, 7, "c1", 500),
        ({"x": 2}, 7, "c1", 500),
        ({"x": True}, 7, "c1", 500),
        ({"x": 1.0}, 5, "c1", 500),
    ]
    kept = compile_rule_set(rule_set(*rules))

    def run(compiled: Any, case: Any) -> list[tuple[Any, ...]]:
        features, limit, customer_id, amount = case
        v = variables(
            tx=transaction(customer_id=customer_id, amount=amount),
            features=features,
            customer=CustomerFacts(limited=True, limit_amount=limit),
        )
        return [(e.rule_id, e.hit, e.values, e.error) for e in compiled.evaluate(v).executions]

    for case in cases * 2:
        assert run(kept, case) == run(compile_rule_set(rule_set(*rules)), case), case
