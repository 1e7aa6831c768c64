"""What Aegis knows about a payment's customer and counterparty, read for one decision:
KYC status, screening, account restrictions, dormancy, and the payee's screening."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, replace
from threading import Lock
from typing import TYPE_CHECKING

from aegis.kyc.repository import ApplicantRepository
from aegis.risk.model import Transaction
from aegis.risk.repository import last_time_for_customer, restriction_state
from aegis.risk.rules import CounterpartyFacts, CustomerFacts
from aegis.screening.repository import HitRepository
from aegis.storage.hot import Reads

if TYPE_CHECKING:
    from aegis.screening.index_cache import ActiveIndex
    from aegis.screening.service import Policy

APPLICANT_PREFIX = "app_"


def customer_facts(
    reads: Reads,
    tenant_id: str,
    tx: Transaction,
    customer_ref: str | None,
    *,
    seconds_since_last: float = math.nan,
    restrictions: bool = True,
) -> CustomerFacts:
    """The payer as the KYC, screening and restriction stores know them. A customer id that
    is an Aegis applicant id brings its KYC status; any other reference is a customer
    Aegis has not verified.

    ``seconds_since_last`` is the feature state's time since the customer's previous
    payment: when it knows one (within its retention) dormancy is counted from it, else
    from the stored transactions. ``restrictions=False`` leaves the account restriction
    out (not frozen, not limited) for a caller that checks it when it stores the decision
    (see ``DecisionService.decide_now``)."""
    if customer_ref is None:
        return CustomerFacts()
    kyc_status, kyc_level, risk, age, screening = "none", None, None, None, "unknown"
    customer_id = tx.customer_id or ""
    if customer_id.startswith(APPLICANT_PREFIX):
        session = reads.session
        applicant = ApplicantRepository(session, tenant_id).get(customer_id)
        if applicant is not None:
            kyc_status, kyc_level, risk = applicant.status, applicant.level, applicant.risk_rating
            age = max(0, (tx.time - applicant.created_at).days)
            statuses = {
                h.status for h in HitRepository(session, tenant_id).for_subject(customer_id)
            }
            if "confirmed" in statuses:
                screening = "hit"
            elif "open" in statuses:
                screening = "unknown"  # a possible match nobody has looked at yet
            elif applicant.status == "approved":
                screening = "clear"
    restriction = restriction_state(reads, tenant_id, customer_ref) if restrictions else None
    frozen, limited, limit_amount = _restricted(restriction)
    if seconds_since_last == seconds_since_last:  # not NaN
        days: int | None = int(seconds_since_last // 86_400)
    else:
        last = last_time_for_customer(reads, tenant_id, customer_ref, tx.time)
        days = (tx.time - last).days if last is not None else None
    return CustomerFacts(
        kyc_level=kyc_level,
        kyc_status=kyc_status,
        risk_rating=risk,
        screening=screening,  # type: ignore[arg-type]
        frozen=frozen,
        limited=limited,
        limit_amount=limit_amount,
        days_since_last_tx=days,
        account_age_days=age,
    )


def with_restriction(facts: CustomerFacts, state: tuple[bool, int | None] | None) -> CustomerFacts:
    """``facts`` with the account restriction ``state`` (see ``restriction_state``)."""
    frozen, limited, limit_amount = _restricted(state)
    return replace(facts, frozen=frozen, limited=limited, limit_amount=limit_amount)


def _restricted(state: tuple[bool, int | None] | None) -> tuple[bool, bool, int | None]:
    """``(frozen, limited, limit_amount)`` of a restriction state; none is no restriction."""
    frozen, limit_amount = state if state is not None else (False, None)
    return frozen, limit_amount is not None, limit_amount


@dataclass(frozen=True, slots=True)
class Screening:
    """The lists' name index and a tenant's screening policy, as of one runtime refresh."""

    active: ActiveIndex
    policy: Policy


class CounterpartyScreening:
    """Screens payee names against the tenant's lists, remembering recent answers: payees
    repeat, and a list change (a new index) starts the memory afresh."""

    def __init__(self, *, size: int = 10_000) -> None:
        self.size = size
        self._memory: OrderedDict[tuple[object, ...], CounterpartyFacts] = OrderedDict()
        self._lock = Lock()

    def facts(self, screening: Screening, tenant_id: str, tx: Transaction) -> CounterpartyFacts:
        from aegis.screening.matching import Query
        from aegis.screening.service import search

        if not tx.payee_name:
            return CounterpartyFacts()
        active, policy = screening.active, screening.policy
        if not active.list_names:
            return CounterpartyFacts()  # nothing loaded: unknown, not clear
        key = (tenant_id, id(active), tx.payee_name, tx.payee_country, policy.threshold)
        with self._lock:
            known = self._memory.get(key)
            if known is not None:
                self._memory.move_to_end(key)
                return known
        countries = (tx.payee_country,) if tx.payee_country else ()
        found = search(active, Query(names=(tx.payee_name,), countries=countries), policy, limit=5)
        facts = (
            CounterpartyFacts(
                screening="hit",
                screening_score=round(found[0].match.score, 4),
                screening_list=found[0].list_name,
            )
            if found
            else CounterpartyFacts(screening="clear")
        )
        with self._lock:
            self._memory[key] = facts
            while len(self._memory) > self.size:
                self._memory.popitem(last=False)
        return facts
