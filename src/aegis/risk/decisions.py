"""Deciding a transaction and keeping the decision explainable.

One decision, in the caller's transaction: the transaction (encrypted), the decision with
every rule execution, the features and the model's reasons (encrypted), an alert and a
webhook when a person must look (review, step_up, decline). The transaction joins the
feature history only once all of that has committed. A transaction id seen before is not
decided again: the same body gets the same decision back, another body a 409.
"""

from __future__ import annotations

import hashlib
import math
import zlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import lz4.frame
import orjson
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from aegis.auth.context import Ctx
from aegis.errors import Conflict, NotFound
from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.partners.webhooks.service import emit
from aegis.privacy.blind_index import IndexKind
from aegis.privacy.registry import row_aad
from aegis.risk.engine import Verdict, decide
from aegis.risk.facts import CounterpartyScreening, customer_facts, with_restriction
from aegis.risk.model import Outcome, Transaction
from aegis.risk.models import RiskAlert, RiskDecision, RiskTransaction
from aegis.risk.repository import (
    AlertRepository,
    DecisionRepository,
    TransactionRepository,
    restriction_state,
)
from aegis.risk.rules import CounterpartyFacts, CustomerFacts
from aegis.risk.transactions import transaction_to_json
from aegis.storage.db import after_commit, build
from aegis.storage.group_commit import AlreadyStored
from aegis.storage.hot import LoopReads, Reads, SessionReads

if TYPE_CHECKING:
    from aegis.platform import Platform
    from aegis.risk.runtime import TenantRuntime

# How a decision's evidence was packed before it was sealed, by its first bytes: an LZ4
# frame (now), a zlib stream (earlier), plain JSON starting with "{" (the first decisions).
_LZ4_FRAME = b"\x04\x22\x4d\x18"
_ZLIB = b"\x78"
ALERTING = frozenset({Outcome.REVIEW, Outcome.STEP_UP, Outcome.DECLINE})


class TransactionConflict(Conflict):
    slug = "transaction-conflict"
    title = "This transaction id was already decided with a different body"


@dataclass(frozen=True, slots=True)
class Decided:
    transaction: RiskTransaction
    decision: RiskDecision
    replayed: bool
    # The explanation as stored, when at hand (a new decision): saves decrypting it again.
    evidence: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A decision made and not yet stored."""

    tenant_id: str
    tx: Transaction
    verdict: Verdict
    source: str
    encoded: bytes
    digest: str
    ref: str | None
    now: datetime
    runtime: TenantRuntime
    customer: CustomerFacts
    counterparty: CounterpartyFacts | None
    # False: decided as if the account had no restriction, to be checked when stored.
    restriction_read: bool = True


@dataclass(frozen=True, slots=True)
class Sealed:
    """A prepared decision's rows, built and encrypted, not yet in any session."""

    row: RiskTransaction
    decision: RiskDecision
    evidence: dict[str, Any]
    alert: RiskAlert | None


class _StoreUnit:
    """A decision for the group commit: sealed before the write lock, stored under it."""

    __slots__ = ("_prepared", "_sealed", "_service")

    def __init__(self, service: DecisionService, prepared: Prepared) -> None:
        self._service = service
        self._prepared = prepared
        self._sealed: Sealed | None = None

    def seal(self) -> None:
        self._sealed = self._service.seal(self._prepared)

    def __call__(self, session: Session) -> Decided:
        return self._service.store(session, self._prepared, self._sealed)


def fingerprint(tx: Transaction) -> str:
    return hashlib.sha256(
        orjson.dumps(transaction_to_json(tx), option=orjson.OPT_SORT_KEYS)
    ).hexdigest()


def _encoded(tx: Transaction) -> tuple[bytes, str]:
    """The transaction as stored, and its fingerprint, from one serialisation."""
    data = orjson.dumps(transaction_to_json(tx), option=orjson.OPT_SORT_KEYS)
    return data, hashlib.sha256(data).hexdigest()


