"""NATS JetStream intake against the local server: the same payment gets the same decision
through JSON, ISO 20022 and the stream; consumers share the load; a consumer killed with
SIGKILL mid-stream loses no transaction and decides none twice."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aegis.config import Settings
from aegis.kit.time import utcnow
from aegis.platform import Platform
from aegis.risk.models import RiskTransaction
from aegis.risk.stream import StreamNames, consume
from aegis.services import Services
from tests.conftest import NATS_URL, service_url
from tests.support.tenants import TenantHandle, make_tenant

pytestmark = pytest.mark.nats


@pytest.fixture
def nats_url() -> str:
    return service_url("NATS", NATS_URL, 4222)


def payment(n: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"pay-{n}",
        "time": (utcnow() - dt.timedelta(seconds=30)).isoformat(),
        "type": "transfer",
        "amount": 125_000,
        "currency": "EUR",
        "customer_id": "DE89370400440532013000",
        "payer": {"account": "DE89370400440532013000", "name": "Erika Mustermann"},
        "payee": {"account": "FR1420041010050500013M02606", "name": "Mule Account SARL",
                  "country": "FR"},
        "channel": "api",
    }  # fmt: skip
    body.update(overrides)
    return body


def pacs008(body: dict[str, Any]) -> bytes:
    """The same payment as an ISO 20022 pacs.008.001.10 message."""
    amount = f"{body['amount'] // 100}.{body['amount'] % 100:02d}"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.10"><FIToFICstmrCdtTrf>
<GrpHdr><MsgId>MSG-{body["id"]}</MsgId><CreDtTm>{body["time"]}</CreDtTm><NbOfTxs>1</NbOfTxs>
<SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>
<CdtTrfTxInf><PmtId><InstrId>I-{body["id"]}</InstrId><EndToEndId>{body["id"]}</EndToEndId></PmtId>
<IntrBkSttlmAmt Ccy="{body["currency"]}">{amount}</IntrBkSttlmAmt><ChrgBr>SLEV</ChrgBr>
<Dbtr><Nm>{body["payer"]["name"]}</Nm></Dbtr><DbtrAcct><Id><IBAN>{body["payer"]["account"]}</IBAN></Id></DbtrAcct>
<DbtrAgt><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></DbtrAgt>
<CdtrAgt><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId></CdtrAgt>
<Cdtr><Nm>{body["payee"]["name"]}</Nm><PstlAdr><Ctry>{body["payee"]["country"]}</Ctry></PstlAdr></Cdtr>
<CdtrAcct><Id><IBAN>{body["payee"]["account"]}</IBAN></Id></CdtrAcct>
</CdtTrfTxInf></FIToFICstmrCdtTrf></Document>""".encode()


def block_payee(client: TestClient, tenant: TenantHandle) -> None:
    r = client.post("/v1/risk-lists", headers=tenant.headers, json={
        "list": "block", "kind": "account", "value": "FR1420041010050500013M02606",
        "reason": "known mule account"})  # fmt: skip
    assert r.status_code == 201, r.text


class Consumer:
    """One in-process consumer on its own thread and event loop."""

    def __init__(self, platform: Platform, url: str, names: StreamNames) -> None:
        self.stop = asyncio.Event()
        self.loop = asyncio.new_event_loop()
        services = Services.build(platform)

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(consume(platform, services, url=url, names=names, batch=16,
                                                 ack_wait=5, stop=self.stop))  # fmt: skip

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(10)


async def _exchange(
    url: str, names: StreamNames, outgoing: list[tuple[str, bytes, str]], expect: int
) -> list[dict[str, Any]]:
    import nats

    nc = await nats.connect(url)
    js = nc.jetstream()
    from aegis.risk.stream import ensure_streams

    await ensure_streams(js, names)
    received: list[dict[str, Any]] = []
    sub = await js.subscribe(f"{names.prefix}.decision.>", ordered_consumer=True)
    for subject, data, content_type in outgoing:
        await js.publish(subject, data, headers={"Content-Type": content_type})
    deadline = time.monotonic() + 60
    while len(received) < expect and time.monotonic() < deadline:
        try:
            msg = await sub.next_msg(timeout=1)
        except nats.errors.TimeoutError:
            continue
        received.append(orjson.loads(msg.data))
    await nc.close()
    return received


@pytest.fixture
def names(nats_url: str) -> Iterator[StreamNames]:
    names = StreamNames(prefix="t" + secrets.token_hex(4))
    yield names

    async def cleanup() -> None:
        import nats

        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        for stream in (names.tx_stream, names.decision_stream):
            with contextlib.suppress(Exception):  # already gone
                await js.delete_stream(stream)
        await nc.close()

    asyncio.run(cleanup())


