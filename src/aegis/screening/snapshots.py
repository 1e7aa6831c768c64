"""Loading a list as a versioned snapshot, with its diff against the previous one.

A load is all or nothing: the file is parsed completely before anything is written
(a bad file raises :class:`ListFileError` and the active snapshot stays as it was), and
the new versions, the closed ones, the snapshot row and the re-screening job commit in
one transaction. Loading the same file twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from sqlalchemy.orm import Session

from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.privacy.audit.service import AuditTrail
from aegis.queue.service import enqueue
from aegis.screening.diff import EntityDiff, diff_entities
from aegis.screening.entities import ListEntity, ListFormat
from aegis.screening.models import ListSnapshot, ScreeningList
from aegis.screening.repository import ListRepository

RESCREEN_JOB = "screening.rescreen"
# A list's name when the operator gives none: one name per publication, whatever format
# it arrives in (the SDN as CSV or as XML is one list).
DEFAULT_NAMES: dict[ListFormat, str] = {
    ListFormat.OFAC_CSV: "ofac-sdn",
    ListFormat.OFAC_XML: "ofac-sdn",
    ListFormat.OFAC_CONS: "ofac-cons",
    ListFormat.UN_XML: "un",
    ListFormat.CSL: "us-csl",
    ListFormat.FTM: "opensanctions",
}
_SUMMARY_LIMIT = 1000  # entities listed per kind in a report; counts are always complete


@dataclass(frozen=True, slots=True, kw_only=True)
class EntitySummary:
    key: str
    name: str
    type: str

    @classmethod
    def of(cls, entity: ListEntity) -> EntitySummary:
        return cls(key=entity.key, name=entity.name, type=entity.type.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotReport:
    list_id: str
    list_name: str
    format: str
    source: str
    snapshot_id: str | None  # None when the file was the active snapshot already
    version: int
    previous_version: int
    digest: str
    published: date | None
    entities: int
    added: tuple[EntitySummary, ...] = ()
    changed: tuple[EntitySummary, ...] = ()
    removed: tuple[EntitySummary, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def unchanged(self) -> bool:
        return self.snapshot_id is None

    def as_dict(self) -> dict[str, Any]:
        def listing(items: tuple[EntitySummary, ...]) -> list[dict[str, str]]:
            return [{"key": e.key, "name": e.name, "type": e.type} for e in items]

        return {
            "list": {"id": self.list_id, "name": self.list_name, "source": self.source},
            "snapshot": {
                "id": self.snapshot_id,
                "version": self.version,
                "previous_version": self.previous_version,
                "format": self.format,
                "digest": self.digest,
                "published": self.published.isoformat() if self.published else None,
                "entities": self.entities,
                "unchanged": self.unchanged,
                "warnings": list(self.warnings),
            },
            "diff": {
                "counts": self.counts,
                "added": listing(self.added),
                "changed": listing(self.changed),
                "removed": listing(self.removed),
            },
        }


class SnapshotService:
    def __init__(self, audit: AuditTrail) -> None:
        self.audit = audit

    def load(
        self,
        session: Session,
        loaded: Any,  # aegis.screening.lists.LoadedList
        *,
        name: str | None = None,
        actor: str,
    ) -> SnapshotReport:
        fmt = ListFormat(loaded.format)
        list_name = name or DEFAULT_NAMES[fmt]
        repo = ListRepository(session)
        row = repo.by_name(list_name, lock=True)
        if row is None:
            row = ScreeningList(
                id=new_id("lst"), name=list_name, format=fmt.value, source=loaded.source, version=0
            )
            repo.add(row)
            session.flush()
        active = repo.snapshot(row.id, row.version) if row.version else None
        entities: dict[str, ListEntity] = {e.key: e for e in loaded.entities}
        if active is not None and active.digest == loaded.digest:
            return SnapshotReport(
                list_id=row.id,
                list_name=row.name,
                format=fmt.value,
                source=row.source,
                snapshot_id=None,
                version=row.version,
                previous_version=row.version,
                digest=loaded.digest,
                published=loaded.published,
                entities=len(entities),
                counts={"added": 0, "changed": 0, "removed": 0},
                warnings=tuple(loaded.warnings),
            )
        current = repo.current_hashes(row.id)
        hashes = {key: entity.content_hash() for key, entity in entities.items()}
        diff = diff_entities({k: h for k, (_, h) in current.items()}, hashes)
        version = row.version + 1
        repo.close_versions([current[k][0] for k in diff.changed + diff.removed], version)
        repo.insert_versions(
            [
                {
                    "list_id": row.id,
                    "key": key,
                    "content_hash": hashes[key],
                    "data": orjson.dumps(entities[key].as_dict()).decode(),
                    "valid_from": version,
                    "valid_to": None,
                }
                for key in diff.touched
            ]
        )
        snapshot = ListSnapshot(
            id=new_id("lss"),
            list_id=row.id,
            version=version,
            digest=loaded.digest,
            published=loaded.published,
            loaded_at=utcnow(),
            loaded_by=actor,
            entities=len(entities),
            added=len(diff.added),
            changed=len(diff.changed),
            removed=len(diff.removed),
            warnings=list(loaded.warnings),
            rescreen_status="pending" if not diff.empty else "done",
            rescreen_stats={},
        )
        repo.add(snapshot)
        previous = row.version
        row.version, row.source, row.format = version, loaded.source, fmt.value
        row.updated_at = utcnow()
        self.audit.record(
            session,
            None,
            action="screening.list_loaded",
            target_type="list_snapshot",
            target_id=snapshot.id,
            actor=actor,
            details={
                "list": row.name,
                "version": version,
                "added": len(diff.added),
                "changed": len(diff.changed),
                "removed": len(diff.removed),
            },
        )
        if not diff.empty:
            enqueue(session, RESCREEN_JOB, {"snapshot_id": snapshot.id}, max_attempts=10)
        return self._report(row, snapshot, previous, diff, entities, repo, loaded)

    def _report(
        self,
        row: ScreeningList,
        snapshot: ListSnapshot,
        previous: int,
        diff: EntityDiff,
        entities: dict[str, ListEntity],
        repo: ListRepository,
        loaded: Any,
    ) -> SnapshotReport:
        removed: list[EntitySummary] = []
        for key in diff.removed[:_SUMMARY_LIMIT]:
            old = _previous_data(repo, row.id, key, snapshot.version)
            removed.append(
                EntitySummary(key=key, name=old.name, type=old.type.value)
                if old
                else EntitySummary(key=key, name="", type="unknown")
            )
        return SnapshotReport(
            list_id=row.id,
            list_name=row.name,
            format=row.format,
            source=row.source,
            snapshot_id=snapshot.id,
            version=snapshot.version,
            previous_version=previous,
            digest=snapshot.digest,
            published=snapshot.published,
            entities=snapshot.entities,
            added=tuple(EntitySummary.of(entities[k]) for k in diff.added[:_SUMMARY_LIMIT]),
            changed=tuple(EntitySummary.of(entities[k]) for k in diff.changed[:_SUMMARY_LIMIT]),
            removed=tuple(removed),
            counts={
                "added": len(diff.added),
                "changed": len(diff.changed),
                "removed": len(diff.removed),
            },
            warnings=tuple(loaded.warnings),
        )


def _previous_data(repo: ListRepository, list_id: str, key: str, version: int) -> ListEntity | None:
    data = repo.closed_version(list_id, key, version)
    return ListEntity.from_dict(orjson.loads(data)) if data else None
