"""Engine and sessions. Services never commit: the request or the task does."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import orjson
import structlog
from sqlalchemy import (
    Connection,
    DateTime,
    Dialect,
    Engine,
    Executable,
    MetaData,
    create_engine,
    event,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import (
    DeclarativeBase,
    ORMExecuteState,
    Session,
    configure_mappers,
    sessionmaker,
)
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from aegis.kit.time import as_utc
from aegis.storage.group_commit import GroupWriter
from aegis.storage.writer_lock import WriterLock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes; SQLite hands them back naive, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers run beside the one writer; busy_timeout makes writers queue, not fail.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # A commit that fills the WAL past the threshold checkpoints it right away, fsync
    # included, while every other writer waits for the write lock; ``Database`` instead
    # checkpoints every CHECKPOINT_EVERY writes, after the lock is released. This higher
    # threshold is the backstop for writers that do not go through ``Database.session``.
    cur.execute(f"PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # pysqlite's deferred BEGIN lets two writers both read and then deadlock on upgrade;
    # IMMEDIATE takes the write lock up front so they queue on busy_timeout instead.
    write = conn.get_execution_options().get("aegis_write", False)
    # Straight to the driver: through exec_driver_sql this costs ~30 µs a transaction.
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")


def _json(value: Any) -> str:
    """JSON columns' text: orjson's (a tenth of the standard library's time; a write of an
    applicant or a payment fills a few dozen such columns), the standard library's for
    what orjson refuses, so every value that stored before stores the same way."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def make_engine(url: str, *, pool: bool = True, size: int | None = None) -> Engine:
    """An engine for ``url``; ``size`` overrides the pool size (the overflow stays)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            json_serializer=_json,
            connect_args={"check_same_thread": False, "timeout": 10, "isolation_level": None},
            poolclass=None if pool else NullPool,
            # One connection per thread-pool worker (anyio's default is 40): beyond the
            # pool size every checkout opens a new connection and runs the pragmas again.
            **({"pool_size": size or 40, "max_overflow": 20} if pool else {}),
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if not pool:
        return create_engine(url, poolclass=NullPool, json_serializer=_json)
    return create_engine(
        url, pool_pre_ping=True, pool_size=size or 10, max_overflow=20, json_serializer=_json
    )


_log = structlog.get_logger(__name__)
WRITER_WAIT_SECONDS = 30.0
# Units of work a process writes between two WAL checkpoints: a transaction is one, a
# group commit's as many as it carried (see ``count_units``).
CHECKPOINT_EVERY = 200
WAL_BACKSTOP_PAGES = 10_000  # SQLite's default is 1000 pages (4 MB)
# WAL frames past which a checkpoint makes sure the WAL starts again (see ``_checkpoint``).
WAL_RESTART_FRAMES = 2_000
_TX_CACHE = "aegis_tx_cache"
_WRITE_UNITS = "aegis_write_units"


def count_units(session: Session, units: int) -> None:
    """Count ``session``'s transaction as ``units`` writes towards the next WAL checkpoint.

    The WAL grows with the rows written, not with the transactions: counted one per
    transaction, a group commit of 20-30 payments each (under load over HTTP) let the WAL
    reach the ``WAL_BACKSTOP_PAGES`` backstop between two checkpoints, where every commit
    checkpointed under the write lock: commits held it 30-100 ms and the other web
    worker's requests waited as long (measured at 1,500 payments/s)."""
    session.info[_WRITE_UNITS] = units


def transaction_cache(session: Session, name: str) -> dict[Any, Any]:
    """A dict that lives as long as the session's current transaction.

    For what a transaction may look up once and reuse (rows it locked, lists it read);
    it is dropped on commit and rollback, so nothing stale outlives the transaction.
    """
    caches: dict[str, dict[Any, Any]] = session.info.setdefault(_TX_CACHE, {})
    return caches.setdefault(name, {})


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _drop_transaction_caches(session: Session) -> None:
    session.info.pop(_TX_CACHE, None)


_APPENDS = "append_later"
_UPDATES = "update_later"
_M = TypeVar("_M")
_AFTER_COMMIT = "aegis_after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once this session's transaction has committed (never on rollback),
    after the write lock is released: for effects outside the database that must not
    happen for a transaction that did not (an in-memory history, a cache)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def build(model: type[_M], **values: Any) -> _M:
    """A transient instance of ``model`` with ``values`` set straight in its ``__dict__``.

    For append-only rows (see ``append_later``): the instrumented constructor fires an
    attribute event per column, about 20 µs an object, for changes nobody tracks on a row
    that never joins the session. Unlike the constructor, unknown names are not refused.
    """
    manager = manager_of_class(model)
    if not manager.mapper.configured:
        configure_mappers()  # what the constructor's first call would do
    obj: _M = manager.new_instance()
    obj.__dict__.update(values)
    return obj


