"""Reading the visual zone: the printed fields a person reads, where there is no MRZ.

:func:`read_cn_id_front` reads the front (人像面) of the Chinese resident ID card: name,
sex, ethnicity, birth date, address and the 18-character number. The card is found and
straightened with :func:`aegis.checks.document.quality.find_document`, each field is cut out
where the card's layout puts it (positions relative to the card, from its printed
proportions), scaled to the glyph height Tesseract reads best, and read with ``chi_sim``
(the number with ``eng`` and a digit whitelist).

Every field carries a confidence in [0, 1]: Tesseract's word confidences, then raised or
lowered by what the card says about itself. The number's MOD 11-2 check character holds
or fails; the number encodes the birth date and sex, which must agree with the printed ones;
the ethnicity must be one of the 56; the address starts with the province the number's
region code names. A field that could not be read but is encoded in a valid number is
filled from it, marked ``source="id_number"``.

:func:`read_passport_visual` is best effort for passport pages without a readable MRZ:
English (and French) captions are located and the value printed under (or after) each is
read.

OCR is reached through the :class:`Ocr` protocol; :class:`TesseractOcr` is the real one,
and tests may pass a fake. The results hold personal data: log field names and
confidences, never values.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import cv2
import numpy as np
import numpy.typing as npt
import pytesseract
from rapidfuzz import fuzz, process

from aegis.checks.document.fields import DocumentFields, DocumentType
from aegis.checks.document.quality import Image, find_document, to_gray, warp_document
from aegis.checks.document.validity import split_chinese_name
from aegis.checks.identity import cn
from aegis.checks.result import CheckResult

CHECK: Final = "document_visual"
UNREADABLE: Final = "DOC_UNREADABLE"
HINTS: Final[dict[str, tuple[str, str]]] = {
    UNREADABLE: (
        "We could not read your document; take a sharp, well-lit photo of its front.",
        "无法识别您的证件，请在光线充足处拍摄清晰的证件正面照片。",
    ),
}

CN_ETHNICITIES: Final = (
    "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶",
    "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水",
    "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉",
    "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克",
    "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)  # fmt: skip
# Province-level names by the first two digits of a region code (GB/T 2260).
CN_PROVINCES: Final = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁",
    "22": "吉林", "23": "黑龙江", "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽",
    "35": "福建", "36": "江西", "37": "山东", "41": "河南", "42": "湖北", "43": "湖南",
    "44": "广东", "45": "广西", "46": "海南", "50": "重庆", "51": "四川", "52": "贵州",
    "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏",
    "65": "新疆", "71": "台湾", "81": "香港", "82": "澳门",
}  # fmt: skip
# ---------------------------------------------------------------------------------------------
# OCR seam


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    confidence: float  # 0-100, Tesseract's scale
    box: tuple[int, int, int, int]  # left, top, width, height
    line: tuple[int, int, int]  # block, paragraph, line: words sharing it form one line


class Ocr(Protocol):
    def words(
        self, image: npt.NDArray[np.uint8], *, lang: str, psm: int, whitelist: str = ""
    ) -> list[Word]: ...


class TesseractOcr:
    """Tesseract through pytesseract (LSTM engine); needs the ``eng``/``chi_sim`` data."""

    def words(
        self, image: npt.NDArray[np.uint8], *, lang: str, psm: int, whitelist: str = ""
    ) -> list[Word]:
        config = f"--oem 1 --psm {psm}"
        if whitelist:
            config += f" -c tessedit_char_whitelist={whitelist}"
        data = pytesseract.image_to_data(
            image, lang=lang, config=config, output_type=pytesseract.Output.DICT
        )
        out = []
        for i, text in enumerate(data["text"]):
            if not str(text).strip():
                continue
            out.append(
                Word(
                    text=str(text).strip(),
                    confidence=max(0.0, float(data["conf"][i])),
                    box=(data["left"][i], data["top"][i], data["width"][i], data["height"][i]),
                    line=(data["block_num"][i], data["par_num"][i], data["line_num"][i]),
                )
            )
        return out


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class VisualField:
    value: str | None
    confidence: float  # 0-1
    source: str = "ocr"  # "ocr", or "id_number" when derived from a valid ID number


_MISSING: Final = VisualField(None, 0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class VisualRead:
    kind: str  # "cn_id_front" or "passport"
    fields: Mapping[str, VisualField]
    document: DocumentFields
    notes: tuple[str, ...] = ()  # PII-free observations, e.g. "id_number_checksum_failed"

    def get(self, name: str) -> VisualField:
        return self.fields.get(name, _MISSING)

    def result(self, *, required: Sequence[str], min_confidence: float = 0.5) -> CheckResult:
        """``DOC_UNREADABLE`` (to review) when a required field is missing or unsure."""
        weak = sorted(f for f in required if self.get(f).confidence < min_confidence)
        confidences = {name: round(f.confidence, 2) for name, f in self.fields.items()}
        if weak:
            return CheckResult.review(
                CHECK, UNREADABLE, kind=self.kind, weak_fields=weak, confidences=confidences
            )
        return CheckResult.passed(CHECK, kind=self.kind, confidences=confidences)


# ---------------------------------------------------------------------------------------------
# Chinese resident ID card, front

_CARD_MM: Final = (85.6, 54.0)
_PX_PER_MM: Final = 12.0
# Field boxes (left, top, right, bottom) in mm from the card's top-left corner, with the
# glyph height each holds. They leave a millimetre or more of slack around the print, as
# found straightening is never exact.
_BOXES: Final[dict[str, tuple[tuple[float, float, float, float], float]]] = {
    "name": ((14.0, 5.0, 53.0, 12.0), 3.8),
    "sex": ((14.0, 12.0, 22.0, 18.5), 3.2),
    "ethnicity": ((35.0, 12.0, 53.0, 18.5), 3.2),
    "birth_date": ((14.0, 19.0, 53.0, 25.5), 3.2),
    "address": ((14.0, 26.0, 54.0, 42.5), 3.2),
    "id_number": ((25.5, 42.8, 84.0, 50.5), 3.6),
}
_TARGET_GLYPH_PX: Final = 30  # Tesseract's chi_sim model reads 24-32 px glyphs best
_HAN: Final = re.compile(r"[\u3400-\u9fff·]")
_RIC_CHARS: Final = "0123456789X"


def _cut(card: Image, box_mm: tuple[float, float, float, float], glyph_mm: float) -> Image:
    """The box's pixels, grey, scaled to the target glyph height, with a margin."""
    scale = card.shape[1] / _CARD_MM[0]
    x0, y0, x1, y1 = (round(v * scale) for v in box_mm)
    crop = to_gray(card)[max(0, y0) : y1, max(0, x0) : x1]
    factor = _TARGET_GLYPH_PX / (glyph_mm * scale)
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    crop = np.asarray(cv2.resize(crop, None, fx=factor, fy=factor, interpolation=interp))
    return np.asarray(cv2.copyMakeBorder(crop, 12, 12, 12, 12, cv2.BORDER_REPLICATE), np.uint8)


