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
"""

from __future__ import annotations

import asyncio
import threading
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

if TYPE_CHECKING:
    from aegis.storage.db import Database

log = structlog.get_logger(__name__)
T = TypeVar("T")
MAX_BATCH = 256
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
        rows): it runs on the writer's thread before the write lock is taken, so the lock,
        which every writer of the database takes in turn, is held only to write. If it
        raises, the unit fails with that and is not written."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
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
        return len(self._pending)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread (a later ``submit`` starts another)."""
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
        if not pending:
            _settle(outcomes)
            return
        try:
            with self.db.session() as session:
                results = [item.work(session) for item in pending]
        except Exception as exc:  # noqa: BLE001 - each unit gets its own answer below
            if len(pending) == 1:
                outcomes.append((pending[0], False, self._failure(exc)))
            else:
                # Alone, each unit either commits or fails with its own error.
                outcomes.extend(self._write_one(item) for item in pending)
        else:
            UNITS.labels(self.name).observe(len(pending))
            outcomes.extend((item, True, res) for item, res in zip(pending, results, strict=True))
        _settle(outcomes)

    def _write_one(self, item: _Item[Any]) -> _Outcome:
        try:
            with self.db.session() as session:
                result = item.work(session)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting caller
            return item, False, self._failure(exc)
        UNITS.labels(self.name).observe(1)
        return item, True, result

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
