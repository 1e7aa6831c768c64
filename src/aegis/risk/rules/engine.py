"""Evaluate a compiled rule set for one decision, and record every rule execution.

Evaluation never raises for a rule: an expression that fails at decision time (an absent
feature read without ``has()``, a null compared with a number) counts as not hit, and the
error is kept in its execution record.

Most rules run as Python closures (:mod:`aegis.risk.rules.native`) on the values of the
fields they read; a closure that cannot promise CEL's answer declines and the rule's CEL
program runs. For those, each field reaches CEL as one flat variable (the compiler
rewrote ``tx.amount`` into ``_tx_amount``, see
:func:`~aegis.risk.rules.references.rewrite`), only the fields some rule reads are
converted, and the CEL context is built once per decision at the first rule that needs it:
CEL's conversion of Python values was most of a decision's cost.
"""

from __future__ import annotations

import math
import re
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import cel

from aegis.risk._build import maker
from aegis.risk.model import Outcome
from aegis.risk.rules._runner import Run, runner
from aegis.risk.rules.facts import ROOTS, Variables
from aegis.risk.rules.native import ABSENT, compile_native
from aegis.risk.rules.references import tokenize
from aegis.risk.rules.schema import Rule, RuleSet, Threshold, outcome_for_score

__all__ = ["CompiledRuleSet", "Evaluation", "RuleExecution"]

_UNDEFINED = re.compile(r"Undefined variable or function: '([A-Za-z0-9_]+)'")
_EMPTY: Mapping[str, Any] = {}
_ABSENT: Any = ABSENT  # a key not in its map (distinct from a null value)


class RuleExecution(NamedTuple):
    """One rule run for one decision. ``score`` and ``outcome`` are what the rule
    contributed: its modifier and forced outcome when hit, 0 and None otherwise.
    ``values`` maps each field the expression reads to what it held (None for null or
    absent), so that the decision can be explained later.

    A named tuple rather than a frozen dataclass: as immutable, and a third of the cost to
    build, which counts at some twenty per decision."""

    rule_id: str
    name: str
    hit: bool
    score: int
    outcome: Outcome | None
    values: dict[str, Any]
    duration_us: float
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "name": self.name,
            "hit": self.hit,
            "score": self.score,
            "outcome": self.outcome._value_ if self.outcome is not None else None,
            "values": self.values,
            "duration_us": round(self.duration_us, 2),
            "error": self.error,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """A rule set's answer for one decision. ``outcome`` is the most severe of
    ``score_outcome`` (the thresholds' answer for ``total_score``) and every hit rule's
    forced outcome; ``decided_by`` names the hit rules that force that very outcome (empty
    when the score alone reached it)."""

    rule_set: str
    version: int
    total_score: int
    score_outcome: Outcome
    outcome: Outcome
    decided_by: tuple[str, ...]
    executions: tuple[RuleExecution, ...]
    duration_us: float

    @property
    def hits(self) -> tuple[RuleExecution, ...]:
        return tuple(e for e in self.executions if e.hit)

    @property
    def errors(self) -> tuple[RuleExecution, ...]:
        return tuple(e for e in self.executions if e.error is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_set": self.rule_set,
            "version": self.version,
            "total_score": self.total_score,
            # _value_: the same string as .value, without the enum property's cost
            "score_outcome": self.score_outcome._value_,
            "outcome": self.outcome._value_,
            "decided_by": list(self.decided_by),
            # RuleExecution.to_dict inlined: evidence is stored for every decision
            "executions": [
                {
                    "rule_id": rule_id,
                    "name": name,
                    "hit": hit,
                    "score": score,
                    "outcome": outcome._value_ if outcome is not None else None,
                    "values": values,
                    "duration_us": round(duration_us, 2),
                    "error": error,
                }
                for rule_id, name, hit, score, outcome, values, duration_us, error in (
                    self.executions
                )
            ],
            "duration_us": round(self.duration_us, 2),
        }


