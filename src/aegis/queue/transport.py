"""huey carries job ids; SQLite file embedded, Redis scaled, in-memory for tests."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from aegis.kit.time import utcnow
from aegis.queue.repository import JobRepository
from aegis.queue.runner import run_job

if TYPE_CHECKING:
    from aegis.platform import Platform

log = structlog.get_logger(__name__)


def build_huey(
    *, redis_url: str | None, sqlite_path: str | None, immediate: bool, name: str = "aegis"
) -> Huey:
    """``name`` keys the queue in Redis: producers and workers of one deployment share it."""
    if immediate:
        return MemoryHuey(name, results=False, immediate=True)
    if redis_url:
        return RedisHuey(name, url=redis_url, results=False)
    assert sqlite_path is not None
    return SqliteHuey(name, filename=sqlite_path, results=False)


class JobQueue:
    """Dispatch (after commit) and sweep (re-dispatch what was dropped or orphaned)."""

    def __init__(self, platform: Platform, huey: Huey) -> None:
        self.platform = platform
        self.huey = huey
        self._lock = threading.Lock()

        @huey.task(name="aegis.run_job")  # type: ignore[untyped-decorator]
        def _run(job_id: str) -> None:
            run_job(platform, job_id)

        self._task: Any = _run
        # Hand-overs from an event loop, for the dispatcher thread (see ``dispatch_soon``).
        self._handovers: queue.SimpleQueue[list[str]] = queue.SimpleQueue()
        self._dispatcher: threading.Thread | None = None

    def dispatch_soon(self, job_ids: list[str]) -> None:
        """``dispatch`` after a commit: on an event loop, by the dispatcher thread.

        A hand-over writes to the queue's store (``queue.db`` embedded, Redis scaled), which
        may wait: for the job worker's transaction on ``queue.db``, for the network, and on
        failure for the database's write lock (``_release``). The loop that committed (the
        group commit on SQLite) must wait for none of it. The jobs are stored already, so a
        hand-over that comes a moment later, or never (the sweeper takes those), changes
        nothing but when they run. An immediate queue (tests, embedding) runs them here."""
        if not getattr(self.huey, "immediate", False) and _on_event_loop():
            self._handovers.put(job_ids)
            self._ensure_dispatcher()
            return
        self.dispatch(job_ids)

    def _ensure_dispatcher(self) -> None:
        if self._dispatcher is not None and self._dispatcher.is_alive():
            return
        with self._lock:
            if self._dispatcher is None or not self._dispatcher.is_alive():
                self._dispatcher = threading.Thread(
                    target=self._dispatch_forever, name="aegis-dispatch", daemon=True
                )
                self._dispatcher.start()

    def _dispatch_forever(self) -> None:
        while True:
            self.dispatch(self._handovers.get())

    def dispatch(self, job_ids: Iterable[str]) -> None:
        for job_id in job_ids:
            try:
                self._task(job_id)
            except Exception as exc:
                log.warning("job_dispatch_failed", job_id=job_id, error=type(exc).__name__)
                self._release(job_id)

    def _release(self, job_id: str) -> None:
        """Let the sweeper take a job we could not hand over at once (not after a grace)."""
        try:
            with self.platform.db.session() as session:
                JobRepository(session).mark_dispatched([job_id], None)
        except Exception as exc:  # noqa: BLE001 - the dispatch grace expires on its own
            log.warning("job_release_failed", job_id=job_id, error=type(exc).__name__)

    def sweep(self, limit: int = 500) -> int:
        """Hand over due jobs no worker is carrying; returns how many."""
        lease = timedelta(seconds=self.platform.settings.job_lease_seconds)
        with self.platform.db.session() as session:
            repo = JobRepository(session)
            ids = repo.due(utcnow(), limit)
            repo.mark_dispatched(ids, utcnow() + lease)
        self.dispatch(ids)
        return len(ids)


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _QuietConsumer(Consumer):  # type: ignore[misc]
    """huey's consumer without signal handlers, so it can run in a thread of `aegis serve`."""

    def _set_signal_handlers(self) -> None:
        return None


class Worker:
    """huey consumer threads plus the sweeper thread."""

    def __init__(self, queue: JobQueue, *, threads: int, sweep_interval: float) -> None:
        self.queue = queue
        self.consumer = _QuietConsumer(
            queue.huey, workers=threads, periodic=False, initial_delay=0.05, max_delay=1.0
        )
        self.sweep_interval = sweep_interval
        self._stop = threading.Event()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="aegis-sweeper", daemon=True)

    def _sweep_loop(self) -> None:
        from aegis.maintenance import periodic

        settings = self.queue.platform.settings
        next_purge = time.monotonic()
        while not self._stop.is_set():
            try:
                self.queue.sweep()
                if time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + settings.maintenance_interval_seconds
                    log.info("maintenance", **periodic(self.queue.platform))
            except Exception as exc:  # keep sweeping through a database blip
                log.warning("sweep_failed", error=type(exc).__name__)
            self._stop.wait(self.sweep_interval)

    def start(self) -> None:
        self.consumer.start()
        self._sweeper.start()
        log.info("worker_started", threads=self.consumer.workers)

    def stop(self) -> None:
        self._stop.set()
        self.consumer.stop(graceful=True)
        self._sweeper.join(timeout=5)
        log.info("worker_stopped")
