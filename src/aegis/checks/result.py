"""What every check returns: an outcome, reason codes and PII-free details.

Checks are pure where they can be (ID numbers, phone validity, Luhn) and go through ports
where an outside party answers (SMS gateway, bank, government registry). Either way the
result is data a decision policy can combine and an investigator can read later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    REVIEW = "review"  # a person must look: inconclusive, or an outside party did not answer


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: str
    outcome: Outcome
    codes: tuple[str, ...] = ()
    # Never PII: flags, counts, names of fields, ids of other records.
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def passed(cls, check: str, **details: Any) -> CheckResult:
        return cls(check, Outcome.PASS, (), details)

    @classmethod
    def failed(cls, check: str, *codes: str, **details: Any) -> CheckResult:
        return cls(check, Outcome.FAIL, codes, details)

    @classmethod
    def review(cls, check: str, *codes: str, **details: Any) -> CheckResult:
        return cls(check, Outcome.REVIEW, codes, details)
