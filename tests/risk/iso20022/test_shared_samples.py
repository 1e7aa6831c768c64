"""The shared real-world samples: each is accepted or refused exactly as its schema says, and
the same payment in XML and in Tazama's JSON gives the same Transaction."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from aegis.risk.iso20022 import (
    Iso20022Error,
    MessageKind,
    detect,
    parse_pacs002_json,
    parse_pacs002_xml,
    parse_pacs008_json,
    parse_pacs008_xml,
)
from aegis.risk.model import TxType
from tests.risk.iso20022.builders import tazama_to_xml, xml_to_tazama
from tests.risk.iso20022.support import (
    JSON_SAMPLES,
    JSON_SCHEMAS,
    XML_SAMPLES,
    document_of,
    needs_shared,
    xsd_errors,
)

pytestmark = needs_shared

PROWIDE_008 = XML_SAMPLES / "prowide_pacs.008.001.07_with_AppHdr.xml"
PROWIDE_002 = XML_SAMPLES / "prowide_pacs.002.001.03_CDATA_with_AppHdr.xml"
PARSERS = {"pacs.008": parse_pacs008_xml, "pacs.002": parse_pacs002_xml}


def _xml_samples() -> list[Path]:
    return sorted(XML_SAMPLES.glob("*.xml")) if XML_SAMPLES.is_dir() else []


def _tazama(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((JSON_SAMPLES / name).read_bytes(), parse_float=Decimal)
    return loaded


@pytest.mark.parametrize("path", _xml_samples(), ids=lambda p: p.name)
def test_every_xml_sample_is_judged_as_the_xsd_judges_it(path: Path) -> None:
    data = path.read_bytes()
    namespace = etree.QName(document_of(data)).namespace
    message = namespace.rsplit(":", 1)[-1][:8]  # "pacs.008"
    valid = not xsd_errors(data)
    parser = PARSERS.get(message)
    if parser is None:
        # Valid or not, it is not a message Aegis takes, and every entry point says so.
        with pytest.raises(Iso20022Error, match=r"pain\.001"):
            parse_pacs008_xml(data)
        with pytest.raises(Iso20022Error, match="not accepted"):
            detect(data, "application/xml")
        return
    if valid:
        assert parser(data)
    else:
        with pytest.raises(Iso20022Error):
            parser(data)


def test_the_prowide_pacs008_maps_field_by_field() -> None:
    (tx,) = parse_pacs008_xml(PROWIDE_008.read_bytes())
    assert tx.id == "223423423"  # EndToEndId, not TxId 123452342
    # CreDtTm has no offset: read as UTC by default.
    assert tx.time == dt.datetime(2018, 4, 27, 21, 0, 45, tzinfo=dt.UTC)
    assert (tx.amount, tx.currency) == (500000, "USD")  # IntrBkSttlmAmt 5000, not the total
    assert (tx.type, tx.channel) == (TxType.TRANSFER, "api")
    assert (tx.payer_name, tx.payee_name) == ("JOHN DOE", "Mike Smith")
    # No DbtrAcct, no debtor Id, no creditor address: nothing is invented.
    assert tx.customer_id is tx.payer_account is tx.payee_account is tx.payee_country is None


def test_the_invalid_prowide_pacs002_is_refused_naming_each_overlong_text() -> None:
    with pytest.raises(Iso20022Error) as info:
        parse_pacs002_xml(PROWIDE_002.read_bytes())
    errors = info.value.errors
    assert len(errors) == len(xsd_errors(PROWIDE_002.read_bytes())) == 10
    for i, (path, detail) in enumerate(errors, 1):
        assert path == f"/Document/FIToFIPmtStsRpt/OrgnlGrpInfAndSts/StsRsnInf[1]/AddtlInf[{i}]"
        assert detail.endswith("at most 105 allowed")


def test_detect_routes_the_samples() -> None:
    assert detect(PROWIDE_008.read_bytes(), "application/xml") is MessageKind.PACS008_XML
    assert detect(PROWIDE_002.read_bytes(), "text/xml; charset=utf-8") is MessageKind.PACS002_XML
    pacs008 = (JSON_SAMPLES / "pacs008.json").read_bytes()
    assert detect(pacs008, "application/json") is MessageKind.PACS008_JSON
    pacs002 = (JSON_SAMPLES / "pacs002.json").read_bytes()
    assert detect(pacs002, "application/json") is MessageKind.PACS002_JSON
    for other in ("pain001.json", "pain013.json"):
        with pytest.raises(Iso20022Error, match=r"only pacs\.008 and pacs\.002"):
            detect((JSON_SAMPLES / other).read_bytes(), "application/json")


@pytest.mark.parametrize(
    ("sample", "schema", "parse"),
    [
        ("pacs008.json", "pacs.008.json", parse_pacs008_json),
        ("pacs002.json", "pacs.002.json", parse_pacs002_json),
    ],
)
def test_tazama_samples_valid_for_tazama_are_accepted(sample: str, schema: str, parse: Any) -> None:
    import jsonschema  # type: ignore[import-untyped]

    document = json.loads((JSON_SAMPLES / sample).read_bytes())
    validator = jsonschema.Draft7Validator(json.loads((JSON_SCHEMAS / schema).read_bytes()))
    without_tenant = {k: v for k, v in document.items() if k != "TenantId"}
    assert list(validator.iter_errors(without_tenant)) == []
    raw = (JSON_SAMPLES / sample).read_bytes()
    # Tazama's own API refuses TenantId because it sets it itself; Aegis ignores it for the
    # same reason (the tenant is the API key), so both spellings give the same result.
    assert parse(raw) == parse(without_tenant) == parse(document)


@pytest.mark.parametrize("sample", ["pain001.json", "pain013.json"])
def test_tazama_pain_samples_are_not_pacs(sample: str) -> None:
    with pytest.raises(Iso20022Error, match="TxTp"):
        parse_pacs008_json((JSON_SAMPLES / sample).read_bytes())


def test_the_tazama_pacs008_maps_field_by_field() -> None:
    (tx,) = parse_pacs008_json((JSON_SAMPLES / "pacs008.json").read_bytes())
    assert tx.id == "701b-ae14-46fd-a2cf-88dda2875fdd"
    assert tx.time == dt.datetime(2023, 2, 3, 7, 17, 52, 216000, tzinfo=dt.UTC)
    assert (tx.amount, tx.currency) == (3102089, "USD")  # 31020.89, not InstdAmt 9000 ZAR
    assert tx.customer_id == tx.payer_account == "+01-710694778"
    assert tx.payee_account == "+07-197368463"
    assert (tx.payer_name, tx.payee_name) == ("April Blake Grant", "Felicia Easton Quill")
    assert (tx.latitude, tx.longitude) == (20.0, 20.0)


def test_the_tazama_status_report_finds_its_transaction() -> None:
    (tx,) = parse_pacs008_json((JSON_SAMPLES / "pacs008.json").read_bytes())
    (status,) = parse_pacs002_json((JSON_SAMPLES / "pacs002.json").read_bytes())
    assert status.transaction_id == tx.id
    assert status.status == "ACCC" and status.settled and not status.rejected
    assert status.time == dt.datetime(2023, 2, 3, 9, 53, 58, 69000, tzinfo=dt.UTC)


def test_tazama_json_and_its_xml_rendering_give_the_same_transaction() -> None:
    sample = _tazama("pacs008.json")
    xml = tazama_to_xml(sample, message="pacs.008", version=10, root="FIToFICstmrCdtTrf")
    assert parse_pacs008_xml(xml) == parse_pacs008_json(sample)


def test_tazama_status_json_and_its_xml_rendering_give_the_same_status() -> None:
    sample = _tazama("pacs002.json")
    xml = tazama_to_xml(sample, message="pacs.002", version=12, root="FIToFIPmtStsRpt")
    assert parse_pacs002_xml(xml) == parse_pacs002_json(sample)


def test_prowide_xml_and_its_tazama_rendering_give_the_same_transaction() -> None:
    data = PROWIDE_008.read_bytes()
    tazama = xml_to_tazama(data, tx_type="pacs.008.001.10", root="FIToFICstmrCdtTrf")
    assert parse_pacs008_json(tazama) == parse_pacs008_xml(data)
