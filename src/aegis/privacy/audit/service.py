"""Recording and verifying the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.privacy.audit.chain import Finding, Link, canonical, verify_chain
from aegis.privacy.audit.models import AuditEvent
from aegis.privacy.audit.repository import AuditRepository, Head
from aegis.privacy.crypto import KeyedHasher, KeyRing
from aegis.storage.db import build, transaction_cache

OPERATOR_CHAIN = "operator"


def _link(row: AuditEvent) -> Link:
    return Link(
        id=row.id,
        chain=row.chain,
        seq=row.seq,
        tenant_id=row.tenant_id,
        actor=row.actor,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        request_id=row.request_id,
        occurred_at=row.occurred_at,
        details=row.details,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


@dataclass(frozen=True, slots=True)
class VerifyReport:
    chains: int
    records: int
    findings: list[Finding]
    heads: list[tuple[str, int, str]]

    @property
    def ok(self) -> bool:
        return not self.findings


class AuditTrail:
    """Keyed (HMAC) chain: someone who can write the database still cannot forge a link."""

    def __init__(self, ring: KeyRing) -> None:
        self._hasher = KeyedHasher(ring, "audit")

    def _mac(self, data: bytes) -> str:
        return self._hasher.digest("chain", data)

    def record(
        self,
        session: Session,
        ctx: Ctx | None,
        *,
        action: str,
        target_type: str,
        target_id: str,
        details: dict[str, Any] | None = None,
        actor: str | None = None,
        tenant_id: str | None = None,
    ) -> AuditEvent:
        """Append in the caller's transaction: the record and the change commit together.

        ``details`` must never hold PII: names of changed fields, not their values.
        """
        tenant = ctx.tenant_id if ctx else tenant_id
        repo = AuditRepository(session)
        chain = tenant or OPERATOR_CHAIN
        # One head lookup per chain and transaction: later records of the same transaction
        # continue from the head in memory.
        heads: dict[str, Head] = transaction_cache(session, "audit_heads")
        head = heads.get(chain)
        if head is None:
            head = heads[chain] = repo.lock_head(chain)
        seq, prev = head.seq + 1, head.hash
        link = Link(
            id=new_id("aud"),
            chain=chain,
            seq=seq,
            tenant_id=tenant,
            actor=actor or (ctx.actor_ref if ctx else "system:system"),
            action=action,
            target_type=target_type,
            target_id=target_id,
            request_id=ctx.request_id if ctx else None,
            occurred_at=utcnow(),
            details=details or {},
            prev_hash=prev,
        )
        row = build(
            AuditEvent,
            id=link.id,
            chain=link.chain,
            seq=link.seq,
            tenant_id=link.tenant_id,
            actor=link.actor,
            action=link.action,
            target_type=link.target_type,
            target_id=link.target_id,
            request_id=link.request_id,
            occurred_at=link.occurred_at,
            details=link.details,
            prev_hash=link.prev_hash,
            hash=self._mac(canonical(link)),
        )
        repo.append(row, head)
        return row

    def verify(
        self, session: Session, *, anchors: list[tuple[str, int, str]] | None = None
    ) -> VerifyReport:
        """Check every chain; ``anchors`` are (chain, seq, hash) heads exported earlier.

        A chain checks itself against its head row, but someone who cuts the newest
        records and rewinds the head row too leaves a consistent chain; only a head kept
        outside the database (an anchor) shows what was there before.
        """
        repo = AuditRepository(session)
        findings: list[Finding] = []
        heads: list[tuple[str, int, str]] = []
        records = 0
        chains = sorted(set(repo.chains()) | set(repo.event_chains()))
        seen: dict[str, dict[int, str]] = {}
        for chain in chains:
            links = [_link(r) for r in repo.stream(chain)]
            records += len(links)
            seen[chain] = {link.seq: link.hash for link in links}
            head = repo.head(chain)
            if head is None:
                findings.append(
                    Finding(chain, None, None, "records exist but the chain head is gone")
                )
            else:
                heads.append((chain, head[0], head[1]))
            findings += verify_chain(chain, links, self._mac, head)
        for chain, seq, hash_ in anchors or []:
            current = seen.get(chain, {}).get(seq)
            if current is None:
                findings.append(
                    Finding(chain, seq, None, "record in the anchor is gone: chain was cut")
                )
            elif current != hash_:
                findings.append(
                    Finding(chain, seq, None, "record differs from the anchor: chain was rewritten")
                )
        return VerifyReport(len(chains), records, findings, heads)
