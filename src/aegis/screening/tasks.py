"""The ``screening.rescreen`` job: screen every customer against a new snapshot's diff.

Idempotent: hits are deduplicated per customer, entity and entity version, and closing a
closed hit changes nothing, so a run cut short is simply run again.
"""

from __future__ import annotations

from typing import Any

from aegis.queue.registry import job
from aegis.queue.runner import JobRun
from aegis.screening.rescreen import Rescreener
from aegis.screening.snapshots import RESCREEN_JOB


@job(RESCREEN_JOB)
def rescreen(run: JobRun, payload: dict[str, Any]) -> None:
    run.extend_lease(3600)  # a large tenant takes minutes; the sweeper must wait
    Rescreener(run.platform).run(
        str(payload["snapshot_id"]), heartbeat=lambda: run.extend_lease(3600)
    )
