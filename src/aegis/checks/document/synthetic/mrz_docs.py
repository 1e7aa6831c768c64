"""Synthetic documents with a machine-readable zone: passports (TD3), ID cards (TD1, TD2) and
visas (MRV-A, MRV-B), drawn with Pillow, the MRZ in the OCR-B font (Debian ``fonts-ocr-b``).

Everything is fiction: made-up people from several countries, numbers of each country's usual
shape, a plain visual zone and a drawn face. Each document is a pure function of its seed. A
tampered document has its MRZ changed after the check digits were computed (a check digit or a
character of a checked field), as a forger editing the printed zone would.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from aegis.checks.document.fields import DocumentFields, DocumentType
from aegis.checks.document.mrz import MrzFormat, compose_mrz, parse_mrz
from aegis.checks.document.synthetic.degrade import DegradeSpec, degrade

DPI = 300
_MM = DPI / 25.4
# Sizes in mm (ICAO 9303 Parts 4-7) and the MRZ line count and length.
_SIZES_MM = {
    MrzFormat.TD3: (125.0, 88.0),
    MrzFormat.TD2: (105.0, 74.0),
    MrzFormat.TD1: (85.6, 54.0),
    MrzFormat.MRV_A: (125.0, 88.0),  # printed on a passport page
    MrzFormat.MRV_B: (105.0, 74.0),
}
_PITCH_MM = 2.54  # ten characters per inch
_LINE_MM = 4.23  # six lines per inch
# A fixed day, so a seed always gives the same dates whatever day the tests run.
_REFERENCE = dt.date(2025, 1, 1)


@dataclass(frozen=True, slots=True)
class _Country:
    code: str
    title: str
    surnames: tuple[str, ...]
    given: tuple[str, ...]
    number: str  # pattern: A letter, 9 digit, X either


_COUNTRIES = (
    _Country(
        "UTO",
        "UTOPIA",
        ("ERIKSSON", "LINDGREN", "STROM"),
        ("ANNA MARIA", "OLLE", "KARIN"),
        "A99999999",
    ),
    _Country(
        "D",
        "BUNDESREPUBLIK DEUTSCHLAND",
        ("MUSTERMANN", "SCHMIDT", "MUELLER", "WEISS"),
        ("ERIKA", "JUERGEN", "HANS PETER"),
        "AXXXXXXXX",
    ),
    _Country(
        "FRA",
        "REPUBLIQUE FRANCAISE",
        ("MARTIN", "DUBOIS", "LEFEVRE", "DE LA TOUR"),
        ("JEAN PIERRE", "CHLOE", "MARIE"),
        "99AA99999",
    ),
    _Country(
        "CHN",
        "PEOPLE'S REPUBLIC OF CHINA",
        ("WANG", "LI", "ZHANG", "OUYANG"),
        ("XIAOMING", "MEI", "JIANGUO", "YUTONG"),
        "AA9999999",
    ),
    _Country(
        "GBR",
        "UNITED KINGDOM",
        ("SMITH", "JONES", "TAYLOR", "OBRIEN"),
        ("OLIVER", "AMELIA", "JACK HENRY"),
        "999999999",
    ),
    _Country(
        "USA",
        "UNITED STATES OF AMERICA",
        ("JOHNSON", "WILLIAMS", "GARCIA"),
        ("JAMES", "MARY ELLEN", "ROBERT"),
        "A99999999",
    ),
    _Country(
        "ESP",
        "REINO DE ESPANA",
        ("GARCIA LOPEZ", "FERNANDEZ", "MARTINEZ"),
        ("CARMEN", "JOSE LUIS", "LUCIA"),
        "AAA999999",
    ),
    _Country(
        "NLD",
        "KONINKRIJK DER NEDERLANDEN",
        ("DE JONG", "JANSEN", "VAN DEN BERG"),
        ("LOES", "DAAN", "SANNE"),
        "AA9999999",
    ),
    _Country(
        "JPN", "JAPAN", ("SATO", "SUZUKI", "TAKAHASHI"), ("HARUTO", "YUI", "SOTA"), "AA9999999"
    ),
    _Country(
        "BRA",
        "REPUBLICA FEDERATIVA DO BRASIL",
        ("SILVA", "SANTOS", "OLIVEIRA"),
        ("JOAO", "ANA CLARA", "PEDRO"),
        "AA999999",
    ),
    _Country(
        "IND",
        "REPUBLIC OF INDIA",
        ("SHARMA", "PATEL", "KRISHNAMURTHY"),
        ("AARAV", "PRIYA", "VENKATA RAMANA"),
        "A9999999",
    ),
    _Country(
        "KOR",
        "REPUBLIC OF KOREA",
        ("KIM", "LEE", "PARK"),
        ("MINJUN", "SEOYEON", "JIHO"),
        "A99999999",
    ),
)

# Long names are common enough to keep truncation in the mix.
_LONG_SURNAMES = ("WOLFESCHLEGELSTEINHAUSENBERGERDORFF", "VAN DER WESTHUIZEN RAUTENBACH")


@dataclass(frozen=True, slots=True, kw_only=True)
class MrzTruth:
    """What a reader should find on a synthetic document."""

    format: MrzFormat
    lines: tuple[str, ...]
    fields: DocumentFields  # the identity drawn (also when the MRZ was tampered)
    tampered: bool
    # The checks a correct reader reports failing (empty unless tampered).
    failed_checks: tuple[str, ...] = ()
    degraded: bool = False


@cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(name, size)


def ocr_b_path() -> str:
    for path in (
        "/usr/share/fonts/opentype/ocr-b/OCRB.otf",
        "/usr/share/fonts/truetype/ocr-b/OCRB.ttf",
    ):
        if Path(path).exists():
            return path
    raise FileNotFoundError("OCR-B font missing: install Debian package fonts-ocr-b")


_SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_SANS_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def ocr_b_font(pitch_px: float) -> ImageFont.FreeTypeFont:
    """OCR-B at the size whose advance is ``pitch_px`` (OCR-B is monospaced)."""
    probe = _font(ocr_b_path(), 100)
    return _font(ocr_b_path(), max(6, round(100 * pitch_px / probe.getlength("<"))))


def _number(pattern: str, rng: random.Random) -> str:
    # Issuers leave out O and I, which look like digits.
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    out = []
    for char in pattern:
        kind = rng.choice("A9") if char == "X" else char
        out.append(rng.choice(letters) if kind == "A" else str(rng.randint(0, 9)))
    return "".join(out)


def random_identity(rng: random.Random, fmt: MrzFormat) -> DocumentFields:
    country = rng.choice(_COUNTRIES)
    nationality = country.code if rng.random() < 0.85 else rng.choice(_COUNTRIES).code
    surname = rng.choice(_LONG_SURNAMES) if rng.random() < 0.08 else rng.choice(country.surnames)
    code = {
        MrzFormat.TD3: "P",
        MrzFormat.TD1: rng.choice(("I", "ID", "IR", "AC")),
        MrzFormat.TD2: rng.choice(("I", "ID", "IR")),
        MrzFormat.MRV_A: "V",
        MrzFormat.MRV_B: "V",
    }[fmt]
    number = _number(country.number, rng)
    if fmt in (MrzFormat.TD1, MrzFormat.TD2) and rng.random() < 0.15:
        number += str(rng.randint(10, 999))  # the long document number convention
    birth = dt.date(1945, 1, 1) + dt.timedelta(days=rng.randint(0, 60 * 365))
    expiry = _REFERENCE + dt.timedelta(days=rng.randint(-3 * 365, 10 * 365))
    optional = None
    room = {MrzFormat.TD2: 7, MrzFormat.MRV_B: 8}.get(fmt, 9)
    if fmt is MrzFormat.TD2 and len(number) > 9:
        room -= len(number) - 9 + 2
    if rng.random() < 0.5 and room >= 5:
        optional = "".join(rng.choice("0123456789") for _ in range(rng.randint(5, room)))
    return DocumentFields(
        document_type=_doc_type(code),
        document_code=code,
        issuing_country=country.code,
        surname=surname,
        given_names=rng.choice(country.given),
        document_number=number,
        nationality=nationality,
        birth_date=birth,
        expiry_date=expiry,
        sex=rng.choice("MFMFX"),
        optional_data=optional,
        personal_number=optional if fmt is MrzFormat.TD3 else None,
    )


def _doc_type(code: str) -> DocumentType:
    if code == "P":
        return DocumentType.PASSPORT
    if code == "V":
        return DocumentType.VISA
    return DocumentType.RESIDENCE_PERMIT if code[1:] == "R" else DocumentType.ID_CARD


def tamper(lines: tuple[str, ...], fmt: MrzFormat, rng: random.Random) -> tuple[str, ...]:
    """Change one check digit, or one digit of a checked date, after the fact."""
    positions = _positions(fmt)
    while True:
        target = rng.choice(sorted(positions))
        grid = [list(line) for line in lines]
        row, col = positions[target]
        grid[row][col] = rng.choice([d for d in "0123456789" if d != grid[row][col]])
        changed = tuple("".join(r) for r in grid)
        # An empty optional field may carry 0 as its check digit: that change is no tamper.
        if not parse_mrz(changed, correct=False).valid:
            return changed


def _positions(fmt: MrzFormat) -> dict[str, tuple[int, int]]:
    if fmt is MrzFormat.TD1:
        return {
            "document_number": (0, 14),
            "birth_date": (1, 6),
            "expiry_date": (1, 14),
            "composite": (1, 29),
            "birth_date_value": (1, 5),  # the day's second digit keeps most dates real
            "expiry_date_value": (1, 13),
        }
    width = 44 if fmt in (MrzFormat.TD3, MrzFormat.MRV_A) else 36
    out = {
        "document_number": (1, 9),
        "birth_date": (1, 19),
        "expiry_date": (1, 27),
        "birth_date_value": (1, 18),
        "expiry_date_value": (1, 26),
    }
    if fmt is MrzFormat.TD3:
        out["optional"] = (1, 42)
    if fmt in (MrzFormat.TD3, MrzFormat.TD2):
        out["composite"] = (1, width - 1)
    return out


def _draw_face(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], rng: random.Random
) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=(rng.randint(200, 225),) * 3, outline=(120, 120, 120), width=2)
    w, h = x1 - x0, y1 - y0
    skin = (rng.randint(150, 235), rng.randint(120, 200), rng.randint(90, 170))
    draw.ellipse((x0 + w * 0.22, y0 + h * 0.12, x1 - w * 0.22, y0 + h * 0.68), fill=skin)
    draw.pieslice(
        (x0 + w * 0.05, y0 + h * 0.62, x1 - w * 0.05, y1 + h * 0.4), 180, 360, fill=(60, 60, 90)
    )
    for ex in (0.4, 0.6):
        cx, cy = x0 + w * ex, y0 + h * 0.36
        draw.ellipse(
            (cx - w * 0.03, cy - h * 0.015, cx + w * 0.03, cy + h * 0.015), fill=(40, 40, 40)
        )
    draw.arc(
        (x0 + w * 0.4, y0 + h * 0.45, x1 - w * 0.4, y0 + h * 0.56),
        20,
        160,
        fill=(120, 50, 50),
        width=3,
    )


def _visual_zone(
    draw: ImageDraw.ImageDraw,
    fields: DocumentFields,
    fmt: MrzFormat,
    size: tuple[int, int],
    rng: random.Random,
) -> None:
    width, height = size
    margin = int(4 * _MM)
    country = next(c for c in _COUNTRIES if c.code == fields.issuing_country)
    kind = {"P": "PASSPORT", "V": "VISA"}.get(fields.document_code or "", "IDENTITY CARD")
    heading = f"{country.title}  {kind}"
    size_px = int(height * 0.055)
    while size_px > 8 and _font(_SANS_BOLD, size_px).getlength(heading) > width - 2 * margin:
        size_px -= 2
    draw.text((margin, margin), heading, fill=(20, 30, 90), font=_font(_SANS_BOLD, size_px))
    photo_w = int(width * (0.26 if fmt is not MrzFormat.TD1 else 0.28))
    photo = (margin, int(height * 0.16), margin + photo_w, int(height * 0.16) + int(photo_w * 1.28))
    _draw_face(draw, photo, rng)
    label, value = _font(_SANS, int(height * 0.022)), _font(_SANS_BOLD, int(height * 0.032))
    entries = [
        ("Surname / Nom", fields.surname or ""),
        ("Given names / Prenoms", fields.given_names or ""),
        ("Nationality", fields.nationality or ""),
        ("Date of birth", f"{fields.birth_date:%d %b %Y}".upper() if fields.birth_date else ""),
        ("Sex", fields.sex or ""),
        ("Document no.", fields.document_number or ""),
        ("Date of expiry", f"{fields.expiry_date:%d %b %Y}".upper() if fields.expiry_date else ""),
    ]
    x, y = photo[2] + margin, int(height * 0.14)
    step = (int(height * 0.64) - y) / len(entries)
    for caption, text in entries:
        draw.text((x, y), caption, fill=(90, 90, 120), font=label)
        draw.text((x, y + label.size * 1.1), text, fill=(10, 10, 10), font=value)
        y += int(step)


def render(
    fields: DocumentFields, lines: tuple[str, ...], fmt: MrzFormat, rng: random.Random
) -> Image.Image:
    """The clean document at 300 dpi."""
    w_mm, h_mm = _SIZES_MM[fmt]
    size = (round(w_mm * _MM), round(h_mm * _MM))
    tint = (rng.randint(235, 255), rng.randint(235, 255), rng.randint(225, 250))
    image = Image.new("RGB", size, tint)
    draw = ImageDraw.Draw(image)
    # A faint security pattern behind the visual zone.
    for i in range(0, size[0] + size[1], int(3 * _MM)):
        draw.line((i, 0, i - size[1], size[1]), fill=(tint[0] - 12, tint[1] - 8, tint[2]), width=1)
    _visual_zone(draw, fields, fmt, size, rng)
    font = ocr_b_font(_PITCH_MM * _MM)
    line_px = _LINE_MM * _MM
    bottom = size[1] - int(3.5 * _MM)
    x = (size[0] - font.getlength(lines[0])) / 2
    draw.rectangle((0, bottom - line_px * len(lines) - 2 * _MM, size[0], size[1]), fill=tint)
    for i, line in enumerate(lines):
        y = bottom - line_px * (len(lines) - i)
        draw.text((x, y), line, fill=(15, 15, 15), font=font)
    return image


def synthetic_document(
    seed: int,
    *,
    fmt: MrzFormat | None = None,
    tampered: bool = False,
    degraded: bool = False,
    degrade_spec: DegradeSpec | None = None,
) -> tuple[Image.Image, MrzTruth, bool]:
    """(image, ground truth, tampered flag) for one seed."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    fmt = fmt or rng.choice(
        (
            MrzFormat.TD3,
            MrzFormat.TD3,
            MrzFormat.TD1,
            MrzFormat.TD1,
            MrzFormat.TD2,
            MrzFormat.MRV_A,
            MrzFormat.MRV_B,
        )
    )
    fields = random_identity(rng, fmt)
    lines = compose_mrz(fields, fmt)
    truth_fields = parse_mrz(lines, today=_REFERENCE, correct=False).fields
    failed: tuple[str, ...] = ()
    if tampered:
        lines = tamper(lines, fmt, rng)
        failed = parse_mrz(lines, correct=False).failed_checks
    image = render(truth_fields, lines, fmt, rng)
    if degraded:
        image = degrade(image, rng, degrade_spec)
    truth = MrzTruth(
        format=fmt,
        lines=lines,
        fields=truth_fields,
        tampered=tampered,
        failed_checks=failed,
        degraded=degraded,
    )
    return image, truth, tampered


def synthetic_documents(
    count: int, *, seed: int = 0, tamper_rate: float = 0.2, degrade_rate: float = 0.5
) -> Iterator[tuple[Image.Image, MrzTruth, bool]]:
    """A mixed, reproducible set: formats, countries, clean and degraded, some tampered."""
    for i in range(count):
        item = seed * 1_000_003 + i
        flags = random.Random(item ^ 0x5EED)  # noqa: S311
        tampered = flags.random() < tamper_rate
        degraded = flags.random() < degrade_rate
        yield synthetic_document(item, tampered=tampered, degraded=degraded)