# Per mapped class: its table and (attribute, column) key pairs; mappers never change.
_COLUMNS: dict[type[Any], tuple[Any, tuple[tuple[str, str], ...]]] = {}


def append_later(session: Session, obj: Any) -> None:
    """Queue the insert of an append-only row (history, audit trail, outbox).

    Such rows are written and never changed in their transaction, so they skip the unit of
    work, which costs a few hundred microseconds an object: the rows of a table go out in
    one multi-row INSERT before the transaction's next query or its commit. The object
    stays transient; a table's rows are written after the ORM's pending rows and in the
    order the tables were first used, so foreign keys to either are satisfied.
    """
    cls = type(obj)
    shape = _COLUMNS.get(cls)
    if shape is None:
        mapper = sa_inspect(cls)
        keys = tuple((prop.key, prop.columns[0].key) for prop in mapper.column_attrs)
        shape = _COLUMNS[cls] = (mapper.local_table, keys)
    table, keys = shape
    state = obj.__dict__
    values = {column: state[attr] for attr, column in keys if attr in state}
    queued: dict[Any, list[dict[str, Any]]] = transaction_cache(session, _APPENDS)
    queued.setdefault(table, []).append(values)


def update_later(
    session: Session, key: Hashable, statement: Executable, params: dict[str, Any]
) -> None:
    """Queue a Core UPDATE to run with the append-only rows, after their inserts; a later
    call with the same ``key`` replaces it, so a row moved many times in a transaction
    (a chain's head) is written once, with its last state."""
    queued: dict[Hashable, tuple[Executable, dict[str, Any]]] = transaction_cache(session, _UPDATES)
    queued[key] = (statement, params)


# One INSERT statement per table: building one costs more than its cached compilation.
_INSERTS: dict[Any, Executable] = {}


def write_appends(session: Session) -> None:
    """Write the queued append-only rows now (after the ORM's pending rows), then the
    queued updates."""
    queued: dict[Any, list[dict[str, Any]]] = transaction_cache(session, _APPENDS)
    updates: dict[Hashable, tuple[Executable, dict[str, Any]]] = transaction_cache(
        session, _UPDATES
    )
    if not queued and not updates:
        return
    with session.no_autoflush:
        session.flush()
    connection = session.connection()
    tables = list(queued.items())
    queued.clear()
    for table, rows in tables:
        insert = _INSERTS.get(table)
        if insert is None:
            insert = _INSERTS[table] = table.insert()
        # Rows of one table may set different columns (a default left out): group by shape.
        shapes: dict[frozenset[str], list[dict[str, Any]]] = {}
        for row in rows:
            shapes.setdefault(frozenset(row), []).append(row)
        for shape, batch in shapes.items():
            raw = _raw_insert(connection.dialect, table, shape)
            if raw is None:
                connection.execute(insert, batch)
            else:
                raw.run(connection, batch)
    changes = list(updates.values())
    updates.clear()
    for statement, params in changes:
        connection.execute(statement, params)