def _binarise(gray: Image) -> Image:
    _, out = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.asarray(out, dtype=np.uint8)


def _mean_conf(words: Sequence[Word]) -> float:
    return sum(w.confidence for w in words) / (100 * len(words)) if words else 0.0


def _han(words: Sequence[Word]) -> tuple[str, float]:
    kept = [w for w in words if _HAN.search(w.text)]
    text = "".join("".join(_HAN.findall(unicodedata.normalize("NFKC", w.text))) for w in kept)
    return text, _mean_conf(kept)


def _read_rows(
    ocr: Ocr, rows: Sequence[tuple[str, Image]], *, lang: str, whitelist: str = ""
) -> dict[str, list[Word]]:
    """Read several crops in one OCR call: stacked one under the other, then each word
    is handed back to the crop its centre lies in.

    Starting Tesseract and loading ``chi_sim`` costs more than reading a crop, so one call
    for all the fields is several times faster than a call each.
    """
    if not rows:  # no caption found: nothing to read again
        return {}
    gap = 24
    width = max(img.shape[1] for _, img in rows) + 2 * gap
    spans: list[tuple[str, int, int]] = []
    parts: list[Image] = []
    top = gap
    for key, img in rows:
        pad_right = width - img.shape[1]
        fill = int(np.median(img))
        parts.append(np.full((gap, width), fill, np.uint8))
        parts.append(
            np.asarray(
                cv2.copyMakeBorder(img, 0, 0, 0, pad_right, cv2.BORDER_CONSTANT, value=fill),
                np.uint8,
            )
        )
        spans.append((key, top, top + img.shape[0]))
        top += img.shape[0] + gap
    parts.append(np.full((gap, width), 255, np.uint8))
    sheet = np.vstack(parts)
    out: dict[str, list[Word]] = {key: [] for key, _ in rows}
    for word in ocr.words(sheet, lang=lang, psm=6, whitelist=whitelist):
        centre = word.box[1] + word.box[3] / 2
        for key, y0, y1 in spans:
            if y0 <= centre < y1:
                out[key].append(word)
                break
    return out


