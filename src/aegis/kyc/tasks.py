"""The ``kyc.run_checks`` job: run a submitted applicant's checks, decide, and act on it.

Calls to outside parties (registry, bank) happen between transactions, with retries; a
party that does not answer makes its check REVIEW, never a pass. The decision, the check
rows, the status change, the review and the webhook commit together with the job's done
mark, so a crash anywhere re-runs the whole attempt and nothing is decided twice.
"""

from __future__ import annotations

from typing import Any

from aegis.kyc.checking import ACTOR, conclude, local_checks, outside_checks
from aegis.kyc.faces.liveness import liveness_result
from aegis.kyc.faces.repository import LivenessRepository
from aegis.kyc.media import media_checks
from aegis.kyc.models import Applicant
from aegis.kyc.repository import DocumentRepository
from aegis.kyc.service import RUN_CHECKS_JOB, ApplicantService
from aegis.kyc.states import Status
from aegis.queue.registry import job
from aegis.queue.runner import JobRun


@job(RUN_CHECKS_JOB)
def run_checks(run: JobRun, payload: dict[str, Any]) -> None:
    platform = run.platform
    service = ApplicantService(platform)
    applicant_id, attempt = str(payload["applicant_id"]), int(payload["attempt"])
    with platform.db.session() as session:
        row = session.get(Applicant, applicant_id)
        if row is None or row.attempt != attempt or row.status not in ("submitted", "checking"):
            return  # decided already, or superseded by a newer attempt
        if row.status == "submitted":
            service.transition(session, row, Status.CHECKING, actor=ACTOR)
        level = service.level_of(session, row)
        profile = service.profile(row)
        results = local_checks(session, row, level, profile, platform=platform)
        docs = DocumentRepository(session, row.tenant_id).for_applicant(row.id)
        liveness = LivenessRepository(session, row.tenant_id).latest_completed(row.id, attempt)
        if liveness is not None:
            results.append(liveness_result(liveness))
    run.extend_lease(120)  # outside parties may take a while, with retries; images too
    results += outside_checks(platform.kyc, level, profile)
    media = media_checks(platform, row.tenant_id, docs, level, profile)
    results += media.results

    with run.finish() as session:
        row = session.get(Applicant, applicant_id)
        assert row is not None
        if row.status != "checking" or row.attempt != attempt:
            return
        if media.selfie_encoding is not None:
            from aegis.kyc.faces.check import duplicate_face_check, remember_face

            results.append(
                duplicate_face_check(session, platform.faces, row, media.selfie_encoding)
            )
            remember_face(session, platform.vault, row, media.selfie_encoding)
        conclude(service, session, row, level, results)
