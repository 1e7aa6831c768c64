"""The image checks of a submitted applicant: document, selfie, proof of address.

Run by the ``kyc.run_checks`` job between its transactions (OCR and faces take seconds, and
must hold neither a request nor a lock): the uploads of the attempt are read from the blob
store, judged by ``aegis.kyc.verify``, and handed back as check results plus the selfie's
face encoding, which the job's last transaction compares with the tenant's other faces.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aegis.checks.result import CheckResult
from aegis.kyc.levels import Check, LevelPolicy, Step
from aegis.kyc.media_steps import MEDIA_CHECK_STEPS  # noqa: F401 - re-exported
from aegis.kyc.models import ApplicantDocument

if TYPE_CHECKING:
    from aegis.platform import Platform

DOCUMENT_KINDS = ("passport", "id_card_front", "residence_permit", "driver_licence")
SELFIE_KINDS = ("selfie", "selfie_with_document")
ADDRESS_KINDS = ("proof_of_address", "bank_statement")


@dataclass(frozen=True, slots=True)
class MediaOutcome:
    results: list[CheckResult]
    selfie_encoding: tuple[float, ...] | None


def _latest(docs: list[ApplicantDocument], kinds: tuple[str, ...]) -> ApplicantDocument | None:
    matching = [d for d in docs if d.kind in kinds]
    return max(matching, key=lambda d: d.id) if matching else None


def media_checks(
    platform: Platform,
    tenant_id: str,
    docs: list[ApplicantDocument],
    level: LevelPolicy,
    profile: dict[str, Any],
) -> MediaOutcome:
    """Judge the newest upload of each kind; the blobs are decrypted only in memory."""
    if Check.DOCUMENTS not in level.checks:
        return MediaOutcome([], None)
    # OpenCV, dlib and Tesseract load only in the processes that read images.
    from aegis.checks.document.mrz_reader import MrzReaderConfig
    from aegis.kyc.verify import MediaInputs, MediaOptions, verify_media

    def content(doc: ApplicantDocument | None) -> bytes | None:
        return None if doc is None else platform.blobs.get(tenant_id, doc.blob_id)

    document = _latest(docs, DOCUMENT_KINDS)
    address = _latest(docs, ADDRESS_KINDS) if Step.PROOF_OF_ADDRESS in level.steps else None
    inputs = MediaInputs(
        document=content(document),
        document_kind=None if document is None else document.kind,
        document_back=content(_latest(docs, ("id_card_back",))),
        selfie=content(_latest(docs, SELFIE_KINDS)),
        proof_of_address=content(address),
        proof_of_address_type=address.media_type if address else "application/octet-stream",
    )
    verdict = verify_media(
        inputs,
        profile=profile,
        options=MediaOptions(
            today=dt.date.today(),
            model_dir=platform.settings.face_model_dir,
            mrz=MrzReaderConfig(
                tessdata_dir=platform.settings.mrz_tessdata_dir,
                language=platform.settings.mrz_language,
            ),
        ),
    )
    return MediaOutcome(verdict.results, verdict.selfie_encoding)
