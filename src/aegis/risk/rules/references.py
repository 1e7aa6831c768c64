"""What an expression reads, found from its tokens: for the explanation of every execution
(the values a rule saw), for the compiler's checks (unknown fields), and to rewrite each
read into one flat variable so that a decision converts only the fields its rules read.

CEL's own analysis (``Program.variables()``) names only the top-level variables (``tx``),
not the fields (``tx.amount``); a small tokenizer finds the selections. The expression has
already been compiled by CEL when it gets here, except for :func:`complexity`, which runs
first and must therefore survive any input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Analysis",
    "Occurrence",
    "Problem",
    "Read",
    "Token",
    "analyse",
    "complexity",
    "flat_name",
    "label",
    "presence_name",
    "rewrite",
    "tokenize",
]

TokenKind = Literal["ident", "string", "bytes", "number", "op", "punct", "other"]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*)
    |(?P<string>(?:[rR][bB]?|[bB][rR]?)?
        (?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^\\'\n])*'|"(?:\\.|[^\\"\n])*"))
    |(?P<number>0[xX][0-9a-fA-F]+[uU]?|(?:\d+\.\d+|\.\d+|\d+)(?:[eE][+-]?\d+)?[uU]?)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:])
    |(?P<punct>[.,()\[\]{}])
    |(?P<other>.)
    """,
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)")
_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}  # fmt: skip
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Comprehension macros bind their first argument as a local variable.
MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
# Names CEL itself defines, which its analysis lists as variables when used as values.
BUILTIN_NAMES = frozenset(
    {"int", "uint", "double", "bool", "string", "bytes", "list", "map", "type", "null_type"}
)
# Tokens after which a string literal starts an operand of `in` (so `"k" in features` tests
# the key "k"), rather than ending an operand of a tighter operator (`x + "k" in features`).
_OPERAND_START = frozenset({"(", ",", "[", "&&", "||", "?", ":"})

MAX_DEPTH = 24  # nested brackets
MAX_OPERATORS = 120  # operators in one expression


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    start: int  # offset in the expression
    value: str | None = None  # a string literal's decoded content


@dataclass(frozen=True, slots=True)
class Problem:
    code: str  # too_complex | unknown_variable | unknown_field | shadowed_variable
    message: str
    start: int  # offset in the expression


@dataclass(frozen=True, slots=True)
class Read:
    """A field the expression reads: ``root.key`` (or ``root`` as a whole when key is None)."""

    root: str
    key: str | None


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Where a field is read: ``expression[start:end]`` is ``root.key``, ``root["key"]``,
    or (``presence``) ``has(root.key)`` / ``"key" in root``."""

    read: Read
    start: int
    end: int
    presence: bool = False


@dataclass(frozen=True, slots=True)
class Analysis:
    reads: tuple[Read, ...]  # in order of first appearance, without repeats
    occurrences: tuple[Occurrence, ...]
    bound: frozenset[str]  # comprehension variables
    problems: tuple[Problem, ...]


def _decode(literal: str) -> str:
    prefix = ""
    while literal[0] not in "'\"":
        prefix += literal[0].lower()
        literal = literal[1:]
    quote = 3 if literal[:3] in ("'''", '"""') else 1
    body = literal[quote:-quote]
    if "r" in prefix or "\\" not in body:
        return body
    return _ESCAPE.sub(_unescape, body)


def _unescape(match: re.Match[str]) -> str:
    text = match.group(0)[1:]
    if text[0] in "xuU":
        return chr(int(text[1:], 16))
    if text[0].isdigit():
        return chr(int(text, 8))
    return _SIMPLE_ESCAPES.get(text, text)


