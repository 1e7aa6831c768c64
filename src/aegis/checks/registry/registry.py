"""Government registry lookup: do this name and ID number (and face) match an official record?

``GovernmentRegistry`` is the port (in China, the identity-verification services backed by
the Ministry of Public Security's citizen database, reached through licensed aggregators).
``lookup_registry`` calls it with retries; when the registry never answers the verdict is
``unavailable``, which ``check_registry`` sends to REVIEW with ``REGISTRY_UNAVAILABLE``:
a timeout never becomes a pass.

The registry returns a photo similarity when a photo is sent; whether that is enough is our
policy (``photo_threshold`` of ``check_registry``), not the registry's.

Sandbox test identities (valid resident ID numbers: region 110105, born 1990-01-01):

    ==================== ====== ===============================================
    ID number            name   answer
    ==================== ====== ===============================================
    110105199001010010   张三   match for this name, mismatch for any other
    110105199001010029   李四   mismatch (the record holds another name)
    110105199001010037   王五   not found
    110105199001010045   赵六   deceased
    110105199001010053   钱七   no answer: waits out the timeout, every time
    110105199001010061   孙八   no answer the first time, then as 张三's row
    ==================== ====== ===============================================

Any other number that is a valid resident ID (checksum and birth date): match when the name
is not blank, mismatch when it is. Anything else: not found (no registry holds an invalid
number). With a photo, the similarity is 0.95, except for exactly
``SANDBOX_PHOTO_MISMATCH``, which scores 0.12.
"""

from __future__ import annotations

import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from aegis.checks.identity.cn import ric_birth_date
from aegis.checks.ports import PortUnavailable, call_with_retries
from aegis.checks.result import CheckResult

CHECK = "registry"
DEFAULT_PHOTO_THRESHOLD = 0.8
SANDBOX_PHOTO_MISMATCH = b"aegis-sandbox:photo-of-someone-else"


class RegistryUnavailable(PortUnavailable):
    """The registry did not answer (timeout, maintenance window, 5xx)."""


