"""A native rule's expression tree written out as one Python function.

The parser of :mod:`aegis.risk.rules.native` builds a tree of :class:`Node`; :func:`emit`
writes it out as straight-line Python with the same checks, in the same order, as CEL's
semantics need (see native's docstring): the result is a value, or :class:`Fallback`
raised where the tree declines. Written out rather than nested closures, a rule is one
call instead of one per node, and where a node's operand type is known when compiling (a
literal, a comparison's bool, ``double()``'s double) its type test is left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ABSENT", "INT_MAX", "INT_MIN", "Fallback", "Native", "Node", "emit"]

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
_NAMES = {bool: "bool", int: "int", float: "float", str: "str", type(None): "NoneType"}


@dataclass(frozen=True, slots=True)
class Node:
    """``kind`` with its ``args``: constant (value), read and present (label), all and any
    (parts), conditional (cond, yes, no), not and negate and double and int (inner),
    equal (left, right, equal?), order and arith (left, right, operator text), divide
    (left, right)."""

    kind: str
    args: tuple[Any, ...]


def emit(node: Node) -> Native:
    """The function computing ``node`` from the field values by label."""
    writer = _Writer()
    result, _ = writer.node(node, "    ")
    source = "\n".join(["def native(values):", *writer.lines, f"    return {result}"])
    namespace: dict[str, Any] = {
        "ABSENT": ABSENT,
        "FALLBACK": _FALLBACK,
        "SCALARS": _SCALARS,
        "ORDERED": _ORDERED,
        "NUMBERS": _NUMBERS,
        "NoneType": type(None),
        **writer.constants,
    }
    exec(compile(source, "<aegis-rule>", "exec"), namespace)  # noqa: S102 - built above
    native: Native = namespace["native"]
    return native


class _Writer:
    """Statements of the function being written; each node's value goes to a fresh local
    (or is a literal) and comes with its Python type when that is known."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def line(self, pad: str, text: str) -> None:
        self.lines.append(pad + text)

    def literal(self, value: Any) -> str:
        if value is None or type(value) in (bool, int, str):
            return repr(value)
        if type(value) is float and math.isfinite(value):
            return repr(value)
        name = f"k{len(self.constants)}"  # inf or nan: no literal
        self.constants[name] = value
        return name

    def local(self, expression: str, pad: str) -> str:
        if expression.isidentifier() and expression not in ("True", "False", "None"):
            return expression
        name = self.fresh()
        self.line(pad, f"{name} = {expression}")
        return name

    def check_int(self, name: str, pad: str) -> None:
        """CEL's int64 overflows, or the value is no int64 to CEL."""
        self.line(pad, f"if not {INT_MIN} <= {name} <= {INT_MAX}: raise FALLBACK")

    def node(self, node: Node, pad: str) -> tuple[str, type | None]:
        return getattr(self, f"n_{node.kind}")(pad, *node.args)  # type: ignore[no-any-return]

    def n_constant(self, pad: str, value: Any) -> tuple[str, type | None]:
        return self.literal(value), type(value)

    def n_read(self, pad: str, label: str) -> tuple[str, type | None]:
        v = self.fresh()
        self.line(pad, f"{v} = values[{label!r}]")
        self.line(pad, f"if {v} is ABSENT: raise FALLBACK")
        return v, None

    def n_present(self, pad: str, label: str) -> tuple[str, type | None]:
        v = self.fresh()
        self.line(pad, f"{v} = values[{label!r}] is not ABSENT")
        return v, bool

    def n_all(self, pad: str, parts: tuple[Node, ...]) -> tuple[str, type | None]:
        return self._chain(pad, parts, stop=False), bool

    def n_any(self, pad: str, parts: tuple[Node, ...]) -> tuple[str, type | None]:
        return self._chain(pad, parts, stop=True), bool

    def _chain(self, pad: str, parts: tuple[Node, ...], *, stop: bool) -> str:
        """``a && b && c`` (stop at false) or ``a || b || c`` (stop at true): CEL groups
        it to the left, which on bools is the first part equal to ``stop``, else the
        other; a part that is no bool declines."""
        r = self.fresh()
        for index, part in enumerate(parts):
            value, kind = self.node(part, pad)
            value = self.local(value, pad)
            if kind is bool and index == len(parts) - 1:  # the last part's bool is the answer
                self.line(pad, f"{r} = {value}")
                return r
            self.line(pad, f"if {value} is {stop}:")
            self.line(pad, f"    {r} = {stop}")
            if kind is not bool:
                self.line(pad, f"elif {value} is not {not stop}:")
                self.line(pad, "    raise FALLBACK")
            self.line(pad, "else:")
            pad += "    "
        self.line(pad, f"{r} = {not stop}")
        return r

    def n_conditional(self, pad: str, cond: Node, yes: Node, no: Node) -> tuple[str, type | None]:
        test = self.local(self.node(cond, pad)[0], pad)
        r = self.fresh()
        self.line(pad, f"if {test} is True:")
        value, yes_kind = self.node(yes, pad + "    ")
        self.line(pad, f"    {r} = {value}")
        self.line(pad, f"elif {test} is False:")
        value, no_kind = self.node(no, pad + "    ")
        self.line(pad, f"    {r} = {value}")
        self.line(pad, "else:")
        self.line(pad, "    raise FALLBACK")
        return r, yes_kind if yes_kind is no_kind else None

    def n_not(self, pad: str, inner: Node) -> tuple[str, type | None]:
        value = self.local(self.node(inner, pad)[0], pad)
        r = self.fresh()
        self.line(pad, f"if {value} is True:")
        self.line(pad, f"    {r} = False")
        self.line(pad, f"elif {value} is False:")
        self.line(pad, f"    {r} = True")
        self.line(pad, "else:")
        self.line(pad, "    raise FALLBACK")
        return r, bool

    def n_negate(self, pad: str, inner: Node) -> tuple[str, type | None]:
        value, kind = self.node(inner, pad)
        value = self.local(value, pad)
        r = self.fresh()
        if kind is float:
            self.line(pad, f"{r} = -{value}")
            return r, float
        if kind is None:
            self.line(pad, f"kind = type({value})")
            self.line(pad, "if kind is float:")
            self.line(pad, f"    {r} = -{value}")
            self.line(pad, "elif kind is not int:")
            self.line(pad, "    raise FALLBACK")
            self.line(pad, "else:")
            pad += "    "
        elif kind is not int:
            self.line(pad, "raise FALLBACK")
            return r, None
        self.check_int(value, pad)
        self.line(pad, f"{r} = -{value}")
        self.check_int(r, pad)
        return r, kind

    def _operands(self, pad: str, left: Node, right: Node) -> tuple[str, Any, str, Any]:
        """Both sides, left first as the closures did; each a local or a literal."""
        a, a_kind = self.node(left, pad)
        b, b_kind = self.node(right, pad)
        return a, a_kind, b, b_kind

    def _same_type(self, pad: str, a: str, a_kind: Any, b: str, b_kind: Any, allowed: str) -> Any:
        """Declines unless ``a`` and ``b`` have one type among ``allowed``; returns that
        type when known here, else None (the local ``kind`` then holds it)."""
        kinds = {"ORDERED": _ORDERED, "NUMBERS": _NUMBERS}[allowed]
        if a_kind is not None and b_kind is not None:
            if a_kind is not b_kind or a_kind not in kinds:
                self.line(pad, "raise FALLBACK")
            return a_kind
        known = a_kind if a_kind is not None else b_kind
        if known is not None:
            other = b if a_kind is not None else a
            if known in kinds:
                self.line(pad, f"if type({other}) is not {_NAMES[known]}: raise FALLBACK")
            else:
                self.line(pad, "raise FALLBACK")
            return known
        self.line(pad, f"kind = type({a})")
        self.line(pad, f"if kind is not type({b}) or kind not in {allowed}: raise FALLBACK")
        return None

    def _check_ints(self, pad: str, names: list[tuple[str, bool]]) -> None:
        for name, constant in names:
            if not constant:
                self.check_int(name, pad)

    def n_equal(self, pad: str, left: Node, right: Node, equal: bool) -> tuple[str, type | None]:
        a, a_kind, b, b_kind = self._operands(pad, left, right)
        r = self.fresh()
        op = "==" if equal else "!="  # complements on two scalars of one type, NaN too
        a_type = _NAMES.get(a_kind, f"type({a})")
        b_type = _NAMES.get(b_kind, f"type({b})")
        # what is known here is written as True or False, and simplified away
        known = a_kind if a_kind is not None else b_kind
        if a_kind is not None and b_kind is not None:
            same = _bool(a_kind is b_kind and a_kind in _SCALARS)
        elif known is not None:
            same = f"{a_type} is {b_type}" if known in _SCALARS else "False"
        else:
            same = f"{a_type} is {b_type} and {a_type} in SCALARS"
        if same != "False":
            self.line(pad, f"if {same}:")
            sides = [(a, left.kind == "constant"), (b, right.kind == "constant")]
            if known is int:
                self._check_ints(pad + "    ", sides)
            elif known is None:
                self.line(pad, f"    if {a_type} is int:")
                self._check_ints(pad + "        ", sides)
                self.line(pad, "        pass")
            self.line(pad, f"    {r} = {a} {op} {b}")
        # null against a scalar of another type: never equal (CEL's heterogeneous equality)
        other = _or(
            _and(self._is_none(a, left, a_kind), _in_scalars(b_type, b_kind)),
            _and(self._is_none(b, right, b_kind), _in_scalars(a_type, a_kind)),
        )
        if other != "False":
            self.line(pad, f"{'elif' if same != 'False' else 'if'} {other}:")
            self.line(pad, f"    {r} = {not equal}")
        if same == "True" or other == "True":
            return r, bool
        self.line(pad, "else:" if same != "False" or other != "False" else "if True:")
        self.line(pad, "    raise FALLBACK")
        return r, bool

    @staticmethod
    def _is_none(name: str, node: Node, kind: Any) -> str:
        if node.kind == "constant":
            return _bool(node.args[0] is None)
        if kind is not None:
            return _bool(kind is type(None))
        return f"{name} is None"

    def n_order(self, pad: str, left: Node, right: Node, op: str) -> tuple[str, type | None]:
        a, a_kind, b, b_kind = self._operands(pad, left, right)
        kind = self._same_type(pad, a, a_kind, b, b_kind, "ORDERED")
        sides = [(a, left.kind == "constant"), (b, right.kind == "constant")]
        if kind is int:
            self._check_ints(pad, sides)
        elif kind is float:
            nans = [f"{name} != {name}" for name, constant in sides if not constant]
            if nans:  # CEL has no ordering for NaN: an error there, not false
                self.line(pad, f"if {' or '.join(nans)}: raise FALLBACK")
        elif kind is None:
            self.line(pad, "if kind is int:")
            self._check_ints(pad + "    ", sides)
            self.line(pad + "    ", "pass")
            self.line(pad, f"elif kind is float and ({a} != {a} or {b} != {b}): raise FALLBACK")
        r = self.fresh()
        self.line(pad, f"{r} = {a} {op} {b}")
        return r, bool

    def n_arith(self, pad: str, left: Node, right: Node, op: str) -> tuple[str, type | None]:
        a, a_kind, b, b_kind = self._operands(pad, left, right)
        kind = self._same_type(pad, a, a_kind, b, b_kind, "NUMBERS")
        r = self.fresh()
        sides = [(a, left.kind == "constant"), (b, right.kind == "constant")]
        if kind is float:
            self.line(pad, f"{r} = {a} {op} {b}")
            return r, float
        if kind is None:
            self.line(pad, "if kind is float:")
            self.line(pad, f"    {r} = {a} {op} {b}")
            self.line(pad, "else:")
            pad += "    "
        self._check_ints(pad, sides)
        self.line(pad, f"{r} = {a} {op} {b}")
        self.check_int(r, pad)
        return r, kind

    def n_divide(self, pad: str, left: Node, right: Node) -> tuple[str, type | None]:
        a, a_kind, b, b_kind = self._operands(pad, left, right)
        # int division truncates and fails on zero in CEL; a double divided by zero is
        # infinite there, an error in Python: both left to CEL
        sides = ((a, a_kind), (b, b_kind))
        tests = [f"type({name}) is not float" for name, kind in sides if kind is None]
        if any(kind is not None and kind is not float for _, kind in sides):
            tests = ["True"]
        self.line(pad, f"if {' or '.join([*tests, f'not {b}'])}: raise FALLBACK")
        r = self.fresh()
        self.line(pad, f"{r} = {a} / {b}")
        return r, float

    def n_double(self, pad: str, inner: Node) -> tuple[str, type | None]:
        value, kind = self.node(inner, pad)
        value = self.local(value, pad)
        if kind is float:
            return value, float
        r = self.fresh()
        if kind is None:
            self.line(pad, f"kind = type({value})")
            self.line(pad, "if kind is float:")
            self.line(pad, f"    {r} = {value}")
            self.line(pad, "elif kind is not int:")
            self.line(pad, "    raise FALLBACK")
            self.line(pad, "else:")
            pad += "    "
        elif kind is not int:
            self.line(pad, "raise FALLBACK")
            return r, float
        if inner.kind != "constant":
            self.check_int(value, pad)
        self.line(pad, f"{r} = float({value})")
        return r, float

    def n_int(self, pad: str, inner: Node) -> tuple[str, type | None]:
        value, kind = self.node(inner, pad)
        value = self.local(value, pad)
        if kind is None:
            self.line(pad, f"if type({value}) is not int: raise FALLBACK")
        elif kind is not int:
            self.line(pad, "raise FALLBACK")
        if inner.kind != "constant":
            self.check_int(value, pad)
        return value, int


def _bool(value: bool) -> str:
    return "True" if value else "False"


def _in_scalars(type_name: str, kind: Any) -> str:
    return _bool(kind in _SCALARS) if kind is not None else f"{type_name} in SCALARS"


def _and(a: str, b: str) -> str:
    if "False" in (a, b):
        return "False"
    if a == "True":
        return b
    return a if b == "True" else f"({a} and {b})"


def _or(a: str, b: str) -> str:
    if "True" in (a, b):
        return "True"
    if a == "False":
        return b
    return a if b == "False" else f"({a} or {b})"
