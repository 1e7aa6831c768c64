"""pacs.002 (FIToFIPaymentStatusReport) to :class:`PaymentStatus`, from XML or Tazama's JSON.

The decision service uses these to mark a transaction settled or rejected. One status is
produced per ``TxInfAndSts``; a report that carries only a group status (``GrpSts``, as when
a whole message is rejected) gives one status per ``OrgnlGrpInfAndSts``, with no transaction
id and the original message id instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from aegis.risk.iso20022._json import load
from aegis.risk.iso20022._nodes import UUID4, JsonNode, Node, Reader
from aegis.risk.iso20022._xml import expect, parse_document
from aegis.risk.iso20022.errors import Iso20022Error
from aegis.risk.iso20022.policy import DEFAULT_OPTIONS, NOT_PROVIDED, ParseOptions

MESSAGE: Final = "pacs.002"
XML_VERSIONS: Final = frozenset({3, 12})
JSON_VERSION: Final = "pacs.002.001.12"
XML_ROOT: Final = "FIToFIPmtStsRpt"
JSON_ROOT: Final = "FIToFIPmtSts"  # Tazama's name for the same element

# Version 03 enumerates the statuses; from 08 on they are an external code list (any 1-4
# characters in the XSD), so only 03 is checked against a list.
_V03_TX_STATUS: Final = frozenset({"ACTC", "RJCT", "PDNG", "ACCP", "ACSP", "ACSC", "ACWC"})
_V03_GROUP_STATUS: Final = _V03_TX_STATUS | {"RCVD", "PART"}

SETTLED: Final = frozenset({"ACSC", "ACCC"})
REJECTED: Final = frozenset({"RJCT"})


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentStatus:
    message_id: str  # GrpHdr/MsgId of the report
    time: dt.datetime  # GrpHdr/CreDtTm of the report, UTC
    status: str  # TxSts (or GrpSts for a group-level report): ACCC, ACSC, RJCT, PDNG...
    transaction_id: str | None  # the Transaction.id it is about (same rule as pacs.008)
    end_to_end_id: str | None = None  # OrgnlEndToEndId
    original_transaction_id: str | None = None  # OrgnlTxId
    original_instruction_id: str | None = None  # OrgnlInstrId
    uetr: str | None = None  # OrgnlUETR
    original_message_id: str | None = None  # OrgnlGrpInfAndSts/OrgnlMsgId
    reason_code: str | None = None  # StsRsnInf/Rsn/Cd (ExternalStatusReason1Code, e.g. AC04)
    reason_proprietary: str | None = None  # StsRsnInf/Rsn/Prtry
    accepted_at: dt.datetime | None = None  # AccptncDtTm

    @property
    def settled(self) -> bool:
        return self.status in SETTLED

    @property
    def rejected(self) -> bool:
        return self.status in REJECTED


def parse_pacs002_xml(
    data: bytes, *, options: ParseOptions = DEFAULT_OPTIONS
) -> list[PaymentStatus]:
    doc = parse_document(data, max_bytes=options.max_bytes)
    expect(doc, MESSAGE, XML_VERSIONS)
    r = Reader(naive_tz=options.naive_tz)
    return _read(r, r.group(doc.document, XML_ROOT, required=True), v12=doc.version >= 12)


def parse_pacs002_json(
    data: bytes | Mapping[str, Any], *, options: ParseOptions = DEFAULT_OPTIONS
) -> list[PaymentStatus]:
    """Tazama's JSON form; ``TenantId`` is ignored, as for pacs.008."""
    root = JsonNode("", load(data, max_bytes=options.max_bytes))
    r = Reader(naive_tz=options.naive_tz)
    tx_type = r.text(root, "TxTp", max_len=35)
    if tx_type is not None and tx_type != JSON_VERSION:
        raise Iso20022Error.at("/TxTp", f"must be {JSON_VERSION} for Tazama's pacs.002 JSON")
    return _read(r, r.group(root, JSON_ROOT, required=True), v12=True)


@dataclass(frozen=True, slots=True)
class _Reason:
    code: str | None = None
    proprietary: str | None = None


@dataclass(frozen=True, slots=True)
class _Group:
    original_message_id: str | None
    status: str | None
    reason: _Reason


