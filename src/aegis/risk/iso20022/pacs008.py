"""pacs.008 (FIToFICustomerCreditTransfer) to :class:`Transaction`, from XML or Tazama's JSON.

Each ``CdtTrfTxInf`` becomes one transfer. The mapping (also in ``docs/risk-intake.md``):

================================================  =================================
element (under ``FIToFICstmrCdtTrf``)             Transaction field
================================================  =================================
``CdtTrfTxInf/PmtId/EndToEndId`` (see below)      ``id``
``GrpHdr/CreDtTm``                                ``time`` (UTC)
``CdtTrfTxInf/IntrBkSttlmAmt`` and its ``Ccy``    ``amount`` (minor units), ``currency``
``CdtTrfTxInf/DbtrAcct/Id`` (IBAN or Othr/Id)     ``payer_account``, ``customer_id``
``CdtTrfTxInf/Dbtr/Nm``                           ``payer_name``
``CdtTrfTxInf/CdtrAcct/Id`` (IBAN or Othr/Id)     ``payee_account``
``CdtTrfTxInf/Cdtr/Nm``                           ``payee_name``
``CdtTrfTxInf/Cdtr/PstlAdr/Ctry`` or CtryOfRes    ``payee_country``
``SplmtryData/Envlp/Doc/InitgPty/Glctn``          ``latitude``, ``longitude`` (Tazama)
(constant)                                        ``type`` transfer, ``channel`` api
================================================  =================================

Why EndToEndId: it is the only identification mandatory in every version, it travels
unchanged from debtor to creditor, and it is what a pacs.002 quotes back (OrgnlEndToEndId),
so a status report finds its transaction; Tazama keys transactions on it too. When the debtor
gave none (``NOTPROVIDED``) the UETR is used, then the TxId.

Why ``customer_id`` is the debtor's account: it is what identifies the partner's customer in
an interbank message; without a debtor account, the debtor's first ``Id/*/Othr/Id``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from aegis.risk.iso20022._json import load
from aegis.risk.iso20022._nodes import COUNTRY, IBAN, UUID4, JsonNode, Node, Reader
from aegis.risk.iso20022._xml import expect, parse_document
from aegis.risk.iso20022.errors import Iso20022Error
from aegis.risk.iso20022.policy import (
    DEFAULT_OPTIONS,
    NOT_PROVIDED,
    TRANSACTION_ID,
    TRANSACTION_ID_RULE,
    ParseOptions,
    future_detail,
    future_excess,
)
from aegis.risk.model import Transaction, TxType

MESSAGE: Final = "pacs.008"
XML_VERSIONS: Final = frozenset({7, 10})
JSON_VERSION: Final = "pacs.008.001.10"  # the only version Tazama renders as JSON
ROOT: Final = "FIToFICstmrCdtTrf"

SETTLEMENT_METHODS: Final = frozenset({"INDA", "INGA", "COVE", "CLRG"})
CHARGE_BEARERS: Final = frozenset({"DEBT", "CRED", "SHAR", "SLEV"})


@dataclass(frozen=True, slots=True)
class _Header:
    time: dt.datetime | None
    location: tuple[float, float] | None


def parse_pacs008_xml(data: bytes, *, options: ParseOptions = DEFAULT_OPTIONS) -> list[Transaction]:
    """Every transaction of a pacs.008 XML message (bare Document or inside an envelope with
    an AppHdr), or :class:`Iso20022Error` listing every problem found."""
    doc = parse_document(data, max_bytes=options.max_bytes)
    expect(doc, MESSAGE, XML_VERSIONS)
    return _read(doc.document, options, v10=doc.version >= 10)


def parse_pacs008_json(
    data: bytes | Mapping[str, Any], *, options: ParseOptions = DEFAULT_OPTIONS
) -> list[Transaction]:
    """The same from Tazama's JSON form. ``TenantId`` is ignored: the tenant is the caller's
    API key, never something the body claims. Pass bytes rather than a parsed dict where you
    can, so amounts are read as the decimals that were sent."""
    root = JsonNode("", load(data, max_bytes=options.max_bytes))
    reader = Reader(naive_tz=options.naive_tz)
    tx_type = reader.text(root, "TxTp", max_len=35)
    if tx_type is not None and tx_type != JSON_VERSION:
        raise Iso20022Error.at("/TxTp", f"must be {JSON_VERSION} for Tazama's pacs.008 JSON")
    return _read(root, options, v10=True, reader=reader)


def _read(
    top: Node, options: ParseOptions, *, v10: bool, reader: Reader | None = None
) -> list[Transaction]:
    r = reader or Reader(naive_tz=options.naive_tz)
    message = r.group(top, ROOT, required=True)
    out: list[Transaction] = []
    if message is not None:
        header = _header(r, message, options)
        nodes = r.groups(message, "CdtTrfTxInf", required=True)
        for node in nodes:
            tx = _transaction(r, node, header, v10=v10)
            if tx is not None:
                out.append(tx)
    if r.errors:
        raise Iso20022Error(r.errors)
    return out


def _header(r: Reader, message: Node, options: ParseOptions) -> _Header:
    hdr = r.group(message, "GrpHdr", required=True)
    time = None
    if hdr is not None:
        r.text(hdr, "MsgId", required=True, max_len=35)
        time = r.datetime(hdr, "CreDtTm", required=True)
        declared = r.count(hdr, "NbOfTxs", required=True)
        settlement = r.group(hdr, "SttlmInf", required=True)
        r.text(settlement, "SttlmMtd", required=True, max_len=4, codes=SETTLEMENT_METHODS)
        held = len(message.find("CdtTrfTxInf", indexed=True))
        if declared is not None and held and declared != held:
            # A count that disagrees means a batch was cut or spliced on the way.
            r.fail(hdr.child_path("NbOfTxs"), f"says {declared}; the message holds {held}")
        if time is not None and options.now is not None:
            skew = options.max_future_skew
            if future_excess(time, now=options.now, max_future_skew=skew):
                r.fail(hdr.child_path("CreDtTm"), future_detail(skew))
    return _Header(time, _location(r, message))


def _location(r: Reader, message: Node) -> tuple[float, float] | None:
    """Tazama's payer geolocation, kept in the message's supplementary data."""
    for data in r.groups(message, "SplmtryData"):
        envelope = r.group(data, "Envlp", required=True)
        # Envlp is xs:any: other content is the sender's business, so only this exact
        # structure is read and nothing else there is an error.
        doc = envelope.find("Doc", indexed=False) if envelope else []
        party = doc[0].find("InitgPty", indexed=False) if len(doc) == 1 else []
        where = r.group(party[0], "Glctn") if len(party) == 1 else None
        if where is not None:
            lat = r.decimal_text(where, "Lat", low=-90, high=90)
            lon = r.decimal_text(where, "Long", low=-180, high=180)
            return (lat, lon) if lat is not None and lon is not None else None
    return None


def _transaction(r: Reader, node: Node, header: _Header, *, v10: bool) -> Transaction | None:
    errors_before = len(r.errors)
    tx_id = _identification(r, r.group(node, "PmtId", required=True), v10=v10)
    money = r.amount(node, "IntrBkSttlmAmt")
    r.text(node, "ChrgBr", required=True, max_len=4, codes=CHARGE_BEARERS)
    debtor = r.group(node, "Dbtr", required=True)
    payer_name, _, debtor_ref = _party(r, debtor)
    payer_account = _account(r, node, "DbtrAcct", v10=v10)
    for agent in ("DbtrAgt", "CdtrAgt"):
        r.group(r.group(node, agent, required=True), "FinInstnId", required=True)
    creditor = r.group(node, "Cdtr", required=True)
    payee_name, payee_country, _ = _party(r, creditor)
    payee_account = _account(r, node, "CdtrAcct", v10=v10)
    if len(r.errors) > errors_before or tx_id is None or money is None or header.time is None:
        return None
    lat, lon = header.location or (None, None)
    return Transaction(
        id=tx_id,
        time=header.time,
        type=TxType.TRANSFER,
        amount=money[0],
        currency=money[1],
        customer_id=payer_account or debtor_ref,
        payer_account=payer_account,
        payee_account=payee_account,
        payer_name=payer_name,
        payee_name=payee_name,
        payee_country=payee_country,
        channel="api",
        latitude=lat,
        longitude=lon,
    )


def _identification(r: Reader, pmt: Node | None, *, v10: bool) -> str | None:
    if pmt is None:
        return None
    r.text(pmt, "InstrId", max_len=35)
    end_to_end = r.text(pmt, "EndToEndId", required=True, max_len=35)
    tx = r.text(pmt, "TxId", required=not v10, max_len=35)  # optional from version 08
    uetr = r.text(pmt, "UETR", pattern=UUID4, max_len=36) if v10 else None
    if end_to_end is None:
        return None
    for value, name in ((end_to_end, "EndToEndId"), (uetr, "UETR"), (tx, "TxId")):
        if value is not None and value != NOT_PROVIDED:
            if TRANSACTION_ID.fullmatch(value):
                return value
            r.fail(pmt.child_path(name), f"{TRANSACTION_ID_RULE}, to serve as transaction id")
            return None
    r.fail(pmt.path, f"EndToEndId is {NOT_PROVIDED} and there is no UETR or TxId to use")
    return None


def _party(r: Reader, party: Node | None) -> tuple[str | None, str | None, str | None]:
    """(name, country, first identification) of a debtor or creditor."""
    if party is None:
        return None, None, None
    name = r.text(party, "Nm", max_len=140)
    address = r.group(party, "PstlAdr")
    country = r.text(address, "Ctry", max_len=2, pattern=COUNTRY)
    residence = r.text(party, "CtryOfRes", max_len=2, pattern=COUNTRY)
    reference = None
    ident = r.group(party, "Id")
    if ident is not None:
        r.choice(ident, "OrgId", "PrvtId")
        for kind in ("OrgId", "PrvtId"):
            others = r.groups(r.group(ident, kind), "Othr")
            if others and reference is None:
                reference = r.text(others[0], "Id", required=True, max_len=35)
    return _clean(name), country or residence, reference


def _account(r: Reader, node: Node, name: str, *, v10: bool) -> str | None:
    account = r.group(node, name)
    if account is None:
        return None
    r.text(account, "Nm", max_len=70)
    ident = r.group(account, "Id", required=not v10)  # v10 allows a proxy instead
    if ident is not None:
        r.choice(ident, "IBAN", "Othr")
        iban = r.text(ident, "IBAN", max_len=34, pattern=IBAN)
        other = r.text(r.group(ident, "Othr"), "Id", required=True, max_len=34)
        return iban or other
    if v10:
        return r.text(r.group(account, "Prxy"), "Id", required=True, max_len=2048)
    return None


def _clean(name: str | None) -> str | None:
    """Names as screening compares them: inner runs of whitespace (line breaks in a wrapped
    XML element) are one space."""
    return " ".join(name.split()) or None if name is not None else None
