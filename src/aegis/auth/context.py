"""Who is acting: passed explicitly to every service call that changes something."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum


class Scope(StrEnum):
    READ = "read"
    KYC_WRITE = "kyc:write"
    KYC_REVIEW = "kyc:review"
    RISK_WRITE = "risk:write"
    CASES_WRITE = "cases:write"
    ADMIN = "admin"


# admin implies every other scope; every write scope implies read.
IMPLIED: dict[Scope, frozenset[Scope]] = {
    Scope.ADMIN: frozenset(Scope),
    Scope.KYC_WRITE: frozenset({Scope.KYC_WRITE, Scope.READ}),
    Scope.KYC_REVIEW: frozenset({Scope.KYC_REVIEW, Scope.READ}),
    Scope.RISK_WRITE: frozenset({Scope.RISK_WRITE, Scope.READ}),
    Scope.CASES_WRITE: frozenset({Scope.CASES_WRITE, Scope.READ}),
    Scope.READ: frozenset({Scope.READ}),
}


def effective_scopes(granted: list[str] | tuple[str, ...]) -> frozenset[Scope]:
    out: set[Scope] = set()
    for name in granted:
        out |= IMPLIED.get(Scope(name), frozenset())
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class Actor:
    """``kind`` is api_key, user, system or cli; ``id`` names it in the audit trail."""

    kind: str
    id: str


SYSTEM = Actor("system", "system")


@dataclass(frozen=True, slots=True)
class Ctx:
    tenant_id: str
    actor: Actor
    request_id: str | None = None
    scopes: frozenset[Scope] = field(default_factory=frozenset)
    # The tenant's IP allow-list (CIDR blocks); empty allows every address.
    networks: tuple[str, ...] = ()

    def allows(self, address: str | None) -> bool:
        if not self.networks:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(n, strict=False) for n in self.networks)

    @property
    def actor_ref(self) -> str:
        return f"{self.actor.kind}:{self.actor.id}"