def _read_number(card: Image, ocr: Ocr) -> tuple[str | None, float, bool]:
    """The ID number, its OCR confidence, and whether its check character holds.

    Read three ways at once (as is, binarised, smaller) and the first that the identity
    checks accept (check character, a real birth date) wins: a misread character fails the
    checksum ten times in eleven.
    """
    box, glyph = _BOXES["id_number"]
    plain = _cut(card, box, glyph)
    attempts = {"plain": plain, "binary": _binarise(plain), "small": _cut(card, box, glyph * 1.25)}
    words = _read_rows(ocr, list(attempts.items()), lang="eng", whitelist=_RIC_CHARS)
    best: tuple[str | None, float] = (None, 0.0)
    for key in attempts:
        text = "".join(c for w in words[key] for c in w.text.upper() if c in _RIC_CHARS)
        conf = _mean_conf(words[key])
        if len(text) == 18 and cn.ric_birth_date(text) is not None:  # checksum and date
            return text, conf, True
        if best[0] is None or (len(text) == 18 and len(best[0]) != 18):
            best = (text or None, conf)
    return best[0], best[1], False


def _parse_cn_date(text: str) -> dt.date | None:
    numbers = re.findall(r"\d+", text)
    if len(numbers) < 3 or len(numbers[0]) != 4:
        return None
    try:
        return dt.date(int(numbers[0]), int(numbers[1]), int(numbers[2]))
    except ValueError:
        return None


def _snap_ethnicity(text: str) -> tuple[str | None, float]:
    """The group named, and a factor on the confidence: 1 exact, 0.8 corrected."""
    text = text.removesuffix("族")
    if text in CN_ETHNICITIES:
        return text, 1.0
    found = process.extractOne(text, CN_ETHNICITIES, scorer=fuzz.ratio, score_cutoff=50)
    return (found[0], 0.8) if found else (None, 0.0)


def _raise(conf: float, weight: float) -> float:
    """Move a confidence ``weight`` of the way towards certainty (validation agrees)."""
    return conf + (1.0 - conf) * weight


