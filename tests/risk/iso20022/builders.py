"""Small generated ISO 20022 messages for the tests (no third-party file is copied here).

``pacs008_xml`` writes elements in the XSD's sequence so the result is schema-valid for
pacs.008.001.07 and .10; ``tazama_to_xml`` and ``xml_to_tazama`` render one form as the
other mechanically, so "the same payment in both forms" is not hand-made twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

ISO = "urn:iso:std:iso:20022:tech:xsd:"
GEO_NS = "urn:example:aegis:geo"


def ns(message: str, version: int) -> str:
    return f"{ISO}{message}.001.{version:02d}"


@dataclass
class Payment:
    end_to_end_id: str = "E2E-0001"
    tx_id: str | None = "TX-0001"
    instr_id: str | None = "INSTR-0001"
    uetr: str | None = None
    amount: str = "125.50"
    currency: str = "EUR"
    charge_bearer: str = "SHAR"
    debtor_name: str | None = "Jane Doe"
    debtor_country: str | None = "DE"
    debtor_account: str | None = "DE89370400440532013000"
    debtor_account_iban: bool = True
    creditor_name: str | None = "Shop SARL"
    creditor_country: str | None = "FR"
    creditor_account: str | None = "FR7630006000011234567890189"
    creditor_account_iban: bool = True
    extra: str = ""  # raw XML appended inside CdtTrfTxInf (after CdtrAcct)


@dataclass
class Message:
    payments: list[Payment] = field(default_factory=lambda: [Payment()])
    version: int = 10
    msg_id: str = "MSG-0001"
    created: str = "2026-03-01T09:30:00Z"
    nb_of_txs: str | None = None  # default: the number of payments
    settlement: str = "CLRG"
    location: tuple[str, str] | None = None
    envelope: bool = False


def _text(name: str, value: str | None) -> str:
    return "" if value is None else f"<{name}>{escape(value)}</{name}>"


def _party(name: str | None, country: str | None) -> str:
    address = f"<PstlAdr><Ctry>{country}</Ctry></PstlAdr>" if country else ""
    return _text("Nm", name) + address


def _account(value: str | None, iban: bool) -> str:
    if value is None:
        return ""
    ident = f"<IBAN>{value}</IBAN>" if iban else f"<Othr><Id>{escape(value)}</Id></Othr>"
    return f"<Id>{ident}</Id>"


def _transaction(p: Payment, version: int) -> str:
    uetr = _text("UETR", p.uetr) if version >= 10 else ""
    debtor_account = _account(p.debtor_account, p.debtor_account_iban)
    creditor_account = _account(p.creditor_account, p.creditor_account_iban)
    return (
        "<CdtTrfTxInf>"
        f"<PmtId>{_text('InstrId', p.instr_id)}{_text('EndToEndId', p.end_to_end_id)}"
        f"{_text('TxId', p.tx_id)}{uetr}</PmtId>"
        f"<IntrBkSttlmAmt Ccy={quoteattr(p.currency)}>{p.amount}</IntrBkSttlmAmt>"
        f"<ChrgBr>{p.charge_bearer}</ChrgBr>"
        f"<Dbtr>{_party(p.debtor_name, p.debtor_country)}</Dbtr>"
        + (f"<DbtrAcct>{debtor_account}</DbtrAcct>" if debtor_account else "")
        + "<DbtrAgt><FinInstnId><BICFI>COBADEFFXXX</BICFI></FinInstnId></DbtrAgt>"
        "<CdtrAgt><FinInstnId><BICFI>BNPAFRPPXXX</BICFI></FinInstnId></CdtrAgt>"
        f"<Cdtr>{_party(p.creditor_name, p.creditor_country)}</Cdtr>"
        + (f"<CdtrAcct>{creditor_account}</CdtrAcct>" if creditor_account else "")
        + p.extra
        + "</CdtTrfTxInf>"
    )


def pacs008_xml(m: Message | None = None) -> bytes:
    m = m or Message()
    count = m.nb_of_txs if m.nb_of_txs is not None else str(len(m.payments))
    location = ""
    if m.location:
        lat, lon = m.location
        location = (
            f"<SplmtryData><Envlp><Doc xmlns={quoteattr(GEO_NS)}><InitgPty><Glctn>"
            f"<Lat>{lat}</Lat><Long>{lon}</Long></Glctn></InitgPty></Doc></Envlp></SplmtryData>"
        )
    document = (
        f'<Document xmlns="{ns("pacs.008", m.version)}"><FIToFICstmrCdtTrf>'
        f"<GrpHdr><MsgId>{escape(m.msg_id)}</MsgId><CreDtTm>{m.created}</CreDtTm>"
        f"<NbOfTxs>{count}</NbOfTxs><SttlmInf><SttlmMtd>{m.settlement}</SttlmMtd></SttlmInf>"
        "</GrpHdr>"
        + "".join(_transaction(p, m.version) for p in m.payments)
        + location
        + "</FIToFICstmrCdtTrf></Document>"
    )
    if m.envelope:
        header = (
            f'<AppHdr xmlns="{ISO}head.001.001.01"><Fr><FIId><FinInstnId><BICFI>COBADEFFXXX'
            "</BICFI></FinInstnId></FIId></Fr><To><FIId><FinInstnId><BICFI>BNPAFRPPXXX</BICFI>"
            f"</FinInstnId></FIId></To><BizMsgIdr>{escape(m.msg_id)}</BizMsgIdr>"
            f"<MsgDefIdr>pacs.008.001.{m.version:02d}</MsgDefIdr>"
            "<CreDt>2026-03-01T09:30:00Z</CreDt></AppHdr>"
        )
        document = f"<message>{header}{document}</message>"
    return ('<?xml version="1.0" encoding="UTF-8"?>' + document).encode()


@dataclass
class StatusLine:
    end_to_end_id: str | None = "E2E-0001"
    tx_id: str | None = "TX-0001"
    status: str | None = "ACSC"
    reason: str | None = None  # an external code such as AC04
    proprietary: str | None = None
    info: list[str] = field(default_factory=list)
    accepted: str | None = None


@dataclass
class StatusReport:
    lines: list[StatusLine] = field(default_factory=lambda: [StatusLine()])
    version: int = 12
    msg_id: str = "STS-0001"
    created: str = "2026-03-01T09:31:00Z"
    original_msg_id: str | None = "MSG-0001"
    group_status: str | None = None
    group_reason: str | None = None


def _reason(code: str | None, proprietary: str | None, info: list[str]) -> str:
    if code is None and proprietary is None and not info:
        return ""
    rsn = _text("Cd", code) + _text("Prtry", proprietary)
    return (
        "<StsRsnInf>"
        + (f"<Rsn>{rsn}</Rsn>" if rsn else "")
        + "".join(_text("AddtlInf", i) for i in info)
        + "</StsRsnInf>"
    )


def pacs002_xml(s: StatusReport | None = None) -> bytes:
    s = s or StatusReport()
    group = ""
    if s.original_msg_id is not None:
        group = (
            f"<OrgnlGrpInfAndSts><OrgnlMsgId>{s.original_msg_id}</OrgnlMsgId>"
            "<OrgnlMsgNmId>pacs.008.001.10</OrgnlMsgNmId>"
            + _text("GrpSts", s.group_status)
            + _reason(s.group_reason, None, [])
            + "</OrgnlGrpInfAndSts>"
        )
    lines = "".join(
        "<TxInfAndSts>"
        + _text("OrgnlEndToEndId", line.end_to_end_id)
        + _text("OrgnlTxId", line.tx_id)
        + _text("TxSts", line.status)
        + _reason(line.reason, line.proprietary, line.info)
        + _text("AccptncDtTm", line.accepted)
        + "</TxInfAndSts>"
        for line in s.lines
    )
    return (
        f'<Document xmlns="{ns("pacs.002", s.version)}"><FIToFIPmtStsRpt>'
        f"<GrpHdr><MsgId>{s.msg_id}</MsgId><CreDtTm>{s.created}</CreDtTm></GrpHdr>"
        f"{group}{lines}</FIToFIPmtStsRpt></Document>"
    ).encode()


# -- one form rendered as the other --------------------------------------------------------


def _is_amount(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"Amt", "Ccy"}


def tazama_to_xml(doc: dict[str, Any], *, message: str, version: int, root: str) -> bytes:
    """Tazama's JSON as ISO XML, element for element. Amounts (``{"Amt": {"Amt", "Ccy"}}``)
    become ``<X Ccy="...">n</X>``; arrays become repeated elements. Tazama places some
    elements where the XSD does not, so the result is for the parser, not the XSD."""
    namespace = ns(message, version)

    def emit(parent: Any, name: str, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                emit(parent, name, item)
            return
        el = etree.SubElement(parent, f"{{{namespace}}}{name}")
        if isinstance(value, dict) and set(value) == {"Amt"} and _is_amount(value["Amt"]):
            value = value["Amt"]
        if _is_amount(value):
            el.set("Ccy", value["Ccy"])
            el.text = str(value["Amt"])
        elif isinstance(value, dict):
            for key, item in value.items():
                emit(el, key, item)
        else:
            el.text = str(value)

    document = etree.Element(f"{{{namespace}}}Document", nsmap={None: namespace})
    body = next(v for k, v in doc.items() if k not in ("TxTp", "TenantId"))
    emit(document, root, body)
    return bytes(etree.tostring(document, xml_declaration=True, encoding="UTF-8"))


_JSON_INTEGERS = {"NbOfTxs"}


def xml_to_tazama(data: bytes, *, tx_type: str, root: str) -> dict[str, Any]:
    """ISO XML as Tazama's JSON: amounts as ``{"Amt": {"Amt": Decimal, "Ccy"}}``, repeated
    elements as arrays, NbOfTxs as an integer, the AppHdr envelope dropped."""
    tree = etree.fromstring(data)
    document = next(e for e in tree.iter() if etree.QName(e).localname == "Document")

    def convert(el: Any) -> Any:
        children = [c for c in el if isinstance(c.tag, str)]
        name = etree.QName(el).localname
        if not children:
            text = (el.text or "").strip()
            if el.get("Ccy") is not None:
                return {"Amt": {"Amt": Decimal(text), "Ccy": el.get("Ccy")}}
            return int(text) if name in _JSON_INTEGERS else text
        out: dict[str, Any] = {}
        for child in children:
            key, value = etree.QName(child).localname, convert(child)
            if key in out:
                out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
            else:
                out[key] = value
        return out

    message = next(iter(document))
    return {"TxTp": tx_type, root: convert(message)}
