"""Which outside parties KYC talks to.

- ``sandbox``: adapters that behave like the real services (latency, failures,
  deterministic test identities; see aegis.checks.*). Development, tests, the demo tenant.
  Refused in production: sandbox identities would pass real applicants.
- ``http``: the HTTP SMS provider; registry and bank stay unconfigured until a provider
  adapter is written for the deployment (implement ``GovernmentRegistry``/``BankVerifier``).
- ``disabled``: nothing outside is called. Checks that need an outside party go to review
  (``*_UNAVAILABLE``) and phone codes cannot be sent: never a silent pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aegis.checks.card.bank import (
    BankUnavailable,
    BankVerdict,
    BankVerificationRequest,
    BankVerifier,
    SandboxBankVerifier,
)
from aegis.checks.card.luhn_bin import DEFAULT_BIN_LOOKUP, BinLookup
from aegis.checks.phone.sms import (
    HttpSmsGateway,
    SandboxSmsGateway,
    SmsGateway,
    SmsReceipt,
    SmsUnavailable,
)
from aegis.checks.registry.registry import (
    GovernmentRegistry,
    RegistryRequest,
    RegistryUnavailable,
    RegistryVerdict,
    SandboxRegistry,
)
from aegis.config import Environment, Settings


class AdapterConfigError(RuntimeError):
    pass


class _NoSms:
    def send(self, *, to: str, text: str, idempotency_key: str) -> SmsReceipt:
        raise SmsUnavailable("no SMS provider is configured", retryable=False)


class _NoRegistry:
    def lookup(self, request: RegistryRequest) -> RegistryVerdict:
        raise RegistryUnavailable("no government registry is configured", retryable=False)


class _NoBank:
    def verify(self, request: BankVerificationRequest) -> BankVerdict:
        raise BankUnavailable("no bank verification provider is configured", retryable=False)


@dataclass
class KycAdapters:
    sms: SmsGateway
    registry: GovernmentRegistry
    bank: BankVerifier
    bins: BinLookup
    sandbox: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> KycAdapters:
        mode = settings.kyc_adapters
        if mode == "sandbox":
            if settings.env is Environment.PRODUCTION:
                raise AdapterConfigError(
                    "AEGIS_KYC_ADAPTERS=sandbox is refused in production: sandbox identities "
                    "would pass real applicants; choose http or disabled"
                )
            return cls.sandboxes()
        sms: SmsGateway = _NoSms()
        if mode == "http":
            if not (settings.sms_url and settings.sms_token):
                raise AdapterConfigError("AEGIS_SMS_URL and AEGIS_SMS_TOKEN are required for http")
            sms = HttpSmsGateway(
                base_url=settings.sms_url, token=settings.sms_token.get_secret_value()
            )
        return cls(
            sms=sms, registry=_NoRegistry(), bank=_NoBank(), bins=DEFAULT_BIN_LOOKUP, sandbox=False
        )

    @classmethod
    def sandboxes(
        cls, *, latency: float = 0.005, sleep: Callable[[float], None] | None = None
    ) -> KycAdapters:
        if sleep is None:
            return cls(
                sms=SandboxSmsGateway(latency=latency),
                registry=SandboxRegistry(latency=latency),
                bank=SandboxBankVerifier(latency=latency),
                bins=DEFAULT_BIN_LOOKUP,
                sandbox=True,
            )
        return cls(
            sms=SandboxSmsGateway(latency=latency, sleep=sleep),
            registry=SandboxRegistry(latency=latency, sleep=sleep),
            bank=SandboxBankVerifier(latency=latency, sleep=sleep),
            bins=DEFAULT_BIN_LOOKUP,
            sandbox=True,
        )
