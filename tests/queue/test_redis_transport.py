"""The scaled transport: job ids travel through Redis (huey's RedisHuey) to a Worker.

Skips without AEGIS_TEST_REDIS_URL (fails instead in CI, AEGIS_TEST_REQUIRE_SERVICES=1), and
fails when the URL is set but Redis does not answer. Uses a huey name of its own and flushes
only that.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import RedisHuey

from aegis.platform import Platform
from aegis.queue.service import enqueue
from aegis.queue.transport import JobQueue, Worker, build_huey
from tests.conftest import make_settings
from tests.queue.conftest import effects, get_job, redis_url
from tests.support.crash_job import CRASH_JOB

pytestmark = pytest.mark.redis
WAIT = 30.0


@pytest.fixture
def redis_queue(tmp_path: Path, db_url: str) -> Iterator[JobQueue]:
    url = redis_url()
    platform = Platform.build(make_settings(tmp_path / "data", db_url, redis_url=url))
    huey = build_huey(
        redis_url=url, sqlite_path=None, immediate=False, name="aegis-test-" + secrets.token_hex(6)
    )
    assert isinstance(huey, RedisHuey)
    queue = JobQueue(platform, huey)
    platform.queue = queue  # commits hand jobs to this test's own Redis queue
    try:
        yield queue
    finally:
        huey.flush()
        platform.close()


def wait_done(queue: JobQueue, job_id: str) -> None:
    deadline = time.monotonic() + WAIT
    while get_job(queue.platform, job_id).status != "done":
        assert time.monotonic() < deadline, f"job not done within {WAIT:.0f} s"
        time.sleep(0.05)


def test_platform_uses_redis_when_configured(tmp_path: Path, db_url: str) -> None:
    url = redis_url()
    platform = Platform.build(make_settings(tmp_path / "data", db_url, redis_url=url))
    try:
        assert isinstance(platform.queue.huey, RedisHuey)
    finally:
        platform.close()


def test_job_travels_through_redis_to_a_worker(redis_queue: JobQueue, tmp_path: Path) -> None:
    platform = redis_queue.platform
    token = "redis_" + secrets.token_hex(6)
    with platform.db.session() as session:
        # attempt 1 of the crash job hangs for hang_seconds; zero here.
        payload = {"token": token, "marker": str(tmp_path / "marker"), "hang_seconds": 0}
        job_id = enqueue(session, CRASH_JOB, payload).id

    # The commit handed the job to Redis; the sweeper does not send it a second time.
    assert redis_queue.huey.pending_count() == 1
    assert redis_queue.sweep() == 0
    assert redis_queue.huey.pending_count() == 1
    assert get_job(platform, job_id).status == "pending"

    worker = Worker(redis_queue, threads=2, sweep_interval=0.2)
    worker.start()
    try:
        wait_done(redis_queue, job_id)
        # A duplicate message for a finished job is harmless: the claim refuses it.
        redis_queue.dispatch([job_id])
        deadline = time.monotonic() + WAIT
        while redis_queue.huey.pending_count() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert redis_queue.huey.pending_count() == 0
    finally:
        worker.stop()
    assert get_job(platform, job_id).attempts == 1
    assert len(effects(platform, token)) == 1
