from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema


class ContactRole(StrEnum):
    MLRO = "mlro"
    COMPLIANCE = "compliance"
    TECHNICAL = "technical"
    BILLING = "billing"


def _phone(value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number in international format (+CC...)") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(_phone)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Notes = Annotated[str, StringConstraints(max_length=2000)]


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: ContactRole
    name: PersonName
    email: EmailStr
    phone: Phone | None = Field(None, description="E.164, e.g. `+447911123456`.")
    notes: Notes | None = None


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Optional but not nullable: the service answers 422 to an explicit null, so the schema
    # must not advertise one (phone and notes may be cleared with null).
    role: ContactRole | SkipJsonSchema[None] = None
    name: PersonName | SkipJsonSchema[None] = None
    email: EmailStr | SkipJsonSchema[None] = None
    phone: Phone | None = None
    notes: Notes | None = None


class ContactSearch(BaseModel):
    """Exact lookup through blind indexes; PII goes in the body, never in the URL."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    phone: Phone | None = None


class ContactOut(BaseModel):
    id: str
    role: ContactRole
    name: str
    email: str
    phone: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime
