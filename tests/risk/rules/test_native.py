"""The closures of aegis.risk.rules.native either give CEL's answer or decline."""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import Any

import cel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aegis.risk.rules import (
    ROOTS,
    CompiledRuleSet,
    Evaluation,
    ModelFacts,
    compile_rule_set,
    default_rule_set,
)
from aegis.risk.rules.native import ABSENT, INT_MAX, Fallback, compile_native
from tests.risk.rules import support
from tests.risk.rules.support import BENIGN_FEATURES, VERIFIED

# Fields the expressions below read, as CEL sees them: one flat variable each.
FIELDS = {
    "tx.amount": "a",
    "tx.customer_id": "c",
    "features.x": "x",
    "features.y": "y",
    "limits.n": "n",
    "customer.frozen": "b",
}

EXPRESSIONS = [
    "tx.amount > limits.n",
    "tx.amount >= 100 && tx.customer_id != null",
    "tx.customer_id == null || tx.amount < 10",
    "has(features.x) && features.x + 1.0 >= double(limits.n)",
    "has(features.x) && has(features.y) && features.x / features.y > 0.5",
    "features.x * 2.0 - features.y <= -1.5",
    "!customer.frozen && tx.amount - limits.n == 0",
    "customer.frozen ? tx.amount > 5 : features.x < 1.0",
    "customer.frozen == true || tx.customer_id == 'c-1'",
    "int(tx.amount) * 2 != limits.n",
    "tx.customer_id < 'm' && -tx.amount < -3",
    "(tx.amount > 1) == customer.frozen",
    "tx.amount == 0x10 || features.x == 1e2",
    "features.x > features.y == (tx.amount + limits.n > 0)",
    "features.x",
]

_values = st.one_of(
    st.just(ABSENT),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, 1, 16, 100, INT_MAX, -INT_MAX - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 100.0, 0.5]),
    st.sampled_from(["", "c-1", "zz"]),
    st.just([1]),
)
_ints = st.one_of(st.sampled_from([0, 1, 3, 16, 100]), st.integers(-(2**63), 2**63 - 1))
_doubles = st.one_of(st.sampled_from([0.0, -0.0, 0.5, 1.0, 100.0]), st.floats())
# Mostly the field's own type, so that the closures answer rather than decline.
_TYPED = {
    "tx.amount": _ints,
    "tx.customer_id": st.one_of(st.none(), st.sampled_from(["", "c-1", "zz"])),
    "features.x": st.one_of(st.just(ABSENT), _doubles),
    "features.y": st.one_of(st.just(ABSENT), _doubles),
    "limits.n": _ints,
    "customer.frozen": st.booleans(),
}


def _cel(expression: str, values: dict[str, Any]) -> Any:
    flat = expression
    for label, name in FIELDS.items():
        flat = flat.replace(f"has({label})", f"has_{name}").replace(label, name)
    variables: dict[str, Any] = {}
    for label, name in FIELDS.items():
        value = values[label]
        variables[f"has_{name}"] = value is not ABSENT
        if value is not ABSENT:
            variables[name] = value
    try:
        return cel.compile(flat).execute(cel.Context(variables))
    except Exception as exc:
        return type(exc)


def test_the_default_pack_compiles_to_closures() -> None:
    compiled = compile_rule_set(default_rule_set())
    assert all(static[-1] is not None for static in compiled._static)


@pytest.mark.parametrize(
    "expression",
    [
        "tx.amount in [1, 2]",
        "size(tx.customer_id) > 1",
        "tx.customer_id.startsWith('a')",
        'features["a.b"] > 1.0',
        "tx.amount > 1u",
        "tx.amount > 99999999999999999999",
        "tx.amount % 2 == 0",
        "customer.screening == b'hit'",
        "features.exists(k, k == 'x')",
        "has(features)",
    ],
)
def test_what_the_closures_do_not_cover_stays_on_cel(expression: str) -> None:
    assert compile_native(expression, ROOTS) is None


def test_expressions_too_deep_for_python_stay_on_cel() -> None:
    assert compile_native(" && ".join(["tx.amount > 1"] * 150), ROOTS) is None
    assert compile_native("(" * 400 + "tx.amount" + ")" * 400 + " > 1", ROOTS) is None
    native = compile_native(" && ".join(["tx.amount > 1"] * 40), ROOTS)
    assert native is not None
    assert native({"tx.amount": 5}) is True
    assert native({"tx.amount": 1}) is False


@settings(max_examples=1500, deadline=None)
@given(
    expression=st.sampled_from(EXPRESSIONS),
    values=st.fixed_dictionaries(
        {label: st.one_of(typed, typed, typed, _values) for label, typed in _TYPED.items()}
    ),
)
def test_a_closure_agrees_with_cel_or_declines(expression: str, values: dict[str, Any]) -> None:
    native = compile_native(expression, ROOTS)
    assert native is not None
    try:
        got = native(values)
    except Fallback:
        return
    if type(got) is not bool:
        return  # the engine asks CEL what a rule gave that is no bool
    assert got is _cel(expression, values)


def _without_closures(compiled: CompiledRuleSet) -> CompiledRuleSet:
    plain = copy.copy(compiled)
    plain._static = tuple((*static[:-1], None) for static in compiled._static)
    return plain


def _answer(evaluation: Evaluation) -> dict[str, Any]:
    out = evaluation.to_dict()
    del out["duration_us"]
    for execution in out["executions"]:
        del execution["duration_us"]
    return out


_features = st.dictionaries(
    st.sampled_from(sorted(BENIGN_FEATURES)),
    st.one_of(_doubles, _ints, st.just(math.nan), st.none(), st.just("x")),
)


@settings(max_examples=300, deadline=None)
@given(
    features=_features,
    amount=st.one_of(st.integers(1, 2_000_000), st.integers(2**62, 2**64)),
    customer_id=st.one_of(st.none(), st.just("cus-1")),
    limit_amount=st.one_of(st.none(), st.integers(0, 10**6)),
    frozen=st.booleans(),
    score=st.one_of(st.none(), _doubles),
)
def test_evaluations_are_cels_with_or_without_closures(
    features: dict[str, Any],
    amount: int,
    customer_id: str | None,
    limit_amount: int | None,
    frozen: bool,
    score: float | None,
) -> None:
    compiled = compile_rule_set(default_rule_set())
    plain = _without_closures(compiled)
    customer = dataclasses.replace(VERIFIED, frozen=frozen, limited=True, limit_amount=limit_amount)
    model = None if score is None else ModelFacts(score=score, version="1")
    variables = support.variables(
        tx=support.transaction(amount=amount, customer_id=customer_id),
        features={**BENIGN_FEATURES, **features},
        customer=customer,
        model=model,
    )
    assert _answer(compiled.evaluate(variables)) == _answer(plain.evaluate(variables))
