"""Rule expressions as Python closures, for the common case only; CEL stays the reference.

Converting a decision's fields into a CEL context and running 19 programs was the larger
part of a decision's rule time. Most rules are comparisons of a few fields joined by
``&&``: those compile here into nested closures reading the fields straight from Python.

The closures follow CEL's semantics only where they are simple: operands of one type
(``int`` with ``int``, ``double`` with ``double``...), ``x == null``, no overflow, no
division by zero, ``&&``/``||`` whose left side is a bool. Anywhere else (an absent field,
mixed types, an error CEL would absorb or report) a closure raises :class:`Fallback`, and
the engine runs the rule's CEL program instead, which gives CEL's own answer and error
message. So the result is CEL's by construction: a closure either agrees with CEL or
declines. An expression using anything else (macros, methods, ``in``, lists, maps,
indexing, unsigned or bytes literals, functions other than ``has``, ``double`` and
``int``) is not compiled at all.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from aegis.risk.rules.references import Read, Token, label, tokenize

__all__ = ["ABSENT", "INT_MAX", "INT_MIN", "Fallback", "Native", "compile_native"]

ABSENT: Any = object()  # a field not in its map (distinct from null)
INT_MIN, INT_MAX = -(2**63), 2**63 - 1

Values = Mapping[str, Any]
Native = Callable[[Values], Any]


class Fallback(Exception):  # noqa: N818 - a signal, not an error
    """The closure cannot promise CEL's answer: run the CEL program."""


_FALLBACK = Fallback()  # raised often enough on odd data that one instance is kept
_SCALARS = frozenset({bool, int, float, str, type(None)})
_ORDERED = frozenset({int, float, str})
_NUMBERS = frozenset({int, float})
_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _Unsupported(Exception):  # noqa: N818 - internal: the expression stays on CEL
    pass


def compile_native(expression: str, roots: frozenset[str]) -> Native | None:
    """A closure evaluating ``expression`` on field values by label (``tx.amount``,
    ``features.customer_count_1h``; :data:`ABSENT` when absent), or None when the
    expression uses something the closures do not cover."""
    tokens = tokenize(expression)
    if any(t.kind in ("bytes", "other") for t in tokens):
        return None
    parser = _Parser(tokens, roots)
    try:
        node = parser.ternary()
        if parser.i != len(tokens):
            return None
    except (_Unsupported, IndexError, ValueError):
        return None
    return node


class _Parser:
    """Recursive descent over CEL's grammar, lowest precedence first."""

    def __init__(self, tokens: list[Token], roots: frozenset[str]) -> None:
        self.tokens = tokens
        self.roots = roots
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i].text if self.i < len(self.tokens) else None

    def take(self, text: str) -> None:
        if self.peek() != text:
            raise _Unsupported
        self.i += 1

    def ternary(self) -> Native:
        cond = self.or_()
        if self.peek() != "?":
            return cond
        self.i += 1
        yes = self.or_()
        self.take(":")
        no = self.ternary()
        return _conditional(cond, yes, no)

    def or_(self) -> Native:
        parts = [self.and_()]
        while self.peek() == "||":
            self.i += 1
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else _any(tuple(parts))

    def and_(self) -> Native:
        parts = [self.relation()]
        while self.peek() == "&&":
            self.i += 1
            parts.append(self.relation())
        return parts[0] if len(parts) == 1 else _all(tuple(parts))

    def relation(self) -> Native:
        node = self.addition()
        while (op := self.peek() or "") in ("<", "<=", ">", ">=", "==", "!="):
            self.i += 1
            right = self.addition()
            if op == "==":
                node = _equal(node, right, True)
            elif op == "!=":
                node = _equal(node, right, False)
            else:
                node = _order(node, right, _RELATIONS[op])
        if self.peek() == "in":
            raise _Unsupported
        return node

    def addition(self) -> Native:
        node = self.product()
        while (op := self.peek()) in ("+", "-"):
            self.i += 1
            node = _arith(node, self.product(), operator.add if op == "+" else operator.sub)
        return node

    def product(self) -> Native:
        node = self.unary()
        while (op := self.peek()) in ("*", "/", "%"):
            self.i += 1
            right = self.unary()
            if op == "*":
                node = _arith(node, right, operator.mul)
            elif op == "/":
                node = _divide(node, right)
            else:
                raise _Unsupported
        return node

    def unary(self) -> Native:
        op = self.peek()
        if op == "!":
            self.i += 1
            return _not(self.unary())
        if op == "-":
            self.i += 1
            return _negate(self.unary())
        return self.primary()

    def primary(self) -> Native:
        token = self.tokens[self.i]
        self.i += 1
        node: Native
        if token.text == "(" and token.kind == "punct":
            node = self.ternary()
            self.take(")")
        elif token.kind == "number":
            node = _constant(_number(token.text))
        elif token.kind == "string":
            if token.value is None:
                raise _Unsupported
            node = _constant(token.value)
        elif token.kind == "ident":
            node = self.name(token.text)
        else:
            raise _Unsupported
        if self.peek() in (".", "[", "("):
            raise _Unsupported  # a selection under a field, a method, an index
        return node

    def name(self, text: str) -> Native:
        if text in ("true", "false", "null"):
            return _constant({"true": True, "false": False, "null": None}[text])
        if text in self.roots:
            return _read(self.field(text))
        if self.peek() != "(":
            raise _Unsupported
        self.i += 1
        if text == "has":
            root = self.tokens[self.i].text
            self.i += 1
            if root not in self.roots:
                raise _Unsupported
            node = _present(self.field(root))
        elif text == "double":
            node = _to_double(self.ternary())
        elif text == "int":
            node = _to_int(self.ternary())
        else:
            raise _Unsupported
        self.take(")")
        return node

    def field(self, root: str) -> str:
        """The label of ``root.key`` (the root was just read)."""
        self.take(".")
        token = self.tokens[self.i]
        if token.kind != "ident":
            raise _Unsupported
        self.i += 1
        return label(Read(root, token.text))


