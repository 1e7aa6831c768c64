"""Checks on applicant data: pure functions, and ports to the outside parties that answer.

The public API is re-exported here lazily: ``from aegis.checks import check_id_number``
works, but importing ``aegis.checks.result`` does not drag in phonenumbers, httpx and the
e-mail blocklist (and cannot create an import cycle with the modules below).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aegis.checks.card.bank import (
        BankElement,
        BankOutcome,
        BankUnavailable,
        BankVerdict,
        BankVerificationRequest,
        BankVerifier,
        SandboxBankVerifier,
        check_bank_card,
        verify_bank_card,
    )
    from aegis.checks.card.bins import CardType
    from aegis.checks.card.luhn_bin import (
        BinInfo,
        BinLookup,
        TableBinLookup,
        check_card_number,
        lookup_bin,
    )
    from aegis.checks.email import check_email_domain
    from aegis.checks.identity.id_numbers import ID_TYPES, check_id_number, id_number_birth_date
    from aegis.checks.phone.otp import (
        OtpChallenge,
        OtpPolicy,
        ResendResult,
        VerifyResult,
        resend,
        start_challenge,
        verify,
    )
    from aegis.checks.phone.sms import (
        HttpSmsGateway,
        SandboxSmsGateway,
        SmsGateway,
        SmsReceipt,
        SmsRejected,
        SmsUnavailable,
    )
    from aegis.checks.phone.validity import check_phone, to_e164
    from aegis.checks.ports import PortError, PortRejected, PortUnavailable, call_with_retries
    from aegis.checks.registry.registry import (
        GovernmentRegistry,
        RegistryOutcome,
        RegistryRequest,
        RegistryUnavailable,
        RegistryVerdict,
        SandboxRegistry,
        check_registry,
        lookup_registry,
    )
    from aegis.checks.result import CheckResult, Outcome

_EXPORTS: dict[str, tuple[str, ...]] = {
    "aegis.checks.result": ("CheckResult", "Outcome"),
    "aegis.checks.ports": ("PortError", "PortRejected", "PortUnavailable", "call_with_retries"),
    "aegis.checks.identity.id_numbers": ("ID_TYPES", "check_id_number", "id_number_birth_date"),
    "aegis.checks.phone.validity": ("check_phone", "to_e164"),
    "aegis.checks.phone.otp": (
        "OtpChallenge",
        "OtpPolicy",
        "ResendResult",
        "VerifyResult",
        "resend",
        "start_challenge",
        "verify",
    ),
    "aegis.checks.phone.sms": (
        "HttpSmsGateway",
        "SandboxSmsGateway",
        "SmsGateway",
        "SmsReceipt",
        "SmsRejected",
        "SmsUnavailable",
    ),
    "aegis.checks.card.bins": ("CardType",),
    "aegis.checks.card.luhn_bin": (
        "BinInfo",
        "BinLookup",
        "TableBinLookup",
        "check_card_number",
        "lookup_bin",
    ),
    "aegis.checks.card.bank": (
        "BankElement",
        "BankOutcome",
        "BankUnavailable",
        "BankVerdict",
        "BankVerificationRequest",
        "BankVerifier",
        "SandboxBankVerifier",
        "check_bank_card",
        "verify_bank_card",
    ),
    "aegis.checks.registry.registry": (
        "GovernmentRegistry",
        "RegistryOutcome",
        "RegistryRequest",
        "RegistryUnavailable",
        "RegistryVerdict",
        "SandboxRegistry",
        "check_registry",
        "lookup_registry",
    ),
    "aegis.checks.email": ("check_email_domain",),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "ID_TYPES",
    "BankElement",
    "BankOutcome",
    "BankUnavailable",
    "BankVerdict",
    "BankVerificationRequest",
    "BankVerifier",
    "BinInfo",
    "BinLookup",
    "CardType",
    "CheckResult",
    "GovernmentRegistry",
    "HttpSmsGateway",
    "OtpChallenge",
    "OtpPolicy",
    "Outcome",
    "PortError",
    "PortRejected",
    "PortUnavailable",
    "RegistryOutcome",
    "RegistryRequest",
    "RegistryUnavailable",
    "RegistryVerdict",
    "ResendResult",
    "SandboxBankVerifier",
    "SandboxRegistry",
    "SandboxSmsGateway",
    "SmsGateway",
    "SmsReceipt",
    "SmsRejected",
    "SmsUnavailable",
    "TableBinLookup",
    "VerifyResult",
    "call_with_retries",
    "check_bank_card",
    "check_card_number",
    "check_email_domain",
    "check_id_number",
    "check_phone",
    "check_registry",
    "id_number_birth_date",
    "lookup_bin",
    "lookup_registry",
    "resend",
    "start_challenge",
    "to_e164",
    "verify",
    "verify_bank_card",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'aegis.checks' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
