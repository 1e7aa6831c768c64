"""The process's name index over every list's active snapshot.

Built on first use and rebuilt when any list's active version changes (one small query
per screening tells), so a snapshot loaded by another process is used from the next
screening on. Building reads the current entity versions only.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass

import orjson
import structlog
from sqlalchemy.orm import Session

from aegis.screening.entities import ListEntity
from aegis.screening.matching import NameIndex
from aegis.screening.repository import ListRepository

log = structlog.get_logger(__name__)

Ref = tuple[str, str]  # (list id, entity key)


@dataclass(frozen=True, slots=True)
class ActiveIndex:
    versions: dict[str, int]  # list id -> active version when built
    list_names: dict[str, str]  # list id -> name
    index: NameIndex
    hashes: dict[Ref, str]  # content hash of each indexed entity version

    def list_ids(self, names: set[str] | None) -> set[str]:
        """The ids of the named lists (``None``: every list)."""
        if names is None:
            return set(self.list_names)
        return {list_id for list_id, name in self.list_names.items() if name in names}


class IndexCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: ActiveIndex | None = None

    def current(self, session: Session) -> ActiveIndex:
        repo = ListRepository(session)
        versions = repo.versions()
        active = self._active
        if active is not None and active.versions == versions:
            return active
        with self._lock:  # one build at a time; the others wait and reuse it
            active = self._active
            if active is None or active.versions != versions:
                active = self._build(repo, versions)
                self._active = active
            return active

    def invalidate(self) -> None:
        self._active = None

    @staticmethod
    def _build(repo: ListRepository, versions: dict[str, int]) -> ActiveIndex:
        started = time.perf_counter()
        index = NameIndex()
        hashes: dict[Ref, str] = {}
        names = {row.id: row.name for row in repo.all()}
        for list_id, key, digest, data in repo.current_entities(versions):
            ref = (list_id, key)
            index.add(ref, ListEntity.from_dict(orjson.loads(data)))
            hashes[ref] = digest
        # Hundreds of thousands of long-lived objects: without this, every full garbage
        # collection walks them all, and a screening that triggers one pauses for ~70 ms.
        gc.collect()
        gc.freeze()
        log.info(
            "screening_index_built",
            entities=len(hashes),
            lists=len(versions),
            seconds=round(time.perf_counter() - started, 2),
        )
        return ActiveIndex(versions=dict(versions), list_names=names, index=index, hashes=hashes)
