"""The SMS port, its sandbox, and an adapter for a generic HTTP SMS provider.

``SmsGateway.send`` delivers one text to one E.164 number. It raises ``SmsRejected`` when
the provider refuses the destination (retrying cannot help; tell the applicant the number is
wrong) and ``SmsUnavailable`` when it could not get an answer (timeouts, 429, 5xx: the
adapter has already retried). ``idempotency_key`` makes a send safe to repeat: the same key
never sends twice, which is what lets the adapter retry a timed-out request at all.

Sandbox test numbers (by the last four digits of the E.164 number):

    ====== ================================================================
    ending behaviour
    ====== ================================================================
    0000   rejected: ``SmsRejected`` (as for a number the carrier refuses)
    0503   unavailable: waits out the client timeout, ``SmsUnavailable``
    0502   unavailable on the first send of each idempotency key, then sent
    other  sent, recorded in the outbox
    ====== ================================================================

Any destination that is not E.164 (``+`` and 8-15 digits) is rejected, as real providers do.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from aegis.checks.ports import PortRejected, PortUnavailable, call_with_retries


class SmsRejected(PortRejected):
    """The provider refused the destination or the message."""


class SmsUnavailable(PortUnavailable):
    """No answer from the provider (after the adapter's retries)."""


@dataclass(frozen=True, slots=True)
class SmsReceipt:
    message_id: str  # the provider's id, for support tickets and delivery reports
    duplicate: bool = False  # True when the idempotency key had already been sent


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str, idempotency_key: str) -> SmsReceipt: ...


_E164 = re.compile(r"\+[1-9]\d{7,14}")
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


@dataclass(frozen=True, slots=True)
class SentSms:
    to: str = field(repr=False)
    text: str = field(repr=False)
    message_id: str
    idempotency_key: str


class SandboxSmsGateway:
    """Behaves like a provider without sending anything; keeps what it "sent" in memory.

    ``latency`` is paid on every send (through ``sleep``, so tests pass a fake or 0); the
    ``timeout`` is what a real client would wait before giving up, used by the 0503 numbers.
    The outbox keeps the last ``outbox_size`` messages; it is for tests and the demo, and
    ``last_code_for`` exists only here: a real gateway never gives a code back.
    """

    def __init__(
        self,
        *,
        latency: float = 0.005,
        timeout: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        outbox_size: int = 1000,
    ) -> None:
        self.latency = latency
        self.timeout = timeout
        self._sleep = sleep
        self._lock = threading.Lock()
        self.outbox: deque[SentSms] = deque(maxlen=outbox_size)
        self._by_key: dict[str, SentSms] = {}
        self._flaky_seen: set[str] = set()

    def send(self, *, to: str, text: str, idempotency_key: str) -> SmsReceipt:
        if self.latency:
            self._sleep(self.latency)
        if not _E164.fullmatch(to):
            raise SmsRejected("destination is not an E.164 number")
        if to.endswith("0000"):
            raise SmsRejected("destination refused by the carrier (sandbox)")
        if to.endswith("0503"):
            self._sleep(self.timeout)
            raise SmsUnavailable(f"no answer within {self.timeout:g}s (sandbox)")
        with self._lock:
            if to.endswith("0502") and idempotency_key not in self._flaky_seen:
                self._flaky_seen.add(idempotency_key)
                raise SmsUnavailable("temporary failure (sandbox, first try)")
            previous = self._by_key.get(idempotency_key)
            if previous is not None:
                if (previous.to, previous.text) != (to, text):
                    raise SmsRejected("idempotency key reused for a different message")
                return SmsReceipt(previous.message_id, duplicate=True)
            sent = SentSms(to, text, f"sbx_{uuid.uuid4().hex}", idempotency_key)
            self._by_key[idempotency_key] = sent
            if len(self._by_key) > 10 * (self.outbox.maxlen or 1):
                # Bound memory in a long-running demo: forget the oldest keys.
                for old in list(self._by_key)[: len(self._by_key) // 2]:
                    del self._by_key[old]
            self.outbox.append(sent)
        return SmsReceipt(sent.message_id)

    def messages_to(self, number: str) -> list[SentSms]:
        with self._lock:
            return [m for m in self.outbox if m.to == number]

    def last_code_for(self, number: str) -> str | None:
        """The 6-digit code in the latest message to ``number`` (sandbox and demo only)."""
        for message in reversed(self.messages_to(number)):
            found = _CODE.search(message.text)
            if found:
                return found.group(0)
        return None


class HttpSmsGateway:
    """A generic HTTP SMS provider: ``POST {base_url}/messages`` with a bearer token.

    Request body ``{"to": ..., "text": ..., "sender": ...}`` with an ``Idempotency-Key``
    header; a 2xx answer carries ``{"id": ...}``. Mapping: 2xx receipt (409 with an ``id``
    is the provider's "already sent" and also a receipt); 400/404/422 ``SmsRejected``;
    401/403 ``SmsUnavailable`` at once (our credentials, not the applicant's number, and no
    retry will fix them); 408/429/5xx, timeouts and connection errors are retried, honouring
    Retry-After, then ``SmsUnavailable``. Providers differ in paths and field names: adapt
    ``_request`` and ``_receipt``, keep the mapping.
    """

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        sender: str | None = None,
        timeout: float = 5.0,
        attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        client: httpx.Client | None = None,
    ) -> None:
        self._url = base_url.rstrip("/") + "/messages"
        self._token = token
        self._sender = sender
        self._attempts = attempts
        self._sleep = sleep
        self._client = client or httpx.Client(timeout=httpx.Timeout(timeout))

    def __repr__(self) -> str:  # the token stays out of logs
        return f"HttpSmsGateway(url={self._url!r})"

    def close(self) -> None:
        self._client.close()

    def send(self, *, to: str, text: str, idempotency_key: str) -> SmsReceipt:
        return call_with_retries(
            lambda: self._request(to, text, idempotency_key), self._attempts, self._sleep
        )

    def _request(self, to: str, text: str, idempotency_key: str) -> SmsReceipt:
        body: dict[str, Any] = {"to": to, "text": text}
        if self._sender:
            body["sender"] = self._sender
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Idempotency-Key": idempotency_key,
        }
        try:
            response = self._client.post(self._url, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise SmsUnavailable("SMS provider timed out") from exc
        except httpx.TransportError as exc:
            raise SmsUnavailable(f"SMS provider unreachable: {type(exc).__name__}") from exc
        return self._receipt(response)

    def _receipt(self, response: httpx.Response) -> SmsReceipt:
        status = response.status_code
        if 200 <= status < 300 or status == 409:
            message_id = _json_field(response, "id")
            if message_id:
                return SmsReceipt(message_id, duplicate=status == 409)
            if status == 409:
                raise SmsRejected("idempotency conflict reported by the SMS provider")
            raise SmsUnavailable("SMS provider answered without a message id")
        if status in (400, 404, 422):
            raise SmsRejected(f"SMS provider refused the message ({status})")
        if status in (401, 403):
            # Not retried: a misconfigured token fails the same way every time.
            raise SmsUnavailable(
                f"SMS provider refused our credentials ({status})", retryable=False
            )
        if status in (408, 429) or status >= 500:
            raise SmsUnavailable(
                f"SMS provider unavailable ({status})",
                retry_after=_retry_after(response),
            )
        raise SmsUnavailable(f"unexpected SMS provider answer ({status})")


def _json_field(response: httpx.Response, name: str) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get(name) if isinstance(data, dict) else None
    return str(value) if value else None


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds; the HTTP-date form is ignored (rare for APIs)."""
    raw = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None
