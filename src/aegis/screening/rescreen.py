"""Re-screening when a list changes: only what can have changed, against everyone.

A new snapshot opens versions (added and changed entities) and closes others (changed and
removed ones). Open hits on a closed version are closed (``entity_removed`` or
``entity_changed``); then each opened version is screened against every customer of every
tenant that uses the list. Customers are indexed in chunks and each chunk is searched
with every opened entity: a pure function mapped by the batch engine, in this process or
on Ray. Each candidate is then scored the way onboarding scores it (customer against
entity) before it becomes a hit, so a hit means the same whichever way it was found.

The chunks carry customers' names, birth dates, nationalities and ID numbers, decrypted,
to the engine's workers: on Ray they sit in the cluster's object store for the length of
the task (see docs/screening.md on running Ray).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import structlog

from aegis.kit.time import utcnow
from aegis.kyc.repository import ApplicantRepository
from aegis.partners.repository import TenantStore
from aegis.partners.webhooks.service import emit
from aegis.privacy.crypto import aad_for
from aegis.screening.entities import EntityType, ListEntity
from aegis.screening.matching import NameIndex, Query, compare
from aegis.screening.models import ScreeningHit
from aegis.screening.repository import HitRepository, ListRepository
from aegis.screening.service import ACTOR, Found, ScreeningService, applicant_query

if TYPE_CHECKING:
    from aegis.platform import Platform

log = structlog.get_logger(__name__)

# Rejected and expired applicants are not customers any more.
NOT_SCREENED = ("rejected", "expired")
_READ_PAGE = 5000


@dataclass(frozen=True, slots=True)
class ChunkTask:
    customers: tuple[ListEntity, ...]  # key = applicant id
    entities: tuple[ListEntity, ...]
    threshold: float


def screen_chunk(task: ChunkTask) -> list[tuple[str, str]]:
    """(customer id, entity key) of every customer an entity's names find in this chunk.

    Pure and picklable: it runs wherever the batch engine puts it.
    """
    index = NameIndex()
    for customer in task.customers:
        index.add(customer.key, customer)
    out: list[tuple[str, str]] = []
    for entity in task.entities:
        query = Query.from_entity(entity)
        for ref, _, _ in index.search(query, threshold=task.threshold, limit=1000):
            out.append((str(ref), entity.key))
    return out


def customer_entity(applicant_id: str, profile: dict[str, Any]) -> ListEntity:
    """A customer in the shape the index takes (the index works in both directions)."""
    aliases = (profile["native_name"],) if profile.get("native_name") else ()
    return ListEntity(
        key=applicant_id,
        type=EntityType.PERSON,
        name=f"{profile['first_name']} {profile['last_name']}",
        aliases=aliases,
        birth_dates=(profile["date_of_birth"],) if profile.get("date_of_birth") else (),
        nationalities=(profile["nationality"],) if profile.get("nationality") else (),
        id_numbers=(profile["id_number"],) if profile.get("id_number") else (),
    )


@dataclass(slots=True)
class Stats:
    tenants: int = 0
    customers: int = 0
    entities: int = 0
    candidates: int = 0
    hits_opened: int = 0
    hits_closed: int = 0
    suppressed: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


class Rescreener:
    def __init__(self, platform: Platform, *, chunk_size: int | None = None) -> None:
        self.platform = platform
        self.screening = ScreeningService(platform)
        self.chunk_size = chunk_size or platform.settings.rescreen_chunk_size

    def run(
        self, snapshot_id: str, *, heartbeat: Callable[[], None] | None = None
    ) -> dict[str, Any]:
        started = time.perf_counter()
        stats = Stats()
        db = self.platform.db
        with db.session() as session:
            repo = ListRepository(session)
            snapshot = repo.snapshot_by_id(snapshot_id)
            if snapshot is None or snapshot.rescreen_status == "done":
                return {"skipped": True}
            row = repo.get(snapshot.list_id)
            assert row is not None
            list_id, list_name, version = row.id, row.name, snapshot.version
            opened = repo.opened_in(list_id, version)
            closed = set(repo.closed_in(list_id, version))
            tenants = [(t.id, t.settings or {}) for t in TenantStore(session).all()]
        entities = [
            (key, digest, ListEntity.from_dict(orjson.loads(data))) for key, digest, data in opened
        ]
        opened_keys = {key for key, _, _ in entities}
        stats.entities = len(entities)
        with db.session() as session:
            stats.hits_closed = self._close_hits(
                session,
                list_id,
                removed=sorted(closed - opened_keys),
                changed=sorted(closed & opened_keys),
            )
        for tenant_id, settings in tenants:
            names = settings.get("screening_lists") or ["*"]
            if "*" not in names and list_name not in names:
                continue
            stats.tenants += 1
            self._tenant(tenant_id, list_id, list_name, version, entities, stats, heartbeat)
        stats.seconds = round(time.perf_counter() - started, 2)
        with db.session() as session:
            snapshot = ListRepository(session).snapshot_by_id(snapshot_id)
            assert snapshot is not None
            snapshot.rescreen_status = "done"
            snapshot.rescreen_stats = stats.as_dict()
        log.info("rescreen_done", snapshot_id=snapshot_id, **stats.as_dict())
        return stats.as_dict()

    def _close_hits(
        self, session: Any, list_id: str, *, removed: list[str], changed: list[str]
    ) -> int:
        closed = 0
        for reason, keys in (("entity_removed", removed), ("entity_changed", changed)):
            for hit in HitRepository.open_for_entities(session, list_id, keys):
                hit.status, hit.closed_reason, hit.updated_at = "closed", reason, utcnow()
                closed += 1
                self.screening.audit.record(
                    session,
                    None,
                    action="screening.hit_closed",
                    target_type="screening_hit",
                    target_id=hit.id,
                    actor=ACTOR,
                    tenant_id=hit.tenant_id,
                    details={"reason": reason},
                )
                emit(
                    session,
                    hit.tenant_id,
                    "screening.hit_closed",
                    {"hit_id": hit.id, "subject_id": hit.subject_id, "reason": reason},
                )
        return closed

    def _customers(self, tenant_id: str) -> dict[str, dict[str, Any]]:
        vault = self.platform.vault
        out: dict[str, dict[str, Any]] = {}
        after: str | None = None
        while True:
            with self.platform.db.session(write=False) as session:
                page = ApplicantRepository(session, tenant_id).profiles_after(
                    after, _READ_PAGE, exclude=NOT_SCREENED
                )
            for applicant_id, token in page:
                aad = aad_for(tenant_id, "applicants", "profile_enc", applicant_id)
                out[applicant_id] = orjson.loads(vault.decrypt(token, aad))
            if len(page) < _READ_PAGE:
                return out
            after = page[-1][0]

    def _tenant(
        self,
        tenant_id: str,
        list_id: str,
        list_name: str,
        version: int,
        entities: list[tuple[str, str, ListEntity]],
        stats: Stats,
        heartbeat: Callable[[], None] | None,
    ) -> None:
        with self.platform.db.session(write=False) as session:
            policy = self.screening.policy(session, tenant_id)
        profiles = self._customers(tenant_id)
        stats.customers += len(profiles)
        if not profiles or not entities:
            return
        customers = [customer_entity(i, p) for i, p in profiles.items()]
        plain = tuple(entity for _, _, entity in entities)
        tasks = [
            ChunkTask(tuple(customers[i : i + self.chunk_size]), plain, policy.threshold)
            for i in range(0, len(customers), self.chunk_size)
        ]
        pairs = [pair for chunk in self.platform.batch.map(screen_chunk, tasks) for pair in chunk]
        stats.candidates += len(pairs)
        if heartbeat is not None:
            heartbeat()
        by_key = {key: (digest, entity) for key, digest, entity in entities}
        found: dict[str, list[Found]] = defaultdict(list)
        for customer_id, key in pairs:
            digest, entity = by_key[key]
            match = compare(
                applicant_query(profiles[customer_id]), entity, threshold=policy.threshold
            )
            if match.match:
                found[customer_id].append(
                    Found(
                        list_id=list_id,
                        list_name=list_name,
                        list_version=version,
                        entity=entity,
                        entity_hash=digest,
                        match=match,
                    )
                )
        subjects = sorted(found)
        for start in range(0, len(subjects), 500):
            batch = subjects[start : start + 500]
            with self.platform.db.session() as session:
                known: dict[str, list[ScreeningHit]] = defaultdict(list)
                for hit in HitRepository(session, tenant_id).for_subjects(batch):
                    known[hit.subject_id].append(hit)
                for subject_id in batch:
                    outcome = self.screening.record(
                        session,
                        tenant_id=tenant_id,
                        subject_id=subject_id,
                        found=found[subject_id],
                        origin="rescreen",
                        existing=sorted(known[subject_id], key=lambda h: h.id),
                    )
                    stats.hits_opened += len(outcome.opened)
                    stats.suppressed += outcome.suppressed
