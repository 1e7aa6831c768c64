"""The image checks' names and the step an applicant redoes to fix each (no image code)."""

from __future__ import annotations

from aegis.kyc.levels import Step

# Every check name the image checks produce, for outcome overrides and resubmission steps.
MEDIA_CHECK_STEPS: dict[str, str] = {
    "document_quality": Step.DOCUMENT.value,
    "document_mrz": Step.DOCUMENT.value,
    "document_visual": Step.DOCUMENT.value,
    "document_read": Step.DOCUMENT.value,
    "document_expiry": Step.DOCUMENT.value,
    "document_country": Step.DOCUMENT.value,
    "document_number": Step.DOCUMENT.value,
    "document_tampering": Step.DOCUMENT.value,
    "document_data_match": Step.IDENTITY_DATA.value,
    "document_zones_match": Step.DOCUMENT.value,
    "face_match": Step.SELFIE.value,
    "selfie": Step.SELFIE.value,
    "liveness": Step.SELFIE.value,
    "duplicate_face": Step.SELFIE.value,
    "proof_of_address": Step.PROOF_OF_ADDRESS.value,
}
