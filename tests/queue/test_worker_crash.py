"""Kill a real `aegis worker` in the middle of a job's final transaction; a fresh worker
must finish the job, and its effect must exist exactly once.

The job (tests/support/crash_job.py) writes an audit record inside ``run.finish()``,
touches a marker file and hangs. SIGKILL then leaves the job ``running`` with nothing
committed; once its lease (3 s here) runs out, the new worker's sweeper hands it over again.
Runs with the embedded SQLite file queue and, when AEGIS_TEST_REDIS_URL is set, with Redis;
each on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aegis.config import Settings
from aegis.platform import Platform
from aegis.queue.service import enqueue
from tests.conftest import make_settings
from tests.queue.conftest import effects, get_job, redis_url
from tests.support.crash_job import CRASH_JOB, EFFECT_ACTION

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
WAIT = 30.0  # every wait is bounded; generous so a loaded CI machine does not flake
LEASE_SECONDS = 3


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue_settings(request: pytest.FixtureRequest, tmp_path: Path, db_url: str) -> Settings:
    redis = redis_url() if request.param == "redis-queue" else None
    return make_settings(
        tmp_path / "data",
        db_url,
        redis_url=redis,
        job_lease_seconds=LEASE_SECONDS,
        sweep_interval_seconds=0.5,
    )


@pytest.fixture
def producer(queue_settings: Settings) -> Iterator[Platform]:
    """The enqueuing side: a platform with the real transport (no immediate mode)."""
    platform = Platform.build(queue_settings)
    yield platform
    platform.close()


def worker_env(settings: Settings) -> dict[str, str]:
    # Only our AEGIS_ settings: a developer's own (say AEGIS_REDIS_URL) must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AEGIS_")}
    assert settings.master_key is not None
    env.update(
        AEGIS_ENV="test",
        AEGIS_DATABASE_URL=settings.resolved_database_url,
        AEGIS_DATA_DIR=str(settings.data_dir),
        AEGIS_MASTER_KEY=settings.master_key.get_secret_value(),
        AEGIS_JOB_LEASE_SECONDS=str(LEASE_SECONDS),
        AEGIS_SWEEP_INTERVAL_SECONDS="0.5",
        AEGIS_WORKER_IMPORTS='["tests.support.crash_job"]',
        AEGIS_LOG_LEVEL="DEBUG",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    if settings.redis_url:
        env["AEGIS_REDIS_URL"] = settings.redis_url
    return env


def aegis_command() -> list[str]:
    script = Path(sys.executable).with_name("aegis")
    if script.exists():
        return [str(script), "worker"]
    return [sys.executable, "-m", "aegis.cli.main", "worker"]


class Workers:
    """Starts `aegis worker` processes and guarantees none outlives the test."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings = settings
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.procs) + 1}.log").open("wb")
        proc = subprocess.Popen(
            aegis_command(),
            env=worker_env(self.settings),
            cwd=self.logs,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def output(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.logs.glob("worker-*.log"))
        )

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)


@pytest.fixture
def workers(queue_settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    logs = tmp_path / "logs"
    logs.mkdir()
    pool = Workers(queue_settings, logs)
    try:
        yield pool
    finally:
        pool.kill_all()


def wait_for(condition: Callable[[], bool], what: str, workers: Workers) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return
        for proc in workers.procs[-1:]:
            if proc.poll() is not None:
                pytest.fail(
                    f"worker exited ({proc.returncode}) waiting for {what}\n" + workers.output()
                )
        time.sleep(0.05)
    pytest.fail(f"timed out after {WAIT:.0f} s waiting for {what}\n" + workers.output())


def drop_redis_messages(settings: Settings, job_id: str) -> None:
    """Remove messages for our job that are still queued (a sweeper may have re-sent it),
    and nothing else: the Redis queue may be shared with other runs."""
    if not settings.redis_url:
        return
    import redis

    client = redis.Redis.from_url(settings.redis_url)
    key = "huey.redis.aegis"
    try:
        for raw in client.lrange(key, 0, -1):
            if isinstance(raw, bytes) and job_id.encode() in raw:
                client.lrem(key, 0, raw)  # type: ignore[arg-type]
    finally:
        client.close()


def test_killed_worker_leaves_no_effect_and_a_new_worker_finishes_once(
    producer: Platform, workers: Workers, tmp_path: Path
) -> None:
    token = "crash_" + secrets.token_hex(6)
    marker = tmp_path / "attempt-1-inside-transaction"
    first = workers.start()

    with producer.db.session() as session:
        job_id = enqueue(
            session, CRASH_JOB, {"token": token, "marker": str(marker), "hang_seconds": 120}
        ).id
    try:
        # The first attempt has written its effect and hangs before committing.
        wait_for(marker.exists, "the job to reach its final transaction", workers)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=WAIT)

        assert effects(producer, token) == [], "a killed run's effect was committed"
        crashed = get_job(producer, job_id)
        assert crashed.status == "running"
        assert crashed.finished_at is None

        # A fresh worker: its sweeper finds the orphan once the lease runs out.
        second = workers.start()
        wait_for(lambda: get_job(producer, job_id).status == "done", "the job to finish", workers)

        done = get_job(producer, job_id)
        assert done.attempts >= 2
        found = effects(producer, token)
        assert len(found) == 1, found
        assert found[0].action == EFFECT_ACTION
        assert found[0].details["attempt"] == done.attempts
        # The killed transaction left the audit chain intact.
        with producer.db.session(write=False) as session:
            report = producer.audit.verify(session)
        assert report.ok, report.findings

        # SIGTERM is a clean stop.
        second.terminate()
        assert second.wait(timeout=WAIT) == 0, workers.output()
        # Nothing ran twice in the meantime.
        assert len(effects(producer, token)) == 1
    finally:
        drop_redis_messages(producer.settings, job_id)
