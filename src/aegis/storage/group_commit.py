"""Group commit: many requests' units of work in one write transaction.

The rows a request writes (a decision with its evidence, an applicant with its history,
audit records and outbox events) are small; what costs is the transaction around them:
taking the write lock, BEGIN, the statements each unit sends on its own and the COMMIT.
One thread per process runs whatever units are waiting when it gets to them in one
transaction, so under load those costs are shared (the append-only rows of all the units
go out as one multi-row INSERT per table) and without load a unit waits for no one. A
caller learns its unit is durable only after the commit: nothing is answered that could
still be lost.

The units of a batch run one after the other in the transaction, so each sees the rows of
the ones before it, as it would have in a transaction of its own that committed first.
A batch that fails is written again one unit per transaction, so one bad unit (a key
stored meanwhile by another process, a request the data refuses) never takes its
neighbours down with it. A unit therefore must be safe to run again from the start after
a rollback.

On SQLite an event loop's units (``submit_async``) are written by the loop itself, with no
thread between: a worker's writer thread shared the GIL with its busy loop and waited for
it at every SQLite call and lock try (each up to the switch interval), so a batch that
needs half a millisecond of work held the database's write lock for three and waited
eight (measured at 1,200 payments/s over HTTP). The loop takes the write lock only when it
is free this instant and tries again a millisecond later otherwise, so it never waits for
another process's transaction; a transaction on SQLite is local work of a few hundred
microseconds. On PostgreSQL a commit waits on the network and the server's disk: the
thread writes, and the loop goes on.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import structlog
from prometheus_client import Histogram
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aegis.errors import AegisError
from aegis.storage import db as db_module

if TYPE_CHECKING:
    from aegis.storage.db import Database, WriteHold

log = structlog.get_logger(__name__)
T = TypeVar("T")
MAX_BATCH = 256
# When another writer holds the lock, a loop tries again after this long (libuv's timers
# count whole milliseconds); its units meanwhile join the next batch.
LOCK_RETRY_SECONDS = 0.001
UNITS = Histogram(
    "aegis_group_commit_units",
    "Units of work per committed group-commit transaction",
    ["writer"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)


class AlreadyStored(Exception):
    """The unique index refused the rows: the same key was stored meanwhile."""


@dataclass(slots=True)
class _Item(Generic[T]):
    work: Callable[[Session], T]
    # A thread's future, or an event loop's: one of the two.
    future: Future[T] | None = None
    waiter: asyncio.Future[T] | None = None
    # Run on the writer's thread before the write lock is taken (see ``submit_async``).
    before: Callable[[], object] | None = None


# What became of a unit: its item, whether it succeeded, its result or its exception.
_Outcome = tuple[_Item[Any], bool, Any]


@dataclass(slots=True)
class _LoopQueue:
    """An event loop's units waiting to be written by that loop (SQLite)."""

    items: list[_Item[Any]]
    scheduled: bool = False
    # When the loop first found the lock taken, since its last write (monotonic seconds).
    blocked_since: float | None = None


