"""Read one identity-document image end to end: MRZ, visual zone, quality, validity, warnings.

The pieces live in their own modules (``mrz_reader``, ``visual``, ``quality``, ``validity``,
``tampering``); this one decides which to run on an image and gathers what they found into
one report, which the CLI prints and the KYC flow turns into check results. No I/O beyond
the image in memory and Tesseract.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from aegis.checks.document.fields import DocumentFields, DocumentType
from aegis.checks.document.mrz_reader import (
    MrzRead,
    MrzReaderConfig,
    mrz_check_result,
    read_mrz,
)
from aegis.checks.document.quality import QualityReport, assess_quality
from aegis.checks.document.tampering import TamperEvidence, check_tampering, software_from_bytes
from aegis.checks.document.validity import (
    check_countries,
    check_document_number,
    check_expiry,
    check_personal_number,
)
from aegis.checks.document.visual import VisualRead, read_cn_id_front, read_passport_visual
from aegis.checks.result import CheckResult, Outcome

# Upload kinds whose front is the Chinese resident ID card (no MRZ on it).
CN_ID_KINDS = frozenset({"id_card_front"})
# Large photos are read at this size: enough for the MRZ and the quality measures.
MAX_SIDE = 3000


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadOptions:
    today: dt.date | None = None
    # The upload's declared kind (``passport``, ``id_card_front``...), when known.
    kind: str | None = None
    mrz: MrzReaderConfig | None = None
    # Faces found on the document (the caller's face detector), for the tampering signal.
    faces_on_document: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentReport:
    document_type: str | None
    mrz: MrzRead | None
    visual: VisualRead | None
    quality: QualityReport
    fields: DocumentFields | None
    expired: bool | None
    results: tuple[CheckResult, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def outcome(self) -> Outcome:
        outcomes = {r.outcome for r in self.results}
        for worst in (Outcome.FAIL, Outcome.REVIEW):
            if worst in outcomes:
                return worst
        return Outcome.PASS

    def as_dict(self) -> dict[str, Any]:
        """The CLI's JSON. It holds the document's data: print it, never log it."""
        mrz = self.mrz
        return {
            "document_type": self.document_type,
            "mrz": None
            if mrz is None
            else {
                "format": str(mrz.format),
                "lines": list(mrz.lines),
                "valid": mrz.valid,
                "checks": dict(mrz.checks),
                "rotation": mrz.rotation,
            },
            "fields": fields_dict(self.fields),
            "expired": self.expired,
            "visual": None
            if self.visual is None
            else {
                "kind": self.visual.kind,
                "fields": {
                    name: {"value": f.value, "confidence": round(f.confidence, 2)}
                    for name, f in self.visual.fields.items()
                },
            },
            "quality": {**self.quality.measures(), "codes": list(self.quality.codes)},
            "warnings": list(self.warnings),
            "checks": [result_dict(r) for r in self.results],
            "outcome": self.outcome.value,
        }


def fields_dict(fields: DocumentFields | None) -> dict[str, Any] | None:
    if fields is None:
        return None
    return {
        "document_type": fields.document_type.value if fields.document_type else None,
        "issuing_country": fields.issuing_country,
        "surname": fields.surname,
        "given_names": fields.given_names,
        "document_number": fields.document_number,
        "nationality": fields.nationality,
        "birth_date": fields.birth_date.isoformat() if fields.birth_date else None,
        "expiry_date": fields.expiry_date.isoformat() if fields.expiry_date else None,
        "sex": fields.sex,
        "optional_data": fields.optional_data,
        "personal_number": fields.personal_number,
    }


def result_dict(result: CheckResult) -> dict[str, Any]:
    return {
        "check": result.check,
        "outcome": result.outcome.value,
        "codes": list(result.codes),
        "details": dict(result.details),
    }


def _visual(pixels: Any, kind: str | None, today: dt.date) -> VisualRead | None:
    """The visual zone where there is no MRZ: a Chinese ID card front, else a passport."""
    if kind is None or kind in CN_ID_KINDS:
        card = read_cn_id_front(pixels)
        # Unprompted, only a card whose ID number reads (and checks) counts as one.
        if kind in CN_ID_KINDS or card.get("id_number").confidence >= 0.5:
            return card
    passport = read_passport_visual(pixels, today=today)
    return passport if passport.document.document_number or passport.fields else None


def read_document(
    pixels: Any, *, raw: bytes | None = None, options: ReadOptions | None = None
) -> DocumentReport:
    """Everything one document image shows. ``pixels``: upright RGB (numpy); ``raw``: the
    uploaded bytes, for their metadata (editing software)."""
    options = options or ReadOptions()
    today = options.today or dt.date.today()
    quality = assess_quality(pixels)
    mrz_config = replace(options.mrz, today=today) if options.mrz else MrzReaderConfig(today=today)
    mrz = None if options.kind in CN_ID_KINDS else read_mrz(pixels, config=mrz_config)
    visual = _visual(pixels, options.kind, today) if mrz is None else None
    fields = mrz.fields if mrz is not None else (visual.document if visual else None)
    results: list[CheckResult] = [quality.result()]
    if mrz is not None:
        results.append(mrz_check_result(mrz))
    elif visual is not None:
        required = ("name", "id_number", "birth_date") if visual.kind == "cn_id_front" else ()
        results.append(visual.result(required=required))
    else:
        results.append(CheckResult.review("document_read", "DOC_UNREADABLE", mrz_found=False))
    expired: bool | None = None
    if fields is not None:
        expiry = check_expiry(fields, today)
        results.append(expiry)
        expired = None if fields.expiry_date is None else fields.expiry_date < today
        if mrz is not None:
            results += [check_countries(fields), check_document_number(fields)]
        personal = check_personal_number(fields, today)
        if personal is not None:
            results.append(personal)
    tamper = check_tampering(
        TamperEvidence(
            fields=fields,
            checks_passed=None if mrz is None else mrz.valid,
            ocr_confidence=None,
            faces_on_document=options.faces_on_document,
            expects_portrait=True,
            software=software_from_bytes(raw) if raw else (),
        ),
        today=today,
    )
    results.append(tamper)
    warnings = tuple(tamper.details.get("signals", ()))
    document_type = (
        fields.document_type.value
        if fields is not None and fields.document_type is not None
        else (DocumentType.ID_CARD.value if visual and visual.kind == "cn_id_front" else None)
    )
    return DocumentReport(
        document_type=document_type,
        mrz=mrz,
        visual=visual,
        quality=quality,
        fields=fields,
        expired=expired,
        results=tuple(results),
        warnings=warnings,
    )
