"""The account restriction of a payment decided on the event loop is read when the
decision is stored, in the write transaction: a freeze committed in between still
declines, and dormancy comes from the feature state when it knows the previous payment."""

from __future__ import annotations

import asyncio
import datetime as dt

from aegis.auth.context import Actor, Ctx, Scope
from aegis.kit.time import utcnow
from aegis.platform import Platform
from aegis.risk.decisions import Decided, DecisionService, Prepared, _StoreUnit
from aegis.risk.facts import customer_facts
from aegis.risk.intake import TransactionIn, to_transaction
from aegis.risk.models import AccountRestriction
from aegis.storage.hot import LoopReads, SessionReads
from tests.risk.test_decisions_api import tx
from tests.support.tenants import TenantHandle


def _freeze(platform: Platform, tenant: TenantHandle, ref: str, key: str) -> None:
    when = utcnow()
    with platform.db.session() as session:
        session.add(
            AccountRestriction(
                id=f"rst_{key}", tenant_id=tenant.id, customer_ref=ref, frozen=True,
                limit_amount=None, reason="test", updated_by="test", created_at=when,
                updated_at=when,
            )
        )  # fmt: skip


def _decide_with_freeze_between(
    platform: Platform, tenant: TenantHandle, customer: str, *, freeze: bool
) -> tuple[Prepared, Decided]:
    service = DecisionService(platform)
    body = to_transaction(TransactionIn.model_validate(tx(customer_id=customer)), now=utcnow())

    async def scenario() -> tuple[Prepared, Decided]:
        await service.ready(tenant.id)
        with LoopReads(platform.db) as reads:
            prepared = service.prepare(reads, tenant.id, body, source="json", optimistic=True)
        assert isinstance(prepared, Prepared)
        if freeze:
            _freeze(platform, tenant, prepared.ref or "", customer)
        unit = _StoreUnit(service, prepared)
        decided = await service.writer.submit_async(unit, before=unit.seal)
        return prepared, decided

    return asyncio.run(scenario())


def test_a_freeze_committed_after_the_decision_was_prepared_declines(
    platform: Platform, tenant: TenantHandle
) -> None:
    prepared, decided = _decide_with_freeze_between(platform, tenant, "late-freeze", freeze=True)
    assert not prepared.restriction_read and not prepared.customer.frozen
    assert prepared.verdict.outcome.value != "decline"
    assert decided.decision.outcome == "decline"
    assert "frozen_account" in decided.decision.rules_hit
    assert decided.evidence is not None
    frozen = [
        e for e in decided.evidence["rules"]["executions"] if e["rule_id"] == "frozen_account"
    ]
    assert frozen[0]["hit"] and frozen[0]["values"] == {"customer.frozen": True}


def test_an_unrestricted_account_keeps_its_prepared_decision(
    platform: Platform, tenant: TenantHandle
) -> None:
    prepared, decided = _decide_with_freeze_between(platform, tenant, "never-frozen", freeze=False)
    assert decided.decision.outcome == prepared.verdict.outcome.value
    assert decided.decision.rules_hit == list(prepared.verdict.reasons)


def test_dormancy_from_the_feature_state_matches_the_stored_transactions(
    platform: Platform, tenant: TenantHandle
) -> None:
    service = DecisionService(platform)
    earlier = utcnow() - dt.timedelta(days=12, hours=3)
    first = to_transaction(
        TransactionIn.model_validate(tx(customer_id="dormant-ish", time=earlier.isoformat())),
        now=utcnow(),
    )
    with platform.db.session() as session:
        ctx = Ctx(tenant.id, Actor("api_key", tenant.key_id), None, frozenset(Scope))
        service.decide(session, ctx, first, source="json")
    now_tx = to_transaction(
        TransactionIn.model_validate(tx(customer_id="dormant-ish")), now=utcnow()
    )
    ref = service.customer_ref(tenant.id, now_tx)
    seconds = (now_tx.time - first.time).total_seconds()
    with platform.db.session(write=False) as session:
        from_db = customer_facts(SessionReads(session), tenant.id, now_tx, ref)
        from_state = customer_facts(
            SessionReads(session), tenant.id, now_tx, ref, seconds_since_last=seconds
        )
    assert from_db.days_since_last_tx == from_state.days_since_last_tx == 12
