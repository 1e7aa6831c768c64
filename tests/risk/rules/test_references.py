"""What an expression reads, found from its tokens, and its rewriting into flat variables."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aegis.risk.rules import ROOTS
from aegis.risk.rules.references import Read, analyse, complexity, label, rewrite, tokenize


def reads(expression: str) -> list[str]:
    return [label(r) for r in analyse(tokenize(expression), ROOTS).reads]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("tx.amount > 5 && tx.amount < 9", ["tx.amount"]),
        ('tx["amount"] > 5', ["tx.amount"]),
        ('features["customer.count_1h"] > 1.0', ['features["customer.count_1h"]']),
        ("has(model.score) && model.score > 0.5", ["model.score"]),
        ('"card_count_1h" in features', ["features.card_count_1h"]),
        ('x + "k" in features', ["features"]),  # the key is computed: the whole map
        ("features[name] > 1.0", ["features"]),
        ('tx.payee_name.startsWith("A")', ["tx.payee_name"]),
        ("size(lists.blocked_kinds) > 0", ["lists.blocked_kinds"]),
        ('"tx.amount" == tx.id', ["tx.id"]),  # strings are not reads
        ("a.tx > 1", []),  # a field named like a root is not the root
        ("lists.blocked_kinds.exists(k, k == 'card')", ["lists.blocked_kinds"]),
    ],
)
def test_reads(expression: str, expected: list[str]) -> None:
    assert reads(expression) == expected


def test_string_literals_are_decoded() -> None:
    values = [t.value for t in tokenize(r"""'a\'b' "\x41\u00e9\n" r'\d+' '''x'y''' b'z'""")]
    assert values == ["a'b", "A\u00e9\n", r"\d+", "x'y", None]
    assert tokenize("b'z'")[0].kind == "bytes"


def test_comprehension_variables_are_bound() -> None:
    analysis = analyse(tokenize("[1, 2].exists(x, x > tx.amount) && [3].all(y, y > 0)"), ROOTS)
    assert analysis.bound == {"x", "y"}


def test_rewrite_replaces_every_read_and_presence_test() -> None:
    expression = (
        'has(features.a) && "b" in features && features["c.d"] > 1.0 '
        "&& tx.amount > 5 && tx.payee_name.startsWith('A')"
    )
    analysis = analyse(tokenize(expression), ROOTS)
    assert rewrite(expression, analysis.occurrences) == (
        "_has_features_a && _has_features_b && __features_632e64 > 1.0 "
        "&& _tx_amount > 5 && _tx_payee_name.startsWith('A')"
    )


def test_labels() -> None:
    assert label(Read("tx", "amount")) == "tx.amount"
    assert label(Read("features", "a.b")) == 'features["a.b"]'
    assert label(Read("features", None)) == "features"


@given(st.text(max_size=300))
def test_the_tokenizer_and_complexity_check_survive_any_input(text: str) -> None:
    tokens = tokenize(text)
    complexity(tokens)
    analyse(tokens, ROOTS)