class GroupWriter:
    """Runs ``work(session)`` callables in shared write transactions, on one thread."""

    def __init__(self, db: Database, *, name: str = "aegis-group-commit") -> None:
        self.db = db
        self.name = name
        # Units wait in a deque (appending is atomic) and the thread is woken by an event:
        # the waking, not the queueing, is what costs (a futex call with the GIL held), so
        # a loop's submissions of one iteration share one wake-up.
        self._pending: deque[_Item[Any] | None] = deque()
        self._wake = threading.Event()
        self._loops_signalling: set[asyncio.AbstractEventLoop] = set()
        self._on_loop = db.writes_on_loop
        self._loop_queues: dict[asyncio.AbstractEventLoop, _LoopQueue] = {}
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        """Queue ``work``; the future resolves once its transaction committed (and the
        transaction's after-commit callbacks ran), or fails with what the work raised
        (``AlreadyStored`` for a unique-index conflict)."""
        future: Future[T] = Future()
        self._pending.append(_Item(work, future=future))
        self._signal()
        return future

    def submit_async(
        self, work: Callable[[Session], T], *, before: Callable[[], object] | None = None
    ) -> asyncio.Future[T]:
        """``submit`` for a caller on an event loop: the loop's own future, resolved with
        its batch's others in one call into the loop, and one wake-up of the writer for
        what the loop submits in one iteration. A unit whose caller has given up is
        written all the same: it was decided and answered for nobody yet, and a retry
        finds it stored.

        ``before`` is the unit's work that needs no session (building and encrypting its
        rows): it runs before the write lock is taken (on SQLite here, on the loop; else on
        the writer's thread), so the lock, which every writer of the database takes in
        turn, is held only to write. If it raises, the unit fails with that and is not
        written."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        if self._on_loop:
            if before is not None:
                try:
                    before()
                except Exception as exc:  # noqa: BLE001 - handed to the waiting caller
                    waiter.set_exception(self._failure(exc))
                    return waiter
            queue = self._loop_queues.get(loop)
            if queue is None:
                queue = self._loop_queues[loop] = _LoopQueue([])
            queue.items.append(_Item(work, waiter=waiter))
            if not queue.scheduled:
                queue.scheduled = True
                loop.call_soon(self._flush, loop, queue)
            return waiter
        self._pending.append(_Item(work, waiter=waiter, before=before))
        if loop not in self._loops_signalling:
            self._loops_signalling.add(loop)
            loop.call_soon(self._signal_from, loop)
        return waiter

    def _signal_from(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loops_signalling.discard(loop)
        self._signal()

    def _signal(self) -> None:
        if not self._wake.is_set():
            self._wake.set()
        self._ensure_thread()

    def waiting(self) -> int:
        """How many units are queued and not yet taken into a transaction."""
        return len(self._pending) + sum(len(q.items) for q in list(self._loop_queues.values()))

    # --- an event loop's own writes (SQLite) -------------------------------------------
    def _flush(self, loop: asyncio.AbstractEventLoop, queue: _LoopQueue) -> None:
        queue.scheduled = False
        if not queue.items:
            self._forget(loop, queue)
            return
        hold = self.db.try_hold()
        if hold is None:  # another writer's transaction: never waited for on the loop
            blocked = queue.blocked_since = queue.blocked_since or time.monotonic()
            if time.monotonic() - blocked < db_module.WRITER_WAIT_SECONDS:
                queue.scheduled = True
                loop.call_later(LOCK_RETRY_SECONDS, self._flush, loop, queue)
                return
            # As long as a thread waits for the lock: the units fail as the thread's would.
            items, queue.items, queue.blocked_since = queue.items, [], None
            failure = self._failure(db_module.write_queue_full())
            _settle_on_loop([(item, False, failure) for item in items])
            self._forget(loop, queue)
            return
        queue.blocked_since = None
        batch, queue.items = queue.items[:MAX_BATCH], queue.items[MAX_BATCH:]
        try:
            outcomes = self._commit(hold, batch)
        finally:
            self._release(hold)
        _settle_on_loop(outcomes)
        if queue.items:
            queue.scheduled = True
            loop.call_soon(self._flush, loop, queue)
        else:
            self._forget(loop, queue)

    def _forget(self, loop: asyncio.AbstractEventLoop, queue: _LoopQueue) -> None:
        # A loop's queue lives while it has units: loops come and go (tests, clients).
        if self._loop_queues.get(loop) is queue and not queue.items and not queue.scheduled:
            del self._loop_queues[loop]

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread (a later ``submit`` starts another)."""
        for loop, queue in list(self._loop_queues.items()):
            items, queue.items = queue.items, []
            self._loop_queues.pop(loop, None)
            if items:
                self._write(items)
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._pending.append(None)
            self._wake.set()
            thread.join(timeout)

    # --- the writer thread ----------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        pending = self._pending
        while True:
            self._wake.wait()
            # Cleared before taking: a unit queued from here on sets it again.
            self._wake.clear()
            while pending:
                batch: list[_Item[Any]] = []
                stop = False
                while pending and len(batch) < MAX_BATCH:
                    item = pending.popleft()
                    if item is None:
                        stop = True
                        break
                    batch.append(item)
                if batch:
                    self._write(batch)
                if stop:
                    self._drain()
                    return

    def _drain(self) -> None:
        """What arrived while closing is written too, never left waiting."""
        while self._pending:
            item = self._pending.popleft()
            if item is not None:
                self._write([item])

    def _write(self, batch: list[_Item[Any]]) -> None:
        outcomes: list[_Outcome] = []
        pending: list[_Item[Any]] = []
        for item in batch:
            if item.future is not None and not item.future.set_running_or_notify_cancel():
                continue
            if item.before is not None:
                try:
                    item.before()
                except Exception as exc:  # noqa: BLE001 - handed to the waiting caller
                    outcomes.append((item, False, self._failure(exc)))
                    continue
            pending.append(item)
        if pending:
            try:
                hold = self.db.hold()
            except Exception as exc:  # noqa: BLE001 - the write queue timed out: all fail
                failure = self._failure(exc)
                outcomes.extend((item, False, failure) for item in pending)
            else:
                try:
                    outcomes.extend(self._commit(hold, pending))
                finally:
                    self._release(hold)
        _settle(outcomes)

    def _commit(self, hold: WriteHold, batch: list[_Item[Any]]) -> list[_Outcome]:
        """The batch in one transaction under ``hold``; if that fails, each unit alone."""
        try:
            with hold.session() as session:
                results = [item.work(session) for item in batch]
                db_module.count_units(session, len(batch))
        except Exception as exc:  # noqa: BLE001 - each unit gets its own answer below
            if len(batch) == 1:
                return [(batch[0], False, self._failure(exc))]
            return [self._commit_one(hold, item) for item in batch]
        UNITS.labels(self.name).observe(len(batch))
        return [(item, True, res) for item, res in zip(batch, results, strict=True)]

    def _commit_one(self, hold: WriteHold, item: _Item[Any]) -> _Outcome:
        try:
            with hold.session() as session:
                result = item.work(session)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting caller
            return item, False, self._failure(exc)
        UNITS.labels(self.name).observe(1)
        return item, True, result

    def _release(self, hold: WriteHold) -> None:
        # The units are committed whatever their after-commit work does: a failure there
        # is logged, and their callers still get their answers.
        try:
            hold.release()
        except Exception as exc:  # noqa: BLE001 - logged; the commits stand
            log.error("after_commit_failed", writer=self.name, error=type(exc).__name__)

    def _failure(self, exc: Exception) -> Exception:
        if isinstance(exc, IntegrityError):
            return AlreadyStored(str(exc.orig))
        if not isinstance(exc, AegisError):
            # A refusal the caller answers (a 4xx) is no failure of the writer.
            log.error("group_write_failed", writer=self.name, error=type(exc).__name__)
        return exc


def _settle(outcomes: list[_Outcome]) -> None:
    """Resolve threads' futures here, and each event loop's in one call on that loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in outcomes:
        item, ok, value = outcome
        if item.future is not None:
            if ok:
                item.future.set_result(value)
            else:
                item.future.set_exception(value)
        elif item.waiter is not None:
            by_loop.setdefault(item.waiter.get_loop(), []).append(outcome)
    for loop, batch in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_on_loop, batch)
        except RuntimeError:  # the loop closed meanwhile: nobody is waiting any more
            continue


def _settle_on_loop(outcomes: list[_Outcome]) -> None:
    for item, ok, value in outcomes:
        waiter = item.waiter
        if waiter is None or waiter.done():  # cancelled: its caller went away
            continue
        if ok:
            waiter.set_result(value)
        else:
            waiter.set_exception(value)
