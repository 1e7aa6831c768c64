"""The decision: a pure function from a level and its check results to an outcome."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aegis.checks.result import CheckResult, Outcome
from aegis.kyc.levels import Check, LevelPolicy
from aegis.kyc.media_steps import MEDIA_CHECK_STEPS
from aegis.kyc.reasons import Severity, reason


class Verdict(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    RESUBMIT = "resubmission_requested"
    REVIEW = "in_review"


# Which step the applicant redoes to fix a check's failure.
CHECK_STEPS: dict[str, str] = {
    "id_number": "id_number",
    "registry": "id_number",
    "phone": "phone",
    "phone_ownership": "phone",
    "email": "identity_data",
    "bank_card": "identity_data",
    "documents": "document",
    **MEDIA_CHECK_STEPS,
}


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    codes: tuple[str, ...]
    resubmit_steps: tuple[str, ...] = ()


# Checks a level's ``outcomes`` address as one: every image check is a ``documents`` check.
CHECK_GROUPS: dict[str, Check] = dict.fromkeys(MEDIA_CHECK_STEPS, Check.DOCUMENTS)


def _action(level: LevelPolicy, result: CheckResult) -> str:
    known = result.check in {c.value for c in Check}
    group = Check(result.check) if known else CHECK_GROUPS.get(result.check)
    override = level.outcomes.get(group) if group is not None else None
    if override is not None:
        return override
    if result.outcome is Outcome.REVIEW:
        return "review"
    reasons = [reason(code) for code in result.codes] or None
    if reasons is None:
        return "review"
    if any(r.severity is Severity.HARD for r in reasons):
        return (
            "resubmit"
            if all(r.fixable for r in reasons if r.severity is Severity.HARD)
            else "reject"
        )
    return "review"


def decide(level: LevelPolicy, results: list[CheckResult], *, attempts_left: int) -> Decision:
    """Everything passes: approved. A hard failure: rejected, or resubmission when the
    applicant can fix it and has attempts left. Anything else: a person reviews."""
    actions: dict[str, list[CheckResult]] = {"reject": [], "resubmit": [], "review": []}
    for result in results:
        if result.outcome is not Outcome.PASS:
            actions[_action(level, result)].append(result)
    codes = tuple(
        dict.fromkeys(c for r in results if r.outcome is not Outcome.PASS for c in r.codes)
    )
    if actions["reject"]:
        return Decision(Verdict.REJECTED, codes)
    if actions["resubmit"]:
        if attempts_left <= 0:
            return Decision(Verdict.REJECTED, (*codes, "RESUBMISSION_LIMIT_REACHED"))
        steps = tuple(
            dict.fromkeys(CHECK_STEPS.get(r.check, "identity_data") for r in actions["resubmit"])
        )
        return Decision(Verdict.RESUBMIT, codes, steps)
    if actions["review"]:
        return Decision(Verdict.REVIEW, codes)
    return Decision(Verdict.APPROVED, ())
