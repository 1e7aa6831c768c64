"""Verification levels: what an applicant must provide, which checks run, what they lead to.

A level is versioned data. A tenant may publish its own version of any level; an
applicant keeps the version it started under, so a policy change never rewrites how a
past decision was made.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Step(StrEnum):
    IDENTITY_DATA = "identity_data"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    DOCUMENT = "document"
    SELFIE = "selfie"
    PROOF_OF_ADDRESS = "proof_of_address"
    SANCTIONS = "sanctions"
    LIVENESS = "liveness"  # an answered active-liveness challenge (opt-in for a level)


class Check(StrEnum):
    ID_NUMBER = "id_number"
    PHONE = "phone"
    PHONE_OWNERSHIP = "phone_ownership"
    EMAIL = "email"
    REGISTRY = "registry"
    BANK_CARD = "bank_card"
    DUPLICATES = "duplicates"
    VELOCITY = "velocity"
    DOCUMENTS = "documents"
    SANCTIONS = "sanctions"


Action = Literal["reject", "resubmit", "review"]


class VelocityRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Literal["ip", "device", "phone_prefix", "email_domain"]
    window_seconds: int = Field(ge=60, le=30 * 86400)
    max_count: int = Field(ge=1, le=100_000, description="More registrations than this: flag.")


class ReviewPeriods(BaseModel):
    """Days between periodic reviews by risk rating."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    high: int = Field(365, ge=1)
    medium: int = Field(730, ge=1)
    low: int = Field(1095, ge=1)


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_resubmissions: int = Field(3, ge=0, le=20)
    review_sla_hours: int = Field(24, ge=1, le=720)
    velocity: tuple[VelocityRule, ...] = (
        VelocityRule(key="ip", window_seconds=3600, max_count=5),
        VelocityRule(key="device", window_seconds=86400, max_count=3),
        VelocityRule(key="phone_prefix", window_seconds=3600, max_count=20),
        VelocityRule(key="email_domain", window_seconds=600, max_count=30),
    )
    reverify_before_expiry_days: int = Field(30, ge=0, le=365)
    periodic_review_days: ReviewPeriods = Field(default_factory=lambda: ReviewPeriods())


class LevelPolicy(BaseModel):
    """One version of a level. ``outcomes`` overrides what a failed check leads to; by
    default a hard reason rejects (or asks to resubmit when the applicant can fix it)
    and a soft reason sends the applicant to review."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,39}$")
    description: str = ""
    steps: tuple[Step, ...]
    checks: tuple[Check, ...]
    outcomes: dict[Check, Action] = Field(default_factory=dict)
    four_eyes: bool = Field(False, description="Every review needs a second reviewer.")
    four_eyes_risk: Literal["high", "medium", "never"] = Field(
        "high", description="Risk rating from which a review needs a second reviewer."
    )
    thresholds: Thresholds = Field(default_factory=Thresholds)

    @model_validator(mode="after")
    def _coherent(self) -> LevelPolicy:
        """Refuse levels that would approve on nothing, or check what is never collected."""
        if Step.IDENTITY_DATA not in self.steps:
            raise ValueError("every level collects identity_data")
        if not self.checks:
            raise ValueError("a level without checks would approve every applicant")
        needs = {
            Check.PHONE_OWNERSHIP: Step.PHONE,
            Check.DOCUMENTS: Step.DOCUMENT,
            Check.SANCTIONS: Step.SANCTIONS,
        }
        for check, step in needs.items():
            if check in self.checks and step not in self.steps:
                raise ValueError(f"the {check.value} check needs the {step.value} step")
        return self


_BASIC_STEPS = (Step.IDENTITY_DATA, Step.ID_NUMBER, Step.PHONE)
_BASIC_CHECKS = (
    Check.ID_NUMBER,
    Check.PHONE,
    Check.PHONE_OWNERSHIP,
    Check.EMAIL,
    Check.REGISTRY,
    Check.BANK_CARD,
    Check.DUPLICATES,
    Check.VELOCITY,
)

DEFAULT_LEVELS: dict[str, LevelPolicy] = {
    "basic": LevelPolicy(
        name="basic",
        description="Identity data, ID number and a verified phone.",
        steps=_BASIC_STEPS,
        checks=_BASIC_CHECKS,
    ),
    "standard": LevelPolicy(
        name="standard",
        description="Basic, plus an identity document and a selfie.",
        steps=(*_BASIC_STEPS, Step.DOCUMENT, Step.SELFIE),
        checks=(*_BASIC_CHECKS, Check.DOCUMENTS),
    ),
    "enhanced": LevelPolicy(
        name="enhanced",
        description="Standard, plus proof of address, sanctions screening and four-eyes review.",
        steps=(*_BASIC_STEPS, Step.DOCUMENT, Step.SELFIE, Step.PROOF_OF_ADDRESS, Step.SANCTIONS),
        checks=(*_BASIC_CHECKS, Check.DOCUMENTS, Check.SANCTIONS),
        four_eyes=True,
    ),
}