@dataclass(frozen=True, slots=True)
class _RawInsert:
    """A table's INSERT for one set of columns, compiled once, run on the driver's cursor
    with SQLAlchemy's own bind processors: the rows are the same, without the ~20 µs a row
    that Core spends on parameter handling, events and a result object per statement."""

    sql: str
    keys: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool

    def run(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        plan = tuple(zip(self.keys, self.processors, strict=True))
        values: list[Any] = [
            tuple(row[k] if p is None else p(row[k]) for k, p in plan) for row in rows
        ]
        if not self.positional:
            values = [dict(zip(self.keys, v, strict=True)) for v in values]
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        dbapi = connection.dialect.loaded_dbapi
        try:
            cursor.executemany(self.sql, values)
        except dbapi.Error as exc:
            # As Core raises it (an IntegrityError stays one), without the row values.
            raise DBAPIError.instance(
                self.sql, None, exc, dbapi.Error, hide_parameters=True, dialect=connection.dialect
            ) from exc
        finally:
            cursor.close()


# Per (dialect, table, columns): the raw INSERT, or None where Core must run it (a column
# default computed in Python, a driver whose parameters are not plain names or positions).
_RAW_INSERTS: dict[tuple[str, Any, frozenset[str]], _RawInsert | None] = {}


def _raw_insert(dialect: Dialect, table: Any, shape: frozenset[str]) -> _RawInsert | None:
    key = (dialect.name, table, shape)
    if key in _RAW_INSERTS:
        return _RAW_INSERTS[key]
    compiled: Any = table.insert().compile(dialect=dialect, column_keys=sorted(shape))
    made: _RawInsert | None = None
    names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
    if (
        not compiled.insert_prefetch
        and not compiled.postfetch
        and set(names) == set(shape)
        and dialect.paramstyle in ("qmark", "pyformat", "named", "format")
    ):
        processors = compiled._bind_processors
        made = _RawInsert(
            sql=compiled.string,
            keys=names,
            processors=tuple(processors.get(name) for name in names),
            positional=bool(compiled.positional),
        )
    _RAW_INSERTS[key] = made
    return made


@event.listens_for(Session, "before_commit")
def _appends_before_commit(session: Session) -> None:
    write_appends(session)


@event.listens_for(Session, "do_orm_execute")
def _appends_before_reads(state: ORMExecuteState) -> None:
    # A read under ``no_autoflush`` declares it needs none of the transaction's new rows.
    if state.is_select and state.session.autoflush:
        caches = state.session.info.get(_TX_CACHE, {})
        if _APPENDS in caches or _UPDATES in caches:
            write_appends(state.session)


class _Checkpointer:
    """Runs WAL checkpoints on a thread of its own. A checkpoint copies thousands of pages
    and syncs the file (measured under load: 7 ms typical, 27 ms at worst); run by the
    writer that asked for it, every request waiting for that writer's next commit waited
    as long. In WAL mode writers append while a checkpoint copies, so nothing waits."""

    def __init__(self, checkpoint: Callable[[], None]) -> None:
        self._checkpoint = checkpoint
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="aegis-checkpoint", daemon=True)
        self._thread.start()

    def request(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            self._checkpoint()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=10)


def write_queue_full() -> OperationalError:
    """What a writer gets that waited ``WRITER_WAIT_SECONDS`` for the write lock."""
    return OperationalError("BEGIN IMMEDIATE", None, TimeoutError("write queue full"))


