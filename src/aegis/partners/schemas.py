"""API models for tenants and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, StringConstraints

from aegis.auth.context import Scope

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# A list's name as loaded (`ofac-sdn`, `un`...), or `*`.
ListName = Annotated[str, StringConstraints(pattern=r"^(\*|[a-z0-9][a-z0-9._-]{0,63})$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TenantSettings(Strict):
    """Per-tenant configuration. Later capabilities add their sections here."""

    pii_retention_days: int = Field(
        1825,
        ge=30,
        le=3650,
        description="Keep applicant PII this long after the relationship ends.",
    )
    webhook_event_types: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Event types this tenant's endpoints may subscribe to (`*` for all).",
    )
    ip_allowlist: list[IPvAnyNetwork] = Field(
        default_factory=list,
        max_length=100,
        description="CIDR blocks allowed to call the API (matched against the TCP peer); "
        "empty allows all. Takes effect within `auth_cache_seconds`.",
    )
    screening_lists: list[ListName] = Field(
        default_factory=lambda: ["*"],
        max_length=50,
        description="Names of the sanctions and PEP lists this tenant screens against "
        "(see `GET /v1/screening/lists`); `*` for every loaded list.",
    )
    screening_threshold: float | None = Field(
        None,
        ge=0.5,
        le=1.0,
        description="Score at or above which a name is a possible match; unset: Aegis's "
        "default (see docs/screening.md on tuning it).",
    )


class TenantOut(BaseModel):
    id: str = Field(examples=["ten_01jd3x4y5z6a7b8c9d0e1f2g3h"])
    name: str
    status: str
    settings: TenantSettings
    created_at: datetime


class TenantSettingsPatch(Strict):
    """Only the settings named change."""

    pii_retention_days: int | None = Field(None, ge=30, le=3650)
    webhook_event_types: list[str] | None = None
    ip_allowlist: list[IPvAnyNetwork] | None = Field(None, max_length=100)
    screening_lists: list[ListName] | None = Field(None, max_length=50)
    screening_threshold: float | None = Field(None, ge=0.5, le=1.0)


class TenantUpdate(Strict):
    name: Name | None = None
    settings: TenantSettingsPatch | None = None


class ApiKeyCreate(Strict):
    name: Name = Field(description="What the key is for, e.g. `onboarding service`.")
    scopes: list[Scope] = Field(min_length=1, max_length=5)
    expires_at: datetime | None = Field(None, description="Optional expiry (UTC).")


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="First characters of the secret, to recognise the key.")
    scopes: list[Scope]
    status: str = Field(description="`active`, `revoked` or `expired`.")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    rotated_from: str | None


class ApiKeyWithSecret(ApiKeyOut):
    secret: str = Field(description="Shown once. Aegis keeps only its hash.")


class ApiKeyRotate(Strict):
    grace_seconds: int = Field(
        0,
        ge=0,
        le=7 * 86400,
        description="How long the old key keeps working after rotation (0: revoke now).",
    )