def tokenize(expression: str) -> list[Token]:
    """The expression's tokens, whitespace and comments dropped. Never fails: a character
    that starts no token becomes an ``other`` token."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(expression):
        kind = match.lastgroup
        if kind == "ws" or kind is None:
            continue
        text = match.group(0)
        if kind == "string":
            quote = min(i for i in (text.find("'"), text.find('"')) if i >= 0)
            if "b" in text[:quote].lower():
                tokens.append(Token("bytes", text, match.start()))
            else:
                tokens.append(Token("string", text, match.start(), _decode(text)))
        else:
            tokens.append(Token(kind, text, match.start()))  # type: ignore[arg-type]
    return tokens


def complexity(tokens: list[Token]) -> Problem | None:
    """Refuse expressions deep enough to strain the evaluator's stack (it recurses once per
    nested operator: a long chain like ``1 + 1 + ...`` crashes a small thread stack)."""
    depth = operators = 0
    for token in tokens:
        if token.text in "([{" and token.kind == "punct":
            depth += 1
            if depth > MAX_DEPTH:
                return Problem(
                    "too_complex", f"brackets nested deeper than {MAX_DEPTH}", token.start
                )
        elif token.text in ")]}" and token.kind == "punct":
            depth -= 1
        elif token.kind == "op" or token.text == "in":
            operators += 1
            if operators > MAX_OPERATORS:
                return Problem(
                    "too_complex",
                    f"more than {MAX_OPERATORS} operators; split the rule",
                    token.start,
                )
    return None


def label(read: Read) -> str:
    """How a read is named in execution records: ``tx.amount``,
    ``features.customer_count_1h``, ``features["a.b"]`` (a key that is no identifier), or
    the root alone."""
    if read.key is None:
        return read.root
    if _IDENT.match(read.key):
        return f"{read.root}.{read.key}"
    return f'{read.root}["{read.key}"]'


def _key_after(tokens: list[Token], i: int) -> tuple[str, int] | None:
    """The literal selection right after position ``i`` (``.name`` or ``["name"]``), and
    the position after it; None if there is none (a method call is not a selection)."""
    n = len(tokens)
    if (
        i + 1 < n
        and tokens[i].text == "."
        and tokens[i + 1].kind == "ident"
        and not (i + 2 < n and tokens[i + 2].text == "(")
    ):
        return tokens[i + 1].text, i + 2
    if (
        i + 2 < n
        and tokens[i].text == "["
        and tokens[i + 1].kind == "string"
        and tokens[i + 2].text == "]"
    ):
        return tokens[i + 1].value or "", i + 3
    return None


def _end(token: Token) -> int:
    return token.start + len(token.text)


def analyse(tokens: list[Token], roots: frozenset[str]) -> Analysis:
    """Find the fields of ``roots`` that the expression reads, where, and the local names
    its comprehensions bind. Structural problems (a root rebound by a comprehension, a
    field selected under a scalar field) are reported; whether a field exists is the
    caller's to check."""
    reads: dict[Read, None] = {}
    occurrences: list[Occurrence] = []
    bound: set[str] = set()
    problems: list[Problem] = []
    n = len(tokens)
    for i, token in enumerate(tokens):
        if token.kind != "ident":
            continue
        if (
            3 <= i < n - 1
            and tokens[i - 1].text == "("
            and tokens[i - 2].text in MACROS
            and tokens[i - 3].text == "."
            and tokens[i + 1].text == ","
        ):
            bound.add(token.text)
            if token.text in roots:
                problems.append(
                    Problem(
                        "shadowed_variable",
                        f"the comprehension variable {token.text!r} hides a variable of "
                        "the same name; choose another name",
                        token.start,
                    )
                )
            continue
        if token.text not in roots:
            continue
        if i >= 1 and tokens[i - 1].text == ".":
            continue  # a field that happens to share a root's name
        if i + 1 < n and tokens[i + 1].text == "(":
            continue  # a function call
        selected = _key_after(tokens, i + 1)
        if selected is not None:
            key, after = selected
            read = Read(token.text, key)
            reads[read] = None
            deeper = _key_after(tokens, after)
            if deeper is not None:
                hint = (
                    f'; a feature name with dots is read as features["{key}.{deeper[0]}"]'
                    if token.text == "features"
                    else ""
                )
                problems.append(
                    Problem(
                        "unknown_field",
                        f"{label(read)} has no field {deeper[0]!r}{hint}",
                        tokens[after].start,
                    )
                )
            elif (
                i >= 2
                and tokens[i - 2].text == "has"
                and tokens[i - 1].text == "("
                and after < n
                and tokens[after].text == ")"
                and (i == 2 or tokens[i - 3].text != ".")
            ):
                occurrences.append(
                    Occurrence(read, tokens[i - 2].start, _end(tokens[after]), presence=True)
                )
            else:
                occurrences.append(Occurrence(read, token.start, _end(tokens[after - 1])))
            continue
        if (
            i >= 2
            and tokens[i - 1].text == "in"
            and tokens[i - 2].kind == "string"
            and (i == 2 or tokens[i - 3].text in _OPERAND_START)
        ):
            # `"customer_count_1h" in features`: a test for one key, not a read of the map.
            read = Read(token.text, tokens[i - 2].value or "")
            reads[read] = None
            occurrences.append(Occurrence(read, tokens[i - 2].start, _end(token), presence=True))
            continue
        reads[Read(token.text, None)] = None
    return Analysis(tuple(reads), tuple(occurrences), frozenset(bound), tuple(problems))


def flat_name(read: Read) -> str:
    """The top-level CEL variable that stands for one field in a rewritten expression.
    Identifier keys keep a readable name (``_tx_amount``); others (feature names with
    dots) are hex-encoded under a double underscore, so the two families never meet."""
    assert read.key is not None
    if _IDENT.match(read.key):
        return f"_{read.root}_{read.key}"
    return f"__{read.root}_{read.key.encode().hex()}"


def presence_name(read: Read) -> str:
    """The boolean variable that stands for ``has(root.key)`` / ``"key" in root``."""
    return "_has" + flat_name(read)


def rewrite(expression: str, occurrences: tuple[Occurrence, ...]) -> str:
    """The expression with every field read replaced by its flat variable.

    Why: handing CEL one map per root costs a conversion per map and per key, about twice
    what flat variables cost, and that conversion is most of a decision's time. A field
    selection binds tighter than any operator, so an identifier can take its place
    without changing the meaning; so can a presence test, which is a primary (``has()``)
    or a whole relation operand (``"k" in m``, only when nothing binds tighter before it).
    """
    out = expression
    for occ in sorted(occurrences, key=lambda o: o.start, reverse=True):
        name = presence_name(occ.read) if occ.presence else flat_name(occ.read)
        out = f"{out[: occ.start]}{name}{out[occ.end :]}"
    return out
