"""pacs.002 status reports on generated messages, in XML and Tazama's JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aegis.risk.iso20022 import (
    Iso20022Error,
    PaymentStatus,
    parse_pacs002_json,
    parse_pacs002_xml,
    parse_pacs008_xml,
)
from tests.risk.iso20022.builders import (
    Message,
    Payment,
    StatusLine,
    StatusReport,
    pacs002_xml,
    pacs008_xml,
    xml_to_tazama,
)


def as_json(report: StatusReport) -> dict[str, Any]:
    return xml_to_tazama(pacs002_xml(report), tx_type="pacs.002.001.12", root="FIToFIPmtSts")


def test_each_transaction_status_is_mapped() -> None:
    report = StatusReport(
        lines=[
            StatusLine(status="ACSC", accepted="2026-03-01T10:30:00+01:00"),
            StatusLine(end_to_end_id="E2E-0002", tx_id=None, status="RJCT", reason="AC04"),
            StatusLine(end_to_end_id="E2E-0003", status="PDNG", proprietary="WAIT-KYC"),
        ]
    )
    first, second, third = parse_pacs002_xml(pacs002_xml(report))
    assert first == PaymentStatus(
        message_id="STS-0001",
        time=dt.datetime(2026, 3, 1, 9, 31, tzinfo=dt.UTC),
        status="ACSC",
        transaction_id="E2E-0001",
        end_to_end_id="E2E-0001",
        original_transaction_id="TX-0001",
        original_message_id="MSG-0001",
        accepted_at=dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
    )
    assert first.settled and not first.rejected
    assert (second.status, second.reason_code, second.rejected) == ("RJCT", "AC04", True)
    assert (third.status, third.reason_proprietary, third.settled) == ("PDNG", "WAIT-KYC", False)


@pytest.mark.parametrize("version", [3, 12])
def test_xml_and_tazama_json_give_the_same_statuses(version: int) -> None:
    report = StatusReport(
        lines=[StatusLine(), StatusLine(end_to_end_id="E2", reason="AM04", status="RJCT")]
    )
    from_xml = parse_pacs002_xml(pacs002_xml(report))
    assert parse_pacs002_json(as_json(report)) == from_xml
    assert len(from_xml) == 2


def test_a_status_finds_the_transaction_of_its_pacs008() -> None:
    uetr = "8a562c67-ca16-48ba-b074-65581be6f011"
    sent = [
        Payment(end_to_end_id="E2E-1"),
        Payment(end_to_end_id="NOTPROVIDED", tx_id="TX-2"),
        Payment(end_to_end_id="NOTPROVIDED", uetr=uetr),
    ]
    ids = [t.id for t in parse_pacs008_xml(pacs008_xml(Message(payments=sent)))]
    report = StatusReport(
        lines=[
            StatusLine(end_to_end_id="E2E-1"),
            StatusLine(end_to_end_id="NOTPROVIDED", tx_id="TX-2"),
        ]
    )
    xml = pacs002_xml(report).replace(
        b"</FIToFIPmtStsRpt>",
        b"<TxInfAndSts><OrgnlEndToEndId>NOTPROVIDED</OrgnlEndToEndId>"
        b"<OrgnlUETR>" + uetr.encode() + b"</OrgnlUETR><TxSts>ACCC</TxSts></TxInfAndSts>"
        b"</FIToFIPmtStsRpt>",
    )
    assert [s.transaction_id for s in parse_pacs002_xml(xml)] == ids


def test_a_group_only_report_gives_one_status_per_original_message() -> None:
    report = StatusReport(version=3, lines=[], group_status="RJCT", group_reason="FF01")
    (status,) = parse_pacs002_xml(pacs002_xml(report))
    assert status.transaction_id is None and status.end_to_end_id is None
    assert (status.status, status.reason_code, status.original_message_id) == (
        "RJCT",
        "FF01",
        "MSG-0001",
    )


def test_transactions_without_their_own_status_take_the_group_status_and_reason() -> None:
    report = StatusReport(lines=[StatusLine(status=None)], group_status="RJCT", group_reason="AC01")
    (status,) = parse_pacs002_xml(pacs002_xml(report))
    assert (status.status, status.reason_code) == ("RJCT", "AC01")


def test_a_report_without_any_status_is_refused() -> None:
    with pytest.raises(Iso20022Error) as info:
        parse_pacs002_xml(pacs002_xml(StatusReport(lines=[])))
    assert info.value.errors == [
        ("/Document/FIToFIPmtStsRpt", "reports no status: no TxInfAndSts and no GrpSts")
    ]
    with pytest.raises(Iso20022Error) as info:
        parse_pacs002_xml(pacs002_xml(StatusReport(lines=[StatusLine(status=None)])))
    assert info.value.errors == [
        ("/Document/FIToFIPmtStsRpt/TxInfAndSts[1]", "has no TxSts and the group has no GrpSts")
    ]


def test_v03_only_takes_its_enumerated_statuses() -> None:
    with pytest.raises(Iso20022Error, match="must be one of ACCP"):
        parse_pacs002_xml(pacs002_xml(StatusReport(version=3, lines=[StatusLine(status="ACCC")])))
    # From version 08 on the status is an external code: any 1-4 characters.
    assert parse_pacs002_xml(pacs002_xml(StatusReport(lines=[StatusLine(status="ACCC")])))


def test_tazama_json_errors_and_version() -> None:
    document = as_json(StatusReport())
    document["TxTp"] = "pacs.002.001.03"
    with pytest.raises(Iso20022Error, match=r"pacs\.002\.001\.12"):
        parse_pacs002_json(document)
    document = as_json(StatusReport(lines=[StatusLine(info=["i" * 106], reason="AC04")]))
    with pytest.raises(Iso20022Error) as info:
        parse_pacs002_json(document)
    assert info.value.errors == [
        (
            "/FIToFIPmtSts/TxInfAndSts/StsRsnInf/AddtlInf",
            "is 106 characters long; at most 105 allowed",
        )
    ]
    with pytest.raises(Iso20022Error, match="FIToFIPmtSts: is required"):
        parse_pacs002_json({"TxTp": "pacs.002.001.12", "FIToFIPmtStsRpt": {}})
