"""Our structural validation against the official XSDs, on generated messages and mutations.

For every change below the XSD and the parser must agree: both accept, or both reject (and
the parser says where). A third group is refused by design although the XSD accepts it
(business rules the schema cannot express). What the parser does not check at all is listed
in docs/risk-intake.md: elements it does not read, and element order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aegis.risk.iso20022 import Iso20022Error, parse_pacs002_xml, parse_pacs008_xml
from tests.risk.iso20022.builders import (
    Message,
    Payment,
    StatusLine,
    StatusReport,
    pacs002_xml,
    pacs008_xml,
)
from tests.risk.iso20022.support import (
    add_child,
    duplicate,
    edit,
    needs_shared,
    remove,
    set_attr,
    set_text,
    xsd_errors,
)

pytestmark = needs_shared

TX = "FIToFICstmrCdtTrf/CdtTrfTxInf"
HDR = "FIToFICstmrCdtTrf/GrpHdr"
Mutation = Callable[[bytes], bytes]


def empty_othr(iban: Any) -> None:
    iban.getparent().replace(iban, iban.makeelement(iban.tag.replace("IBAN", "Othr")))


def at(path: str, change: Callable[..., None]) -> Mutation:
    return lambda data: edit(data, path, change)


# (mutation, the element path our error must name)
REJECTED_BY_BOTH: dict[str, tuple[Mutation, str]] = {
    "no EndToEndId": (at(f"{TX}/PmtId/EndToEndId", remove), "PmtId/EndToEndId"),
    "EndToEndId 36 chars": (at(f"{TX}/PmtId/EndToEndId", set_text("E" * 36)), "EndToEndId"),
    "no amount": (at(f"{TX}/IntrBkSttlmAmt", remove), "CdtTrfTxInf[1]/IntrBkSttlmAmt"),
    "no Ccy": (at(f"{TX}/IntrBkSttlmAmt", set_attr("Ccy", None)), "IntrBkSttlmAmt/@Ccy"),
    "lower-case Ccy": (at(f"{TX}/IntrBkSttlmAmt", set_attr("Ccy", "eur")), "@Ccy"),
    "6 decimals": (at(f"{TX}/IntrBkSttlmAmt", set_text("1.123456")), "IntrBkSttlmAmt"),
    "negative": (at(f"{TX}/IntrBkSttlmAmt", set_text("-5")), "IntrBkSttlmAmt"),
    "not a number": (at(f"{TX}/IntrBkSttlmAmt", set_text("12,50")), "IntrBkSttlmAmt"),
    "exponent": (at(f"{TX}/IntrBkSttlmAmt", set_text("1E3")), "IntrBkSttlmAmt"),
    "19 digits": (at(f"{TX}/IntrBkSttlmAmt", set_text("1234567890123456789")), "IntrBkSttlmAmt"),
    "two amounts": (at(f"{TX}/IntrBkSttlmAmt", duplicate), "IntrBkSttlmAmt"),
    "no ChrgBr": (at(f"{TX}/ChrgBr", remove), "ChrgBr"),
    "bad ChrgBr": (at(f"{TX}/ChrgBr", set_text("BOTH")), "ChrgBr"),
    "no Dbtr": (at(f"{TX}/Dbtr", remove), "CdtTrfTxInf[1]/Dbtr"),
    "text in Dbtr": (at(f"{TX}/Dbtr", set_text("JANE")), "Dbtr"),
    "no CdtrAgt": (at(f"{TX}/CdtrAgt", remove), "CdtrAgt"),
    "no FinInstnId": (at(f"{TX}/DbtrAgt/FinInstnId", remove), "DbtrAgt/FinInstnId"),
    "no Cdtr": (at(f"{TX}/Cdtr", remove), "CdtTrfTxInf[1]/Cdtr"),
    "name 141 chars": (at(f"{TX}/Dbtr/Nm", set_text("N" * 141)), "Dbtr/Nm"),
    "empty name": (at(f"{TX}/Cdtr/Nm", set_text("")), "Cdtr/Nm"),
    "element in name": (at(f"{TX}/Cdtr/Nm", add_child("<b>x</b>")), "Cdtr/Nm"),
    "country name": (at(f"{TX}/Cdtr/PstlAdr/Ctry", set_text("France")), "Cdtr/PstlAdr/Ctry"),
    "bad IBAN": (at(f"{TX}/DbtrAcct/Id/IBAN", set_text("not-an-iban")), "DbtrAcct/Id/IBAN"),
    "IBAN and Othr": (at(f"{TX}/DbtrAcct/Id", add_child("<Othr><Id>1</Id></Othr>")), "DbtrAcct/Id"),
    "Othr without Id": (at(f"{TX}/CdtrAcct/Id/IBAN", empty_othr), "CdtrAcct/Id/Othr/Id"),
    "30 February": (at(f"{HDR}/CreDtTm", set_text("2026-02-30T10:00:00Z")), "GrpHdr/CreDtTm"),
    "date only": (at(f"{HDR}/CreDtTm", set_text("2026-03-01")), "GrpHdr/CreDtTm"),
    "space for T": (at(f"{HDR}/CreDtTm", set_text("2026-03-01 10:00:00Z")), "GrpHdr/CreDtTm"),
    "offset +15:00": (at(f"{HDR}/CreDtTm", set_text("2026-03-01T10:00:00+15:00")), "CreDtTm"),
    "no MsgId": (at(f"{HDR}/MsgId", remove), "GrpHdr/MsgId"),
    "MsgId 36 chars": (at(f"{HDR}/MsgId", set_text("M" * 36)), "GrpHdr/MsgId"),
    "NbOfTxs words": (at(f"{HDR}/NbOfTxs", set_text("one")), "GrpHdr/NbOfTxs"),
    "no SttlmInf": (at(f"{HDR}/SttlmInf", remove), "GrpHdr/SttlmInf"),
    "bad SttlmMtd": (at(f"{HDR}/SttlmInf/SttlmMtd", set_text("CASH")), "SttlmMtd"),
    "no transactions": (at(TX, remove), "FIToFICstmrCdtTrf/CdtTrfTxInf"),
    "no GrpHdr": (at(HDR, remove), "FIToFICstmrCdtTrf/GrpHdr"),
}


@pytest.mark.parametrize("version", [7, 10])
@pytest.mark.parametrize("case", sorted(REJECTED_BY_BOTH))
def test_rejected_by_xsd_and_parser(case: str, version: int) -> None:
    mutate, where = REJECTED_BY_BOTH[case]
    data = mutate(pacs008_xml(Message(version=version)))
    assert xsd_errors(data), f"the XSD accepts {case!r}: the case is wrong"
    with pytest.raises(Iso20022Error) as info:
        parse_pacs008_xml(data)
    paths = [path for path, _ in info.value.errors]
    assert any(where in p for p in paths), paths
    assert all(p.startswith("/Document/FIToFICstmrCdtTrf") for p in paths), paths


def test_version_specific_rules() -> None:
    # TxId is mandatory in 07 and optional from 08 on; UETR exists from 08 on.
    v07 = edit(pacs008_xml(Message(version=7)), f"{TX}/PmtId/TxId", remove)
    v10 = edit(pacs008_xml(Message(version=10)), f"{TX}/PmtId/TxId", remove)
    assert xsd_errors(v07) and not xsd_errors(v10)
    with pytest.raises(Iso20022Error, match="TxId: is required"):
        parse_pacs008_xml(v07)
    assert parse_pacs008_xml(v10)[0].id == "E2E-0001"
    bad_uetr = pacs008_xml(Message(payments=[Payment(uetr="not-a-uuid")]))
    assert xsd_errors(bad_uetr)
    with pytest.raises(Iso20022Error, match="UETR"):
        parse_pacs008_xml(bad_uetr)
    # A CashAccount40 (v10) may name a proxy instead of an Id; CashAccount24 (v07) may not.
    proxy = "<Prxy><Id>+4917612345678</Id></Prxy>"
    for version, valid in ((7, False), (10, True)):
        data = edit(pacs008_xml(Message(version=version)), f"{TX}/DbtrAcct/Id", remove)
        data = edit(data, f"{TX}/DbtrAcct", add_child(proxy if version == 10 else ""))
        assert (not xsd_errors(data)) is valid
        if valid:
            assert parse_pacs008_xml(data)[0].payer_account == "+4917612345678"
        else:
            with pytest.raises(Iso20022Error, match="DbtrAcct/Id: is required"):
                parse_pacs008_xml(data)


ACCEPTED_BY_BOTH: dict[str, Message] = {
    "plain v07": Message(version=7),
    "plain v10": Message(version=10),
    "with envelope": Message(envelope=True),
    "other account": Message(
        payments=[Payment(debtor_account="12345678", debtor_account_iban=False)]
    ),
    "no accounts, no names": Message(
        payments=[
            Payment(
                debtor_account=None,
                creditor_account=None,
                debtor_name=None,
                creditor_name=None,
                debtor_country=None,
                creditor_country=None,
            )
        ]
    ),
    "three transactions": Message(payments=[Payment(end_to_end_id=f"E{i}") for i in range(3)]),
    "trailing zeros": Message(payments=[Payment(amount="125.50000")]),
    "leading zeros, sign": Message(payments=[Payment(amount="+000125.5")]),
    "no integer part": Message(payments=[Payment(amount=".5")]),
    "offset": Message(created="2026-03-01T11:30:00.1234567+02:00"),
    "no offset": Message(created="2026-03-01T09:30:00"),
    "end of day": Message(created="2026-02-28T24:00:00Z"),
    "uetr": Message(payments=[Payment(uetr="8a562c67-ca16-48ba-b074-65581be6f011")]),
    "geolocation": Message(location=("-33.9", "18.4")),
    "unread elements": Message(
        payments=[Payment(extra="<RmtInf><Ustrd>Invoice 42</Ustrd></RmtInf>")]
    ),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED_BY_BOTH))
def test_accepted_by_xsd_and_parser(case: str) -> None:
    data = pacs008_xml(ACCEPTED_BY_BOTH[case])
    assert xsd_errors(data) == []
    txs = parse_pacs008_xml(data)
    assert len(txs) == len(ACCEPTED_BY_BOTH[case].payments)


STRICTER_THAN_XSD: dict[str, tuple[Message, str]] = {
    "zero amount": (Message(payments=[Payment(amount="0.00")]), "greater than zero"),
    "unknown currency": (Message(payments=[Payment(currency="ABC")]), "ISO 4217"),
    "gold": (Message(payments=[Payment(currency="XAU", amount="1")]), "no minor unit"),
    "yen with sen": (Message(payments=[Payment(currency="JPY", amount="100.5")]), "JPY"),
    "count mismatch": (Message(nb_of_txs="2"), "holds 1"),
    "space in id": (Message(payments=[Payment(end_to_end_id="E2E 1")]), "transaction id"),
    "NOTPROVIDED only": (
        Message(payments=[Payment(end_to_end_id="NOTPROVIDED", tx_id=None)]),
        "no UETR or TxId",
    ),
    "year 0001": (Message(created="0001-01-01T00:00:00+14:00"), "date and time"),
}


@pytest.mark.parametrize("case", sorted(STRICTER_THAN_XSD))
def test_refused_by_design_although_xsd_valid(case: str) -> None:
    message, detail = STRICTER_THAN_XSD[case]
    data = pacs008_xml(message)
    assert xsd_errors(data) == []
    with pytest.raises(Iso20022Error, match=detail):
        parse_pacs008_xml(data)


PACS002_REJECTED: dict[str, tuple[StatusReport, str]] = {
    "AddtlInf 106 chars": (
        StatusReport(lines=[StatusLine(reason="AC04", info=["i" * 106])]),
        "StsRsnInf[1]/AddtlInf[1]",
    ),
    "reason code 5 chars": (StatusReport(lines=[StatusLine(reason="AC045")]), "Rsn/Cd"),
    "Cd and Prtry": (StatusReport(lines=[StatusLine(reason="AC04", proprietary="X")]), "Rsn"),
    "status 5 chars": (StatusReport(lines=[StatusLine(status="ACCCC")]), "TxSts"),
    "v03 status ACCC": (StatusReport(version=3, lines=[StatusLine(status="ACCC")]), "TxSts"),
    "v03 without group": (StatusReport(version=3, original_msg_id=None), "OrgnlGrpInfAndSts"),
    "bad acceptance time": (
        StatusReport(lines=[StatusLine(accepted="2026-03-01T25:00:00Z")]),
        "AccptncDtTm",
    ),
}


@pytest.mark.parametrize("case", sorted(PACS002_REJECTED))
def test_pacs002_rejected_by_xsd_and_parser(case: str) -> None:
    report, where = PACS002_REJECTED[case]
    data = pacs002_xml(report)
    assert xsd_errors(data)
    with pytest.raises(Iso20022Error) as info:
        parse_pacs002_xml(data)
    assert any(where in path for path, _ in info.value.errors), info.value.errors


@pytest.mark.parametrize("version", [3, 12])
def test_pacs002_accepted_by_xsd_and_parser(version: int) -> None:
    data = pacs002_xml(
        StatusReport(
            version=version,
            group_status="PART",
            lines=[
                StatusLine(status="ACSC", accepted="2026-03-01T09:30:59Z"),
                StatusLine(end_to_end_id="E2", status="RJCT", reason="AC04", info=["i" * 105]),
            ],
        )
    )
    assert xsd_errors(data) == []
    assert [s.status for s in parse_pacs002_xml(data)] == ["ACSC", "RJCT"]