class WriteHold:
    """The database's write lock, held (``Database.hold``): any number of transactions
    commit under it, and their after-commit work runs once ``release`` gave it back."""

    __slots__ = ("_committed", "_db", "_writer")

    def __init__(self, db: Database, writer: WriterLock | None) -> None:
        self._db = db
        self._writer = writer
        self._committed: list[dict[Any, Any]] = []

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: commits on success, rolls back on any exception."""
        with self._db.session_factory() as session:
            if write:
                session.connection(execution_options={"aegis_write": True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            self._committed.append(dict(session.info))

    def release(self) -> None:
        if self._writer is not None:
            self._writer.release()
        committed, self._committed = self._committed, []
        self._db._released(committed)


class Database:
    """The engine, units of work for reading and writing, and a reader for the event loop."""

    def __init__(self, engine: Engine, *, loop_engine: Engine | None = None) -> None:
        self.engine = engine
        self.session_factory = sessionmaker(engine, expire_on_commit=False)
        # The event loop's own connection (see ``loop_reader``): kept apart from the pool the
        # thread pool uses, so a loop read never waits for a connection a thread holds while
        # that thread waits for the loop to schedule its release.
        self.loop_engine = loop_engine or engine
        self.loop_session_factory = sessionmaker(self.loop_engine, expire_on_commit=False)
        # SQLite has one writer at a time, and its busy handler polls with long sleeps:
        # under load some writers keep losing and time out. Writers queue on this lock
        # instead, across threads and the processes on the same file (see ``WriterLock``).
        self._writer = WriterLock(engine.url.database) if engine.dialect.name == "sqlite" else None
        self._checkpoints = engine.dialect.name == "sqlite" and engine.url.database not in (
            None,
            "",
            ":memory:",
        )
        self._writes = 0
        self._checkpoints_thread: _Checkpointer | None = None
        self._group: GroupWriter | None = None
        self._group_lock = threading.Lock()
        # Called with a committed session's ``info`` (e.g. to hand its new jobs to the queue).
        self.post_commit: Callable[[dict[Any, Any]], None] | None = None

    @property
    def group(self) -> GroupWriter:
        """This process's group commit (see ``aegis.storage.group_commit``): the busy
        writes of the API share their transactions through it."""
        if self._group is None:
            with self._group_lock:
                if self._group is None:
                    self._group = GroupWriter(self)
        return self._group

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any exception."""
        hold = self.hold() if write else WriteHold(self, None)
        try:
            with hold.session(write=write) as session:
                yield session
        finally:
            hold.release()

    def hold(self) -> WriteHold:
        """The write lock, waited for (``OperationalError`` after ``WRITER_WAIT_SECONDS``)."""
        writer = self._writer
        if writer is not None and not writer.acquire(timeout=WRITER_WAIT_SECONDS):
            raise write_queue_full()
        return WriteHold(self, writer)

    def try_hold(self) -> WriteHold | None:
        """The write lock if it is free this instant, else ``None``: for an event loop,
        which must not wait for another process's transaction."""
        writer = self._writer
        if writer is not None and not writer.try_acquire():
            return None
        return WriteHold(self, writer)

    @property
    def writes_on_loop(self) -> bool:
        """Whether an event loop writes its group commits itself (see ``GroupWriter``):
        on SQLite a transaction is local work of a few hundred microseconds; elsewhere it
        waits on the network and the server's disk."""
        return self._writer is not None

    def _released(self, committed: list[dict[Any, Any]]) -> None:
        units = sum(info.pop(_WRITE_UNITS, 1) for info in committed)
        if self._writer is not None and committed:
            before, self._writes = self._writes, self._writes + units
            if self._checkpoints and before // CHECKPOINT_EVERY != self._writes // CHECKPOINT_EVERY:
                self._checkpointer().request()
        # After commit and after the write lock is free: what this runs may write too.
        # Every committed transaction's work runs; the first failure is raised after.
        failure: BaseException | None = None
        for info in committed:
            callbacks: list[Callable[[], None]] = info.pop(_AFTER_COMMIT, [])
            if self.post_commit is not None and info:
                callbacks.insert(0, functools.partial(self.post_commit, info))
            for callback in callbacks:
                try:
                    callback()
                except Exception as exc:  # noqa: BLE001 - raised once the others ran
                    failure = failure or exc
        if failure is not None:
            raise failure

    def _checkpointer(self) -> _Checkpointer:
        if self._checkpoints_thread is None:
            with self._group_lock:
                if self._checkpoints_thread is None:
                    self._checkpoints_thread = _Checkpointer(self._checkpoint)
        return self._checkpoints_thread

    def _checkpoint(self) -> None:
        """Copy the WAL into the database without waiting for (or stopping) anyone: readers
        and the next writers go on; what they still use is copied next time.

        Under steady writes such a checkpoint never finishes the WAL: transactions commit
        while it copies, so SQLite never starts the WAL again from its beginning, and once
        it holds ``WAL_BACKSTOP_PAGES`` every commit checkpoints on its own, under the write
        lock (measured at 1,000 payments/s over HTTP: commits of one payment took 10-27 ms,
        every second). So once the WAL has grown past ``WAL_RESTART_FRAMES``, the little
        committed during the copy is copied again under the write lock, where nothing
        commits meanwhile: the WAL is then all in the database, and the next writer starts
        it from the beginning."""
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            # (busy, frames in the WAL, frames copied)
            frames = (cursor.fetchone() or (0, 0, 0))[1]
            writer = self._writer
            if (
                frames >= WAL_RESTART_FRAMES
                and writer is not None
                and writer.acquire(timeout=WRITER_WAIT_SECONDS)
            ):
                try:
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    cursor.fetchone()
                finally:
                    writer.release()
            cursor.close()
        except sqlite3.Error:
            # The transaction that got here has committed: a checkpoint missed now is
            # made by the next one (or by SQLite's own threshold).
            _log.warning("wal_checkpoint_failed", exc_info=True)
        finally:
            raw.close()

    @contextmanager
    def loop_reader(self) -> Iterator[Session]:
        """A read-only unit of work run on the event loop itself, without a thread hop.

        A hop to the thread pool and back costs more CPU (about 200 µs, with the GIL handed
        over twice) than an indexed point read on SQLite or PostgreSQL, so read endpoints
        query inline. The rules that make this safe: only reads (nothing is committed), and
        no ``await`` while the session is open, so the loop holds at most one connection.
        """
        # Closing hands the connection back to the pool, whose reset ends the transaction.
        with self.loop_session_factory() as session:
            yield session

    def dispose(self) -> None:
        if self._group is not None:
            self._group.close()
        if self._checkpoints_thread is not None:
            self._checkpoints_thread.close()
        self.engine.dispose()
        if self._writer is not None:
            self._writer.close()
        if self.loop_engine is not self.engine:
            self.loop_engine.dispose()
