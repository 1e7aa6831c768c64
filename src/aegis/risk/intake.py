"""The JSON body of ``POST /v1/transactions`` and its mapping to :class:`Transaction`.

Two layers of errors, both ending as RFC 9457 field pointers in the API:

* shape (a field missing, of the wrong type, out of range, unknown): pydantic's
  ``ValidationError``, which the API already renders;
* meaning (a time in the future beyond the clock skew, a currency that cannot pay):
  :class:`IntakeRejected`, a list of :class:`IntakeError` with JSON Pointers.

Names and account numbers are personal data: no message here quotes a submitted value.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    IPvAnyAddress,
    StringConstraints,
    model_validator,
)

from aegis.errors import FieldError, ValidationFailed
from aegis.ids import has_prefix
from aegis.kyc.schemas import Country
from aegis.risk.iso20022.currencies import (
    ACTIVE_CODES,
    MAX_MINOR_UNITS,
    AmountError,
    check_currency,
)
from aegis.risk.iso20022.policy import (
    DEFAULT_MAX_FUTURE_SKEW,
    TRANSACTION_ID,
    future_detail,
    future_excess,
)
from aegis.risk.model import Transaction, TxType

__all__ = [
    "DEFAULT_MAX_FUTURE_SKEW",
    "Channel",
    "Geolocation",
    "IntakeError",
    "IntakeRejected",
    "Payee",
    "Payer",
    "TransactionIn",
    "to_transaction",
]


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    POS = "pos"
    ATM = "atm"
    BRANCH = "branch"
    API = "api"


def _currency(value: str) -> str:
    if value not in ACTIVE_CODES:
        raise ValueError("not an active ISO 4217 currency code")
    return value


def _customer(value: str) -> str:
    # An id that claims to be ours must be one: a typo would otherwise silently become a
    # partner reference and the KYC level of the real applicant would never be found.
    if value.startswith("app_") and not has_prefix(value, "app"):
        raise ValueError("starts with app_ but is not a valid applicant id")
    return value


# A card number has 12-19 digits; a fingerprint is a hash. Refusing digit strings of that
# length keeps partners from sending the number itself by mistake.
_PAN_LIKE: Final = re.compile(r"[0-9 -]{12,23}")


def _fingerprint(value: str) -> str:
    if _PAN_LIKE.fullmatch(value) and 12 <= sum(c.isdigit() for c in value) <= 19:
        raise ValueError("looks like a card number; send a stable hash of the card instead")
    return value


def _normalise_ip(value: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    # An IPv4 client seen through a dual-stack proxy arrives as ::ffff:a.b.c.d; velocity per
    # IP must count it with its IPv4 form.
    if isinstance(value, ipaddress.IPv6Address) and value.ipv4_mapped is not None:
        return str(value.ipv4_mapped)
    return str(value)


def _iso_string(value: Any) -> Any:
    # Pydantic would also take a Unix timestamp; a number is too easily seconds for one
    # partner and milliseconds for another, so only ISO 8601 text is accepted.
    if not isinstance(value, str | dt.datetime):
        raise ValueError("must be an ISO 8601 date and time with a timezone")
    return value


TransactionId = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=f"^{TRANSACTION_ID.pattern}$")
]
Reference = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:+@/#=-]+$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=140)]
Account = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Currency = Annotated[
    str,
    StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$"),
    AfterValidator(_currency),
]
Time = Annotated[AwareDatetime, BeforeValidator(_iso_string)]
Amount = Annotated[int, Field(strict=True, gt=0, le=MAX_MINOR_UNITS)]


class _Strict(BaseModel):
    # hide_input_in_errors: a ValidationError printed to a log must not carry names or
    # account numbers; the API renders location and reason only anyway.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Payer(_Strict):
    account: Account | None = Field(
        None, description="The payer's account: IBAN, account number, wallet or phone."
    )
    name: Name | None = Field(None, description="The payer's name, as the partner holds it.")


class Payee(_Strict):
    account: Account | None = Field(
        None, description="The payee's account: IBAN, account number, wallet or phone."
    )
    name: Name | None = Field(None, description="The payee's name; screened as counterparty.")
    country: Country | None = Field(
        None, description="The payee's country, ISO 3166-1 alpha-2 (e.g. `DE`)."
    )


class Geolocation(_Strict):
    country: Country | None = Field(
        None, description="Where the payer is, ISO 3166-1 alpha-2 (e.g. from the IP)."
    )
    latitude: float | None = Field(
        None, ge=-90, le=90, allow_inf_nan=False, description="Degrees north, WGS 84."
    )
    longitude: float | None = Field(
        None, ge=-180, le=180, allow_inf_nan=False, description="Degrees east, WGS 84."
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> Geolocation:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        return self


class TransactionIn(_Strict):
    """A payment, transfer, withdrawal, top-up or refund to decide on."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "ord-2024-000123",
                    "time": "2026-03-01T09:30:00Z",
                    "type": "payment",
                    "amount": 12550,
                    "currency": "EUR",
                    "customer_id": "cust-88412",
                    "payer": {"account": "DE89370400440532013000", "name": "Jane Doe"},
                    "payee": {
                        "account": "FR7630006000011234567890189",
                        "name": "Shop SARL",
                        "country": "FR",
                    },
                    "card_fingerprint": "f3a9c1d2e4b5a6978877",
                    "device_id": "dev-7f3a",
                    "ip": "203.0.113.7",
                    "merchant_id": "m-1001",
                    "channel": "web",
                    "geolocation": {"country": "DE", "latitude": 52.52, "longitude": 13.405},
                }
            ]
        }
    )

    id: TransactionId = Field(
        description="Your id for the transaction, unique per tenant: 1-100 characters of "
        "letters, digits and `. _ : / -`. Sending the same id again returns the same decision."
    )
    time: Time = Field(
        description="When it happened: ISO 8601 with a timezone (`Z` or `+hh:mm`). At most "
        "5 minutes in the future."
    )
    type: TxType = Field(description="`payment`, `transfer`, `withdrawal`, `top_up` or `refund`.")
    amount: Amount = Field(
        description="Integer in the currency's minor units (cents for EUR, yen for JPY, fils "
        "for BHD); greater than zero."
    )
    currency: Currency = Field(description="Active ISO 4217 code, upper case (e.g. `EUR`).")
    customer_id: Annotated[Reference, AfterValidator(_customer)] | None = Field(
        None,
        description="The customer: an Aegis applicant id (`app_…`) or your own reference.",
    )
    payer: Payer | None = Field(None, description="Who pays.")
    payee: Payee | None = Field(None, description="Who is paid.")
    card_fingerprint: (
        Annotated[
            str,
            StringConstraints(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9_:+/=-]+$"),
            AfterValidator(_fingerprint),
        ]
        | None
    ) = Field(None, description="A stable hash of the card (never the card number itself).")
    device_id: Reference | None = Field(None, description="Your id for the payer's device.")
    ip: Annotated[IPvAnyAddress, AfterValidator(_normalise_ip)] | None = Field(
        None, description="The payer's IP address, IPv4 or IPv6."
    )
    merchant_id: Reference | None = Field(None, description="The merchant paid, if any.")
    terminal_id: Reference | None = Field(None, description="The POS terminal or ATM, if any.")
    channel: Channel | None = Field(
        None, description="`web`, `app`, `pos`, `atm`, `branch` or `api`."
    )
    geolocation: Geolocation | None = Field(None, description="Where the payer is.")


