"""The SQLite writers' queue: one holder at a time, also across open files (processes)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from aegis.storage.db import Database
from aegis.storage.writer_lock import WriterLock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file locks")


def test_second_holder_waits_for_the_first(tmp_path: Path) -> None:
    db = str(tmp_path / "aegis.db")
    # Two locks on one file stand for two processes: each has its own open file.
    first, second = WriterLock(db), WriterLock(db)
    assert first.acquire(timeout=1)
    assert not second.acquire(timeout=0.05)
    released = threading.Timer(0.05, first.release)
    released.start()
    assert second.acquire(timeout=5)
    second.release()
    released.join()
    first.close()
    second.close()


def test_threads_of_one_process_queue_too(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "aegis.db"))
    assert lock.acquire(timeout=1)
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(lock.acquire(timeout=0.05)))
    waiter.start()
    waiter.join()
    assert got == [False]
    lock.release()
    assert lock.acquire(timeout=1)
    lock.release()
    lock.close()


def test_in_memory_database_has_no_file(tmp_path: Path) -> None:
    lock = WriterLock(":memory:")
    assert lock.acquire(timeout=1)
    lock.release()
    assert not list(tmp_path.iterdir())


def _spied_checkpoints(tmp_path: Path) -> tuple[Database, list[str], threading.Event]:
    """A database on a file whose checkpoints note the thread that ran them, and an event
    set once one has run."""
    from aegis.storage import db as storage

    database = storage.Database(storage.make_engine(f"sqlite:///{tmp_path / 'aegis.db'}"))
    ran: list[str] = []
    done = threading.Event()
    real = database._checkpoint

    def checkpoint() -> None:
        ran.append(threading.current_thread().name)
        real()
        done.set()

    database._checkpoint = checkpoint  # type: ignore[method-assign]
    return database, ran, done


def test_wal_checkpoints_run_beside_the_writers(tmp_path: Path) -> None:
    """Every CHECKPOINT_EVERY writes the WAL is copied into the database on a thread of
    its own, so the writer that asked goes straight back to writing."""
    from sqlalchemy import text

    from aegis.storage import db as storage

    database, ran, done = _spied_checkpoints(tmp_path)
    try:
        with database.session() as session:
            session.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY)"))
        for k in range(storage.CHECKPOINT_EVERY - 1):
            with database.session() as session:
                session.execute(text("INSERT INTO t (k) VALUES (:k)"), {"k": k})
        assert done.wait(10)
        assert ran == ["aegis-checkpoint"]
    finally:
        database.dispose()
    checkpointer = database._checkpoints_thread
    assert checkpointer is not None and not checkpointer._thread.is_alive()


def test_a_group_commit_counts_every_unit_it_carried_towards_the_checkpoint(
    tmp_path: Path,
) -> None:
    """The WAL grows with the rows written: CHECKPOINT_EVERY units asks for a checkpoint
    even when the group commit wrote them in a handful of transactions (here every unit
    waits behind the write lock the test holds, so they share few batches)."""
    from sqlalchemy import text

    from aegis.storage import db as storage

    database, _, done = _spied_checkpoints(tmp_path)
    try:
        with database.session() as session:
            session.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY)"))
        units = storage.CHECKPOINT_EVERY - 1  # the table's transaction was one
        hold = database.hold()
        futures = []
        for k in range(units):

            def insert(session: Session, k: int = k) -> None:
                session.execute(text("INSERT INTO t (k) VALUES (:k)"), {"k": k})

            futures.append(database.group.submit(insert))
        hold.release()
        for future in futures:
            future.result(timeout=10)
        assert database._writes == storage.CHECKPOINT_EVERY
        assert done.wait(10)
        with database.session(write=False) as session:
            assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == units
    finally:
        database.dispose()


def test_a_grown_wal_is_finished_under_the_write_lock_and_starts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past WAL_RESTART_FRAMES a checkpoint copies the rest under the writers' lock, so no
    commit lands meanwhile and the next writer starts the WAL from its beginning; below it
    the writers are never held."""
    from sqlalchemy import text

    from aegis.storage import db as storage

    database = storage.Database(storage.make_engine(f"sqlite:///{tmp_path / 'aegis.db'}"))
    writer = database._writer
    assert writer is not None
    held: list[bool] = []
    acquire = writer.acquire

    def spy(timeout: float) -> bool:
        held.append(threading.current_thread().name == "checkpoint-test")
        return acquire(timeout)

    monkeypatch.setattr(writer, "acquire", spy)

    def wal_frames() -> int:
        raw = database.engine.raw_connection()
        try:
            cursor = raw.cursor()
            # LOG: frames in the WAL since it last started from its beginning
            row = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            return int(row[1])
        finally:
            raw.close()

    def checkpoint() -> None:
        runner = threading.Thread(target=database._checkpoint, name="checkpoint-test")
        runner.start()
        runner.join()

    try:
        with database.session() as session:
            session.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
        for k in range(40):
            with database.session() as session:
                session.execute(text("INSERT INTO t VALUES (:k, :v)"), {"k": k, "v": "x" * 3000})
        grown = wal_frames()
        monkeypatch.setattr(storage, "WAL_RESTART_FRAMES", grown + 1)
        held.clear()
        checkpoint()
        assert True not in held  # a small WAL: the writers went on
        monkeypatch.setattr(storage, "WAL_RESTART_FRAMES", 1)
        checkpoint()
        assert True in held
        with database.session() as session:
            session.execute(text("INSERT INTO t VALUES (1000, 'y')"))
        assert wal_frames() < grown  # started again from its beginning
    finally:
        database.dispose()