def _read(r: Reader, report: Node | None, *, v12: bool) -> list[PaymentStatus]:
    out: list[PaymentStatus] = []
    if report is not None:
        hdr = r.group(report, "GrpHdr", required=True)
        message_id = r.text(hdr, "MsgId", required=True, max_len=35)
        time = r.datetime(hdr, "CreDtTm", required=True)
        if v12:
            groups = [_group(r, g, v12=v12) for g in r.groups(report, "OrgnlGrpInfAndSts")]
        else:  # exactly one in version 03
            node = r.group(report, "OrgnlGrpInfAndSts", required=True)
            groups = [_group(r, node, v12=v12)] if node is not None else []
        group = groups[0] if groups else _Group(None, None, _Reason())
        report_id = (message_id, time) if message_id is not None and time is not None else None
        details = r.groups(report, "TxInfAndSts")
        for node in details:
            status = _transaction(r, node, group, report_id, v12=v12)
            if status is not None:
                out.append(status)
        if not details:
            for g in groups:
                if g.status is not None and report_id is not None:
                    out.append(
                        PaymentStatus(
                            message_id=report_id[0],
                            time=report_id[1],
                            status=g.status,
                            transaction_id=None,
                            original_message_id=g.original_message_id,
                            reason_code=g.reason.code,
                            reason_proprietary=g.reason.proprietary,
                        )
                    )
            if not any(g.status for g in groups):
                r.fail(report.path, "reports no status: no TxInfAndSts and no GrpSts")
    if r.errors:
        raise Iso20022Error(r.errors)
    return out


def _group(r: Reader, node: Node, *, v12: bool) -> _Group:
    original = r.text(node, "OrgnlMsgId", required=True, max_len=35)
    r.text(node, "OrgnlMsgNmId", required=True, max_len=35)
    status = _status(r, node, "GrpSts", None if v12 else _V03_GROUP_STATUS)
    return _Group(original, status, _reasons(r, node))


def _status(r: Reader, node: Node, name: str, codes: frozenset[str] | None) -> str | None:
    return r.text(node, name, max_len=4, codes=codes)


def _reasons(r: Reader, node: Node) -> _Reason:
    """The first reason given; every reason block is still validated (AddtlInf included:
    a report whose free text breaks the schema is refused whole, as the XSD would)."""
    first = _Reason()
    for info in r.groups(node, "StsRsnInf"):
        r.texts(info, "AddtlInf", max_len=105)
        reason = r.group(info, "Rsn")
        if reason is None:
            continue
        r.choice(reason, "Cd", "Prtry")
        code = r.text(reason, "Cd", max_len=4)
        proprietary = r.text(reason, "Prtry", max_len=35)
        if first == _Reason():
            first = _Reason(code, proprietary)
    return first


def _transaction(
    r: Reader,
    node: Node,
    group: _Group,
    report_id: tuple[str, dt.datetime] | None,
    *,
    v12: bool,
) -> PaymentStatus | None:
    errors_before = len(r.errors)
    r.text(node, "StsId", max_len=35)
    instruction = r.text(node, "OrgnlInstrId", max_len=35)
    end_to_end = r.text(node, "OrgnlEndToEndId", max_len=35)
    original_tx = r.text(node, "OrgnlTxId", max_len=35)
    uetr = r.text(node, "OrgnlUETR", max_len=36, pattern=UUID4) if v12 else None
    status = _status(r, node, "TxSts", None if v12 else _V03_TX_STATUS) or group.status
    reason = _reasons(r, node)
    if reason == _Reason():
        reason = group.reason
    accepted = r.datetime(node, "AccptncDtTm")
    if status is None and len(r.errors) == errors_before:
        r.fail(node.path, "has no TxSts and the group has no GrpSts")
    if len(r.errors) > errors_before or status is None or report_id is None:
        return None
    # The same preference as pacs.008 uses to name a transaction, so the ids meet.
    candidates = (end_to_end, uetr, original_tx)
    return PaymentStatus(
        message_id=report_id[0],
        time=report_id[1],
        status=status,
        transaction_id=next((c for c in candidates if c and c != NOT_PROVIDED), None),
        end_to_end_id=end_to_end,
        original_transaction_id=original_tx,
        original_instruction_id=instruction,
        uetr=uetr,
        original_message_id=group.original_message_id,
        reason_code=reason.code,
        reason_proprietary=reason.proprietary,
        accepted_at=accepted,
    )
