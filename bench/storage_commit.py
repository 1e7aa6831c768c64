"""What a write transaction costs on SQLite before any row: the project's path against the
driver's (a diagnostic for the group commit's fixed cost; no target).

Three ways to run the same transaction (``BEGIN IMMEDIATE``, one ``INSERT`` of a short row,
``COMMIT``) under the database's write lock, on a fresh file in a temporary folder:

- ``write_hold_session``: ``Database.hold()`` and ``WriteHold.session()``, as every write of
  the project (the group commit included) runs it: a new ORM session each time, the pool's
  connection, SQLAlchemy's transaction;
- ``one_session_kept``: the same ORM session for every transaction (still the pool and
  SQLAlchemy's transaction);
- ``driver``: the statements on the driver's connection (``sqlite3``), nothing else.

CPU time of this thread per transaction, median of ``--rounds`` rounds: SQLAlchemy's share
of a small transaction. It is not what a decision's commit costs over HTTP: there SQLite's
own work on a large database (random-key indexes, pages to the WAL) dwarfs it, and a group
commit written on the driver's connection took no less CPU (see docs/risk.md, Speed).
Prints one JSON document.

    .venv/bin/python bench/storage_commit.py [--transactions 3000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from aegis.storage.db import Database, make_engine

INSERT = "INSERT INTO t (v) VALUES ('x')"


def per_transaction_us(run: Callable[[], None], n: int) -> float:
    for _ in range(min(n, 300)):  # warm: the pool's connection, statement caches
        run()
    started = time.thread_time()
    for _ in range(n):
        run()
    return (time.thread_time() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="aegis-bench-commit-"))
    database = Database(make_engine(f"sqlite:///{folder / 'bench.db'}"))
    try:
        with database.session() as session:
            session.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))

        def write_hold_session() -> None:
            hold = database.hold()
            try:
                with hold.session() as session:
                    session.connection().exec_driver_sql(INSERT)
            finally:
                hold.release()

        kept = database.session_factory()

        def one_session_kept() -> None:
            hold = database.hold()
            try:
                kept.connection(execution_options={"aegis_write": True}).exec_driver_sql(INSERT)
                kept.commit()
            finally:
                hold.release()

        with database.engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None

            def on_driver() -> None:
                hold = database.hold()
                try:
                    driver.execute("BEGIN IMMEDIATE")
                    driver.execute(INSERT)
                    driver.execute("COMMIT")
                finally:
                    hold.release()

            ways = {
                "write_hold_session": write_hold_session,
                "one_session_kept": one_session_kept,
                "driver": on_driver,
            }
            rounds: dict[str, list[float]] = {name: [] for name in ways}
            for _ in range(args.rounds):  # interleaved, so a slower minute hits all three
                for name, run in ways.items():
                    rounds[name].append(per_transaction_us(run, args.transactions))
        kept.close()
    finally:
        database.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    out = {
        "benchmark": "storage_commit",
        "transactions_per_round": args.transactions,
        "rounds": args.rounds,
        "cpu_us_per_transaction": {
            name: {"median": round(statistics.median(v), 1), "min": round(min(v), 1)}
            for name, v in rounds.items()
        },
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
