"""Hostile and broken input: always an Iso20022Error with a clear path, never another
exception, never an expanded entity, never a network or file access."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aegis.risk.iso20022 import (
    Iso20022Error,
    MessageKind,
    ParseOptions,
    detect,
    parse_pacs002_json,
    parse_pacs002_xml,
    parse_pacs008_json,
    parse_pacs008_xml,
)
from aegis.risk.iso20022.policy import DEFAULT_MAX_BYTES
from tests.risk.iso20022.builders import Message, pacs002_xml, pacs008_xml, xml_to_tazama

NS8 = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.10"
XML_PARSERS: list[Callable[[bytes], Any]] = [parse_pacs008_xml, parse_pacs002_xml]
JSON_PARSERS: list[Callable[[Any], Any]] = [parse_pacs008_json, parse_pacs002_json]


def refused(parse: Callable[[Any], Any], data: Any) -> list[tuple[str, str]]:
    with pytest.raises(Iso20022Error) as info:
        parse(data)
    return info.value.errors


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_truncated_xml(cut: int) -> None:
    data = pacs008_xml()
    ((path, detail),) = refused(parse_pacs008_xml, data[: int(len(data) * cut)])
    assert path == "/" and detail.startswith("not well-formed XML (line 1")


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"", "empty"),
        (b"   \n ", "empty"),
        (b"\xff\xfe\x00garbage", "not well-formed"),
        (b"not xml at all", "not well-formed"),
        (b"<a><b></a>", "not well-formed"),
    ],
)
def test_not_xml(data: bytes, detail: str) -> None:
    for parse in XML_PARSERS:
        ((path, got),) = refused(parse, data)
        assert path == "/" and detail in got


@pytest.mark.parametrize(
    ("xml", "path", "detail"),
    [
        (b"<Foo/>", "/Foo", "exactly one ISO 20022 Document"),
        (b"<message><Foo/></message>", "/message/Foo", "not allowed in the envelope"),
        (
            b'<AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.01"/>',
            "/AppHdr",
            "root must be an ISO 20022 Document",
        ),
        (
            b'<message><AppHdr xmlns="urn:other"/><Document xmlns="'
            + NS8.encode()
            + b'"/></message>',
            "/message/AppHdr",
            "head.001",
        ),
        (b"<Document/>", "/Document", "has no namespace"),
        (b'<Document xmlns="urn:example:pacs.008"/>', "/Document", "namespace must be"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.09"/>',
            "/Document",
            "pacs.008.001.09 is not supported; accepted: pacs.008.001.07, pacs.008.001.10",
        ),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"/>',
            "/Document",
            "is a camt.053.001.08 message; expected pacs.008",
        ),
        (b'<Document xmlns="' + NS8.encode() + b'"/>', "/Document/FIToFICstmrCdtTrf", "required"),
        (
            b'<Document xmlns="' + NS8.encode() + b'"><FIToFIPmtStsRpt/></Document>',
            "/Document/FIToFICstmrCdtTrf",
            "required",
        ),
    ],
)
def test_wrong_root_or_namespace(xml: bytes, path: str, detail: str) -> None:
    errors = refused(parse_pacs008_xml, xml)
    assert any(p == path and detail in d for p, d in errors), errors


def test_pacs002_parser_refuses_a_pacs008_and_back() -> None:
    assert refused(parse_pacs002_xml, pacs008_xml())[0][1].startswith(
        "is a pacs.008.001.10 message"
    )
    assert refused(parse_pacs008_xml, pacs002_xml())[0][1].startswith(
        "is a pacs.002.001.12 message"
    )


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']><Document xmlns="'
    + NS8.encode()
    + b'"><FIToFICstmrCdtTrf><GrpHdr><MsgId>&lol9;</MsgId></GrpHdr></FIToFICstmrCdtTrf></Document>'
)


@pytest.mark.parametrize(
    "attack",
    [
        BILLION_LAUGHS,
        b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document xmlns="'
        + NS8.encode()
        + b'"><FIToFICstmrCdtTrf><GrpHdr><MsgId>&x;</MsgId></GrpHdr></FIToFICstmrCdtTrf></Document>',
        b'<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]><Document/>',
        b'<!DOCTYPE Document SYSTEM "http://127.0.0.1:9/pacs.dtd"><Document xmlns="'
        + NS8.encode()
        + b'"/>',
        b'<!DOCTYPE Document><Document xmlns="' + NS8.encode() + b'"/>',
    ],
    ids=["billion-laughs", "external-entity", "parameter-entity", "external-dtd", "bare-doctype"],
)
@pytest.mark.parametrize("parse", XML_PARSERS, ids=["pacs008", "pacs002"])
def test_entity_and_dtd_attacks_are_refused_quickly(
    attack: bytes, parse: Callable[[bytes], Any]
) -> None:
    start = time.perf_counter()
    errors = refused(parse, attack)
    assert time.perf_counter() - start < 1.0
    assert errors[0][0] == "/"
    assert "DOCTYPE" in errors[0][1] or "well-formed" in errors[0][1]
    assert "root:" not in repr(errors) and "lollol" not in repr(errors)


def test_xinclude_is_not_processed() -> None:
    data = pacs008_xml().replace(
        b"<Nm>Jane Doe</Nm>",
        b'<Nm>Jane<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"/></Nm>',
    )
    errors = refused(parse_pacs008_xml, data)
    assert errors == [
        ("/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]/Dbtr/Nm", "must be text, not elements")
    ]


def test_documents_over_the_size_limit_are_refused_before_parsing() -> None:
    data = pacs008_xml().replace(
        b"<Nm>Jane Doe</Nm>", b"<Nm>" + b"J" * DEFAULT_MAX_BYTES + b"</Nm>"
    )
    assert refused(parse_pacs008_xml, data) == [
        ("/", f"the message is larger than {DEFAULT_MAX_BYTES} bytes")
    ]
    small = ParseOptions(max_bytes=1000)
    assert (
        refused(lambda d: parse_pacs008_xml(d, options=small), pacs008_xml() + b" " * 1000)[0][0]
        == "/"
    )
    with pytest.raises(Iso20022Error, match="larger than"):
        detect(data, "application/xml")


def test_libxml2_limits_stay_on_when_the_size_limit_is_raised() -> None:
    big = ParseOptions(max_bytes=64 * 1024 * 1024)
    huge_text = pacs008_xml().replace(b"Jane Doe", b"J" * (11 * 1024 * 1024))
    assert refused(lambda d: parse_pacs008_xml(d, options=big), huge_text)[0][0] == "/"
    deep = b"<a>" * 5000 + b"</a>" * 5000
    ((path, detail),) = refused(lambda d: parse_pacs008_xml(d, options=big), deep)
    assert path == "/" and "well-formed" in detail


def test_other_encodings_are_read() -> None:
    text = pacs008_xml().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    (tx,) = parse_pacs008_xml(text.replace("Jane Doe", "Zoë Dœ").encode("utf-16"))
    assert tx.payer_name == "Zoë Dœ"


def test_comments_and_processing_instructions_are_dropped() -> None:
    data = pacs008_xml().replace(b"<Nm>Jane Doe</Nm>", b"<Nm>Jane<!-- note --> Doe<?pi x?></Nm>")
    assert parse_pacs008_xml(data)[0].payer_name == "Jane Doe"


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"{", "not valid JSON (line 1, column 2)"),
        (b"[]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'{"a": "\xff"}', "not valid JSON"),
        (b'{"a": 1' + b"0" * 5000 + b"}", "not valid JSON"),
    ],
)
def test_broken_json(data: bytes, detail: str) -> None:
    for parse in JSON_PARSERS:
        ((path, got),) = refused(parse, data)
        assert path == "/" and detail in got


def test_json_over_the_size_limit() -> None:
    assert refused(parse_pacs008_json, b" " * (DEFAULT_MAX_BYTES + 1)) == [
        ("/", f"the message is larger than {DEFAULT_MAX_BYTES} bytes")
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes_only_ever_raise_iso20022_error(data: bytes) -> None:
    for parse in (*XML_PARSERS, *JSON_PARSERS):
        with contextlib.suppress(Iso20022Error):
            parse(data)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_damaged_messages_only_ever_raise_iso20022_error(data: st.DataObject) -> None:
    original = pacs008_xml(Message(envelope=True, location=("1", "2")))
    start = data.draw(st.integers(0, len(original) - 1))
    end = data.draw(st.integers(start, min(len(original), start + 40)))
    filler = data.draw(st.binary(max_size=8) | st.sampled_from([b"", b"<", b">", b"&", b"0", b"-"]))
    with contextlib.suppress(Iso20022Error):
        parse_pacs008_xml(original[:start] + filler + original[end:])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_json_with_any_values_in_any_place_only_ever_raises_iso20022_error(
    data: st.DataObject,
) -> None:
    document = xml_to_tazama(pacs008_xml(), tx_type="pacs.008.001.10", root="FIToFICstmrCdtTrf")
    node: Any = document
    while isinstance(node, dict) and node and data.draw(st.booleans()):
        node = node[data.draw(st.sampled_from(sorted(node)))]
    if isinstance(node, dict) and node:
        node[data.draw(st.sampled_from(sorted(node)))] = data.draw(json_values)
    with contextlib.suppress(Iso20022Error):
        parse_pacs008_json(document)
    with contextlib.suppress(Iso20022Error):
        parse_pacs008_json(json.dumps(document, default=str).encode())


@pytest.mark.parametrize(
    ("data", "content_type", "kind"),
    [
        (b'{"id": "t1"}', "application/json", MessageKind.TRANSACTION),
        (b'{"FIToFICstmrCdtTrf": {}}', "application/json; charset=utf-8", MessageKind.PACS008_JSON),
        (b'{"FIToFIPmtSts": {}}', "application/vnd.tazama+json", MessageKind.PACS002_JSON),
        (pacs008_xml(Message(envelope=True)), "application/xml", MessageKind.PACS008_XML),
        (pacs002_xml(), "text/xml", MessageKind.PACS002_XML),
        (pacs002_xml(), "application/iso20022+xml", MessageKind.PACS002_XML),
    ],
)
def test_detect(data: bytes, content_type: str, kind: MessageKind) -> None:
    assert detect(data, content_type) is kind


@pytest.mark.parametrize(
    ("data", "content_type", "detail"),
    [
        (b"{}", "text/plain", "unsupported content type"),
        (b"{", "application/json", "not valid JSON"),
        (b"[1]", "application/json", "must be a JSON object"),
        (b'{"TxTp": "pain.001.001.11"}', "application/json", "only pacs.008 and pacs.002"),
        (b"<a/>", "application/xml", "no ISO 20022 Document"),
        (b"<a", "application/xml", "not well-formed"),
        (b'<Document xmlns="urn:x"/>', "application/xml", "namespace must be"),
    ],
)
def test_detect_refuses(data: bytes, content_type: str, detail: str) -> None:
    with pytest.raises(Iso20022Error, match=detail):
        detect(data, content_type)


@pytest.mark.parametrize(
    "attack",
    [BILLION_LAUGHS, b'<!DOCTYPE Document><Document xmlns="' + NS8.encode() + b'"/>'],
    ids=["billion-laughs", "bare-doctype"],
)
def test_detect_refuses_doctypes_quickly(attack: bytes) -> None:
    start = time.perf_counter()
    with pytest.raises(Iso20022Error) as info:
        detect(attack, "application/xml")
    assert time.perf_counter() - start < 1.0
    ((path, detail),) = info.value.errors
    assert path == "/" and ("DOCTYPE" in detail or "amplification" in detail)
