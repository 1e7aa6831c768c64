"""The queue of SQLite writers: one writer at a time, across threads and processes.

SQLite lets one transaction write at a time; a writer that finds the database locked
retries from its busy handler, which sleeps 1, 2, 5, 10, then up to 100 ms between tries.
With two web workers writing all the time, a waiting writer mostly sleeps while the lock is
free: throughput stops growing with the second worker and the slowest requests wait a
second. So writers queue here before ``BEGIN IMMEDIATE``: threads of a process on a
``threading.Lock``, processes on an advisory lock of a file beside the database, polled
every millisecond at most; ``BEGIN IMMEDIATE`` then finds the database free (other writers,
such as migrations, still meet the busy handler).
"""

from __future__ import annotations

import os
import sys
import threading
import time

if sys.platform != "win32":
    import fcntl

# Upper bound of the wait between two tries of the file lock: the hand-over delay.
_MAX_POLL_SECONDS = 0.001


class WriterLock:
    def __init__(self, database_path: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        if database_path and database_path != ":memory:" and sys.platform != "win32":
            self._fd = os.open(database_path + "-writer", os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=timeout):
            return False
        if self._fd is None or self._lock_file(deadline):
            return True
        self._thread_lock.release()
        return False

    def try_acquire(self) -> bool:
        """The lock if no thread or process holds it this instant; never waits."""
        if not self._thread_lock.acquire(blocking=False):
            return False
        if self._fd is None or self._try_file():
            return True
        self._thread_lock.release()
        return False

    def _try_file(self) -> bool:
        assert self._fd is not None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _lock_file(self, deadline: float) -> bool:
        assert self._fd is not None
        delay = 0.00005
        while not self._try_file():
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, _MAX_POLL_SECONDS)
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
