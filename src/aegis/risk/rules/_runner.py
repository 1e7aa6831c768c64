"""The loop over a rule set's rules, unrolled into one generated function.

Per rule, the loop spent more on itself (unpacking the rule's constants, indexing its
record, branching on what it gave) than most closures spend answering. Unrolled, each
rule's id, name, score and outcome are constants of the code and its closure and record
are locals; what a rule does is unchanged: its closure answers, or declines (raises
:class:`Fallback`, or gives something other than a bool) and ``cel(index)`` runs its CEL
program, and its duration covers both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aegis.risk.model import Outcome
from aegis.risk.rules.native import Fallback, Native

__all__ = ["Cel", "Run", "runner"]

# the rule's position -> (hit, error): its CEL program's answer
Cel = Callable[[int], tuple[bool, str | None]]
# (values, records, cel) -> (executions, total score, forced outcomes with their rule ids)
Run = Callable[
    [dict[str, Any], Sequence[dict[str, Any]], Cel],
    tuple[list[Any], int, list[tuple[Outcome, str]]],
]
Rule = tuple[str, str, int, Outcome | None, Native | None]  # id, name, score, forces, closure


def runner(rules: Sequence[Rule], execution: type, clock: Callable[[], int]) -> Run:
    """A function running ``rules`` in order and recording each as an ``execution`` (a
    named tuple: rule_id, name, hit, score, outcome, values, duration_us, error)."""
    namespace: dict[str, Any] = {
        "Fallback": Fallback,
        "new": tuple.__new__,  # a named tuple without its Python-level __new__
        "E": execution,
        "clock": clock,
    }
    lines = [
        "def run(values, records, cel):",
        "    total = 0",
        "    forced = []",
        "    executions = []",
        "    add = executions.append",
    ]
    for index, (rule_id, name, score, forces, native) in enumerate(rules):
        outcome = "None"
        if forces is not None:
            outcome = namespace[f"o{index}"] = forces
            outcome = f"o{index}"
        hit = (
            f"add(new(E, ({rule_id!r}, {name!r}, True, {score!r}, {outcome}, records[{index}],"
            " (clock() - t0) / 1000, None)))"
        )
        miss = (
            f"add(new(E, ({rule_id!r}, {name!r}, False, 0, None, records[{index}],"
            " (clock() - t0) / 1000, error)))"
        )
        scored = [f"total += {score!r}"]
        if forces is not None:
            scored.append(f"forced.append(({outcome}, {rule_id!r}))")
        lines.append("    t0 = clock()")
        if native is not None:
            namespace[f"n{index}"] = native
            lines += [
                "    try:",
                f"        result = n{index}(values)",
                "    except Fallback:",
                "        result = None",  # declined, as any value but a bool
                "    if result is True:",
                f"        {hit}",
                *(f"        {line}" for line in scored),
                "    elif result is False:",
                "        error = None",
                f"        {miss}",
                "    else:",
            ]
        else:
            lines.append("    if True:")
        lines += [
            f"        result, error = cel({index})",
            "        if result:",
            f"            {hit}",
            *(f"            {line}" for line in scored),
            "        else:",
            f"            {miss}",
        ]
    lines.append("    return executions, total, forced")
    exec(compile("\n".join(lines), "<aegis-rules>", "exec"), namespace)  # noqa: S102
    run: Run = namespace["run"]
    return run
