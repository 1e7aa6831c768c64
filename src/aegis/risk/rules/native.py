"""Rule expressions as Python closures, for the common case only; CEL stays the reference.

Converting a decision's fields into a CEL context and running 19 programs was the larger
part of a decision's rule time. Most rules are comparisons of a few fields joined by
``&&``: those compile here into Python functions reading the fields straight from Python
(parsed here into a tree, written out as code by :mod:`aegis.risk.rules._emit`: one call
per rule rather than a closure per node).

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

from aegis.risk.rules._emit import ABSENT, INT_MAX, INT_MIN, Fallback, Native, Node, emit
from aegis.risk.rules.references import Read, Token, label, tokenize

__all__ = ["ABSENT", "INT_MAX", "INT_MIN", "Fallback", "Native", "compile_native"]


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
    except (_Unsupported, IndexError, ValueError, RecursionError):
        return None
    try:
        return emit(node)
    except (SyntaxError, RecursionError, MemoryError):  # nested too deep for Python
        return None


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

    def ternary(self) -> Node:
        cond = self.or_()
        if self.peek() != "?":
            return cond
        self.i += 1
        yes = self.or_()
        self.take(":")
        no = self.ternary()
        return Node("conditional", (cond, yes, no))

    def or_(self) -> Node:
        parts = [self.and_()]
        while self.peek() == "||":
            self.i += 1
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Node("any", (tuple(parts),))

    def and_(self) -> Node:
        parts = [self.relation()]
        while self.peek() == "&&":
            self.i += 1
            parts.append(self.relation())
        return parts[0] if len(parts) == 1 else Node("all", (tuple(parts),))

    def relation(self) -> Node:
        node = self.addition()
        while (op := self.peek() or "") in ("<", "<=", ">", ">=", "==", "!="):
            self.i += 1
            right = self.addition()
            if op == "==":
                node = Node("equal", (node, right, True))
            elif op == "!=":
                node = Node("equal", (node, right, False))
            else:
                node = Node("order", (node, right, op))
        if self.peek() == "in":
            raise _Unsupported
        return node

    def addition(self) -> Node:
        node = self.product()
        while (op := self.peek()) in ("+", "-"):
            self.i += 1
            node = Node("arith", (node, self.product(), op))
        return node

    def product(self) -> Node:
        node = self.unary()
        while (op := self.peek()) in ("*", "/", "%"):
            self.i += 1
            right = self.unary()
            if op == "*":
                node = Node("arith", (node, right, "*"))
            elif op == "/":
                node = Node("divide", (node, right))
            else:
                raise _Unsupported
        return node

    def unary(self) -> Node:
        op = self.peek()
        if op == "!":
            self.i += 1
            return Node("not", (self.unary(),))
        if op == "-":
            self.i += 1
            return Node("negate", (self.unary(),))
        return self.primary()

    def primary(self) -> Node:
        token = self.tokens[self.i]
        self.i += 1
        node: Node
        if token.text == "(" and token.kind == "punct":
            node = self.ternary()
            self.take(")")
        elif token.kind == "number":
            node = Node("constant", (_number(token.text),))
        elif token.kind == "string":
            if token.value is None:
                raise _Unsupported
            node = Node("constant", (token.value,))
        elif token.kind == "ident":
            node = self.name(token.text)
        else:
            raise _Unsupported
        if self.peek() in (".", "[", "("):
            raise _Unsupported  # a selection under a field, a method, an index
        return node

    def name(self, text: str) -> Node:
        if text in ("true", "false", "null"):
            return Node("constant", ({"true": True, "false": False, "null": None}[text],))
        if text in self.roots:
            return Node("read", (self.field(text),))
        if self.peek() != "(":
            raise _Unsupported
        self.i += 1
        if text == "has":
            root = self.tokens[self.i].text
            self.i += 1
            if root not in self.roots:
                raise _Unsupported
            node = Node("present", (self.field(root),))
        elif text == "double":
            node = Node("double", (self.ternary(),))
        elif text == "int":
            node = Node("int", (self.ternary(),))
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