def read_cn_id_front(image: Image, *, ocr: Ocr | None = None) -> VisualRead:
    """Read the front of a Chinese resident ID card from an RGB photo or scan."""
    reader = ocr or TesseractOcr()
    region = find_document(image)
    width = round(_CARD_MM[0] * _PX_PER_MM)
    card = warp_document(image, region, width=width, aspect=_CARD_MM[0] / _CARD_MM[1])
    notes: list[str] = []
    crops = {name: _cut(card, *_BOXES[name]) for name in _BOXES if name != "id_number"}
    # Second looks at the short fields, binarised: the card's pattern sometimes hides a
    # glyph from the grey read. The more confident read of the two is kept.
    rows = [*crops.items()] + [(f"{k}~", _binarise(crops[k])) for k in ("name", "sex", "ethnicity")]
    # Names are the hardest field (any of thousands of glyphs, no context): a third look
    # at a smaller scale.
    rows.append(("name~~", _cut(card, _BOXES["name"][0], _BOXES["name"][1] * 1.25)))
    words = _read_rows(reader, rows, lang="chi_sim")

    def han(key: str) -> tuple[str, float]:
        reads = [_han(words[k]) for k in (key, f"{key}~", f"{key}~~") if k in words]
        return max(reads, key=lambda r: (bool(r[0]), r[1]))

    name, name_conf = han("name")
    sex_text, sex_conf = han("sex")
    sex = "男" if "男" in sex_text else "女" if "女" in sex_text else None
    eth_text, eth_conf = han("ethnicity")
    ethnicity, factor = _snap_ethnicity(eth_text)
    eth_conf *= factor
    birth = _parse_cn_date("".join(w.text for w in words["birth_date"]))
    birth_conf = _mean_conf(words["birth_date"]) if birth else 0.0
    address, addr_conf = _han_and_digits(words["address"])
    number, num_conf, checksum_ok = _read_number(card, reader)

    fields: dict[str, VisualField] = {}
    encoded_birth = cn.ric_birth_date(number) if number and checksum_ok else None
    encoded_sex = None
    if encoded_birth is not None and number is not None:
        num_conf = _raise(num_conf, 0.8)
        encoded_sex = "男" if int(number[16]) % 2 else "女"
    elif number is not None:
        num_conf *= 0.3
        notes.append("id_number_checksum_failed")
    fields["id_number"] = VisualField(number, num_conf)
    fields["name"] = VisualField(name or None, name_conf if name else 0.0)
    fields["ethnicity"] = VisualField(ethnicity, eth_conf)
    fields["birth_date"] = _agree(
        birth.isoformat() if birth else None,
        birth_conf,
        encoded_birth.isoformat() if encoded_birth else None,
        num_conf,
        notes,
        "birth_date",
    )
    fields["sex"] = _agree(sex, sex_conf, encoded_sex, num_conf, notes, "sex")
    if address and number and checksum_ok and address.startswith(CN_PROVINCES.get(number[:2], "-")):
        addr_conf = _raise(addr_conf, 0.3)
    fields["address"] = VisualField(address or None, addr_conf if address else 0.0)
    return VisualRead(
        kind="cn_id_front", fields=fields, document=_cn_document(fields), notes=tuple(notes)
    )


def _han_and_digits(words: Sequence[Word]) -> tuple[str, float]:
    kept = [w for w in words if re.search(r"[\u3400-\u9fff0-9]", w.text)]
    text = "".join(re.sub(r"[^\u3400-\u9fff0-9A-Za-z·\-]", "", w.text) for w in kept)
    return unicodedata.normalize("NFKC", text), _mean_conf(kept)


def _agree(
    read: str | None,
    read_conf: float,
    encoded: str | None,
    encoded_conf: float,
    notes: list[str],
    name: str,
) -> VisualField:
    """A printed value checked against the one the ID number encodes."""
    if encoded is None:
        return VisualField(read, read_conf if read else 0.0)
    if read is None:
        return VisualField(encoded, 0.6 * encoded_conf, source="id_number")
    if read == encoded:
        return VisualField(read, _raise(max(read_conf, encoded_conf), 0.8))
    notes.append(f"{name}_disagrees_with_id_number")
    return VisualField(read, read_conf * 0.4)


def _cn_document(fields: Mapping[str, VisualField]) -> DocumentFields:
    name = fields["name"].value
    surname, given = split_chinese_name(name) if name else (None, None)
    birth = fields["birth_date"].value
    sex = fields["sex"].value
    return DocumentFields(
        document_type=DocumentType.ID_CARD,
        issuing_country="CHN",
        nationality="CHN",
        surname=surname,
        given_names=given or None,
        birth_date=dt.date.fromisoformat(birth) if birth else None,
        sex={"男": "M", "女": "F"}.get(sex or ""),
        personal_number=fields["id_number"].value,
    )


# ---------------------------------------------------------------------------------------------
# Passports without a readable MRZ

