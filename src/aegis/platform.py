"""The composition root: one object holding every port, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from aegis.config import Settings
from aegis.kyc.adapters import KycAdapters
from aegis.privacy.audit.service import AuditTrail
from aegis.privacy.blind_index import BlindIndexer
from aegis.privacy.crypto import KeyRing, Vault
from aegis.privacy.keys import ensure_keys, make_loader
from aegis.privacy.master_key import load_master_key
from aegis.queue.service import AFTER_COMMIT_KEY
from aegis.queue.transport import JobQueue, build_huey
from aegis.storage import migrate
from aegis.storage.blobs import LocalBlobStore
from aegis.storage.db import Database, make_engine

if TYPE_CHECKING:
    from aegis.batch import BatchEngine
    from aegis.kyc.faces.index import FaceIndex
    from aegis.risk.runtime import RiskRuntime
    from aegis.screening.index_cache import IndexCache


@dataclass
class Platform:
    settings: Settings
    db: Database
    ring: KeyRing
    vault: Vault
    indexer: BlindIndexer
    audit: AuditTrail
    blobs: LocalBlobStore
    master: bytes = field(repr=False)
    queue: JobQueue = field(init=False)
    # Outside parties of KYC checks (SMS, registry, bank); tests swap in their own.
    kyc: KycAdapters = field(init=False)
    # Tests and embedders may swap the HTTP transport used for webhook deliveries.
    webhook_transport: httpx.BaseTransport | None = None
    _faces: Any = field(default=None, init=False, repr=False)
    _screening_index: Any = field(default=None, init=False, repr=False)
    _batch: Any = field(default=None, init=False, repr=False)
    _risk: Any = field(default=None, init=False, repr=False)

    @property
    def faces(self) -> FaceIndex:
        """The tenants' selfie faces, for duplicate-face search (built on first use, so
        processes that never compare faces never load NumPy)."""
        if self._faces is None:
            from aegis.kyc.faces.index import FaceIndex

            self._faces = FaceIndex(self.vault)
        face_index: FaceIndex = self._faces
        return face_index

    @property
    def screening_index(self) -> IndexCache:
        """The lists' name index, built on first use and when a list changes."""
        if self._screening_index is None:
            from aegis.screening.index_cache import IndexCache

            self._screening_index = IndexCache()
        cache: IndexCache = self._screening_index
        return cache

    @property
    def risk(self) -> RiskRuntime:
        """Each tenant's compiled rules, lists, models and feature state in this process."""
        if self._risk is None:
            from aegis.risk.runtime import RiskRuntime

            self._risk = RiskRuntime(self)
        runtime: RiskRuntime = self._risk
        return runtime

    @property
    def batch(self) -> BatchEngine:
        """Where batch work runs: in this process, or on Ray (``AEGIS_RAY_ADDRESS``)."""
        if self._batch is None:
            from aegis.batch import engine_for

            self._batch = engine_for(self.settings.ray_address)
        engine: BatchEngine = self._batch
        return engine

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        run_migrations: bool = False,
        immediate_jobs: bool = False,
        bootstrap_keys: bool = True,
    ) -> Platform:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        master = load_master_key(settings)
        if run_migrations:
            migrate.upgrade(settings.resolved_database_url)
        url = settings.resolved_database_url
        in_memory = url.startswith("sqlite") and (":memory:" in url or url.rstrip("/") == "sqlite:")
        db = Database(make_engine(url), loop_engine=None if in_memory else make_engine(url, size=1))
        if bootstrap_keys:
            ensure_keys(db, master)
        ring = KeyRing(make_loader(db, master))
        ring.reload()
        vault = Vault(ring)
        platform = cls(
            settings=settings,
            db=db,
            ring=ring,
            vault=vault,
            indexer=BlindIndexer(ring),
            audit=AuditTrail(ring),
            blobs=LocalBlobStore(settings.blob_dir, vault),
            master=master,
        )
        huey = build_huey(
            redis_url=settings.redis_url,
            sqlite_path=str(settings.data_dir / "queue.db"),
            immediate=immediate_jobs,
        )
        platform.queue = JobQueue(platform, huey)
        platform.kyc = KycAdapters.from_settings(settings)
        platform._wire_dispatch()
        import_job_modules(settings.worker_imports)
        return platform

    def _wire_dispatch(self) -> None:
        # Looks the queue up at commit time, so an embedder (or a test) may swap it.
        def dispatch(info: dict[Any, Any]) -> None:
            ids: list[str] = info.get(AFTER_COMMIT_KEY, [])
            if ids:
                self.queue.dispatch_soon(ids)

        self.db.post_commit = dispatch

    def close(self) -> None:
        self.db.dispose()


def import_job_modules(extra: list[str]) -> None:
    """Import every module that registers job handlers, so any process can run any job."""
    import importlib

    from aegis.kyc import tasks as _kyc_tasks  # noqa: F401
    from aegis.partners.webhooks import tasks as _webhook_tasks  # noqa: F401
    from aegis.screening import tasks as _screening_tasks  # noqa: F401

    for name in extra:
        importlib.import_module(name)