def test_json_iso20022_and_stream_give_the_same_decision(
    client: TestClient, platform: Platform, nats_url: str, names: StreamNames
) -> None:
    tenants = [make_tenant(platform, f"Intake {kind}") for kind in ("json", "iso", "stream")]
    for t in tenants:
        block_payee(client, t)
    body = payment(1)
    by_json = client.post("/v1/transactions", headers=tenants[0].headers, json=body).json()
    r = client.post("/v1/transactions/iso20022", headers={**tenants[1].headers,
                    "Content-Type": "application/xml"}, content=pacs008(body))  # fmt: skip
    assert r.status_code == 200, r.text
    [by_iso] = r.json()
    consumer = Consumer(platform, nats_url, names)
    try:
        [by_stream] = asyncio.run(_exchange(nats_url, names, [
            (names.tx_subject(tenants[2].id), orjson.dumps(body), "application/json")], 1))  # fmt: skip
    finally:
        consumer.close()
    assert by_json["outcome"] == by_iso["outcome"] == by_stream["outcome"] == "decline"
    for d in (by_iso, by_stream):
        assert d["score"] == by_json["score"] and d["reasons"] == by_json["reasons"]
        assert d["external_id"] == "pay-1"
    explain = [client.get(f"/v1/decisions/{d['id']}", headers=t.headers).json()
               for d, t in zip((by_json, by_iso, by_stream), tenants, strict=True)]  # fmt: skip
    assert explain[0]["features"] == explain[1]["features"] == explain[2]["features"]


def test_bad_stream_messages_get_an_error_and_are_not_redelivered(
    platform: Platform, tenant: TenantHandle, nats_url: str, names: StreamNames
) -> None:
    consumer = Consumer(platform, nats_url, names)
    try:
        out = asyncio.run(_exchange(nats_url, names, [
            (names.tx_subject(tenant.id), b'{"id": "x"', "application/json"),
            (names.tx_subject(tenant.id), orjson.dumps(payment(2, currency="XYZ")), "application/json"),
            (names.tx_subject(tenant.id), orjson.dumps(payment(3)), "application/json"),
        ], 3))  # fmt: skip
    finally:
        consumer.close()
    assert out[0]["error"]["status"] in (400, 422)
    assert out[1]["error"]["status"] == 422
    assert any(e["pointer"].endswith("/currency") for e in out[1]["error"]["errors"])
    assert out[2]["external_id"] == "pay-3"


@pytest.mark.slow
def test_killed_consumer_loses_nothing(
    settings: Settings, platform: Platform, tenant: TenantHandle, nats_url: str,
    names: StreamNames, tmp_path: Path,
) -> None:  # fmt: skip
    env = {
        **os.environ,
        "AEGIS_DATABASE_URL": settings.resolved_database_url,
        "AEGIS_DATA_DIR": str(settings.data_dir),
        "AEGIS_MASTER_KEY": settings.master_key.get_secret_value() if settings.master_key else "",
        "AEGIS_NATS_URL": nats_url,
        "AEGIS_LOG_LEVEL": "WARNING",
    }
    aegis = Path(sys.executable).parent / "aegis"
    args = [str(aegis), "stream", "consume", "--prefix", names.prefix, "--ack-wait", "3",
            "--batch", "8"]  # fmt: skip
    procs = [
        subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]
    total = 300
    outgoing = [
        (names.tx_subject(tenant.id),
         orjson.dumps(payment(1000 + i, customer_id=f"c-{i % 37}", amount=1_000 + i)),
         "application/json")
        for i in range(total)
    ]  # fmt: skip

    def killer() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with platform.db.session(write=False) as session:
                count = session.scalar(select(func.count()).select_from(RiskTransaction))
            if (count or 0) >= 40:
                procs[0].send_signal(signal.SIGKILL)
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=killer)
    watcher.start()
    try:
        received = asyncio.run(_exchange(nats_url, names, outgoing, total))
    finally:
        watcher.join()
        for p in procs:
            p.kill()
            p.wait(10)
    assert procs[0].returncode == -signal.SIGKILL
    decided = {d["external_id"] for d in received if "external_id" in d}
    assert decided == {f"pay-{1000 + i}" for i in range(total)}
    with platform.db.session(write=False) as session:
        stored = session.scalar(select(func.count()).select_from(RiskTransaction))
    assert stored == total  # each decided once: ids are unique per tenant
