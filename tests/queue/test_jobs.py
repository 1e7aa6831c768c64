"""The durable job queue in immediate mode: a job runs right after the enqueuing
transaction commits; retries, give-up, fencing and the sweeper are driven by hand."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from aegis.kit.time import utcnow
from aegis.platform import Platform
from aegis.queue.models import Job
from aegis.queue.registry import job
from aegis.queue.repository import JobRepository
from aegis.queue.runner import JobRun, backoff, run_job
from aegis.queue.service import enqueue
from tests.queue.conftest import effects, get_job, job_count, make_due

RECORD = "tests.queue.record"
FAIL = "tests.queue.fail"
OVERTAKEN = "tests.queue.overtaken"
NO_FINISH = "tests.queue.no_finish"

CALLS: Counter[str] = Counter()


def _effect(run: JobRun, token: str) -> None:
    with run.finish() as session:
        run.platform.audit.record(
            session, None, action="test.effect", target_type="job", target_id=token
        )


@job(RECORD)
def record(run: JobRun, payload: dict[str, Any]) -> None:
    CALLS[payload["token"]] += 1
    _effect(run, payload["token"])


@job(FAIL)
def fail(run: JobRun, payload: dict[str, Any]) -> None:
    CALLS[payload["token"]] += 1
    # The message quotes data; only the exception type may reach the job row.
    raise RuntimeError(f"receiver rejected {payload['token']}")


@job(OVERTAKEN)
def overtaken(run: JobRun, payload: dict[str, Any]) -> None:
    CALLS[payload["token"]] += 1
    if payload["overtake"]:
        # Another worker re-claimed the job (our lease ran out): the attempt number moves on.
        with run.platform.db.session() as session:
            session.execute(
                update(Job).where(Job.id == run.job_id).values(attempts=Job.attempts + 1)
            )
    _effect(run, payload["token"])


@job(NO_FINISH)
def no_finish(run: JobRun, payload: dict[str, Any]) -> None:
    CALLS[payload["token"]] += 1


def token() -> str:
    return "tok_" + secrets.token_hex(6)


def submit(platform: Platform, name: str, payload: dict[str, Any], **kwargs: Any) -> str:
    with platform.db.session() as session:
        return enqueue(session, name, payload, **kwargs).id


def test_job_runs_once_after_commit(platform: Platform) -> None:
    t = token()
    with platform.db.session() as session:
        job_id = enqueue(session, RECORD, {"token": t}).id
        session.flush()
        assert CALLS[t] == 0, "ran before the enqueuing transaction committed"
    assert CALLS[t] == 1
    row = get_job(platform, job_id)
    assert (row.status, row.attempts, row.lease_until) == ("done", 1, None)
    assert row.finished_at is not None
    assert len(effects(platform, t)) == 1


def test_rolled_back_enqueue_never_runs(platform: Platform) -> None:
    t = token()

    def enqueue_then_fail() -> None:
        with platform.db.session() as session:
            enqueue(session, RECORD, {"token": t})
            raise LookupError("the caller's work failed after enqueueing")

    with pytest.raises(LookupError):
        enqueue_then_fail()
    with platform.db.session() as session:  # a later commit must not dispatch it either
        session.execute(select(1))
    assert CALLS[t] == 0
    assert job_count(platform) == 0
    assert platform.queue.sweep() == 0


def test_enqueue_with_dedupe_key_is_idempotent(platform: Platform) -> None:
    t = token()
    key = f"record:{t}"
    with platform.db.session() as session:
        first = enqueue(session, RECORD, {"token": t}, dedupe_key=key).id
        again = enqueue(session, RECORD, {"token": t}, dedupe_key=key).id
    later = submit(platform, RECORD, {"token": t}, dedupe_key=key)
    assert first == again == later
    assert job_count(platform) == 1
    assert CALLS[t] == 1
    assert len(effects(platform, t)) == 1
    # A different key is a different job.
    assert submit(platform, RECORD, {"token": t}, dedupe_key=key + ":2") != first
    assert CALLS[t] == 2


def test_future_job_waits_for_the_sweeper(platform: Platform) -> None:
    t = token()
    job_id = submit(platform, RECORD, {"token": t}, run_after=utcnow() + timedelta(hours=1))
    assert CALLS[t] == 0
    assert platform.queue.sweep() == 0
    make_due(platform, job_id)
    assert platform.queue.sweep() == 1
    assert CALLS[t] == 1
    assert get_job(platform, job_id).status == "done"
    assert platform.queue.sweep() == 0


def test_failing_job_backs_off_then_fails_after_max_attempts(platform: Platform) -> None:
    t = token()
    started = utcnow()
    job_id = submit(platform, FAIL, {"token": t}, max_attempts=3)

    row = get_job(platform, job_id)
    assert (row.status, row.attempts, CALLS[t]) == ("pending", 1, 1)
    assert row.last_error == "RuntimeError"
    first_wait = row.run_after - started
    assert backoff_bounds(1)[0] <= first_wait
    assert platform.queue.sweep() == 0, "retried before its backoff elapsed"

    make_due(platform, job_id)
    second_from = utcnow()
    assert platform.queue.sweep() == 1
    row = get_job(platform, job_id)
    assert (row.status, row.attempts, CALLS[t]) == ("pending", 2, 2)
    assert row.run_after - second_from >= backoff_bounds(2)[0]

    make_due(platform, job_id)
    assert platform.queue.sweep() == 1
    row = get_job(platform, job_id)
    assert (row.status, row.attempts, CALLS[t]) == ("failed", 3, 3)
    assert row.finished_at is not None
    assert row.lease_until is None
    assert t not in (row.last_error or "")

    make_due(platform, job_id)
    assert platform.queue.sweep() == 0
    assert CALLS[t] == 3


def backoff_bounds(attempt: int) -> tuple[timedelta, timedelta]:
    base = min(2.0 ** min(attempt, 30) * 5, 3600)
    return timedelta(seconds=base * 0.8), timedelta(seconds=base * 1.2)


@given(attempt=st.integers(1, 10_000))
def test_backoff_grows_and_is_capped(attempt: int) -> None:
    low, high = backoff_bounds(attempt)
    wait = backoff(attempt)
    assert low <= wait <= high
    assert wait <= timedelta(hours=1.2)
    if attempt > 1:
        assert backoff_bounds(attempt)[0] >= backoff_bounds(attempt - 1)[0]


def test_superseded_run_rolls_back_its_effect(platform: Platform) -> None:
    t = token()
    job_id = submit(
        platform, OVERTAKEN, {"token": t, "overtake": True}, run_after=utcnow() + timedelta(hours=1)
    )
    make_due(platform, job_id)
    assert run_job(platform, job_id) == "superseded"
    assert CALLS[t] == 1
    assert effects(platform, t) == []
    row = get_job(platform, job_id)
    # Left to the run that overtook it: not done, not failed, not rescheduled by us.
    assert (row.status, row.attempts, row.last_error) == ("running", 2, None)


def test_same_run_not_overtaken_commits_its_effect(platform: Platform) -> None:
    t = token()
    job_id = submit(platform, OVERTAKEN, {"token": t, "overtake": False})
    assert get_job(platform, job_id).status == "done"
    assert len(effects(platform, t)) == 1


def test_handler_that_never_calls_finish_is_still_marked_done(platform: Platform) -> None:
    t = token()
    job_id = submit(platform, NO_FINISH, {"token": t})
    assert CALLS[t] == 1
    assert get_job(platform, job_id).status == "done"


def test_unknown_job_fails_without_crashing_the_caller(platform: Platform) -> None:
    job_id = submit(platform, "tests.queue.nobody_handles_this", {}, max_attempts=1)
    row = get_job(platform, job_id)
    assert (row.status, row.last_error) == ("failed", "LookupError")


def test_claim_is_fenced_by_lease_and_attempt(platform: Platform) -> None:
    job_id = submit(platform, RECORD, {"token": token()}, run_after=utcnow() + timedelta(hours=1))
    lease = timedelta(seconds=60)
    now = utcnow()
    with platform.db.session() as session:
        repo = JobRepository(session)
        assert repo.claim(job_id, now, lease) is None, "claimed before run_after"
        later = now + timedelta(hours=2)
        first = repo.claim(job_id, later, lease)
        assert first is not None and first.attempt == 1 and first.name == RECORD
        assert repo.claim(job_id, later, lease) is None, "claimed twice within the lease"
        expired = later + lease + timedelta(seconds=1)
        second = repo.claim(job_id, expired, lease)
        assert second is not None and second.attempt == 2
        assert repo.finish(job_id, 1, expired) is False, "a stale attempt finished the job"
        assert repo.finish(job_id, 2, expired) is True
        assert repo.claim(job_id, expired + timedelta(days=1), lease) is None, "ran once done"


def test_sweeper_reruns_a_job_whose_worker_died(platform: Platform) -> None:
    t = token()
    job_id = submit(platform, RECORD, {"token": t}, run_after=utcnow() + timedelta(hours=1))
    # A worker claimed it and vanished: running, lease still valid, then expired.
    with platform.db.session() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status="running",
                attempts=1,
                run_after=utcnow() - timedelta(minutes=5),
                lease_until=utcnow() + timedelta(minutes=1),
            )
        )
    assert platform.queue.sweep() == 0, "took a job another worker still holds"
    with platform.db.session() as session:
        session.execute(
            update(Job).where(Job.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1))
        )
    assert platform.queue.sweep() == 1
    row = get_job(platform, job_id)
    assert (row.status, row.attempts) == ("done", 2)
    assert len(effects(platform, t)) == 1


def test_dispatch_failure_is_recovered_by_the_sweeper(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = token()

    def broker_down(job_id: str) -> None:
        raise ConnectionError("broker down")

    # The broker is down at commit time: the caller's commit still succeeds...
    monkeypatch.setattr(platform.queue, "_task", broker_down)
    job_id = submit(platform, RECORD, {"token": t})
    assert get_job(platform, job_id).status == "pending"
    assert CALLS[t] == 0
    # ...and the row, the real outbox, is picked up once the broker is back.
    monkeypatch.undo()
    assert platform.queue.sweep() == 1
    assert get_job(platform, job_id).status == "done"
    assert CALLS[t] == 1


def test_jobs_row_holds_what_the_handler_gets(platform: Platform) -> None:
    t = token()
    job_id = submit(platform, NO_FINISH, {"token": t, "n": 3}, tenant_id=None, max_attempts=7)
    row = get_job(platform, job_id)
    assert row.name == NO_FINISH
    assert row.payload == {"token": t, "n": 3}
    assert row.max_attempts == 7
    assert job_id.startswith("job_")


def test_a_commit_on_an_event_loop_hands_its_jobs_over_on_a_thread(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hand-over writes to the queue's store, which may wait; an event loop that
    committed (the group commit on SQLite) leaves it to the dispatcher thread. Elsewhere,
    and with an immediate queue, it happens right after the commit, as before."""
    import asyncio
    import threading

    handed: list[tuple[str, str]] = []
    done = threading.Event()

    def task(job_id: str) -> None:
        handed.append((job_id, threading.current_thread().name))
        done.set()

    monkeypatch.setattr(platform.queue, "_task", task)
    monkeypatch.setattr(platform.queue.huey, "immediate", False)

    async def on_loop() -> str:
        return submit(platform, RECORD, {"token": token()})

    on_loop_id = asyncio.run(on_loop())
    assert done.wait(10)
    assert handed == [(on_loop_id, "aegis-dispatch")]
    handed.clear()
    in_thread_id = submit(platform, RECORD, {"token": token()})
    assert handed == [(in_thread_id, threading.current_thread().name)]
    handed.clear()
    monkeypatch.setattr(platform.queue.huey, "immediate", True)
    immediate_id = asyncio.run(on_loop())
    assert handed == [(immediate_id, threading.current_thread().name)]
