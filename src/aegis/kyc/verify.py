"""Verify an applicant's images against their data: document, selfie, liveness, address.

One pipeline for both places that need it: the ``kyc.run_checks`` job (uploads of a
submitted applicant) and ``aegis kyc verify`` (files on disk, no server). It reads and
judges; storing results, duplicate faces and decisions are the caller's. Everything here
runs offline on the CPU.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aegis.checks.address import (
    PoaAddress,
    PoaApplicant,
    check_proof_of_address,
    read_poa_text,
)
from aegis.checks.biometric.faces import (
    DEFAULT_POLICY,
    FaceComparison,
    FacePolicy,
    Located,
    compare,
    find_portrait,
    locate_portrait,
)
from aegis.checks.biometric.images import Picture, load_picture
from aegis.checks.biometric.liveness import Challenge, LivenessReport, verify_frames
from aegis.checks.biometric.models import FaceModels, get_models
from aegis.checks.document.fields import DocumentFields
from aegis.checks.document.mrz_reader import MrzReaderConfig
from aegis.checks.document.read import MAX_SIDE, DocumentReport, ReadOptions, read_document
from aegis.checks.document.validity import ApplicantFacts, check_data_match
from aegis.checks.result import CheckResult


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaInputs:
    document: bytes | None = None
    document_kind: str | None = None  # the upload kind: passport, id_card_front, ...
    document_back: bytes | None = None
    selfie: bytes | None = None
    liveness_frames: tuple[bytes, ...] = ()
    challenge: Challenge | None = None
    proof_of_address: bytes | None = None
    proof_of_address_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaOptions:
    today: dt.date | None = None
    face_policy: FacePolicy = DEFAULT_POLICY
    model_dir: Path | None = None
    # The MRZ model (operators may point at another one); None: the shipped model.
    mrz: MrzReaderConfig | None = None


@dataclass(slots=True, kw_only=True)
class MediaVerdict:
    results: list[CheckResult] = field(default_factory=list)
    document: DocumentReport | None = None
    back: DocumentReport | None = None
    face: FaceComparison | None = None
    liveness: LivenessReport | None = None

    @property
    def selfie_encoding(self) -> tuple[float, ...] | None:
        """The selfie's 128 values when a face was matched, for the duplicate-face index."""
        if self.face is None or not self.face.selfie_faces:
            return None
        encoding = self.face.selfie_faces[0].encoding
        return None if encoding is None else tuple(float(v) for v in encoding)

    def evidence(self) -> dict[str, Any]:
        """What a reviewer (or the CLI) is shown besides the check results."""
        return {
            "document": None if self.document is None else self.document.as_dict(),
            "document_back": None if self.back is None else self.back.as_dict(),
            "face": None if self.face is None else self.face.as_dict(),
            "liveness": None
            if self.liveness is None
            else {
                "expected": [a.value for a in self.liveness.expected],
                "observed": [a.value for a in self.liveness.observed],
                "frames": len(self.liveness.frames),
            },
        }


def applicant_facts(profile: dict[str, Any]) -> ApplicantFacts:
    """The API's applicant profile as the document checks compare it."""
    born = profile.get("date_of_birth")
    passport = profile.get("id_type") == "passport"
    return ApplicantFacts(
        latin_surname=profile.get("last_name"),
        latin_given_names=profile.get("first_name"),
        native_name=profile.get("native_name"),
        birth_date=dt.date.fromisoformat(born) if born else None,
        sex=profile.get("sex"),
        nationality=profile.get("nationality"),
        id_number=None if passport else profile.get("id_number"),
        document_number=profile.get("id_number") if passport else None,
    )


def poa_applicant(profile: dict[str, Any]) -> PoaApplicant:
    address = profile.get("address") or {}
    lines = tuple(x for x in (address.get("line1"), address.get("line2")) if x)
    return PoaApplicant(
        name=f"{profile.get('first_name', '')} {profile.get('last_name', '')}".strip(),
        native_name=profile.get("native_name"),
        address=PoaAddress(
            lines=lines,
            city=address.get("city"),
            postcode=address.get("postal_code") or address.get("postcode"),
            country=address.get("country"),
        ),
    )


def _merge(front: DocumentFields | None, back: DocumentFields | None) -> DocumentFields | None:
    """A card's MRZ is often on its back: take the back's fields where the front has none."""
    if front is None or back is None:
        return front or back
    values = {
        name: getattr(front, name) if getattr(front, name) is not None else getattr(back, name)
        for name in DocumentFields.__dataclass_fields__
    }
    return DocumentFields(**values)


def verify_media(
    inputs: MediaInputs, *, profile: dict[str, Any], options: MediaOptions | None = None
) -> MediaVerdict:
    """Run every check the given images allow, in a fixed order."""
    options = options or MediaOptions()
    today = options.today or dt.date.today()
    models: FaceModels = get_models(options.model_dir or options.face_policy.model_dir)
    policy = options.face_policy
    verdict = MediaVerdict()
    document_picture: Picture | None = None
    located: Located | None = None
    if inputs.document is not None:
        document_picture = load_picture(inputs.document, max_side=MAX_SIDE)
        # Found once: the portrait check and the face match look at the same faces.
        located = locate_portrait(document_picture, policy=policy, models=models)
        portrait = find_portrait(document_picture, policy=policy, models=models, located=located)
        verdict.document = read_document(
            document_picture.pixels,
            raw=inputs.document,
            options=ReadOptions(
                today=today,
                kind=inputs.document_kind,
                mrz=options.mrz,
                faces_on_document=0 if portrait is None else 1,
            ),
        )
        verdict.results += list(verdict.document.results)
        if inputs.document_back is not None:
            back_picture = load_picture(inputs.document_back, max_side=MAX_SIDE)
            verdict.back = read_document(
                back_picture.pixels,
                raw=inputs.document_back,
                options=ReadOptions(today=today, mrz=options.mrz, faces_on_document=None),
            )
        fields = _merge(
            verdict.document.fields, verdict.back.fields if verdict.back is not None else None
        )
        if fields is not None:
            visual = verdict.document.visual.document if verdict.document.visual else None
            verdict.results.append(
                check_data_match(fields, visual=visual, applicant=applicant_facts(profile))
            )
    if inputs.selfie is not None:
        selfie = load_picture(inputs.selfie)
        if document_picture is not None:
            verdict.face = compare(
                selfie, document_picture, policy=policy, models=models, located=located
            )
            verdict.results.append(verdict.face.result)
        if inputs.liveness_frames and inputs.challenge is not None:
            reference = verdict.face.selfie_faces[0] if verdict.face else None
            verdict.liveness = verify_frames(
                inputs.challenge,
                list(inputs.liveness_frames),
                reference=reference if reference and reference.encoding is not None else None,
                models=models,
            )
            verdict.results.append(verdict.liveness.result)
    if inputs.proof_of_address is not None:
        text = read_poa_text(inputs.proof_of_address, inputs.proof_of_address_type)
        verdict.results.append(
            check_proof_of_address(text, applicant=poa_applicant(profile), today=today)
        )
    return verdict