_evaluation = maker(Evaluation)  # Evaluation(...) without its __init__'s cost


@dataclass(frozen=True, slots=True)
class Field:
    """One field as the engine hands it to CEL: ``name`` holds the value of
    ``roots[root][key]`` (the whole root map when key is None); ``presence``, when set,
    names a bool telling whether the key is there."""

    label: str  # as execution records name it: tx.amount
    root: str
    key: str | None
    name: str
    presence: str | None = None


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    program: cel.Program
    fields: tuple[Field, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(f.label for f in self.fields)


def _double(value: Any) -> Any:
    """A feature as CEL gets it: a double (CEL never mixes int and double in arithmetic),
    or absent (``_ABSENT``) for NaN, the feature engine's "unknown" (NaN fails every CEL
    comparison; absence is what has() tests) and for anything that is no number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return _ABSENT
    return number if number == number else _ABSENT


def make_context(variables: dict[str, Any]) -> cel.Context:
    """A CEL context for the variables; one CEL cannot take (a value of a type it does
    not know, from a hand-built Variables) is left out, so only the rules reading it fail."""
    try:
        return cel.Context(variables)
    except Exception:
        context = cel.Context()
        for name, value in variables.items():
            try:
                context.add_variable(name, value)
            except Exception:  # noqa: S112 - absent is the documented fallback
                continue
        return context


_SCALARS = frozenset({bool, int, float, str, type(None)})
_MAX_CONTEXTS = 64  # per thread: one per set of defined variables seen lately


class _Contexts(threading.local):
    """A thread's CEL contexts, one per set of variable names, with the values they hold.

    Converting every variable into CEL for each decision was the rules' largest cost; a
    context kept from the previous decision only needs the variables that changed. A
    context cannot forget a variable, and an absent field must stay undefined (a rule
    reading it without has() fails), so contexts are kept per set of names. Contexts are
    not thread safe, hence one cache per thread.
    """

    def __init__(self) -> None:
        self.by_names: dict[tuple[str, ...], tuple[cel.Context, dict[str, Any]]] = {}

    def get(self, variables: dict[str, Any]) -> cel.Context:
        names = tuple(variables)
        found = self.by_names.get(names)
        if found is None:
            try:
                context = cel.Context(variables)
            except Exception:  # a value CEL cannot take: built afresh every time
                return make_context(variables)
            if len(self.by_names) >= _MAX_CONTEXTS:
                self.by_names.clear()
            self.by_names[names] = (context, dict(variables))
            return context
        context, held = found
        changed = _changed(held, variables)
        if changed:
            try:
                context.update(changed)
            except Exception:
                del self.by_names[names]
                return make_context(variables)
            held.update(changed)
        return context


def _changed(held: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
    """The variables whose value differs from what the context holds. Only immutable
    scalars are compared (a list may have been changed in place); equal values of another
    type (1 == 1.0 == True) or a zero of another sign (CEL prints -0) count as changed."""
    changed: dict[str, Any] = {}
    for name, value in variables.items():
        old = held[name]
        kind = type(value)
        if (
            kind is type(old)
            and kind in _SCALARS
            and old == value
            and (kind is not float or value or math.copysign(1.0, old) == math.copysign(1.0, value))
        ):
            continue
        changed[name] = value
    return changed


def _recorders(
    rules: Sequence[tuple[str, ...]],
) -> Callable[[Mapping[str, Any]], tuple[dict[str, Any], ...]]:
    """A function copying each rule's ``labels`` out of the values seen, every rule's record
    at once: one call per decision instead of one per rule. It is written out as dict
    displays, a third of the cost of ``dict(zip(labels, itemgetter(*labels)(seen)))``."""
    displays = ", ".join(
        "{" + ", ".join(f"{label!r}: seen[{label!r}]" for label in labels) + "}" for labels in rules
    )
    record: Callable[[Mapping[str, Any]], tuple[dict[str, Any], ...]] = eval(  # noqa: S307
        f"lambda seen: ({displays}{',' if len(rules) == 1 else ''})"  # labels are reprs
    )
    return record


def _runner(static: Sequence[tuple[Any, ...]]) -> Run:
    return runner(
        [
            (rule_id, name, score, forces, native)
            for rule_id, name, score, forces, _, native in static
        ],
        RuleExecution,
        time.perf_counter_ns,
    )


def bind(
    fields: Sequence[Field], roots: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The CEL variables for ``fields`` (absent keys left undefined), and the value of each
    field by label (None when absent) for the execution records."""
    variables: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    for f in fields:
        source = roots.get(f.root) or _EMPTY
        if f.key is None:
            whole = dict(source)
            if f.root == "features":
                doubles = ((k, _double(v)) for k, v in whole.items())
                whole = {k: v for k, v in doubles if v is not _ABSENT}
            variables[f.name] = seen[f.label] = whole
            continue
        value = source.get(f.key, _ABSENT)
        if value is not _ABSENT and f.root == "features":
            value = _double(value)
        if value is _ABSENT:
            seen[f.label] = None
            if f.presence is not None:
                variables[f.presence] = False
        else:
            variables[f.name] = seen[f.label] = value
            if f.presence is not None:
                variables[f.presence] = True
    return variables, seen


def describe(exc: Exception, labels: Mapping[str, str]) -> str:
    """A short message for a rule's failure, naming fields as the rule wrote them."""
    text = str(exc)
    missing = _UNDEFINED.search(text)
    if missing is not None and missing.group(1) in labels:
        return f"no value for {labels[missing.group(1)]} (absent; test it with has())"
    if isinstance(exc, KeyError):
        return f"no value for {exc.args[0]!r} (absent; test it with has())"
    text = text.split(". Check ", 1)[0]  # the library's generic advice
    return f"{type(exc).__name__}: {text}"[:500]


def _literal(value: Any) -> str | None:
    """``value`` as a CEL literal of the same type, or None when it has none."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        text = repr(value)
    else:
        text = str(value)
    return f"({text})" if text.startswith("-") else text


@dataclass(frozen=True, slots=True)
class _Specialised:
    """The programs for one set of limit values, with those values written in."""

    programs: tuple[cel.Program, ...]
    variables: dict[str, Any]  # limits still bound as variables (not written in)
    seen: dict[str, Any]


_MISSING = object()
_MAX_SPECIALISED = 32


class CompiledRuleSet:
    """A rule set compiled once (per version) and evaluated for every decision. Made by
    :func:`~aegis.risk.rules.compile_rule_set`. Thread safe: evaluation only reads it
    (the cache of specialised programs is filled idempotently)."""

    def __init__(self, rule_set: RuleSet, compiled: Sequence[CompiledRule]) -> None:
        self.rule_set = rule_set
        self._rules = tuple(c for c in compiled if c.rule.enabled)
        self._thresholds: tuple[Threshold, ...] = rule_set.thresholds
        # outcome_for_score's lists, made once rather than at every decision
        self._min_scores = tuple(t.min_score for t in self._thresholds)
        self._outcomes = tuple(t.outcome for t in self._thresholds)
        merged: dict[tuple[str, str | None], Field] = {}
        for c in self._rules:
            for f in c.fields:
                known = merged.get((f.root, f.key))
                if known is None or (known.presence is None and f.presence is not None):
                    merged[(f.root, f.key)] = f
        fields = tuple(merged.values())
        self._fields = fields
        self._labels = {f.name: f.label for f in fields}
        self._labels.update({f.presence: f.label for f in fields if f.presence})
        self._static = tuple(
            (
                c.rule.id,
                c.rule.name,
                c.rule.score,
                c.rule.outcome,
                c.labels,
                # rules run as written on whole maps (see the compiler) stay on CEL
                compile_native(c.rule.expression, ROOTS)
                if all(f.key is not None for f in c.fields)
                else None,
            )
            for c in self._rules
        )
        self._records = _recorders([c.labels for c in self._rules])
        self._ran, self._run = self._static, _runner(self._static)
        self._contexts = _Contexts()
        # Limits are a tenant's constants: rather than converted into CEL at every
        # decision, they are written into the programs, once per distinct set of values.
        self._limits = tuple(f for f in fields if f.root == "limits" and f.key is not None)
        self._whole = tuple(f for f in fields if f.key is None)
        plan: dict[str, list[tuple[str, str, str, str | None]]] = {}
        for f in fields:
            if f.key is not None and f.root != "limits":
                plan.setdefault(f.root, []).append((f.key, f.name, f.label, f.presence))
        self._plan = tuple((root, tuple(keyed)) for root, keyed in plan.items())
        reads: dict[str, list[tuple[str, str]]] = {}
        for f in fields:
            if f.key is not None:
                reads.setdefault(f.root, []).append((f.key, f.label))
        self._reads = tuple((root, tuple(keyed)) for root, keyed in reads.items())
        self._specialised: dict[Any, _Specialised] = {}

    @property
    def name(self) -> str:
        return self.rule_set.name

    @property
    def version(self) -> int:
        return self.rule_set.version

    @property
    def features(self) -> frozenset[str]:
        """The feature names the enabled rules read (a rule reading ``features`` as a
        whole, with a computed name, is not counted)."""
        return frozenset(f.key for f in self._fields if f.root == "features" and f.key)

    def outcome_for_score(self, score: int) -> Outcome:
        return outcome_for_score(self._thresholds, score)

    def _specialise(self, limits: Mapping[str, Any]) -> _Specialised:
        values = tuple(limits.get(f.key, _MISSING) for f in self._limits)  # type: ignore[arg-type]
        # Types are part of the key: 5 == 5.0 in Python, not in CEL arithmetic.
        key = (values, tuple(map(type, values)))
        try:
            found = self._specialised.get(key)
        except TypeError:  # an unhashable limit (a hand-built Variables): nothing to cache
            return self._write_in(values, None)
        return found if found is not None else self._write_in(values, key)

    def _write_in(self, values: tuple[Any, ...], key: Any) -> _Specialised:
        """Programs with ``values`` written in, cached under ``key`` (None: not cached,
        nothing written in)."""
        literals: dict[str, str] = {}
        variables: dict[str, Any] = {}
        seen: dict[str, Any] = {}
        for f, value in zip(self._limits, values, strict=True):
            if value is _MISSING:
                seen[f.label] = None
                continue
            seen[f.label] = variables[f.name] = value
            literal = _literal(value) if key is not None else None
            if literal is not None:
                literals[f.name] = literal
        programs: list[cel.Program] = []
        unchanged = False
        for c in self._rules:
            written = _substitute(c.program, literals)
            unchanged = unchanged or written is None
            programs.append(c.program if written is None else written)
        if not unchanged:
            # Only what could not be written in (not a finite number) stays a variable.
            variables = {name: v for name, v in variables.items() if name not in literals}
        found = _Specialised(tuple(programs), variables, seen)
        if key is not None:
            if len(self._specialised) >= _MAX_SPECIALISED:
                self._specialised.clear()
            self._specialised[key] = found
        return found

    def _bind(
        self, roots: Mapping[str, Mapping[str, Any]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """:func:`bind` unrolled per root: the same result, in half the time."""
        variables: dict[str, Any] = {}
        seen: dict[str, Any] = {}
        for root, keyed in self._plan:
            source = roots.get(root) or _EMPTY
            features = root == "features"
            for key, name, label, presence in keyed:
                value = source.get(key, _ABSENT)
                if features and value is not _ABSENT:
                    value = _double(value)
                if value is _ABSENT:
                    seen[label] = None
                    if presence is not None:
                        variables[presence] = False
                else:
                    variables[name] = seen[label] = value
                    if presence is not None:
                        variables[presence] = True
        if self._whole:
            more, more_seen = bind(self._whole, roots)
            variables.update(more)
            seen.update(more_seen)
        return variables, seen

    def _read(
        self, roots: Mapping[str, Mapping[str, Any]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Every keyed field's value by label as the rules see it (a feature as a double,
        :data:`ABSENT` for a key not in its map or a NaN or non-numeric feature), and as
        execution records show it (None when absent)."""
        values: dict[str, Any] = {}
        seen: dict[str, Any] = {}
        for root, keyed in self._reads:
            source = roots.get(root) or _EMPTY
            features = root == "features"
            for key, label in keyed:
                value = source.get(key, _ABSENT)
                if value is _ABSENT:
                    seen[label] = None
                elif features:
                    if type(value) is not float:  # the engine's are; anything else converts
                        value = _double(value)
                    if value != value or value is _ABSENT:  # NaN: unknown
                        value = _ABSENT
                        seen[label] = None
                    else:
                        seen[label] = value
                else:
                    seen[label] = value
                values[label] = value
        return values, seen

    def _cel_context(
        self, roots: Mapping[str, Mapping[str, Any]]
    ) -> tuple[cel.Context, tuple[cel.Program, ...]]:
        """The CEL context of this decision's variables, and the programs to run on it."""
        specialised = self._specialise(roots.get("limits") or _EMPTY)
        bound, _ = self._bind(roots)
        if specialised.variables:
            bound.update(specialised.variables)
        return self._contexts.get(bound), specialised.programs

    def evaluate(self, variables: Variables) -> Evaluation:
        """Run every enabled rule once. Never raises for a rule's sake."""
        started = time.perf_counter_ns()
        roots = variables.roots
        values, seen = self._read(roots)
        if self._whole:
            seen.update(bind(self._whole, roots)[1])
        if self._ran is not self._static:  # a copy given other closures (the tests do)
            self._ran, self._run = self._static, _runner(self._static)
        # CEL only for the rules without a closure, or whose closure declined: built at the
        # first such rule (most decisions never need it)
        cel_state: list[tuple[cel.Context, tuple[cel.Program, ...]]] = []

        def run_cel(index: int) -> tuple[bool, str | None]:
            if not cel_state:
                cel_state.append(self._cel_context(roots))
            cel_context, programs = cel_state[0]
            try:
                result = programs[index].execute(cel_context)
            except Exception as exc:  # one rule's failure must not fail the decision
                return False, describe(exc, self._labels)
            if result is True or result is False:
                return result, None
            return False, f"the expression gave {type(result).__name__}, not a bool"

        executions, total, forced = self._run(values, self._records(seen), run_cel)
        score_outcome = self._outcomes[max(bisect_right(self._min_scores, total) - 1, 0)]
        outcome = score_outcome
        for forced_outcome, _ in forced:
            if forced_outcome.rank > outcome.rank:
                outcome = forced_outcome
        return _evaluation(
            rule_set=self.rule_set.name,
            version=self.rule_set.version,
            total_score=total,
            score_outcome=score_outcome,
            outcome=outcome,
            decided_by=tuple(rule_id for o, rule_id in forced if o is outcome),
            executions=tuple(executions),
            duration_us=(time.perf_counter_ns() - started) / 1000,
        )


def _substitute(program: cel.Program, literals: Mapping[str, str]) -> cel.Program | None:
    """``program`` with the named variables replaced by literals (compiled anew), or None
    should that fail (the caller then binds them as variables)."""
    if not literals:
        return program
    source = program.source
    tokens = [t for t in tokenize(source) if t.kind == "ident" and t.text in literals]
    if not tokens:
        return program
    for token in reversed(tokens):
        end = token.start + len(token.text)
        source = f"{source[: token.start]}{literals[token.text]}{source[end:]}"
    try:
        return cel.compile(source)
    except Exception:
        return None