_CAPTIONS: Final[dict[str, tuple[str, ...]]] = {
    "surname": ("surname", "nom", "apellidos"),
    "given_names": ("given names", "given name", "prenoms", "prenom", "nombres"),
    "birth_date": ("date of birth", "date de naissance", "birth"),
    "expiry_date": ("date of expiry", "date d'expiration", "expiry", "expiration", "valid until"),
    "document_number": (
        "passport no", "passport number", "document no", "document number", "no du passeport",
        "n du passeport", "n de passeport",
    ),
    "sex": ("sex", "sexe"),
    "nationality": ("nationality", "nationalite"),
}  # fmt: skip
_ANY_CAPTION: Final = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(c)
        for c in sorted({c for cs in _CAPTIONS.values() for c in cs}, key=len, reverse=True)
    )
    + r")\b\.?"
)
_MONTH_NAMES: Final = (
    "JAN", "FEB FEV", "MAR", "APR AVR", "MAY MAI", "JUN JUIN", "JUL JUIL", "AUG AOU AOUT",
    "SEP", "OCT", "NOV", "DEC",
)  # fmt: skip
_MONTHS: Final = {m: i + 1 for i, names in enumerate(_MONTH_NAMES) for m in names.split()}
_DATE_WORDS: Final = re.compile(r"(\d{1,2})\s*([A-Z]{3,4})[A-Z/ ]*?\s*(\d{4}|\d{2})\b")
_DATE_DIGITS: Final = re.compile(r"(\d{1,2})[./\- ](\d{1,2})[./\- ](\d{4})")


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    confidence: float
    box: tuple[int, int, int, int]  # left, top, right, bottom


def _lines(words: Sequence[Word]) -> list[_Line]:
    groups: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        groups.setdefault(w.line, []).append(w)
    out = []
    for ws in groups.values():
        ws.sort(key=lambda w: w.box[0])
        left = min(w.box[0] for w in ws)
        top = min(w.box[1] for w in ws)
        right = max(w.box[0] + w.box[2] for w in ws)
        bottom = max(w.box[1] + w.box[3] for w in ws)
        text = " ".join(w.text for w in ws)
        out.append(_Line(text, _mean_conf(ws), (left, top, right, bottom)))
    return sorted(out, key=lambda ln: (ln.box[1], ln.box[0]))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def parse_visual_date(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """``12 AUG 1974``, ``12 AOUT/AUG 74``, ``12.08.1974``; None otherwise.

    A two-digit year is put in the century that makes it at most ten years after
    ``today`` (default: the current date), which suits birth and expiry dates alike.
    """
    upper = _fold(text).upper()
    found = _DATE_WORDS.search(upper)
    month = _MONTHS.get(found[2], _MONTHS.get(found[2][:3], 0)) if found else 0
    try:
        if found and month:
            year = int(found[3])
            if year < 100:  # two digits: the century that does not put it far in the future
                pivot = (today or dt.date.today()).year % 100 + 10
                year += 2000 if year <= pivot else 1900
            return dt.date(year, month, int(found[1]))
        digits = _DATE_DIGITS.search(upper)
        if digits:
            return dt.date(int(digits[3]), int(digits[2]), int(digits[1]))
    except ValueError:
        return None
    return None


def _caption_pattern(key: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(c) for c in _CAPTIONS[key]) + r")\b")


def _leftover(text: str) -> str:
    """What is left of a caption line once every caption and separator is taken out."""
    return re.sub(r"[\s/.:|()'-]+", " ", _ANY_CAPTION.sub(" ", _fold(text))).strip()


def _value_after(caption: _Line, lines: Sequence[_Line], key: str) -> _Line | None:
    """The value of a caption: the rest of its line, else the nearest line under it."""
    found = _caption_pattern(key).search(_fold(caption.text))
    if found is not None:
        # Bilingual captions ("Surname / Nom") leave the other language behind: only what
        # is not a caption at all can be the value.
        rest = re.sub(r"^[\s/.:|]+", "", caption.text[found.end() :])
        if _leftover(rest) and _ANY_CAPTION.search(_fold(rest)) is None:
            return _Line(rest, caption.confidence, caption.box)
    height = caption.box[3] - caption.box[1]
    best, best_dy = None, 3.5 * height
    for line in lines:
        dy = line.box[1] - caption.box[3]
        overlaps = line.box[0] < caption.box[2] + 2 * height and line.box[2] > caption.box[0]
        aligned = abs(line.box[0] - caption.box[0]) < 6 * height
        if 0 <= dy < best_dy and overlaps and aligned and _leftover(line.text):
            best, best_dy = line, dy
    return best


