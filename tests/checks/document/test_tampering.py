"""Tampering signals: each one raised by exactly its evidence, none holding a value."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from PIL import Image, PngImagePlugin

from aegis.checks.document import tampering as tp
from aegis.checks.document.fields import DocumentFields, DocumentType
from aegis.checks.document.synthetic import cn_id as syn
from aegis.checks.result import Outcome

TODAY = dt.date(2025, 6, 1)
CARD = syn.make_card(11)


def jpeg(**save: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), (120, 60, 30)).save(buffer, "JPEG", **save)
    return buffer.getvalue()


def exif(tag: int, value: str) -> Image.Exif:
    data = Image.Exif()
    data[tag] = value
    return data


def signals(evidence: tp.TamperEvidence) -> list[str]:
    result = tp.check_tampering(evidence, today=TODAY)
    if result.outcome is Outcome.PASS:
        assert result.codes == ()
        return []
    assert (result.outcome, result.codes) == (Outcome.REVIEW, (tp.TAMPER_SUSPECTED,))
    return list(result.details["signals"])


# --- metadata ------------------------------------------------------------------------------


def test_software_is_read_from_exif_xmp_and_png_text() -> None:
    assert tp.software_from_bytes(jpeg(exif=exif(0x0131, "Adobe Photoshop 25.0 (Windows)"))) == (
        "Adobe Photoshop 25.0 (Windows)",
    )
    assert tp.software_from_bytes(jpeg(exif=exif(0x000B, "Snapseed 2.0"))) == ("Snapseed 2.0",)
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
        b'xmp:CreatorTool="Canva"/><stEvt:softwareAgent>GIMP 2.10</stEvt:softwareAgent>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    assert tp.software_from_bytes(jpeg(xmp=xmp)) == ("Canva", "GIMP 2.10")
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "Pixelmator Pro 3.5")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG", pnginfo=info)
    assert tp.software_from_bytes(buffer.getvalue()) == ("Pixelmator Pro 3.5",)


def test_no_metadata_or_no_image_is_no_software() -> None:
    assert tp.software_from_bytes(jpeg()) == ()
    assert tp.software_from_bytes(b"%PDF-1.7 not an image") == ()
    assert tp.software_from_bytes(b"") == ()


@pytest.mark.parametrize(
    ("name", "product"),
    [
        ("Adobe Photoshop Lightroom Classic 13.0", "Lightroom"),
        ("Adobe Photoshop 25.0 (Macintosh)", "Photoshop"),
        ("GIMP 2.10.34", "GIMP"),
        ("PicsArt", "PicsArt"),
        ("Affinity Photo 2", "Affinity"),
        ("Canva", "Canva"),
        ("MeituPic", "Meitu"),
        ("美图秀秀", "Meitu"),
        ("iOS 17.4.1", None),
        ("HDR+ 1.0.585417392z", None),
        ("Samsung Camera", None),
    ],
)
def test_editors_are_told_from_cameras(name: str, product: str | None) -> None:
    assert tp.editing_software([name]) == product


def test_editing_software_names_the_product_only() -> None:
    result = tp.check_tampering(tp.TamperEvidence(software=("Adobe Photoshop 25.0 (Windows)",)))
    assert result.details == {"signals": ["editing_software"], "software": "Photoshop"}


# --- OCR and faces -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("passed", "confidence", "expected"),
    [
        (False, 0.95, ["checksum_failed_high_confidence"]),
        (False, 0.6, []),  # a shaky read explains a failed check digit
        (True, 0.95, []),
        (False, None, []),
    ],
)
def test_a_confidently_read_failing_checksum(
    passed: bool, confidence: float | None, expected: list[str]
) -> None:
    assert signals(tp.TamperEvidence(checks_passed=passed, ocr_confidence=confidence)) == expected


def test_a_missing_portrait() -> None:
    assert signals(tp.TamperEvidence(faces_on_document=0)) == ["portrait_missing"]
    assert signals(tp.TamperEvidence(faces_on_document=2)) == []  # ghost images are normal
    assert signals(tp.TamperEvidence(faces_on_document=0, expects_portrait=False)) == []


# --- fields --------------------------------------------------------------------------------


def test_consistent_fields_raise_nothing() -> None:
    fields = dataclasses.replace(CARD.to_fields(), expiry_date=dt.date(2031, 1, 1))
    assert signals(tp.TamperEvidence(fields=fields, issue_date=dt.date(2021, 1, 1))) == []


def test_impossible_date_orders() -> None:
    fields = DocumentFields(birth_date=dt.date(2000, 1, 1), expiry_date=dt.date(1999, 1, 1))
    found = signals(tp.TamperEvidence(fields=fields, issue_date=dt.date(2026, 1, 1)))
    assert found == ["birth_after_expiry", "expiry_before_issue", "issue_in_future"]
    born_late = DocumentFields(birth_date=dt.date(2010, 1, 1))
    assert signals(tp.TamperEvidence(fields=born_late, issue_date=dt.date(2009, 1, 1))) == [
        "birth_after_issue"
    ]
    assert signals(tp.TamperEvidence(fields=DocumentFields(birth_date=dt.date(2030, 1, 1)))) == [
        "birth_in_future"
    ]


def test_the_id_number_disagreeing_with_birth_date_or_sex() -> None:
    fields = CARD.to_fields()
    other_sex = "F" if fields.sex == "M" else "M"
    day_later = CARD.birth_date + dt.timedelta(days=1)
    changed = dataclasses.replace(fields, birth_date=day_later, sex=other_sex)
    assert signals(tp.TamperEvidence(fields=changed)) == ["id_number_sex", "id_number_birth_date"]


def test_a_foreign_national_id_number_is_read_by_its_country() -> None:
    # Swedish personnummer (python-stdnum reads its birth date): 1980-01-01.
    fields = DocumentFields(
        issuing_country="SWE",
        nationality="SWE",
        document_type=DocumentType.ID_CARD,
        personal_number="800101-3294",
        birth_date=dt.date(1980, 1, 2),
    )
    assert tp.id_number_conflicts(fields) == ["id_number_birth_date"]
    good = dataclasses.replace(fields, birth_date=dt.date(1980, 1, 1))
    assert tp.id_number_conflicts(good) == []


@pytest.mark.parametrize(
    ("kind", "issuer", "nationality", "odd"),
    [
        (DocumentType.ID_CARD, "CHN", "CHN", False),
        (DocumentType.ID_CARD, "CHN", "FRA", True),
        (DocumentType.ID_CARD, "D", "DEU", False),
        (DocumentType.RESIDENCE_PERMIT, "DEU", "TUR", False),
        (DocumentType.RESIDENCE_PERMIT, "DEU", "D", True),
        (DocumentType.PASSPORT, "FRA", "FRA", False),
        (DocumentType.PASSPORT, "FRA", "ITA", True),
        (DocumentType.PASSPORT, "DEU", "XXA", False),  # a stateless person's travel document
        (DocumentType.PASSPORT, "UNO", "SWE", False),  # the UN's laissez-passer
        (DocumentType.PASSPORT, "GBR", "GBD", False),
    ],
)
def test_nationality_against_issuer(
    kind: DocumentType, issuer: str, nationality: str, odd: bool
) -> None:
    fields = DocumentFields(document_type=kind, issuing_country=issuer, nationality=nationality)
    assert tp.nationality_conflicts(fields) == (["nationality_issuer"] if odd else [])


def test_details_never_hold_values() -> None:
    fields = dataclasses.replace(CARD.to_fields(), birth_date=dt.date(1901, 2, 3))
    result = tp.check_tampering(tp.TamperEvidence(fields=fields, software=("GIMP 2.10",)))
    text = str(result.details)
    assert CARD.id_number not in text and "1901" not in text and CARD.name not in text
    assert "2.10" not in text


def test_the_hint_is_in_both_languages() -> None:
    en, zh = tp.HINTS[tp.TAMPER_SUSPECTED]
    assert en.isascii() and any("\u4e00" <= ch <= "\u9fff" for ch in zh)
