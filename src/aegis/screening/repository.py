"""All screening SQL. Lists are shared by every tenant; hits are tenant-scoped."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from aegis.kit.pagination import Page, PageRequest
from aegis.kit.repository import TenantRepository
from aegis.screening.models import ListEntityRow, ListSnapshot, ScreeningHit, ScreeningList

_CHUNK = 500  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits


class ListRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_name(self, name: str, *, lock: bool = False) -> ScreeningList | None:
        stmt = select(ScreeningList).where(ScreeningList.name == name)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def get(self, list_id: str) -> ScreeningList | None:
        return self.session.get(ScreeningList, list_id)

    def all(self) -> list[ScreeningList]:
        return list(self.session.scalars(select(ScreeningList).order_by(ScreeningList.name)))

    def versions(self) -> dict[str, int]:
        """Each list's active version: one small query tells whether an index is stale."""
        rows = self.session.execute(select(ScreeningList.id, ScreeningList.version))
        return {str(list_id): int(version) for list_id, version in rows}

    def add(self, row: ScreeningList | ListSnapshot) -> None:
        self.session.add(row)

    def snapshot(self, list_id: str, version: int) -> ListSnapshot | None:
        stmt = select(ListSnapshot).where(
            ListSnapshot.list_id == list_id, ListSnapshot.version == version
        )
        return self.session.scalars(stmt).one_or_none()

    def snapshot_by_id(self, snapshot_id: str) -> ListSnapshot | None:
        return self.session.get(ListSnapshot, snapshot_id)

    def snapshots(self, list_id: str) -> list[ListSnapshot]:
        stmt = select(ListSnapshot).where(ListSnapshot.list_id == list_id)
        return list(self.session.scalars(stmt.order_by(ListSnapshot.version.desc())))

    def pending_rescreens(self) -> list[ListSnapshot]:
        stmt = select(ListSnapshot).where(ListSnapshot.rescreen_status == "pending")
        return list(self.session.scalars(stmt.order_by(ListSnapshot.loaded_at)))

    # --- entity versions ------------------------------------------------------------
    def current_hashes(self, list_id: str) -> dict[str, tuple[int, str]]:
        """key -> (row id, content hash) of every current entity of a list."""
        stmt = select(ListEntityRow.key, ListEntityRow.id, ListEntityRow.content_hash).where(
            ListEntityRow.list_id == list_id, ListEntityRow.valid_to.is_(None)
        )
        return {key: (row_id, digest) for key, row_id, digest in self.session.execute(stmt)}

    def close_versions(self, row_ids: Sequence[int], version: int) -> None:
        for start in range(0, len(row_ids), _CHUNK):
            chunk = list(row_ids[start : start + _CHUNK])
            self.session.execute(
                update(ListEntityRow).where(ListEntityRow.id.in_(chunk)).values(valid_to=version)
            )

    def insert_versions(self, rows: list[dict[str, Any]]) -> None:
        # One executemany through Core: an ORM object per entity would cost ~10x.
        for start in range(0, len(rows), 5000):
            self.session.execute(insert(ListEntityRow), rows[start : start + 5000])

    def current_entities(self, list_ids: Iterable[str]) -> Iterator[tuple[str, str, str, str]]:
        """(list id, key, content hash, JSON data) of every current entity."""
        stmt = (
            select(
                ListEntityRow.list_id,
                ListEntityRow.key,
                ListEntityRow.content_hash,
                ListEntityRow.data,
            )
            .where(ListEntityRow.list_id.in_(list(list_ids)), ListEntityRow.valid_to.is_(None))
            .order_by(ListEntityRow.list_id, ListEntityRow.key)
            .execution_options(yield_per=2000)
        )
        for list_id, key, digest, data in self.session.execute(stmt):
            yield str(list_id), str(key), str(digest), str(data)

    def opened_in(self, list_id: str, version: int) -> list[tuple[str, str, str]]:
        """(key, content hash, data) of the versions a snapshot opened: added and changed."""
        stmt = select(ListEntityRow.key, ListEntityRow.content_hash, ListEntityRow.data).where(
            ListEntityRow.list_id == list_id, ListEntityRow.valid_from == version
        )
        return [(k, h, d) for k, h, d in self.session.execute(stmt)]

    def closed_in(self, list_id: str, version: int) -> list[str]:
        stmt = select(ListEntityRow.key).where(
            ListEntityRow.list_id == list_id, ListEntityRow.valid_to == version
        )
        return list(self.session.scalars(stmt))

    def closed_version(self, list_id: str, key: str, version: int) -> str | None:
        """The JSON data of the version of an entity that snapshot ``version`` closed."""
        stmt = select(ListEntityRow.data).where(
            ListEntityRow.list_id == list_id,
            ListEntityRow.key == key,
            ListEntityRow.valid_to == version,
        )
        return self.session.scalars(stmt).first()

    def entity_version(self, list_id: str, key: str, digest: str) -> str | None:
        """The JSON data of one version of an entity (current or not), by its hash."""
        stmt = (
            select(ListEntityRow.data)
            .where(
                ListEntityRow.list_id == list_id,
                ListEntityRow.key == key,
                ListEntityRow.content_hash == digest,
            )
            .limit(1)
        )
        return self.session.scalars(stmt).first()


class HitRepository(TenantRepository[ScreeningHit]):
    model = ScreeningHit

    def for_subject(self, subject_id: str) -> list[ScreeningHit]:
        stmt = self._scoped().where(ScreeningHit.subject_id == subject_id)
        return list(self.session.scalars(stmt.order_by(ScreeningHit.id)))

    def for_subjects(self, subject_ids: Sequence[str]) -> list[ScreeningHit]:
        out: list[ScreeningHit] = []
        for start in range(0, len(subject_ids), _CHUNK):
            chunk = list(subject_ids[start : start + _CHUNK])
            stmt = self._scoped().where(ScreeningHit.subject_id.in_(chunk))
            out += self.session.scalars(stmt)
        return out

    def page(
        self,
        page: PageRequest,
        *,
        status: str | None = None,
        subject_id: str | None = None,
        list_id: str | None = None,
    ) -> Page[ScreeningHit]:
        stmt = self._scoped()
        if status is not None:
            stmt = stmt.where(ScreeningHit.status == status)
        if subject_id is not None:
            stmt = stmt.where(ScreeningHit.subject_id == subject_id)
        if list_id is not None:
            stmt = stmt.where(ScreeningHit.list_id == list_id)
        return self.paginate(stmt, page)

    @staticmethod
    def open_for_entities(
        session: Session, list_id: str, keys: Sequence[str]
    ) -> list[ScreeningHit]:
        """Every tenant's open hits on these entities (closing them is a list event)."""
        out: list[ScreeningHit] = []
        for start in range(0, len(keys), _CHUNK):
            chunk = list(keys[start : start + _CHUNK])
            stmt = select(ScreeningHit).where(
                ScreeningHit.list_id == list_id,
                ScreeningHit.entity_key.in_(chunk),
                ScreeningHit.status == "open",
            )
            out += session.scalars(stmt)
        return out
