"""The pure core of the audit chain: canonical bytes and links, no I/O."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64
Mac = Callable[[bytes], str]


@dataclass(frozen=True, slots=True)
class Link:
    id: str
    chain: str
    seq: int
    tenant_id: str | None
    actor: str
    action: str
    target_type: str
    target_id: str
    request_id: str | None
    occurred_at: datetime
    details: dict[str, Any]
    prev_hash: str
    hash: str = ""


def canonical(link: Link) -> bytes:
    body = {
        "id": link.id,
        "chain": link.chain,
        "seq": link.seq,
        "tenant_id": link.tenant_id,
        "actor": link.actor,
        "action": link.action,
        "target_type": link.target_type,
        "target_id": link.target_id,
        "request_id": link.request_id,
        "occurred_at": link.occurred_at.isoformat(timespec="microseconds"),
        "details": link.details,
        "prev_hash": link.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class Finding:
    chain: str
    seq: int | None
    event_id: str | None
    problem: str


def verify_chain(
    chain: str, links: Iterable[Link], mac: Mac, head: tuple[int, str] | None
) -> list[Finding]:
    """Walk one chain in seq order; any edit, deletion, insertion or reordering breaks a link."""
    findings: list[Finding] = []
    expected_seq, prev = 1, GENESIS
    for link in links:
        if link.seq != expected_seq:
            findings.append(
                Finding(chain, link.seq, link.id, f"sequence gap: expected {expected_seq}")
            )
        if link.prev_hash != prev:
            findings.append(Finding(chain, link.seq, link.id, "broken link to previous record"))
        if mac(canonical(link)) != link.hash:
            findings.append(Finding(chain, link.seq, link.id, "record content was modified"))
        expected_seq, prev = link.seq + 1, link.hash
    if head is not None:
        head_seq, head_hash = head
        if head_seq != expected_seq - 1 or head_hash != prev:
            findings.append(
                Finding(chain, head_seq, None, "chain head disagrees: records removed at the end")
            )
    return findings
