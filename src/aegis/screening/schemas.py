"""API models for screening: ad hoc screenings, hits and their review, lists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from aegis.kyc.schemas import Country
from aegis.partners.schemas import ListName

NameText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
IsoDatePrefix = Annotated[
    str, StringConstraints(pattern=r"^[12][0-9]{3}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$")
]
IdNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScreeningRequest(Strict):
    """Who to screen. PII goes in the body, never in the URL; it is not stored."""

    name: NameText = Field(description="Full name, in any script and any order.")
    aliases: list[NameText] = Field(
        default_factory=list, max_length=10, description="Other names, e.g. the native script."
    )
    type: Literal["person", "organization", "vessel", "aircraft"] | None = Field(
        None, description="Unset: any type."
    )
    birth_date: IsoDatePrefix | None = Field(
        None, description="`YYYY`, `YYYY-MM` or `YYYY-MM-DD`: supporting or contradicting."
    )
    countries: list[Country] = Field(
        default_factory=list, max_length=10, description="Nationality or residence (alpha-2)."
    )
    id_numbers: list[IdNumber] = Field(default_factory=list, max_length=10)
    lists: list[ListName] | None = Field(
        None, description="Only these of the tenant's lists (default: all of them)."
    )
    threshold: float | None = Field(
        None, ge=0.5, le=1.0, description="Default: the tenant's threshold."
    )


class FeatureOut(BaseModel):
    value: float
    weight: float
    contribution: float = Field(description="What the feature added to (or took from) the score.")
    detail: str


class MatchOut(BaseModel):
    entity_id: str = Field(description="The entity's key in its list (e.g. OFAC `ent_num`).")
    list_name: str = Field(alias="list", description="The list's name, e.g. `ofac-sdn`.")
    name: str = Field(description="The entity's primary name as published.")
    matched_name: str = Field(description="The name or alias that matched.")
    score: float
    type: str
    programs: list[str]
    features: dict[str, FeatureOut]


class ScreeningOut(BaseModel):
    hits: list[MatchOut] = Field(description="Best first.")
    lists: list[str] = Field(description="The lists screened against.")
    threshold: float


class HitOut(BaseModel):
    id: str
    status: str = Field(description="`open`, `confirmed`, `false_positive` or `closed`.")
    subject_type: str
    subject_id: str
    list_name: str = Field(alias="list", description="The list's name, e.g. `ofac-sdn`.")
    list_version: int
    entity_id: str
    name: str | None
    matched_name: str | None
    score: float
    origin: str = Field(description="`onboarding` or `rescreen` (a list changed).")
    features: dict[str, FeatureOut]
    reason: str | None = Field(description="The reviewer's reason.")
    decided_by: str | None
    decided_at: datetime | None
    closed_reason: str | None = Field(description="`entity_removed` or `entity_changed`.")
    created_at: datetime


class HitEvidence(BaseModel):
    """The customer and the list entity side by side, with how they matched."""

    hit: HitOut
    subject: dict[str, Any]
    entity: dict[str, Any] | None


class HitDecision(Strict):
    decision: Literal["true_positive", "false_positive"] = Field(
        description="`true_positive` blocks the customer; `false_positive` is remembered "
        "for this customer and this entity until the entity's record changes."
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]


class ListOut(BaseModel):
    id: str
    name: str
    format: str
    source: str
    version: int
    entities: int
    published: date | None
    loaded_at: datetime | None
    used_by_tenant: bool = Field(description="Whether this tenant screens against it.")
