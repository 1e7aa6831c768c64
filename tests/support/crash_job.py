"""A job for the worker crash test, imported by the worker through AEGIS_WORKER_IMPORTS.

Its effect is an audit record keyed by the payload's ``token``, written in the job's final
transaction (``run.finish()``), so it commits together with the ``done`` mark or not at all.
The first attempt touches a marker file once the record is written (flushed, uncommitted)
and then hangs inside that transaction, so the test can SIGKILL the worker right there.
Later attempts do not hang.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from aegis.queue.registry import job
from aegis.queue.runner import JobRun

CRASH_JOB = "tests.crash_effect"
EFFECT_ACTION = "test.crash_effect"


@job(CRASH_JOB)
def crash_effect(run: JobRun, payload: dict[str, Any]) -> None:
    with run.finish() as session:
        run.platform.audit.record(
            session,
            None,
            action=EFFECT_ACTION,
            target_type="job",
            target_id=str(payload["token"]),
            details={"attempt": run.attempt},
        )
        session.flush()
        if run.attempt == 1:
            Path(payload["marker"]).touch()
            time.sleep(float(payload.get("hang_seconds", 120)))
