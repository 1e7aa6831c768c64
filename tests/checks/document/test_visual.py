"""Visual-zone reading: Chinese ID card fronts (synthetic) and passport pages (synthetic and
the ICAO specimen). Per-field accuracy is printed with ``-s``:

    .venv/bin/pytest -q -s -p no:cacheprovider tests/checks/document/test_visual.py
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from functools import cache

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from aegis.checks.document import visual as v
from aegis.checks.document.fields import DocumentType
from aegis.checks.document.synthetic import cn_id as syn
from aegis.checks.document.tampering import TamperEvidence, check_tampering
from aegis.checks.document.validity import split_chinese_name
from aegis.checks.result import Outcome
from tests.checks.helpers import SHARED_DATA

FIELDS = ("name", "sex", "ethnicity", "birth_date", "address", "id_number")
CLEAN = range(0, 10)
MILD = range(10, 20)  # photographed on a table, slightly blurred, noisy, JPEG


def truth(card: syn.CnIdCard) -> dict[str, str]:
    return {
        "name": card.name,
        "sex": card.sex,
        "ethnicity": card.ethnicity,
        "birth_date": card.birth_date.isoformat(),
        "address": card.address,
        "id_number": card.id_number,
    }


def image_of(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    card = syn.render_front(syn.make_card(seed), px_per_mm=rng.uniform(10, 14), seed=seed)
    if seed in CLEAN:
        return syn.jpeg(card, 90)
    photo = syn.photo_of(card, rng, card_fraction=rng.uniform(0.65, 0.85))
    return syn.jpeg(syn.noise(syn.blur(photo, 0.8), 4, rng), 80)


@cache
def reads() -> dict[int, v.VisualRead]:
    return {seed: v.read_cn_id_front(image_of(seed)) for seed in (*CLEAN, *MILD)}


@cache
def accuracy() -> dict[str, float]:
    right: Counter[str] = Counter()
    for seed, read in reads().items():
        want = truth(syn.make_card(seed))
        for f in FIELDS:
            right[f] += read.get(f).value == want[f] and read.get(f).source == "ocr"
    n = len(reads())
    out = {f: right[f] / n for f in FIELDS}
    print(f"\nCN ID front, {n} cards: " + ", ".join(f"{f} {a:.0%}" for f, a in out.items()))
    return out


@pytest.mark.parametrize(
    ("field", "floor"),
    [
        ("name", 0.8),
        ("birth_date", 0.95),
        ("id_number", 0.95),
        ("sex", 0.9),
        ("ethnicity", 0.9),
        ("address", 0.6),
    ],
)
def test_cn_id_field_accuracy(field: str, floor: float) -> None:
    assert accuracy()[field] >= floor


def test_confidence_tells_right_from_wrong() -> None:
    right: list[float] = []
    wrong: list[float] = []
    for seed, read in reads().items():
        want = truth(syn.make_card(seed))
        for f in FIELDS:
            (right if read.get(f).value == want[f] else wrong).append(read.get(f).confidence)
    assert right and min(read.get("id_number").confidence for read in reads().values()) > 0.9
    if wrong:
        assert np.mean(wrong) < np.mean(right)


def test_document_fields_come_out_normalised() -> None:
    seed = 4
    doc = reads()[seed].document
    card = syn.make_card(seed)
    assert doc.document_type is DocumentType.ID_CARD
    assert (doc.issuing_country, doc.nationality) == ("CHN", "CHN")
    assert doc.birth_date == card.birth_date and doc.sex == card.sex_code
    assert doc.personal_number == card.id_number
    assert (doc.surname or "") + (doc.given_names or "") == card.name


def test_a_printed_birth_date_the_number_contradicts_is_doubted_and_signalled() -> None:
    card = syn.make_card(7)
    forged = dataclasses.replace(card, birth_date=card.birth_date + dt.timedelta(days=400))
    read = v.read_cn_id_front(syn.render_front(forged, px_per_mm=12))
    assert read.get("birth_date").value == forged.birth_date.isoformat()
    assert read.get("birth_date").confidence < 0.5
    assert "birth_date_disagrees_with_id_number" in read.notes
    tamper = check_tampering(TamperEvidence(fields=read.document))
    assert tamper.outcome is Outcome.REVIEW
    assert "id_number_birth_date" in tamper.details["signals"]


def test_a_number_failing_its_checksum_is_kept_but_not_trusted() -> None:
    card = syn.make_card(9)
    last = "0" if card.id_number[-1] != "0" else "1"
    broken = dataclasses.replace(card, id_number=card.id_number[:-1] + last)
    read = v.read_cn_id_front(syn.render_front(broken, px_per_mm=12))
    assert "id_number_checksum_failed" in read.notes
    assert read.get("id_number").confidence < 0.5
    assert read.result(required=("name", "id_number")).codes == (v.UNREADABLE,)


def test_read_result_names_weak_fields_only() -> None:
    read = v.VisualRead(
        kind="cn_id_front",
        fields={"name": v.VisualField("张伟", 0.9), "id_number": v.VisualField(None, 0.0)},
        document=syn.make_card(1).to_fields(),
    )
    result = read.result(required=("name", "id_number"))
    assert result.outcome is Outcome.REVIEW
    assert result.details["weak_fields"] == ["id_number"]
    assert "张伟" not in str(result.details)
    assert read.result(required=("name",)).outcome is Outcome.PASS


def test_chinese_names_split_at_compound_surnames() -> None:
    assert split_chinese_name("欧阳娜娜") == ("欧阳", "娜娜")
    assert split_chinese_name("张伟") == ("张", "伟")
    assert split_chinese_name("司马") == ("司", "马")  # a compound alone is a name too


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 AUG 1974", dt.date(1974, 8, 12)),
        ("12 AOUT/AUG 74", dt.date(1974, 8, 12)),
        ("15 APR/AVR 12", dt.date(2012, 4, 15)),
        ("03.11.2031", dt.date(2031, 11, 3)),
        ("31 FEB 2000", None),
        ("SPECIMEN", None),
    ],
)
def test_visual_dates(text: str, expected: dt.date | None) -> None:
    assert v.parse_visual_date(text, today=dt.date(2025, 6, 1)) == expected


def _dejavu(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, size)
    except OSError:
        pytest.skip("DejaVu fonts not installed")


def passport_page() -> np.ndarray:
    """An ICAO-style data page: captions in small type, values under them, no MRZ."""
    page = Image.new("RGB", (1250, 880), (236, 232, 244))
    draw = ImageDraw.Draw(page)
    draw.text((40, 30), "REPUBLIC OF ARCADIA   PASSPORT", fill=(30, 30, 90), font=_dejavu(44, True))
    draw.rectangle((40, 150, 360, 560), fill=(200, 200, 210))
    entries = [
        ("Surname / Nom", "OKONKWO-LEWIS"),
        ("Given names / Prénoms", "ADAEZE MARIE"),
        ("Date of birth / Date de naissance", "07 MAR 1991"),
        ("Sex / Sexe", "F"),
        ("Passport No. / N° du passeport", "PA4417203"),
        ("Date of expiry / Date d'expiration", "22 NOV 2032"),
    ]
    y = 140
    for caption, value in entries:
        draw.text((420, y), caption, fill=(90, 90, 120), font=_dejavu(22))
        draw.text((420, y + 30), value, fill=(10, 10, 10), font=_dejavu(34, True))
        y += 110
    return np.asarray(page)


def test_passport_visual_fields_by_their_captions() -> None:
    read = v.read_passport_visual(passport_page(), today=dt.date(2025, 6, 1))
    values = {k: f.value for k, f in read.fields.items()}
    assert values["surname"] == "OKONKWO-LEWIS"
    assert values["given_names"] == "ADAEZE MARIE"
    assert values["birth_date"] == "1991-03-07"
    assert values["expiry_date"] == "2032-11-22"
    assert values["document_number"] == "PA4417203"
    assert values["sex"] == "F"
    assert read.document.birth_date == dt.date(1991, 3, 7)
    assert all(0 < f.confidence <= 1 for f in read.fields.values())


def test_passport_visual_fields_of_the_icao_specimen() -> None:
    path = SHARED_DATA / "mrz" / "passporteye" / "passport-td3.png"
    if not path.is_file():
        pytest.skip(f"ICAO specimen not found at {path}")
    read = v.read_passport_visual(np.asarray(Image.open(path).convert("RGB")))
    doc = read.document
    # The values ICAO 9303 prints on its Utopia specimen.
    assert (doc.surname, doc.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert doc.birth_date == dt.date(1974, 8, 12)
    assert doc.document_number == "L898902C3"
    assert doc.sex == "F"
