"""The SMS sandbox, the HTTP adapter (against httpx.MockTransport), and OTP end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from aegis.checks.phone.otp import VerifyResult, start_challenge, verify
from aegis.checks.phone.sms import (
    HttpSmsGateway,
    SandboxSmsGateway,
    SmsGateway,
    SmsReceipt,
    SmsRejected,
    SmsUnavailable,
)
from aegis.checks.ports import PortRejected, PortUnavailable, call_with_retries
from tests.checks.helpers import FakeSleep

OK = "+8613800138001"


def sandbox(sleep: FakeSleep | None = None, **kwargs: float) -> SandboxSmsGateway:
    return SandboxSmsGateway(latency=0, sleep=sleep or FakeSleep(), **kwargs)  # type: ignore[arg-type]


# --- sandbox ---------------------------------------------------------------------------


def test_sandbox_is_an_sms_gateway() -> None:
    gateway: SmsGateway = sandbox()
    assert isinstance(gateway.send(to=OK, text="hi", idempotency_key="k"), SmsReceipt)


def test_sandbox_records_messages_and_finds_the_code() -> None:
    gw = sandbox()
    receipt = gw.send(to=OK, text="Your Aegis code is 123456.", idempotency_key="k1")
    assert receipt.message_id.startswith("sbx_") and not receipt.duplicate
    gw.send(to=OK, text="Your Aegis code is 654321.", idempotency_key="k2")
    gw.send(to="+8613800138002", text="Your Aegis code is 111111.", idempotency_key="k3")
    assert gw.last_code_for(OK) == "654321"
    assert [m.idempotency_key for m in gw.messages_to(OK)] == ["k1", "k2"]
    assert gw.last_code_for("+8613800138009") is None


def test_sandbox_code_lookup_ignores_longer_numbers() -> None:
    gw = sandbox()
    gw.send(to=OK, text="Order 12345678 shipped", idempotency_key="k1")
    assert gw.last_code_for(OK) is None


def test_sandbox_idempotency() -> None:
    gw = sandbox()
    first = gw.send(to=OK, text="code 123456", idempotency_key="same")
    again = gw.send(to=OK, text="code 123456", idempotency_key="same")
    assert again == SmsReceipt(first.message_id, duplicate=True)
    assert len(gw.outbox) == 1
    with pytest.raises(SmsRejected, match="idempotency"):
        gw.send(to=OK, text="code 999999", idempotency_key="same")


@pytest.mark.parametrize(
    "to", ["+8613800130000", "13800138001", "+86 138 0013 8001", "+0123456789"]
)
def test_sandbox_rejections(to: str) -> None:
    gw = sandbox()
    with pytest.raises(SmsRejected):
        gw.send(to=to, text="x", idempotency_key="k")
    assert not gw.outbox


def test_sandbox_timeout_number_waits_out_the_timeout() -> None:
    sleep = FakeSleep()
    gw = SandboxSmsGateway(latency=0.004, timeout=2.5, sleep=sleep)
    with pytest.raises(SmsUnavailable):
        gw.send(to="+8613800130503", text="x", idempotency_key="k")
    assert sleep.calls == [0.004, 2.5]
    assert not gw.outbox


def test_sandbox_flaky_number_recovers_on_retry() -> None:
    sleep = FakeSleep()
    gw = sandbox(sleep)
    receipt = call_with_retries(
        lambda: gw.send(to="+8613800130502", text="code 123456", idempotency_key="k"),
        3,
        sleep,
    )
    assert receipt.message_id
    assert sleep.calls == [0.2]
    assert len(gw.outbox) == 1


def test_sandbox_outbox_is_bounded() -> None:
    gw = SandboxSmsGateway(latency=0, outbox_size=3)
    for i in range(50):
        gw.send(to=OK, text=f"code {i:06d}", idempotency_key=f"k{i}")
    assert len(gw.outbox) == 3
    assert gw.last_code_for(OK) == "000049"


def test_sandbox_messages_keep_pii_out_of_repr() -> None:
    gw = sandbox()
    gw.send(to=OK, text="code 123456", idempotency_key="k")
    assert OK not in repr(gw.outbox[0]) and "123456" not in repr(gw.outbox[0])


def test_errors_fit_the_port_tree() -> None:
    assert issubclass(SmsRejected, PortRejected)
    assert issubclass(SmsUnavailable, PortUnavailable)


def test_otp_through_the_sandbox_end_to_end() -> None:
    gw = sandbox()
    now = datetime(2025, 6, 1, tzinfo=UTC)
    issued = start_challenge(challenge_id="otp_e2e", key=b"k" * 32, key_id="k1", now=now)
    gw.send(to=OK, text=f"Aegis code {issued.code}", idempotency_key="otp_e2e:1")
    typed = gw.last_code_for(OK)
    assert typed is not None
    outcome = verify(issued.challenge, code=typed, key=b"k" * 32, now=now)
    assert outcome.result is VerifyResult.OK


# --- HTTP adapter ----------------------------------------------------------------------

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler answering from a script, recording each request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def http_gateway(recorder: Recorder, sleep: FakeSleep, **kwargs: object) -> HttpSmsGateway:
    client = httpx.Client(transport=httpx.MockTransport(recorder))
    return HttpSmsGateway(
        base_url="https://sms.example/v1/",
        token="tok_secret",
        sender="Aegis",
        sleep=sleep,
        client=client,
        **kwargs,  # type: ignore[arg-type]
    )


def test_http_success_sends_the_documented_request() -> None:
    rec = Recorder(httpx.Response(201, json={"id": "msg_1"}))
    sleep = FakeSleep()
    receipt = http_gateway(rec, sleep).send(to=OK, text="code 123456", idempotency_key="idem")
    assert receipt == SmsReceipt("msg_1")
    (request,) = rec.requests
    assert request.method == "POST"
    assert str(request.url) == "https://sms.example/v1/messages"
    assert request.headers["Authorization"] == "Bearer tok_secret"
    assert request.headers["Idempotency-Key"] == "idem"
    assert json.loads(request.content) == {"to": OK, "text": "code 123456", "sender": "Aegis"}
    assert sleep.calls == []


def test_http_without_sender_omits_it() -> None:
    rec = Recorder(httpx.Response(200, json={"id": 42}))
    client = httpx.Client(transport=httpx.MockTransport(rec))
    gw = HttpSmsGateway(base_url="https://sms.example", token="t", client=client)
    assert gw.send(to=OK, text="x", idempotency_key="k").message_id == "42"
    assert json.loads(rec.requests[0].content) == {"to": OK, "text": "x"}
    gw.close()


def test_http_409_with_id_is_an_earlier_send() -> None:
    rec = Recorder(httpx.Response(409, json={"id": "msg_1"}))
    receipt = http_gateway(rec, FakeSleep()).send(to=OK, text="x", idempotency_key="k")
    assert receipt == SmsReceipt("msg_1", duplicate=True)


def test_http_409_without_id_is_a_conflict() -> None:
    rec = Recorder(httpx.Response(409, json={"error": "key reused"}))
    with pytest.raises(SmsRejected):
        http_gateway(rec, FakeSleep()).send(to=OK, text="x", idempotency_key="k")
    assert len(rec.requests) == 1


@pytest.mark.parametrize("status", [400, 404, 422])
def test_http_refusals_are_rejections_without_retry(status: int) -> None:
    rec = Recorder(httpx.Response(status, json={"error": "invalid destination"}))
    sleep = FakeSleep()
    with pytest.raises(SmsRejected):
        http_gateway(rec, sleep).send(to=OK, text="x", idempotency_key="k")
    assert len(rec.requests) == 1 and sleep.calls == []


@pytest.mark.parametrize("status", [401, 403])
def test_http_credential_errors_are_unavailable_without_retry(status: int) -> None:
    rec = Recorder(httpx.Response(status))
    sleep = FakeSleep()
    with pytest.raises(SmsUnavailable, match="credentials"):
        http_gateway(rec, sleep).send(to=OK, text="x", idempotency_key="k")
    assert len(rec.requests) == 1 and sleep.calls == []


def test_http_server_errors_are_retried_with_backoff_then_succeed() -> None:
    rec = Recorder(
        httpx.Response(500), httpx.Response(502), httpx.Response(202, json={"id": "msg_3"})
    )
    sleep = FakeSleep()
    receipt = http_gateway(rec, sleep).send(to=OK, text="x", idempotency_key="k")
    assert receipt.message_id == "msg_3"
    assert sleep.calls == [0.2, 0.4]
    assert {r.headers["Idempotency-Key"] for r in rec.requests} == {"k"}  # safe to repeat


def test_http_persistent_outage_is_unavailable_after_all_attempts() -> None:
    rec = Recorder(httpx.Response(503))
    sleep = FakeSleep()
    with pytest.raises(SmsUnavailable, match="503"):
        http_gateway(rec, sleep, attempts=4).send(to=OK, text="x", idempotency_key="k")
    assert len(rec.requests) == 4
    assert sleep.calls == [0.2, 0.4, 0.8]


def test_http_retry_after_is_honoured_and_capped() -> None:
    rec = Recorder(
        httpx.Response(429, headers={"Retry-After": "1.5"}),
        httpx.Response(429, headers={"Retry-After": "3600"}),
        httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        httpx.Response(200, json={"id": "m"}),
    )
    sleep = FakeSleep()
    http_gateway(rec, sleep, attempts=4).send(to=OK, text="x", idempotency_key="k")
    assert sleep.calls == [1.5, 5.0, 0.8]


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("bad"),
    ],
)
def test_http_transport_failures_are_retried_then_unavailable(error: Exception) -> None:
    rec = Recorder(error)
    sleep = FakeSleep()
    with pytest.raises(SmsUnavailable) as caught:
        http_gateway(rec, sleep).send(to=OK, text="x", idempotency_key="k")
    assert len(rec.requests) == 3
    assert isinstance(caught.value.__cause__, httpx.HTTPError)


def test_http_timeout_then_success() -> None:
    rec = Recorder(httpx.ReadTimeout("slow"), httpx.Response(200, json={"id": "m"}))
    assert http_gateway(rec, FakeSleep()).send(to=OK, text="x", idempotency_key="k").message_id


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="OK"),
        httpx.Response(200, json=["m"]),
        httpx.Response(200, json={"id": ""}),
        httpx.Response(302),
    ],
)
def test_http_unusable_answers_are_unavailable(response: httpx.Response) -> None:
    rec = Recorder(response)
    with pytest.raises(SmsUnavailable):
        http_gateway(rec, FakeSleep()).send(to=OK, text="x", idempotency_key="k")


def test_http_repr_hides_the_token() -> None:
    gw = http_gateway(Recorder(httpx.Response(200)), FakeSleep())
    assert "tok_secret" not in repr(gw)
