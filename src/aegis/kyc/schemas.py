"""API models for applicants. The profile is PII: it is encrypted as one vault value."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)

from aegis.kit.time import utcnow


def _country(value: str) -> str:
    value = value.upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("not an ISO 3166-1 alpha-2 country code")
    return value


Country = Annotated[str, StringConstraints(min_length=2, max_length=2), AfterValidator(_country)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdType(StrEnum):
    NATIONAL_ID = "national_id"
    PASSPORT = "passport"
    DRIVER_LICENCE = "driver_licence"
    RESIDENCE_PERMIT = "residence_permit"
    HK_MACAU_PERMIT = "hk_macau_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"


class RiskRating(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Address(Strict):
    line1: Text
    line2: Annotated[str, StringConstraints(max_length=200)] | None = None
    city: Text
    region: Annotated[str, StringConstraints(max_length=100)] | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    country: Country


def _past(value: date) -> date:
    if value > date.today():
        raise ValueError("must not be in the future")
    if value.year < 1900:
        raise ValueError("must be after 1900")
    return value


class Profile(Strict):
    first_name: Text = Field(description="Given name(s) in Latin script.")
    last_name: Text = Field(description="Family name in Latin script.")
    native_name: Text | None = Field(None, description="Full name in native script, e.g. 张伟.")
    date_of_birth: Annotated[date, AfterValidator(_past)]
    nationality: Country
    address: Address | None = None
    phone: Annotated[str, StringConstraints(min_length=4, max_length=32)] = Field(
        description="With country code, e.g. `+8613800138000`."
    )
    email: EmailStr
    id_type: IdType
    id_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]
    id_country: Country = Field(description="Country that issued the ID.")
    id_expiry_date: date | None = None
    card_number: Annotated[str, StringConstraints(pattern=r"^[0-9 -]{12,23}$")] | None = Field(
        None, description="Bank card for 2/3/4-element verification (levels that ask for it)."
    )


class ProfilePatch(Strict):
    first_name: Text | None = None
    last_name: Text | None = None
    native_name: Text | None = None
    date_of_birth: Annotated[date, AfterValidator(_past)] | None = None
    nationality: Country | None = None
    address: Address | None = None
    phone: Annotated[str, StringConstraints(min_length=4, max_length=32)] | None = None
    email: EmailStr | None = None
    id_type: IdType | None = None
    id_number: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)] | None
    ) = None
    id_country: Country | None = None
    id_expiry_date: date | None = None
    card_number: Annotated[str, StringConstraints(pattern=r"^[0-9 -]{12,23}$")] | None = None


class Consent(Strict):
    accepted: Literal[True] = Field(description="Must be true: no consent, no processing.")
    terms_version: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    accepted_at: datetime | None = Field(None, description="When the user accepted (UTC).")

    @field_validator("accepted_at")
    @classmethod
    def _not_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a timezone (UTC)")
        if value is not None and value > utcnow():
            raise ValueError("must not be in the future")
        return value


class ApplicantCreate(Strict):
    level: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,39}$")] = "basic"
    external_id: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        None, description="Your own reference for this user (not PII, please)."
    )
    profile: Profile
    consent: Consent
    risk_rating: RiskRating = RiskRating.LOW
    device_id: Annotated[str, StringConstraints(max_length=128)] | None = Field(
        None, description="Your device fingerprint for the user's device."
    )
    ip_address: IPv4Address | IPv6Address | None = Field(
        None, description="The user's IP address as you saw it."
    )
    submit: bool = Field(
        False,
        description=(
            "Submit at once, as `POST /v1/applicants/{id}/submit` would: for a level whose"
            " steps are all in this request. If a step is missing, nothing is created (409)."
        ),
    )


class ApplicantUpdate(Strict):
    profile: ProfilePatch | None = None
    risk_rating: RiskRating | None = None
    external_id: Annotated[str, StringConstraints(max_length=100)] | None = None


class ReasonOut(BaseModel):
    code: str
    hint_en: str
    hint_zh: str


class ApplicantOut(BaseModel):
    id: str
    external_id: str | None
    level: str
    level_version: int
    status: str
    risk_rating: str
    attempt: int
    profile: dict[str, Any]
    phone_verified: bool
    missing_steps: list[str] = Field(description="What must still be provided before submitting.")
    resubmission_steps: list[str]
    reasons: list[ReasonOut]
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None


class CheckOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    check: str
    outcome: str
    codes: list[str]
    details: dict[str, Any]
    attempt: int
    created_at: datetime


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    codes: list[str]
    actor: str
    note: str | None
    created_at: datetime


class PhoneCodeConfirm(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
