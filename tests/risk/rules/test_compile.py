"""Compilation: every mistake is caught when a draft is saved, named by rule and position."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aegis.errors import ValidationFailed
from aegis.risk.rules import (
    MAX_EXPRESSION_LENGTH,
    RuleProblem,
    RuleSetInvalid,
    compile_rule_set,
)
from tests.risk.rules.support import rule, rule_set


def problems(*expressions: str, known_features: tuple[str, ...] | None = None) -> list[RuleProblem]:
    rules = [rule(e, id=f"rule_{i}") for i, e in enumerate(expressions)]
    with pytest.raises(RuleSetInvalid) as caught:
        compile_rule_set(rule_set(*rules), known_features=known_features)
    return list(caught.value.problems)


def test_a_syntax_error_names_the_rule_line_and_column() -> None:
    [p] = problems("tx.amount > 100 &&\n  tx.currency ==")
    assert (p.rule_id, p.code, p.line) == ("rule_0", "syntax", 2)
    assert p.column is not None and p.column > 1
    assert "rule rule_0 at line 2" in str(p)


def test_every_broken_rule_is_reported_with_a_json_pointer() -> None:
    rules = [
        rule("tx.amount > 1", id="fine"),
        rule("tx.amount >", id="broken_one"),
        rule("nope > 1", id="broken_two"),
    ]
    with pytest.raises(RuleSetInvalid) as caught:
        compile_rule_set(rule_set(*rules))
    error = caught.value
    assert isinstance(error, ValidationFailed) and error.status == 422
    assert [p.rule_id for p in error.problems] == ["broken_one", "broken_two"]
    assert [e.pointer for e in error.errors] == ["/rules/1/expression", "/rules/2/expression"]
    assert "broken_one" in error.detail and "broken_two" in error.detail


def test_disabled_rules_are_compiled_too() -> None:
    broken = rule("tx.amount >", id="later", enabled=False)
    with pytest.raises(RuleSetInvalid):
        compile_rule_set(rule_set(broken))


@pytest.mark.parametrize(
    ("expression", "code", "fragment"),
    [
        ("amount > 100", "unknown_variable", "'amount'"),
        ("tx.amout > 100", "unknown_field", "did you mean 'amount'"),
        ("customer.kyc > 1", "unknown_field", "customer has no field 'kyc'"),
        ("limits.nope > 1", "unknown_field", "limits has no field"),
        ("tx.amount.value > 1", "unknown_field", "tx.amount has no field 'value'"),
        ('features["Bad Name"] > 1.0', "unknown_field", "not a feature name"),
        ("features.customer.count_1h > 1.0", "unknown_field", 'features["customer.count_1h"]'),
        ("[1, 2].exists(tx, tx > 1)", "shadowed_variable", "'tx'"),
    ],
)
def test_unknown_names_are_refused(expression: str, code: str, fragment: str) -> None:
    [p] = problems(expression)
    assert p.code == code
    assert fragment in p.message
    assert p.line == 1 and p.column is not None


def test_unknown_variable_points_at_it() -> None:
    [p] = problems("tx.amount > 1 && nope")
    assert (p.line, p.column) == (1, 18)


def test_feature_names_are_checked_against_a_catalogue_when_given() -> None:
    [p] = problems(
        "features.customer_count_1x > 1.0", known_features=("customer_count_1h", "card_count_1h")
    )
    assert "did you mean 'customer_count_1h'" in p.message
    rs = rule_set(rule("has(features.customer_count_1h)"))
    assert compile_rule_set(rs, known_features=("customer_count_1h",))


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("tx.amount * 1.5 > 100.0", "type_error"),  # int * double
        ("tx.currency > 5", "type_error"),
        ("!customer.frozen && tx.amount + 0.5 > 1.0", "type_error"),  # only the false pass sees it
        ("nosuchfunction(tx.amount)", "type_error"),
        ('tx.payee_name.matches("[")', "type_error"),
        ("tx.amount + 1", "not_boolean"),
    ],
)
def test_the_dry_run_catches_type_errors(expression: str, code: str) -> None:
    [p] = problems(expression)
    assert p.code == code


def test_data_dependent_failures_are_not_compile_errors() -> None:
    # A division by a count that may be zero fails only on some data: allowed, and at
    # decision time recorded as an error of that execution.
    rs = rule_set(
        rule("has(features.customer_count_1d) && 10 / int(features.customer_count_1d) > 2")
    )
    assert compile_rule_set(rs)


def test_complexity_is_bounded() -> None:
    [p] = problems(" + ".join(["1"] * 200) + " > 0")
    assert p.code == "too_complex"
    [p] = problems("(" * 30 + "true" + ")" * 30)
    assert p.code == "too_complex"


def test_length_is_bounded_by_the_schema() -> None:
    with pytest.raises(ValidationError):
        rule("tx.amount > 1 " + "&& true " * MAX_EXPRESSION_LENGTH)


def test_the_expression_needs_a_known_root_even_inside_comprehensions() -> None:
    compile_rule_set(rule_set(rule('["card"].exists(k, k in lists.blocked_kinds)')))
    [p] = problems('["card"].exists(k, k in blocked_kinds)')
    assert p.code == "unknown_variable"


def test_comments_and_strings_do_not_confuse_the_analysis() -> None:
    rs = rule_set(rule('tx.channel == "tx.nope" // customer.nope\n  || tx.amount > 1'))
    compiled = compile_rule_set(rs)
    assert compiled.features == frozenset()


def test_compiled_set_lists_the_features_it_reads() -> None:
    rs = rule_set(
        rule("has(features.customer_count_1h) && features.customer_count_1h > 1.0", id="ra"),
        rule('"card_count_1h" in features', id="rb"),
        rule('features["customer.dotted_name"] > 1.0', id="rc"),
        rule("has(features.unused_x)", id="rd", enabled=False),
    )
    compiled = compile_rule_set(rs)
    assert compiled.features == {"customer_count_1h", "card_count_1h", "customer.dotted_name"}
