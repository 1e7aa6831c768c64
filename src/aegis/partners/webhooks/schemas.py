from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

EventType = Annotated[
    str, StringConstraints(pattern=r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$", max_length=80)
]


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="HTTPS URL that receives POSTed events.")
    event_types: list[EventType] = Field(
        default_factory=lambda: ["*"],
        max_length=50,
        description="Event types to send: exact (`applicant.status_changed`), prefix "
        "(`applicant.*`) or `*`.",
    )
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    enabled: bool = True


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl | None = None
    event_types: list[EventType] | None = Field(None, max_length=50)
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    enabled: bool | None = None


class SecretRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_seconds: int = Field(
        86400, ge=0, le=7 * 86400, description="How long the old secret also signs."
    )


class EndpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="Signing secret; shown only now.")


class EventOut(BaseModel):
    id: str
    type: str
    created_at: datetime
    data: dict[str, Any]


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempt: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    event_id: str
    endpoint_id: str
    status: str = Field(description="`pending`, `succeeded` or `failed` (retries exhausted).")
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryDetail(DeliveryOut):
    log: list[AttemptOut]
