"""API models for the risk engine's responses, labels, lists and account restrictions.
The transaction body itself is ``aegis.risk.intake.TransactionIn``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from aegis.risk.lists import ListKind, ListType

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
CustomerId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleHitOut(BaseModel):
    rule_id: str
    name: str
    score: int
    outcome: str | None


class ModelReasonOut(BaseModel):
    feature: str
    contribution: float = Field(description="How much it pushed the score (log-odds).")
    value: float | None


class ModelOut(BaseModel):
    version: str
    score: float = Field(description="Probability of fraud, 0..1.")
    reasons: list[ModelReasonOut] = Field(description="Strongest first.")


class DecisionOut(BaseModel):
    id: str = Field(examples=["dec_01jd3x4y5z6a7b8c9d0e1f2g3h"])
    transaction_id: str = Field(description="Aegis's id of the transaction (`txn_...`).")
    external_id: str = Field(description="Your id of the transaction.")
    outcome: Literal["approve", "review", "step_up", "decline"]
    score: int = Field(description="The rules' total score.")
    rule_set: str | None
    rule_set_version: int | None
    reasons: list[RuleHitOut] = Field(description="The rules that hit, strongest first.")
    model: ModelOut | None = Field(description="The champion model's score, when there is one.")
    replayed: bool = Field(description="This transaction id was decided before: same answer.")
    duration_us: int
    created_at: datetime


class RuleExecutionOut(BaseModel):
    rule_id: str
    name: str
    hit: bool
    score: int
    outcome: str | None
    values: dict[str, Any] = Field(description="The values the expression read.")
    duration_us: float
    error: str | None


class DecisionExplained(DecisionOut):
    """Everything the decision was made from, for an investigator or a regulator."""

    score_outcome: str = Field(description="The outcome the total score alone maps to.")
    decided_by: list[str] = Field(description="Rules whose forced outcome set the result.")
    executions: list[RuleExecutionOut] = Field(description="Every rule, hit or not.")
    features: dict[str, float]
    lists: dict[str, Any]
    challenger: ModelOut | None = Field(description="The shadow model, scored side by side.")
    transaction_status: str = Field(description="`decided`, `settled` or `rejected` (pacs.002).")


class LabelIn(Strict):
    transaction_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="Aegis's `txn_...` id, or your own id of the transaction."
    )
    kind: Literal["chargeback", "confirmed_fraud", "genuine"]
    reported_at: AwareDatetime | None = Field(
        None, description="When the label was reported (UTC); default now."
    )


class LabelOut(BaseModel):
    id: str
    transaction_id: str
    external_id: str
    kind: str
    reported_at: datetime
    usable_at: datetime = Field(
        description="From when features may use it: reported_at + the tenant's label delay."
    )


class ListEntryIn(Strict):
    list: ListType
    kind: ListKind
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    reason: Reason
    expires_at: AwareDatetime | None = None


class ListEntryOut(BaseModel):
    id: str
    list: ListType
    kind: ListKind
    value: str
    reason: str
    expires_at: datetime | None
    created_by: str
    created_at: datetime


class RestrictionIn(Strict):
    """PII (the customer id) goes in the body, never in the URL."""

    customer_id: CustomerId
    frozen: bool = Field(description="Frozen: every payment is declined.")
    limit_amount: int | None = Field(
        None, ge=0, description="A limited account: payments above this are declined."
    )
    reason: Reason


class RestrictionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    frozen: bool
    limit_amount: int | None
    reason: str
    updated_by: str
    updated_at: datetime


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    decision_id: str
    transaction_id: str
    outcome: str
    status: str
    created_at: datetime