def _number(text: str) -> int | float:
    lowered = text.lower()
    if lowered.endswith("u"):
        raise _Unsupported  # unsigned: another CEL type
    if lowered.startswith("0x"):
        value: int | float = int(lowered, 16)
    elif "." in lowered or "e" in lowered:
        value = float(lowered)
    else:
        value = int(lowered)
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        raise _Unsupported
    return value


# --- nodes -----------------------------------------------------------------------------
# Each takes the field values and returns a plain Python value, or raises Fallback.


def _constant(value: Any) -> Native:
    return lambda values: value


def _read(name: str) -> Native:
    def read(values: Values) -> Any:
        value = values[name]
        if value is ABSENT:
            raise _FALLBACK
        return value

    return read


def _present(name: str) -> Native:
    return lambda values: values[name] is not ABSENT


def _all(parts: tuple[Native, ...]) -> Native:
    """``a && b && c``: CEL groups it ((a && b) && c), which on bools is the first false
    part or, all being true, true; one loop rather than nested closures."""

    def every(values: Values) -> Any:
        for part in parts:
            value = part(values)
            if value is False:
                return False
            if value is not True:
                raise _FALLBACK
        return True

    return every


def _any(parts: tuple[Native, ...]) -> Native:
    """``a || b || c``, as :func:`_all` with true and false swapped."""

    def some(values: Values) -> Any:
        for part in parts:
            value = part(values)
            if value is True:
                return True
            if value is not False:
                raise _FALLBACK
        return False

    return some


def _conditional(cond: Native, yes: Native, no: Native) -> Native:
    def pick(values: Values) -> Any:
        test = cond(values)
        if test is True:
            return yes(values)
        if test is False:
            return no(values)
        raise _FALLBACK

    return pick


def _not(inner: Native) -> Native:
    def negation(values: Values) -> Any:
        value = inner(values)
        if value is True:
            return False
        if value is False:
            return True
        raise _FALLBACK

    return negation


def _int(value: int) -> int:
    if INT_MIN <= value <= INT_MAX:
        return value
    raise _FALLBACK  # CEL's int64 overflows, or the value is no int64 to CEL


def _negate(inner: Native) -> Native:
    def minus(values: Values) -> Any:
        value = inner(values)
        kind = type(value)
        if kind is float:
            return -value
        if kind is int:
            return _int(-_int(value))
        raise _FALLBACK

    return minus


def _equal(left: Native, right: Native, equal: bool) -> Native:
    def compare(values: Values) -> Any:
        a = left(values)
        b = right(values)
        kind = type(a)
        if kind is type(b) and kind in _SCALARS:
            if kind is int:
                _int(a), _int(b)
            return (a == b) is equal
        # null against a scalar of another type: never equal (CEL's heterogeneous equality)
        if (a is None and type(b) in _SCALARS) or (b is None and kind in _SCALARS):
            return not equal
        raise _FALLBACK

    return compare


def _order(left: Native, right: Native, relation: Callable[[Any, Any], bool]) -> Native:
    def compare(values: Values) -> Any:
        a = left(values)
        b = right(values)
        kind = type(a)
        if kind is not type(b) or kind not in _ORDERED:
            raise _FALLBACK  # mixed numbers compare in CEL too, but by its own rules
        if kind is int:
            _int(a), _int(b)
        elif kind is float and (a != a or b != b):
            raise _FALLBACK  # CEL has no ordering for NaN: an error there, not false
        return relation(a, b)

    return compare


def _arith(left: Native, right: Native, op: Callable[[Any, Any], Any]) -> Native:
    def apply(values: Values) -> Any:
        a = left(values)
        b = right(values)
        kind = type(a)
        if kind is not type(b) or kind not in _NUMBERS:
            raise _FALLBACK
        if kind is int:
            return _int(op(_int(a), _int(b)))
        return op(a, b)

    return apply


def _divide(left: Native, right: Native) -> Native:
    def apply(values: Values) -> Any:
        a = left(values)
        b = right(values)
        # int division truncates and fails on zero in CEL; a double divided by zero is
        # infinite there, an error in Python: both left to CEL
        if type(a) is not float or type(b) is not float or not b:
            raise _FALLBACK
        return a / b

    return apply


def _to_double(inner: Native) -> Native:
    def convert(values: Values) -> Any:
        value = inner(values)
        kind = type(value)
        if kind is float:
            return value
        if kind is int:
            return float(_int(value))
        raise _FALLBACK

    return convert


def _to_int(inner: Native) -> Native:
    def convert(values: Values) -> Any:
        value = inner(values)
        if type(value) is int:
            return _int(value)
        raise _FALLBACK

    return convert
