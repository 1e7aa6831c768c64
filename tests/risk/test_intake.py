"""The JSON body of POST /v1/transactions: shape errors, semantic errors, the mapping."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from aegis.api.problems import from_validation
from aegis.errors import ValidationFailed
from aegis.ids import new_id
from aegis.risk.intake import IntakeError, IntakeRejected, TransactionIn, to_transaction
from aegis.risk.iso20022 import parse_pacs008_xml
from aegis.risk.iso20022.currencies import MAX_MINOR_UNITS, MINOR_UNITS
from aegis.risk.model import Transaction, TxType
from tests.risk.iso20022.builders import pacs008_xml

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def body(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "ord-1",
        "time": "2026-03-01T09:29:00Z",
        "type": "payment",
        "amount": 12550,
        "currency": "EUR",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def pointers(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """What the API would answer: RFC 9457 pointers and codes."""
    with pytest.raises(ValidationError) as info:
        TransactionIn.model_validate(raw)
    problem = from_validation(info.value.errors())
    assert isinstance(problem, ValidationFailed)
    return [(e.pointer, e.code) for e in problem.errors]


def test_the_documented_example_maps_every_field() -> None:
    example = TransactionIn.model_json_schema()["examples"][0]
    tx = to_transaction(TransactionIn.model_validate(example), now=NOW)
    assert tx == Transaction(
        id="ord-2024-000123",
        time=dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
        type=TxType.PAYMENT,
        amount=12550,
        currency="EUR",
        customer_id="cust-88412",
        payer_account="DE89370400440532013000",
        payee_account="FR7630006000011234567890189",
        payer_name="Jane Doe",
        payee_name="Shop SARL",
        payee_country="FR",
        card_fingerprint="f3a9c1d2e4b5a6978877",
        device_id="dev-7f3a",
        ip="203.0.113.7",
        merchant_id="m-1001",
        channel="web",
        country="DE",
        latitude=52.52,
        longitude=13.405,
    )


def test_only_id_time_type_amount_and_currency_are_required() -> None:
    tx = to_transaction(TransactionIn.model_validate(body()), now=NOW)
    assert (tx.id, tx.amount, tx.currency, tx.customer_id, tx.ip) == (
        "ord-1",
        12550,
        "EUR",
        None,
        None,
    )
    assert pointers({}) == [
        (f"#/{f}", "missing") for f in ("id", "time", "type", "amount", "currency")
    ]


@pytest.mark.parametrize(
    ("changes", "pointer", "code"),
    [
        ({"currency": "ABC"}, "#/currency", "value_error"),
        ({"currency": "eur"}, "#/currency", "string_pattern_mismatch"),
        ({"currency": "HRK"}, "#/currency", "value_error"),
        ({"amount": -100}, "#/amount", "greater_than"),
        ({"amount": 0}, "#/amount", "greater_than"),
        ({"amount": 12.5}, "#/amount", "int_type"),
        ({"amount": "100"}, "#/amount", "int_type"),
        ({"amount": True}, "#/amount", "int_type"),
        ({"amount": MAX_MINOR_UNITS + 1}, "#/amount", "less_than_equal"),
        ({"time": "2026-03-01T09:29:00"}, "#/time", "timezone_aware"),
        ({"time": 1772357340}, "#/time", "value_error"),
        ({"time": "yesterday"}, "#/time", "datetime_from_date_parsing"),
        ({"ip": "10.0.0.256"}, "#/ip", "ip_any_address"),
        ({"ip": "example.com"}, "#/ip", "ip_any_address"),
        ({"iban": "DE89"}, "#/iban", "extra_forbidden"),
        ({"payer": {"iban": "DE89"}}, "#/payer/iban", "extra_forbidden"),
        ({"id": "has space"}, "#/id", "string_pattern_mismatch"),
        ({"id": "x" * 101}, "#/id", "string_too_long"),
        ({"id": "-leading"}, "#/id", "string_pattern_mismatch"),
        ({"type": "deposit"}, "#/type", "enum"),
        ({"channel": "fax"}, "#/channel", "enum"),
        ({"payee": {"country": "XX"}}, "#/payee/country", "value_error"),
        ({"payee": {"country": "France"}}, "#/payee/country", "string_too_long"),
        (
            {"geolocation": {"latitude": 91, "longitude": 0}},
            "#/geolocation/latitude",
            "less_than_equal",
        ),
        ({"geolocation": {"latitude": 10}}, "#/geolocation", "value_error"),
        ({"customer_id": "app_123"}, "#/customer_id", "value_error"),
        ({"card_fingerprint": "4111111111111111"}, "#/card_fingerprint", "value_error"),
        ({"payer": {"name": ""}}, "#/payer/name", "string_too_short"),
    ],
)
def test_shape_errors_point_at_the_field(changes: dict[str, Any], pointer: str, code: str) -> None:
    assert pointers(body(**changes)) == [(pointer, code)]


def test_validation_errors_do_not_carry_personal_data() -> None:
    raw = body(
        payer={"name": "Jane Secretname", "account": "DE89SECRET", "extra": 1}, ip="Secretip"
    )
    with pytest.raises(ValidationError) as info:
        TransactionIn.model_validate(raw)
    assert "Secret" not in str(info.value)
    problem = from_validation(info.value.errors())
    assert "Secret" not in repr(problem.errors)


def test_good_identifiers_are_accepted() -> None:
    applicant = new_id("app")
    raw = body(id="E2E/2026:001_a.b-c", customer_id=applicant, card_fingerprint="fp_0f9e8d7c6b5a")
    tx = to_transaction(TransactionIn.model_validate(raw), now=NOW)
    assert (tx.id, tx.customer_id) == ("E2E/2026:001_a.b-c", applicant)
    other = body(customer_id="+01-710694778")  # Tazama's MSISDN account ids
    assert (
        to_transaction(TransactionIn.model_validate(other), now=NOW).customer_id == "+01-710694778"
    )


@pytest.mark.parametrize(
    ("ip", "stored"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:0db8:0000::0001", "2001:db8::1"),
        ("::ffff:198.51.100.4", "198.51.100.4"),  # one client, one velocity key
    ],
)
def test_ips_are_normalised(ip: str, stored: str) -> None:
    assert to_transaction(TransactionIn.model_validate(body(ip=ip)), now=NOW).ip == stored


def test_times_become_utc() -> None:
    raw = body(time="2026-03-01T10:29:00+01:00")
    tx = to_transaction(TransactionIn.model_validate(raw), now=NOW)
    assert tx.time == dt.datetime(2026, 3, 1, 9, 29, tzinfo=dt.UTC) and tx.time.tzinfo is dt.UTC


def test_future_times_beyond_the_skew_are_refused() -> None:
    within = TransactionIn.model_validate(body(time="2026-03-01T09:35:00Z"))
    assert to_transaction(within, now=NOW).time == dt.datetime(2026, 3, 1, 9, 35, tzinfo=dt.UTC)
    beyond = TransactionIn.model_validate(body(time="2026-03-01T09:35:01Z"))
    with pytest.raises(IntakeRejected) as info:
        to_transaction(beyond, now=NOW)
    assert info.value.errors == (
        IntakeError(
            "#/time",
            "is in the future by more than the allowed clock skew (300 seconds)",
            "time_in_future",
        ),
    )
    assert to_transaction(beyond, now=NOW, max_future_skew=dt.timedelta(minutes=6))
    with pytest.raises(ValueError, match="timezone-aware"):
        to_transaction(within, now=NOW.replace(tzinfo=None))


def test_semantic_errors_are_reported_together_as_a_422() -> None:
    built = TransactionIn.model_construct(**{**body(), "amount": -1, "currency": "XAU"})
    built = built.model_copy(update={"time": dt.datetime(2027, 1, 1, tzinfo=dt.UTC)})
    with pytest.raises(IntakeRejected) as info:
        to_transaction(built, now=NOW)
    assert [(e.pointer, e.code) for e in info.value.errors] == [
        ("#/time", "time_in_future"),
        ("#/amount", "amount_not_positive"),
        ("#/currency", "currency_not_payable"),
    ]
    problem = info.value.to_problem()
    assert problem.status == 422 and problem.errors == info.value.errors


def test_gold_is_a_real_code_but_not_a_payment_currency() -> None:
    with pytest.raises(IntakeRejected) as info:
        to_transaction(TransactionIn.model_validate(body(currency="XAU")), now=NOW)
    assert (
        info.value.errors[0].detail
        == "XAU has no minor unit in ISO 4217 and cannot be used for payments"
    )


def test_the_json_body_and_the_pacs008_of_one_payment_give_the_same_transaction() -> None:
    (from_iso,) = parse_pacs008_xml(pacs008_xml())
    raw = {
        "id": "E2E-0001",
        "time": "2026-03-01T09:30:00Z",
        "type": "transfer",
        "amount": 12550,
        "currency": "EUR",
        "customer_id": "DE89370400440532013000",
        "payer": {"account": "DE89370400440532013000", "name": "Jane Doe"},
        "payee": {"account": "FR7630006000011234567890189", "name": "Shop SARL", "country": "FR"},
        "channel": "api",
    }
    assert to_transaction(TransactionIn.model_validate_json(json.dumps(raw)), now=NOW) == from_iso


def _schemas(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = [("TransactionIn", schema)]
    out += list(schema.get("$defs", {}).items())
    return out


def test_every_field_is_described_for_openapi() -> None:
    schema = TransactionIn.model_json_schema()
    undocumented = [
        f"{model}.{name}"
        for model, definition in _schemas(schema)
        for name, prop in definition.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert undocumented == []
    assert schema["additionalProperties"] is False


@given(
    currency=st.sampled_from(sorted(MINOR_UNITS)),
    amount=st.integers(min_value=1, max_value=MAX_MINOR_UNITS),
    seconds=st.integers(min_value=-(10**8), max_value=300),
)
def test_valid_bodies_keep_amount_currency_and_instant(
    currency: str, amount: int, seconds: int
) -> None:
    when = NOW + dt.timedelta(seconds=seconds)
    raw = body(currency=currency, amount=amount, time=when.isoformat())
    tx = to_transaction(TransactionIn.model_validate(raw), now=NOW)
    assert (tx.amount, tx.currency, tx.time) == (amount, currency, when)
