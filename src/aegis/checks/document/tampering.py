"""Signals that a document may have been altered: warnings for a reviewer, never a verdict.

Each signal has a name (in the result's ``signals`` detail) and none holds a value:

``checksum_failed_high_confidence``
    The MRZ check digits (or the ID number's check character) fail although OCR read the
    characters confidently: a misread rarely looks confident, an edited digit does.
``portrait_missing``
    No face was found on a document that carries a portrait (the face detector's count is
    an input: this module does no image work).
``editing_software``
    The upload's metadata names an image editor (EXIF Software / ProcessingSoftware, XMP
    CreatorTool or history, PNG Software): Photoshop, GIMP, Lightroom, Snapseed, Pixelmator,
    PicsArt, Affinity, Canva, Meitu and others. The product is named in ``software``
    (a product name, not personal data).
``birth_after_issue``, ``birth_after_expiry``, ``expiry_before_issue``
    Dates that cannot all be true; ``issue_in_future`` and ``birth_in_future`` likewise
    when ``today`` is given.
``id_number_birth_date``, ``id_number_sex``
    The national ID number encodes a birth date or sex other than the document's.
``nationality_issuer``
    A national ID card held by a foreigner, a residence permit held by a national, or a
    passport whose holder's nationality differs from its issuer (stateless persons,
    refugees, organisations and British nationality classes excepted).

Any signal makes the result ``review`` with ``DOC_TAMPER_SUSPECTED``.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from PIL import Image, UnidentifiedImageError

from aegis.checks.document.fields import DocumentFields, DocumentType
from aegis.checks.document.validity import ICAO_SPECIAL, to_alpha2, to_alpha3
from aegis.checks.identity import cn
from aegis.checks.identity.id_numbers import id_number_birth_date
from aegis.checks.result import CheckResult

CHECK: Final = "document_tampering"
TAMPER_SUSPECTED: Final = "DOC_TAMPER_SUSPECTED"
HINTS: Final[dict[str, tuple[str, str]]] = {
    TAMPER_SUSPECTED: (
        "Your document needs a closer look; a reviewer will check it. Upload the original "
        "photo, unedited.",
        "您的证件需要进一步核查，审核人员将进行人工审核。请上传未经编辑的原始照片。",
    ),
}

# Substring (lower case) -> product, most specific first ("photoshop lightroom" is Lightroom).
EDITORS: Final[tuple[tuple[str, str], ...]] = (
    ("lightroom", "Lightroom"),
    ("photoshop express", "Photoshop Express"),
    ("photoshop", "Photoshop"),
    ("gimp", "GIMP"),
    ("snapseed", "Snapseed"),
    ("pixelmator", "Pixelmator"),
    ("picsart", "PicsArt"),
    ("affinity", "Affinity"),
    ("canva", "Canva"),
    ("meitu", "Meitu"),
    ("美图", "Meitu"),
    ("醒图", "Xingtu"),
    ("photopea", "Photopea"),
    ("paint.net", "Paint.NET"),
    ("paintshop", "PaintShop Pro"),
    ("photoscape", "PhotoScape"),
    ("fotor", "Fotor"),
    ("facetune", "Facetune"),
    ("airbrush", "AirBrush"),
    ("polarr", "Polarr"),
    ("photodirector", "PhotoDirector"),
    ("krita", "Krita"),
    ("corel", "Corel"),
)
_XMP_TOOL: Final = re.compile(
    r"(?:CreatorTool|softwareAgent)(?:=\"([^\"<]{0,200})\"|>([^<]{0,200})<)"
)
_XMP_PACKET: Final = re.compile(rb"<x:xmpmeta.{0,65536}?</x:xmpmeta>", re.DOTALL)
_EXIF_SOFTWARE: Final = 0x0131
_EXIF_PROCESSING_SOFTWARE: Final = 0x000B
_STATELESS: Final = frozenset({"XXA", "XXB", "XXC", "XXX"})


@dataclass(frozen=True, slots=True, kw_only=True)
class TamperEvidence:
    """What the other checks found, for this one to weigh. Every item is optional."""

    fields: DocumentFields | None = None
    issue_date: dt.date | None = None  # not in DocumentFields: few zones print it
    checks_passed: bool | None = None  # all MRZ check digits / the ID check character
    ocr_confidence: float | None = None  # 0-1, of the characters those checks cover
    faces_on_document: int | None = None
    expects_portrait: bool = True
    software: tuple[str, ...] = ()  # metadata names, e.g. from :func:`software_from_bytes`


def software_from_bytes(data: bytes) -> tuple[str, ...]:
    """Software names an upload's metadata declares (EXIF, XMP, PNG text), raw bytes in.

    Reads headers only (Pillow opens lazily; no pixel is decoded). Not an image: ().
    """
    names: list[str] = []
    try:
        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
            for tag in (_EXIF_SOFTWARE, _EXIF_PROCESSING_SOFTWARE):
                value = exif.get(tag)
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                if isinstance(value, str) and value.strip():
                    names.append(value.strip())
            text = img.info.get("Software")
            if isinstance(text, str) and text.strip():
                names.append(text.strip())
            xmp = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp")
            if isinstance(xmp, bytes):
                xmp = xmp.decode("utf-8", "replace")
            if isinstance(xmp, str):
                names.extend(_xmp_tools(xmp))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        pass
    # XMP packets Pillow does not surface (other segments, other formats): scan the bytes.
    for packet in _XMP_PACKET.findall(data[:4_000_000]):
        names.extend(_xmp_tools(packet.decode("utf-8", "replace")))
    return tuple(dict.fromkeys(n[:120] for n in names))


def _xmp_tools(xmp: str) -> list[str]:
    return [html.unescape(m[1] or m[2]).strip() for m in _XMP_TOOL.finditer(xmp) if m[1] or m[2]]


def editing_software(names: Iterable[str]) -> str | None:
    """The image editor named among ``names``, if any (its product name)."""
    for name in names:
        folded = name.casefold()
        for needle, product in EDITORS:
            if needle in folded:
                return product
    return None


def date_conflicts(
    fields: DocumentFields, *, issue_date: dt.date | None, today: dt.date | None
) -> list[str]:
    """Names of the date orderings that cannot hold."""
    birth, expiry = fields.birth_date, fields.expiry_date
    found = []
    if birth and issue_date and birth > issue_date:
        found.append("birth_after_issue")
    if birth and expiry and birth >= expiry:
        found.append("birth_after_expiry")
    if issue_date and expiry and expiry <= issue_date:
        found.append("expiry_before_issue")
    if today and issue_date and issue_date > today:
        found.append("issue_in_future")
    if today and birth and birth > today:
        found.append("birth_in_future")
    return found


def id_number_conflicts(fields: DocumentFields) -> list[str]:
    """Whether the national ID number's own birth date and sex disagree with the document."""
    number = (fields.personal_number or "").strip().upper()
    country = to_alpha2(fields.issuing_country) or to_alpha2(fields.nationality)
    if not number or country is None:
        return []
    found = []
    encoded: dt.date | None
    if country == "CN":
        encoded = cn.ric_birth_date(number)
        # GB 11643: the 17th digit is odd for men, even for women.
        encoded_sex = ("M" if int(number[16]) % 2 else "F") if len(number) == 18 else None
        if encoded is not None and fields.sex in ("M", "F") and encoded_sex != fields.sex:
            found.append("id_number_sex")
    else:
        encoded = id_number_birth_date(id_type="national_id", country=country, number=number)
    if encoded is not None and fields.birth_date is not None and encoded != fields.birth_date:
        found.append("id_number_birth_date")
    return found