class RegistryOutcome(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_FOUND = "not_found"
    DECEASED = "deceased"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class RegistryRequest:
    """Every field is PII; none appears in the repr."""

    name: str = field(repr=False)
    id_number: str = field(repr=False)
    photo: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class RegistryVerdict:
    outcome: RegistryOutcome
    mismatched: tuple[str, ...] = ()  # "name" (registries do not say more than that)
    photo_similarity: float | None = None  # 0..1, when a photo was sent and compared
    reference: str | None = None


class GovernmentRegistry(Protocol):
    def lookup(self, request: RegistryRequest) -> RegistryVerdict:
        """The registry's answer; raises ``RegistryUnavailable`` when there is none."""
        ...


def lookup_registry(
    registry: GovernmentRegistry,
    request: RegistryRequest,
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
) -> RegistryVerdict:
    """Ask with retries (2 by default, backing off); no answer becomes ``unavailable``."""
    try:
        return call_with_retries(lambda: registry.lookup(request), attempts, sleep)
    except PortUnavailable:
        return RegistryVerdict(RegistryOutcome.UNAVAILABLE)


def check_registry(
    verdict: RegistryVerdict, *, photo_threshold: float = DEFAULT_PHOTO_THRESHOLD
) -> CheckResult:
    """Map the verdict: match passes (if the photo, when compared, is similar enough);
    mismatch, not found and deceased fail; unavailable goes to REVIEW."""
    details: dict[str, object] = {"photo_checked": verdict.photo_similarity is not None}
    if verdict.photo_similarity is not None:
        details["photo_similarity"] = round(verdict.photo_similarity, 3)
    outcome = verdict.outcome
    if outcome is RegistryOutcome.MATCH:
        similarity = verdict.photo_similarity
        if similarity is not None and similarity < photo_threshold:
            return CheckResult.failed(CHECK, "REGISTRY_MISMATCH", mismatched=["photo"], **details)
        return CheckResult.passed(CHECK, **details)
    if outcome is RegistryOutcome.MISMATCH:
        mismatched = sorted(verdict.mismatched) or ["name"]
        return CheckResult.failed(CHECK, "REGISTRY_MISMATCH", mismatched=mismatched, **details)
    if outcome is RegistryOutcome.NOT_FOUND:
        return CheckResult.failed(CHECK, "REGISTRY_NOT_FOUND", **details)
    if outcome is RegistryOutcome.DECEASED:
        return CheckResult.failed(CHECK, "REGISTRY_DECEASED", **details)
    return CheckResult.review(CHECK, "REGISTRY_UNAVAILABLE", **details)


@dataclass(frozen=True, slots=True)
class SandboxIdentity:
    id_number: str
    name: str
    outcome: str  # match | mismatch | not_found | deceased | timeout | timeout_once


SANDBOX_IDENTITIES: tuple[SandboxIdentity, ...] = (
    SandboxIdentity("110105199001010010", "张三", "match"),
    SandboxIdentity("110105199001010029", "李四", "mismatch"),
    SandboxIdentity("110105199001010037", "王五", "not_found"),
    SandboxIdentity("110105199001010045", "赵六", "deceased"),
    SandboxIdentity("110105199001010053", "钱七", "timeout"),
    SandboxIdentity("110105199001010061", "孙八", "timeout_once"),
)


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


class SandboxRegistry:
    """Deterministic stand-in for a registry (see the module table).

    ``latency`` is paid on every lookup and the no-answer identities wait ``timeout`` (the
    client's patience) first, both through ``sleep`` so tests pass a fake.
    """

    def __init__(
        self,
        *,
        latency: float = 0.005,
        timeout: float = 3.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.latency = latency
        self.timeout = timeout
        self._sleep = sleep
        self._identities = {i.id_number: i for i in SANDBOX_IDENTITIES}
        self._lock = threading.Lock()
        self._flaky_seen: set[str] = set()

    def lookup(self, request: RegistryRequest) -> RegistryVerdict:
        if self.latency:
            self._sleep(self.latency)
        number = unicodedata.normalize("NFKC", request.id_number).strip().upper()
        identity = self._identities.get(number)
        if identity is None:
            if ric_birth_date(number) is None or len(number) != 18:
                return self._verdict(RegistryOutcome.NOT_FOUND)
            if not _fold(request.name):
                return self._verdict(RegistryOutcome.MISMATCH, ("name",))
            return self._verdict(RegistryOutcome.MATCH, photo=request.photo)
        kind = identity.outcome
        if kind == "timeout":
            self._sleep(self.timeout)
            raise RegistryUnavailable(f"no answer within {self.timeout:g}s (sandbox)")
        if kind == "timeout_once":
            with self._lock:
                first = number not in self._flaky_seen
                self._flaky_seen.add(number)
            if first:
                self._sleep(self.timeout)
                raise RegistryUnavailable("no answer (sandbox, first lookup)")
            kind = "match"
        if kind == "match":
            if _fold(request.name) != _fold(identity.name):
                return self._verdict(RegistryOutcome.MISMATCH, ("name",))
            return self._verdict(RegistryOutcome.MATCH, photo=request.photo)
        if kind == "mismatch":
            return self._verdict(RegistryOutcome.MISMATCH, ("name",))
        if kind == "deceased":
            return self._verdict(RegistryOutcome.DECEASED)
        return self._verdict(RegistryOutcome.NOT_FOUND)

    @staticmethod
    def _verdict(
        outcome: RegistryOutcome, mismatched: tuple[str, ...] = (), photo: bytes | None = None
    ) -> RegistryVerdict:
        similarity = None
        if photo is not None:
            similarity = 0.12 if photo == SANDBOX_PHOTO_MISMATCH else 0.95
        return RegistryVerdict(outcome, mismatched, similarity, f"sbx_reg_{uuid.uuid4().hex[:16]}")