def _below(gray: Image, caption: _Line) -> Image:
    """The band under a caption where ICAO layouts print its value."""
    left, top, right, bottom = caption.box
    h = bottom - top
    x0, x1 = max(0, left - h), min(gray.shape[1], max(right + 2 * h, left + 16 * h))
    y0, y1 = bottom + max(1, h // 5), min(gray.shape[0], bottom + round(2.4 * h))
    crop = gray[y0:y1, x0:x1]
    if crop.size == 0:
        return np.full((8, 8), 255, np.uint8)
    return np.asarray(cv2.copyMakeBorder(crop, 8, 8, 8, 8, cv2.BORDER_REPLICATE), np.uint8)


def read_passport_visual(
    image: Image, *, ocr: Ocr | None = None, today: dt.date | None = None
) -> VisualRead:
    """Best effort: fields of a passport data page read by their captions (English/French).

    A sparse read of the page finds the captions (and most values); the band under each
    caption is then read again on its own, as a sparse read drops short or lone words.
    The candidate that parses, with the higher confidence, is kept.
    """
    reader = ocr or TesseractOcr()
    gray = to_gray(image)
    if max(gray.shape) < 1600:  # small captions need the pixels
        factor = 1600 / max(gray.shape)
        size = (round(gray.shape[1] * factor), round(gray.shape[0] * factor))
        gray = np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC), np.uint8)
    lines = _lines(reader.words(gray, lang="eng", psm=11))
    captions: dict[str, _Line] = {}
    for key in _CAPTIONS:
        pattern = _caption_pattern(key)
        found = next((ln for ln in lines if pattern.search(_fold(ln.text))), None)
        if found is not None:
            captions[key] = found
    again = _read_rows(reader, [(k, _below(gray, c)) for k, c in captions.items()], lang="eng")
    fields: dict[str, VisualField] = {}
    for key, caption in captions.items():
        candidates: list[VisualField] = []
        sparse = _value_after(caption, lines, key)
        if sparse is not None:
            parsed = _passport_value(key, sparse.text, today)
            if parsed is not None:
                candidates.append(VisualField(parsed, sparse.confidence))
        rows = _lines(again.get(key, []))
        if rows:
            parsed = _passport_value(key, rows[0].text, today)
            if parsed is not None:
                candidates.append(VisualField(parsed, rows[0].confidence))
        if len(candidates) == 2 and candidates[1].value and candidates[0].value:
            short, long = sorted(candidates, key=lambda f: len(f.value or ""))
            if (long.value or "").startswith(short.value or "") and short.value != long.value:
                candidates = [long]  # a sparse read that dropped the end of a name
        if candidates:
            fields[key] = max(candidates, key=lambda f: f.confidence)
    doc = DocumentFields(
        document_type=DocumentType.PASSPORT,
        surname=_get(fields, "surname"),
        given_names=_get(fields, "given_names"),
        document_number=_get(fields, "document_number"),
        nationality=None,  # printed as a word ("FRANCAISE"), not a code: left to the MRZ
        birth_date=_date_or_none(_get(fields, "birth_date")),
        expiry_date=_date_or_none(_get(fields, "expiry_date")),
        sex=_get(fields, "sex"),
    )
    return VisualRead(kind="passport", fields=fields, document=doc)


def _get(fields: Mapping[str, VisualField], key: str) -> str | None:
    f = fields.get(key)
    return f.value if f else None


def _date_or_none(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _passport_value(key: str, text: str, today: dt.date | None) -> str | None:
    text = text.strip()
    if key in ("birth_date", "expiry_date"):
        found = parse_visual_date(text, today=today)
        return found.isoformat() if found else None
    if key == "sex":
        letter = re.search(r"(?<![A-Z])([MFX])(?![A-Z])", text.upper().replace("XX", "X"))
        return letter[1] if letter else None
    if key == "document_number":
        # ICAO document numbers carry at least one digit; words like PASSEPORT do not.
        tokens = [t for t in re.findall(r"[A-Z0-9]{5,12}", text.upper()) if re.search(r"\d", t)]
        return max(tokens, key=len, default=None)
    if key in ("surname", "given_names"):
        name = re.sub(r"[^A-Z' \-]", "", _fold(text).upper()).strip()
        return " ".join(name.split()) or None
    return text or None