def nationality_conflicts(fields: DocumentFields) -> list[str]:
    issuer_code = (fields.issuing_country or "").strip().upper()
    nat_code = (fields.nationality or "").strip().upper()
    if not issuer_code or not nat_code:
        return []
    issuer, nationality = to_alpha3(issuer_code), to_alpha3(nat_code)
    if issuer is None or nationality is None:
        # An organisation issues, or the holder is stateless or a refugee: no national tie.
        return []
    same = issuer == nationality
    kind = fields.document_type
    code = (fields.document_code or "")[:1]
    if kind is DocumentType.RESIDENCE_PERMIT:
        return [] if not same else ["nationality_issuer"]
    if kind is DocumentType.ID_CARD or (kind is None and code == "I"):
        return [] if same else ["nationality_issuer"]
    if kind is DocumentType.PASSPORT or code == "P":
        if same or nat_code in _STATELESS or issuer_code in ICAO_SPECIAL:
            return []
        return ["nationality_issuer"]
    return []


def check_tampering(
    evidence: TamperEvidence,
    *,
    today: dt.date | None = None,
    high_confidence: float = 0.85,
) -> CheckResult:
    """``review`` with ``DOC_TAMPER_SUSPECTED`` and the signals' names, else ``pass``."""
    signals: list[str] = []
    details: dict[str, object] = {}
    if (
        evidence.checks_passed is False
        and evidence.ocr_confidence is not None
        and evidence.ocr_confidence >= high_confidence
    ):
        signals.append("checksum_failed_high_confidence")
    if evidence.expects_portrait and evidence.faces_on_document == 0:
        signals.append("portrait_missing")
    editor = editing_software(evidence.software)
    if editor is not None:
        signals.append("editing_software")
        details["software"] = editor
    if evidence.fields is not None:
        signals += date_conflicts(evidence.fields, issue_date=evidence.issue_date, today=today)
        signals += id_number_conflicts(evidence.fields)
        signals += nationality_conflicts(evidence.fields)
    if signals:
        return CheckResult.review(CHECK, TAMPER_SUSPECTED, signals=signals, **details)
    return CheckResult.passed(CHECK, signals=[])