class IntakeError(FieldError):
    """One semantic problem: a JSON Pointer (``#/time``), what is wrong, a stable code.
    It is a :class:`aegis.errors.FieldError`, so the API renders it as is."""

    __slots__ = ()


class IntakeRejected(ValueError):
    """The body had the right shape but cannot be taken as a transaction."""

    def __init__(self, errors: list[IntakeError]) -> None:
        super().__init__("; ".join(f"{e.pointer}: {e.detail}" for e in errors))
        self.errors = tuple(errors)

    def to_problem(self) -> ValidationFailed:
        return ValidationFailed(f"{len(self.errors)} field(s) are invalid.", errors=self.errors)


def to_transaction(
    body: TransactionIn,
    *,
    now: dt.datetime,
    max_future_skew: dt.timedelta = DEFAULT_MAX_FUTURE_SKEW,
) -> Transaction:
    """The domain transaction for a validated body, or :class:`IntakeRejected`.

    ``now`` is the server's clock (timezone-aware); a ``time`` beyond ``now +
    max_future_skew`` is refused, so nobody can file payments outside the velocity windows
    they belong in.
    """
    errors: list[IntakeError] = []
    time = body.time.astimezone(dt.UTC)
    if future_excess(time, now=now, max_future_skew=max_future_skew):
        errors.append(IntakeError("#/time", future_detail(max_future_skew), "time_in_future"))
    # The model already refuses these; a body built with model_construct() skips validation.
    if not 0 < body.amount <= MAX_MINOR_UNITS:
        errors.append(IntakeError("#/amount", "must be greater than zero", "amount_not_positive"))
    try:
        check_currency(body.currency)
    except AmountError as exc:
        errors.append(IntakeError("#/currency", exc.detail, exc.code))
    if errors:
        raise IntakeRejected(errors)
    payer, payee, geo = body.payer, body.payee, body.geolocation
    return Transaction(
        id=body.id,
        time=time,
        type=body.type,
        amount=body.amount,
        currency=body.currency,
        customer_id=body.customer_id,
        payer_account=payer.account if payer else None,
        payee_account=payee.account if payee else None,
        payer_name=payer.name if payer else None,
        payee_name=payee.name if payee else None,
        payee_country=payee.country if payee else None,
        card_fingerprint=body.card_fingerprint,
        device_id=body.device_id,
        ip=str(body.ip) if body.ip is not None else None,
        merchant_id=body.merchant_id,
        terminal_id=body.terminal_id,
        channel=body.channel.value if body.channel else None,
        country=geo.country if geo else None,
        latitude=geo.latitude if geo else None,
        longitude=geo.longitude if geo else None,
    )
