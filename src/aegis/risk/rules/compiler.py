"""Compile a rule set: every mistake that can be found before a decision runs is found
here, when a draft is saved, and reported per rule with its position.

Checks, in order: the expression's complexity (bounded so the evaluator's recursion stays
shallow), CEL syntax, unknown variables, unknown fields and feature names, then a dry run
on typical values of the declared types, which catches type errors such as
``tx.amount * 1.5`` (CEL never mixes int and double) and expressions that give no bool.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import cel

from aegis.errors import FieldError, ValidationFailed
from aegis.risk.rules.engine import CompiledRule, CompiledRuleSet, Field, bind, make_context
from aegis.risk.rules.facts import CATALOGUE, ROOTS
from aegis.risk.rules.references import (
    BUILTIN_NAMES,
    Analysis,
    Read,
    analyse,
    complexity,
    flat_name,
    label,
    presence_name,
    rewrite,
    tokenize,
)
from aegis.risk.rules.schema import Rule, RuleSet

__all__ = ["RuleProblem", "RuleSetInvalid", "compile_rule_set"]

_FEATURE_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_CEL_POSITION = re.compile(r"ERROR: <input>:(\d+):(\d+): (.*)")


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """Why one rule does not compile; ``line`` and ``column`` are 1-based when known."""

    rule_id: str
    index: int  # the rule's position in the rule set
    code: str  # syntax | unknown_variable | unknown_field | too_complex | type_error | ...
    message: str
    line: int | None = None
    column: int | None = None

    @property
    def pointer(self) -> str:
        return f"/rules/{self.index}/expression"

    def __str__(self) -> str:
        where = f" at line {self.line}, column {self.column}" if self.line is not None else ""
        return f"rule {self.rule_id}{where}: {self.message}"


class RuleSetInvalid(ValidationFailed):
    """A rule set with expressions that do not compile. ``errors`` points at each
    expression (``/rules/3/expression``) for the API; ``problems`` has the details."""

    slug = "rule-set-invalid"
    title = "The rule set is not valid"

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        shown = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        super().__init__(
            f"{shown}{more}",
            errors=[FieldError(pointer=p.pointer, detail=str(p), code=p.code) for p in problems],
        )
        self.problems = tuple(problems)


def _position(expression: str, offset: int) -> tuple[int, int]:
    before = expression[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _close(word: str, choices: Collection[str]) -> str:
    found = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {found[0]!r}?" if found else ""


def _check_reads(
    reads: Sequence[Read], known_features: Collection[str] | None
) -> list[tuple[str, Read]]:
    """Messages for reads of fields that do not exist."""
    found: list[tuple[str, Read]] = []
    for read in reads:
        if read.key is None:
            continue
        if read.root == "features":
            if not _FEATURE_NAME.match(read.key):
                found.append((f"{read.key!r} is not a feature name", read))
            elif known_features is not None and read.key not in known_features:
                found.append(
                    (f"unknown feature {read.key!r}{_close(read.key, known_features)}", read)
                )
            continue
        fields = CATALOGUE[read.root]
        if read.key not in fields:
            found.append((f"{read.root} has no field {read.key!r}{_close(read.key, fields)}", read))
    return found


def _sample(reads: Sequence[Read], truthy: bool) -> dict[str, dict[str, Any]]:
    """Typical values of the declared types, for a dry run: all set and true-ish, or all
    set and false-ish, so both sides of the usual guards get evaluated."""
    falsy: dict[str, Any] = {"int": 0, "double": 0.0, "string": "", "bool": False}
    roots: dict[str, dict[str, Any]] = {
        root: {
            name: spec.sample if truthy else falsy.get(spec.type, [])
            for name, spec in fields.items()
        }
        for root, fields in CATALOGUE.items()
    }
    roots["features"] = {
        r.key: 1.0 if truthy else 0.0 for r in reads if r.root == "features" and r.key
    }
    return roots


def _fields(analysis: Analysis) -> tuple[Field, ...]:
    presence = {o.read for o in analysis.occurrences if o.presence}
    fields: list[Field] = []
    for read in analysis.reads:
        if read.key is None:
            fields.append(Field(read.root, read.root, None, read.root))
        else:
            fields.append(
                Field(
                    label(read),
                    read.root,
                    read.key,
                    flat_name(read),
                    presence_name(read) if read in presence else None,
                )
            )
    return tuple(fields)


def _whole_roots(analysis: Analysis) -> tuple[Field, ...]:
    """Fields for running the expression as written, on one map per root."""
    roots = dict.fromkeys(r.root for r in analysis.reads)
    return tuple(Field(root, root, None, root) for root in roots)


def _is_type_error(exc: Exception) -> bool:
    """Errors a dry run on well-typed values can only get from a wrong expression."""
    text = str(exc)
    return (
        isinstance(exc, TypeError)
        or "Undefined variable or function" in text
        or "not a valid regex" in text
    )


def _run(program: cel.Program, fields: Sequence[Field], roots: dict[str, dict[str, Any]]) -> Any:
    variables, _ = bind(fields, roots)
    try:
        return program.execute(make_context(variables))
    except Exception as exc:
        return exc


def _compile_rule(
    rule: Rule, index: int, known_features: Collection[str] | None
) -> tuple[CompiledRule | None, list[RuleProblem]]:
    expression = rule.expression
    tokens = tokenize(expression)

    def problem(code: str, message: str, offset: int | None = None) -> RuleProblem:
        if offset is None:
            return RuleProblem(rule.id, index, code, message)
        line, column = _position(expression, offset)
        return RuleProblem(rule.id, index, code, message, line, column)

    too_complex = complexity(tokens)
    if too_complex is not None:
        return None, [problem(too_complex.code, too_complex.message, too_complex.start)]
    try:
        original = cel.compile(expression)
    except Exception as exc:  # the binding raises ValueError for every parse error
        found = _CEL_POSITION.search(str(exc))
        if found is None:
            return None, [problem("syntax", str(exc)[:300])]
        line, column = int(found.group(1)), int(found.group(2))
        return None, [RuleProblem(rule.id, index, "syntax", found.group(3)[:300], line, column)]

    analysis = analyse(tokens, ROOTS)
    problems = [problem(p.code, p.message, p.start) for p in analysis.problems]
    for name in original.variables():
        if name in ROOTS or name in analysis.bound or name in BUILTIN_NAMES:
            continue
        start = next((t.start for t in tokens if t.kind == "ident" and t.text == name), None)
        known = ", ".join(sorted(ROOTS))
        problems.append(problem("unknown_variable", f"unknown variable {name!r} ({known})", start))
    for message, read in _check_reads(analysis.reads, known_features):
        start = next((t.start for t in tokens if read.key in (t.text, t.value)), None)
        problems.append(problem("unknown_field", message, start))
    if problems:
        return None, problems

    # The flat form is what runs; the expression as written, on one map per root, is the
    # reference. Should the two ever disagree on the dry runs, the rule runs as written
    # (slower, never wrong).
    flat_fields = _fields(analysis)
    try:
        flat = cel.compile(rewrite(expression, analysis.occurrences))
    except Exception:
        flat = None
    for truthy in (True, False):
        roots = _sample(analysis.reads, truthy)
        expected = _run(original, _whole_roots(analysis), roots)
        if isinstance(expected, Exception):
            if _is_type_error(expected):
                hint = "; CEL never mixes int and double: write double(tx.amount) * 1.5"
                message = f"fails on typical values: {expected}".split(". Check ")[0]
                return None, [problem("type_error", message[:400] + hint)]
        elif not isinstance(expected, bool):
            return None, [problem("not_boolean", f"gives {type(expected).__name__}, not a bool")]
        if flat is not None:
            got = _run(flat, flat_fields, roots)
            same = type(got) is type(expected) and (isinstance(got, Exception) or got == expected)
            if not same:
                flat = None
    if flat is None:
        return CompiledRule(rule, original, _whole_roots(analysis)), []
    return CompiledRule(rule, flat, flat_fields), []


def compile_rule_set(
    rule_set: RuleSet, *, known_features: Collection[str] | None = None
) -> CompiledRuleSet:
    """Compile every rule (disabled ones too, so enabling one later cannot break the set).

    ``known_features``, when given, is the feature engine's catalogue: a feature name
    outside it is an error rather than a rule that would never fire. Raises
    :class:`RuleSetInvalid` listing every problem of every rule.
    """
    compiled: list[CompiledRule] = []
    problems: list[RuleProblem] = []
    for index, rule in enumerate(rule_set.rules):
        done, found = _compile_rule(rule, index, known_features)
        problems.extend(found)
        if done is not None:
            compiled.append(done)
    if problems:
        raise RuleSetInvalid(problems)
    return CompiledRuleSet(rule_set, compiled)