class DecisionService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.vault = platform.vault
        self.indexer = platform.indexer
        self.audit = platform.audit
        self.counterparties = CounterpartyScreening()
        self.writer = platform.db.group

    def customer_ref(self, tenant_id: str, tx: Transaction) -> str | None:
        return self.indexer.compute_optional(tenant_id, IndexKind.CUSTOMER, tx.customer_id)

    def decide(self, session: Session, ctx: Ctx, tx: Transaction, *, source: str) -> Decided:
        """Decide and store in the caller's transaction (the ISO 20022 and stream paths)."""
        prepared = self.prepare(SessionReads(session), ctx.tenant_id, tx, source=source)
        if isinstance(prepared, Decided):
            return prepared
        return self.store(session, prepared)

    async def decide_now(self, ctx: Ctx, tx: Transaction, *, source: str) -> Decided:
        """Decide on the event loop and wait for the group commit (``POST /v1/transactions``).

        The reads are indexed point reads on the loop's own connection and the decision is
        pure, so nothing here waits on a thread; only building or refreshing the tenant's
        runtime (rare, and possibly long) goes to the thread pool. The answer comes once
        the decision is durable."""
        tenant_id = ctx.tenant_id
        db = self.platform.db
        await self.ready(tenant_id)
        with LoopReads(db) as reads:
            prepared = self.prepare(reads, tenant_id, tx, source=source, optimistic=True)
        if isinstance(prepared, Decided):
            return prepared
        try:
            unit = _StoreUnit(self, prepared)
            return await self.writer.submit_async(unit, before=unit.seal)
        except AlreadyStored:
            # The same id stored meanwhile (a retry racing its original): answer as a replay.
            with db.loop_reader() as session:
                existing = TransactionRepository(session, tenant_id).by_external_id(tx.id)
                if existing is None:
                    raise
                return self._replay(session, tenant_id, existing, prepared.digest)

    async def ready(self, tenant_id: str) -> None:
        """Build the tenant's runtime off the event loop, or refresh it: waiting for it
        when it is missing or a change in this process invalidated it, in the background
        when its refresh period has passed."""
        risk = self.platform.risk
        due = risk.due(tenant_id)
        if due == "now":
            await run_in_threadpool(risk.load, tenant_id)
        elif due == "soon":
            risk.refresh_soon(tenant_id)

    def prepare(
        self,
        reads: Reads,
        tenant_id: str,
        tx: Transaction,
        *,
        source: str,
        optimistic: bool = False,
    ) -> Prepared | Decided:
        """Everything a decision needs read and computed, nothing written; a transaction
        id seen before is answered from storage."""
        encoded, digest = _encoded(tx)
        risk = self.platform.risk
        # On the loop (after ``ready``) the runtime as it is; elsewhere, refreshed first.
        runtime = risk.settled(tenant_id) if optimistic else risk.tenant(reads.session, tenant_id)
        # An id this process has seen is looked up (a retry); any other is new unless the
        # unique index says otherwise when the decision is stored (see ``decide_now``).
        if not optimistic or tx.id in runtime.recent:
            repo = TransactionRepository(reads.session, tenant_id)
            # The point read on the driver first: nearly every id is new, and a lookup
            # through the ORM was a tenth of a stream consumer's CPU (py-spy, 600/s).
            existing = repo.by_external_id(tx.id) if repo.exists(tx.id) else None
            if existing is not None:
                return self._replay(reads.session, tenant_id, existing, digest)
        now = utcnow()
        ref = self.customer_ref(tenant_id, tx)
        features = runtime.compute(tx)
        customer = customer_facts(
            reads,
            tenant_id,
            tx,
            ref,
            seconds_since_last=features.get("customer_seconds_since_last", math.nan),
            restrictions=not optimistic,
        )
        counterparty = (
            self.counterparties.facts(runtime.screening, tenant_id, tx)
            if runtime.screening is not None
            else None
        )
        verdict = decide(
            tx,
            context=runtime.context,
            features=features,
            customer=customer,
            counterparty=counterparty,
            now=now,
        )
        return Prepared(
            tenant_id,
            tx,
            verdict,
            source,
            encoded,
            digest,
            ref,
            now,
            runtime,
            customer,
            counterparty,
            restriction_read=not optimistic or ref is None,
        )

    def store(self, session: Session, prepared: Prepared, sealed: Sealed | None = None) -> Decided:
        """Write a prepared decision in ``session``'s transaction (sealing it first unless
        it was sealed already)."""
        if not prepared.restriction_read:
            # Read here, in the write transaction, rather than on the event loop: a freeze
            # or limit committed before this decision is seen (on SQLite nothing commits
            # between this read and the decision's commit), and it costs the loop nothing.
            state = restriction_state(session, prepared.tenant_id, prepared.ref or "")
            if state is not None:
                prepared, sealed = self._redecided(prepared, state), None
        s = self.seal(prepared) if sealed is None else sealed
        tenant_id = prepared.tenant_id
        TransactionRepository(session, tenant_id).add(s.row)
        DecisionRepository(session, tenant_id).add(s.decision)
        if s.alert is not None:
            AlertRepository(session, tenant_id).add(s.alert)
            decision = s.decision
            emit(
                session,
                tenant_id,
                "risk.decision",
                {
                    "decision_id": decision.id,
                    "transaction_id": s.row.id,
                    "external_id": prepared.tx.id,
                    "alert_id": s.alert.id,
                    "outcome": decision.outcome,
                    "score": decision.score,
                    "rules_hit": decision.rules_hit,
                    "model_score": decision.model_score,
                },
            )
        runtime, tx = prepared.runtime, prepared.tx
        # The history learns the transaction only once the decision is durable.
        after_commit(session, lambda: runtime.record(tx))
        return Decided(s.row, s.decision, replayed=False, evidence=s.evidence)

    @staticmethod
    def _redecided(prepared: Prepared, state: tuple[bool, int | None]) -> Prepared:
        """``prepared`` decided again with the account's restriction (rare: most accounts
        have none), from the same features and facts."""
        customer = with_restriction(prepared.customer, state)
        verdict = decide(
            prepared.tx,
            context=prepared.runtime.context,
            features=prepared.verdict.features,
            customer=customer,
            counterparty=prepared.counterparty,
            now=prepared.now,
        )
        return replace(prepared, verdict=verdict, customer=customer, restriction_read=True)

    def _replay(
        self, session: Session, tenant_id: str, existing: RiskTransaction, digest: str
    ) -> Decided:
        if existing.fingerprint != digest:
            raise TransactionConflict(
                f"transaction {existing.external_id} was already decided with another body"
            )
        decision = DecisionRepository(session, tenant_id).get(existing.decision_id)
        assert decision is not None
        return Decided(existing, decision, replayed=True)

    def seal(self, prepared: Prepared) -> Sealed:
        """The decision's rows, built and encrypted: all a decision costs to store that
        needs no session."""
        p = prepared
        tenant_id, tx, verdict, now = p.tenant_id, p.tx, p.verdict, p.now
        evaluation = verdict.evaluation
        champion, challenger = verdict.champion, verdict.challenger
        # Built, not constructed: these rows are append-only (see ``storage.db.build``).
        row = build(
            RiskTransaction,
            id=new_id("txn"),
            tenant_id=tenant_id,
            external_id=tx.id,
            occurred_at=tx.time,
            type=tx.type.value,
            amount=tx.amount,
            currency=tx.currency,
            customer_ref=p.ref,
            source=p.source,
            status="decided",
            status_reason=None,
            fingerprint=p.digest,
            decision_id=new_id("dec"),
            created_at=now,
        )
        row.data_enc = self.vault.encrypt(p.encoded.decode(), row_aad(row, "data_enc"))
        decision = build(
            RiskDecision,
            id=row.decision_id,
            tenant_id=tenant_id,
            transaction_id=row.id,
            external_id=tx.id,
            outcome=verdict.outcome.value,
            score=evaluation.total_score,
            rule_set=evaluation.rule_set,
            rule_set_version=evaluation.version,
            rules_hit=list(verdict.reasons),
            model_version=champion.version if champion else None,
            model_score=round(champion.probability, 6) if champion else None,
            challenger_version=challenger.version if challenger else None,
            challenger_score=round(challenger.probability, 6) if challenger else None,
            duration_us=verdict.duration_us,
            created_at=now,
        )
        evidence = verdict.evidence()
        # Compressed before sealing: every feature and rule value of a decision is ~8.5 KB
        # of JSON, written on every payment. LZ4 packs it to ~2.8 KB in 7 µs; zlib (level
        # 1) to ~1.9 KB in 40-70 µs, a twentieth of the CPU a payment costs over HTTP.
        decision.evidence_enc = self.vault.encrypt_with(
            self.vault.ring.active_id(),
            lz4.frame.compress(orjson.dumps(evidence, option=orjson.OPT_SERIALIZE_NUMPY)),
            row_aad(decision, "evidence_enc"),
        )
        alert = None
        if verdict.outcome in ALERTING:
            alert = build(
                RiskAlert,
                id=new_id("alr"),
                tenant_id=tenant_id,
                source="risk_decision",
                decision_id=decision.id,
                transaction_id=row.id,
                outcome=decision.outcome,
                status="open",
                created_at=now,
            )
        return Sealed(row, decision, evidence, alert)

    # --- reading --------------------------------------------------------------------
    def get(self, session: Session, ctx: Ctx, decision_id: str) -> RiskDecision:
        row = DecisionRepository(session, ctx.tenant_id).get(decision_id)
        if row is None:
            raise NotFound(f"decision {decision_id} not found")
        return row

    def evidence(self, row: RiskDecision) -> dict[str, Any]:
        raw = self.vault.decrypt_bytes(row.evidence_enc, row_aad(row, "evidence_enc"))
        if raw[:4] == _LZ4_FRAME:
            raw = lz4.frame.decompress(raw)
        elif raw[:1] == _ZLIB:
            raw = zlib.decompress(raw)
        data: dict[str, Any] = orjson.loads(raw)
        return data

    def transaction(self, session: Session, ctx: Ctx, transaction_id: str) -> RiskTransaction:
        row = TransactionRepository(session, ctx.tenant_id).get(transaction_id)
        if row is None:
            raise NotFound(f"transaction {transaction_id} not found")
        return row

    def transaction_data(self, row: RiskTransaction) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(
            self.vault.decrypt(row.data_enc, row_aad(row, "data_enc"))
        )
        return data
