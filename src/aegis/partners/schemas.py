"""API models for tenants and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, StringConstraints

from aegis.auth.context import Scope
from aegis.risk.rules.facts import Limits

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
    risk_rule_set: ListName = Field(
        "default",
        description="The rule set whose published version decides this tenant's transactions "
        "(`default`: Aegis's default pack until the tenant publishes its own version).",
    )
    risk_limits: Limits = Field(
        default_factory=Limits,
        description="The numbers the rules compare with (`limits.*`), in minor units of the "
        "tenant's settlement currency. See docs/risk-rules.md.",
    )
    risk_label_delay_days: int = Field(
        7,
        ge=0,
        le=180,
        description="Days after it is reported before a label (chargeback, confirmed fraud) "
        "feeds the features, as a real chargeback feed lags.",
    )
    risk_screen_counterparties: bool = Field(
        True, description="Screen payee names against the tenant's sanctions lists at intake."
    )
    risk_max_future_skew_seconds: int = Field(
        300, ge=0, le=86_400, description="How far in the future a transaction time may be."
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
    risk_rule_set: ListName | None = None
    risk_limits: Limits | None = None
    risk_label_delay_days: int | None = Field(None, ge=0, le=180)
    risk_screen_counterparties: bool | None = None
    risk_max_future_skew_seconds: int | None = Field(None, ge=0, le=86_400)


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
