"""pacs.008 mapping on generated messages: ids, times, amounts, parties, both forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aegis.risk.iso20022 import (
    Iso20022Error,
    ParseOptions,
    from_minor,
    parse_pacs008_json,
    parse_pacs008_xml,
)
from aegis.risk.iso20022.currencies import MAX_MINOR_UNITS, MINOR_UNITS
from tests.risk.iso20022.builders import Message, Payment, pacs008_xml, xml_to_tazama
from tests.risk.iso20022.support import add_child, edit, remove

TX = "FIToFICstmrCdtTrf/CdtTrfTxInf"


def as_json(message: Message) -> dict[str, Any]:
    return xml_to_tazama(pacs008_xml(message), tx_type="pacs.008.001.10", root="FIToFICstmrCdtTrf")


def one(message: Message) -> Any:
    (tx,) = parse_pacs008_xml(pacs008_xml(message))
    return tx


def test_a_message_with_several_transactions_gives_them_all_in_order() -> None:
    message = Message(
        payments=[Payment(end_to_end_id=f"E2E-{i}", amount=f"{i}.25") for i in (1, 2, 3)]
    )
    txs = parse_pacs008_xml(pacs008_xml(message))
    assert [(t.id, t.amount) for t in txs] == [("E2E-1", 125), ("E2E-2", 225), ("E2E-3", 325)]
    assert parse_pacs008_json(as_json(message)) == txs


@pytest.mark.parametrize("version", [7, 10])
def test_xml_and_tazama_json_of_one_payment_are_equal(version: int) -> None:
    message = Message(version=version, envelope=True, location=("-33.92", "18.42"))
    xml = pacs008_xml(message)
    (from_xml,) = parse_pacs008_xml(xml)
    (from_json,) = parse_pacs008_json(as_json(message))
    assert from_xml == from_json
    assert (from_xml.latitude, from_xml.longitude) == (-33.92, 18.42)
    assert from_xml.payee_country == "FR"


def test_ids_fall_back_from_end_to_end_to_uetr_to_txid() -> None:
    uetr = "8a562c67-ca16-48ba-b074-65581be6f011"
    assert one(Message(payments=[Payment(end_to_end_id="NOTPROVIDED", uetr=uetr)])).id == uetr
    assert one(Message(payments=[Payment(end_to_end_id="NOTPROVIDED")])).id == "TX-0001"
    assert one(Message(payments=[Payment(end_to_end_id="E2E/2026/001")])).id == "E2E/2026/001"


def test_customer_is_the_debtor_account_else_the_debtor_identification() -> None:
    assert one(Message()).customer_id == "DE89370400440532013000"
    data = pacs008_xml(Message(payments=[Payment(debtor_account=None)]))
    data = edit(
        data, f"{TX}/Dbtr", add_child("<Id><PrvtId><Othr><Id>CUST-9</Id></Othr></PrvtId></Id>")
    )
    (tx,) = parse_pacs008_xml(data)
    assert (tx.customer_id, tx.payer_account) == ("CUST-9", None)


def test_debtor_id_must_be_an_organisation_or_a_person() -> None:
    data = edit(pacs008_xml(), f"{TX}/Dbtr", add_child("<Id/>"))
    with pytest.raises(Iso20022Error, match="one of OrgId, PrvtId"):
        parse_pacs008_xml(data)


def test_payee_country_falls_back_to_residence() -> None:
    data = pacs008_xml(Message(payments=[Payment(creditor_country=None)]))
    assert parse_pacs008_xml(data)[0].payee_country is None
    data = edit(data, f"{TX}/Cdtr", add_child("<CtryOfRes>BE</CtryOfRes>"))
    assert parse_pacs008_xml(data)[0].payee_country == "BE"


def test_names_have_whitespace_runs_collapsed() -> None:
    tx = one(Message(payments=[Payment(debtor_name="  Jane\n      Doe ")]))
    assert tx.payer_name == "Jane Doe"


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        ("2026-03-01T09:30:00Z", dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)),
        ("2026-03-01T11:30:00+02:00", dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)),
        ("2026-03-01T04:00:00-05:30", dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)),
        (
            "2026-03-01T09:30:00.123456789Z",
            dt.datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=dt.UTC),
        ),
        ("2026-02-28T24:00:00Z", dt.datetime(2026, 3, 1, tzinfo=dt.UTC)),
        (" 2026-03-01T09:30:00Z\n", dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)),
    ],
)
def test_creation_times_become_utc(created: str, expected: dt.datetime) -> None:
    tx = one(Message(created=created))
    assert tx.time == expected and tx.time.tzinfo is dt.UTC


def test_times_without_offset_are_read_in_the_configured_zone() -> None:
    data = pacs008_xml(Message(created="2026-03-01T10:30:00"))
    assert parse_pacs008_xml(data)[0].time == dt.datetime(2026, 3, 1, 10, 30, tzinfo=dt.UTC)
    paris = ParseOptions(naive_tz=ZoneInfo("Europe/Paris"))
    (tx,) = parse_pacs008_xml(data, options=paris)
    assert tx.time == dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def test_future_times_beyond_the_skew_are_refused_when_now_is_given() -> None:
    now = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    data = pacs008_xml(Message(created="2026-03-01T09:34:59Z"))
    assert parse_pacs008_xml(data, options=ParseOptions(now=now))
    late = pacs008_xml(Message(created="2026-03-01T09:35:01Z"))
    with pytest.raises(Iso20022Error) as info:
        parse_pacs008_xml(late, options=ParseOptions(now=now))
    assert info.value.errors == [
        (
            "/Document/FIToFICstmrCdtTrf/GrpHdr/CreDtTm",
            "is in the future by more than the allowed clock skew (300 seconds)",
        )
    ]
    tolerant = ParseOptions(now=now, max_future_skew=dt.timedelta(minutes=10))
    assert parse_pacs008_xml(late, options=tolerant)
    assert parse_pacs008_xml(late)  # without a clock, no opinion on the future


@pytest.mark.parametrize(
    ("currency", "text", "minor"),
    [
        ("JPY", "1500", 1500),
        ("JPY", "1500.00", 1500),
        ("EUR", "0.01", 1),
        ("EUR", "12.5", 1250),
        ("EUR", "1234567890123.45", 123456789012345),
        ("BHD", "1.234", 1234),
        ("KWD", "0.005", 5),
        ("CLF", "1.2345", 12345),
        ("USD", "90071992547409.91", MAX_MINOR_UNITS),
    ],
)
def test_amounts_convert_exactly_in_every_precision(currency: str, text: str, minor: int) -> None:
    message = Message(payments=[Payment(currency=currency, amount=text)])
    tx = one(message)
    assert (tx.amount, tx.currency) == (minor, currency)
    assert parse_pacs008_json(as_json(message))[0].amount == minor


@pytest.mark.parametrize(
    ("currency", "text", "detail"),
    [
        ("JPY", "1500.5", "more decimal places than JPY allows (0)"),
        ("EUR", "0.001", "more decimal places than EUR allows (2)"),
        ("BHD", "1.2345", "more decimal places than BHD allows (3)"),
        ("USD", "90071992547409.92", "larger than the maximum"),
        ("EUR", "0", "greater than zero"),
    ],
)
def test_amounts_the_currency_cannot_hold_are_refused(
    currency: str, text: str, detail: str
) -> None:
    message = Message(payments=[Payment(currency=currency, amount=text)])
    attempts: list[tuple[Any, Any]] = [
        (parse_pacs008_xml, pacs008_xml(message)),
        (parse_pacs008_json, as_json(message)),
    ]
    for parse, data in attempts:
        with pytest.raises(Iso20022Error) as info:
            parse(data)
        ((path, got),) = info.value.errors
        assert detail in got
        assert path.endswith(("IntrBkSttlmAmt", "IntrBkSttlmAmt/Amt/Amt"))


@settings(max_examples=150, deadline=None)
@given(
    currency=st.sampled_from(sorted(MINOR_UNITS)),
    minor=st.integers(min_value=1, max_value=10**13),
    zeros=st.integers(min_value=0, max_value=1),
)
def test_amount_round_trip_through_xml_and_json(currency: str, minor: int, zeros: int) -> None:
    text = str(from_minor(minor, currency))
    if zeros and "." in text and len(text.split(".")[1]) < 5:
        text += "0"  # trailing zeros change nothing
    message = Message(payments=[Payment(currency=currency, amount=text)])
    assert one(message).amount == minor
    assert parse_pacs008_json(as_json(message))[0].amount == minor


def test_json_amounts_parsed_as_floats_by_the_caller_keep_their_decimal_meaning() -> None:
    document = as_json(Message(payments=[Payment(currency="USD", amount="1")]))
    amount = document["FIToFICstmrCdtTrf"]["CdtTrfTxInf"]["IntrBkSttlmAmt"]["Amt"]
    amount["Amt"] = 31020.89
    assert parse_pacs008_json(document)[0].amount == 3102089
    amount["Amt"] = 0.1 + 0.2  # 0.30000000000000004: refused, never rounded
    with pytest.raises(Iso20022Error, match="decimal places"):
        parse_pacs008_json(document)
    amount["Amt"] = Decimal("12.34")
    assert parse_pacs008_json(document)[0].amount == 1234


@pytest.mark.parametrize(
    ("change", "path", "detail"),
    [
        (
            lambda d: d["FIToFICstmrCdtTrf"]["GrpHdr"].update(NbOfTxs="1"),
            "/GrpHdr/NbOfTxs",
            "integer",
        ),
        (
            lambda d: d["FIToFICstmrCdtTrf"]["CdtTrfTxInf"]["IntrBkSttlmAmt"]["Amt"].update(
                Amt="12.5"
            ),
            "/IntrBkSttlmAmt/Amt/Amt",
            "must be a number",
        ),
        (
            lambda d: d["FIToFICstmrCdtTrf"]["CdtTrfTxInf"]["IntrBkSttlmAmt"]["Amt"].update(
                Amt=True
            ),
            "/IntrBkSttlmAmt/Amt/Amt",
            "must be a number",
        ),
        (
            lambda d: d["FIToFICstmrCdtTrf"]["CdtTrfTxInf"]["PmtId"].update(EndToEndId=42),
            "/PmtId/EndToEndId",
            "must be a string",
        ),
        (
            lambda d: d["FIToFICstmrCdtTrf"]["CdtTrfTxInf"].update(Dbtr="Jane"),
            "/CdtTrfTxInf/Dbtr",
            "must be an object",
        ),
        (
            lambda d: d["FIToFICstmrCdtTrf"]["CdtTrfTxInf"]["DbtrAcct"]["Id"].update(
                Othr=[{"Id": "1"}, {"Id": "2"}]
            ),
            "/DbtrAcct/Id/Othr",
            "at most once",
        ),
        (lambda d: d.update(TxTp="pacs.008.001.08"), "/TxTp", "pacs.008.001.10"),
        (lambda d: d.pop("FIToFICstmrCdtTrf"), "/FIToFICstmrCdtTrf", "required"),
    ],
)
def test_json_form_errors_are_json_pointers(change: Any, path: str, detail: str) -> None:
    document = as_json(Message(payments=[Payment(debtor_account_iban=False, debtor_account="X-1")]))
    change(document)
    with pytest.raises(Iso20022Error) as info:
        parse_pacs008_json(document)
    assert any(p.endswith(path) and detail in d for p, d in info.value.errors), info.value.errors


def test_json_transactions_may_be_an_array() -> None:
    message = Message(
        payments=[Payment(end_to_end_id="A"), Payment(end_to_end_id="B", amount="-1")]
    )
    document = as_json(message)
    with pytest.raises(Iso20022Error) as info:
        parse_pacs008_json(document)
    assert info.value.errors[0][0] == "/FIToFICstmrCdtTrf/CdtTrfTxInf/1/IntrBkSttlmAmt/Amt/Amt"


def test_every_broken_transaction_is_reported_at_once() -> None:
    payments = [Payment(end_to_end_id=f"E{i}", amount="-1" if i % 2 else "1") for i in range(4)]
    data = pacs008_xml(Message(payments=payments))
    with pytest.raises(Iso20022Error) as info:
        parse_pacs008_xml(data)
    assert [p for p, _ in info.value.errors] == [
        f"/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[{i}]/IntrBkSttlmAmt" for i in (2, 4)
    ]


def test_the_error_list_is_capped() -> None:
    data = pacs008_xml(
        Message(payments=[Payment(end_to_end_id=f"E{i}", amount="-1") for i in range(200)])
    )
    with pytest.raises(Iso20022Error) as info:
        parse_pacs008_xml(data)
    assert len(info.value.errors) == 51
    assert info.value.errors[-1] == ("/", "too many errors; the rest are not reported")


def test_errors_never_quote_names_or_accounts() -> None:
    secret = "Secretname" * 20
    payments = [
        Payment(
            debtor_name=secret,
            creditor_account=f"FR76{secret}",
            debtor_account_iban=False,
            debtor_account=secret,
        )
    ]
    with pytest.raises(Iso20022Error) as info:
        parse_pacs008_xml(pacs008_xml(Message(payments=payments)))
    assert len(info.value.errors) == 3
    assert "Secretname" not in str(info.value) + repr(info.value.errors)


def test_missing_cdttrftxinf_in_a_group_and_a_missing_header_are_both_reported() -> None:
    data = edit(edit(pacs008_xml(), TX, remove), "FIToFICstmrCdtTrf/GrpHdr", remove)
    with pytest.raises(Iso20022Error) as info:
        parse_pacs008_xml(data)
    assert [p for p, _ in info.value.errors] == [
        "/Document/FIToFICstmrCdtTrf/GrpHdr",
        "/Document/FIToFICstmrCdtTrf/CdtTrfTxInf",
    ]
