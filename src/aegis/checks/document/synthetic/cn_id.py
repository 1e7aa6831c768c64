"""Synthetic fronts (人像面) of the second-generation Chinese resident ID card, and bad copies.

The card is drawn to the layout of the real one (ISO/IEC 7810 ID-1, 85.6 x 54 mm): blue labels
on the left, black values after them, the portrait on the right and the 18-character number at
the bottom. Everything is fiction: made-up names and addresses, valid but random ID numbers, a
grey silhouette instead of a face. Each card is a pure function of its seed, so tests and the
quality calibration can name the exact card they mean.

The degrade helpers make the copies the quality check must catch (blurred, glared, dark, cut
off, too small) and the "photo of a card on a table" a phone would produce. They work on
RGB ``numpy`` arrays and draw randomness only from the generator they are given.

Drawing Chinese needs a CJK font: Debian's ``fonts-wqy-microhei`` or ``fonts-noto-cjk``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont
from stdnum.cn import ric

from aegis.checks.document.fields import DocumentFields, DocumentType
from aegis.checks.document.validity import split_chinese_name

RGB = npt.NDArray[np.uint8]

CARD_MM = (85.6, 54.0)

# Region codes python-stdnum knows for every birth year drawn (1950-2004), so every
# number passes the ID-number check without a reviewer.
_REGIONS: dict[str, str] = {
    "110101": "北京市东城区",
    "110105": "北京市朝阳区",
    "310104": "上海市徐汇区",
    "320102": "江苏省南京市玄武区",
    "330106": "浙江省杭州市西湖区",
    "420106": "湖北省武汉市武昌区",
    "440106": "广东省广州市天河区",
    "440305": "广东省深圳市南山区",
    "500103": "重庆市渝中区",
    "510107": "四川省成都市武侯区",
    "610113": "陕西省西安市雁塔区",
    "210102": "辽宁省沈阳市和平区",
}
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "司徒", "慕容")
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉建国红梅海波鹏飞宇浩然志"
    "远俊博子涵欣怡雨萱晨阳思远佳琪梓轩一鸣晓东立新春燕秋菊德胜永安嘉怡"
)
_ETHNICITIES = ("汉",) * 12 + ("回", "满", "壮", "苗", "蒙古", "维吾尔", "土家", "朝鲜")
_STREETS = ("建国路", "人民路", "解放大道", "中山北路", "长江路", "和平街", "文化路", "光明巷")
_UNITS = ("号院", "号", "弄")

# Layout in millimetres from the card's top-left corner, after the real card's proportions.
# The reader (``visual._BOXES``) keeps its own boxes, with slack, so the two can drift apart
# only as far as a real card would.
LABEL_X = 5.5
VALUE_X = 15.0
NAME_Y = 6.5
SEX_Y = 13.5
ETHNICITY_LABEL_X = 27.0
ETHNICITY_X = 36.0
BIRTH_Y = 20.5
ADDRESS_Y = 27.5
ADDRESS_LINE = 4.6
ADDRESS_CHARS = 11  # characters a line holds before the card wraps the address
NUMBER_Y = 44.5
NUMBER_X = 27.5
PORTRAIT_BOX = (55.0, 6.0, 80.5, 38.5)
LABEL_MM = 2.8  # glyph height of labels
VALUE_MM = 3.2
NAME_MM = 3.8
NUMBER_MM = 3.6

_LABEL_INK = (40, 110, 170)
_VALUE_INK = (20, 20, 20)


class FontMissing(RuntimeError):
    """No CJK font is installed (Debian: fonts-wqy-microhei or fonts-noto-cjk)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CnIdCard:
    """What is printed on one synthetic card: the ground truth of every test."""

    name: str
    sex: str  # 男 or 女
    ethnicity: str
    birth_date: dt.date
    address: str
    id_number: str

    @property
    def sex_code(self) -> str:
        return "M" if self.sex == "男" else "F"

    def to_fields(self) -> DocumentFields:
        surname, given = split_chinese_name(self.name)
        return DocumentFields(
            document_type=DocumentType.ID_CARD,
            issuing_country="CHN",
            nationality="CHN",
            surname=surname,
            given_names=given,
            birth_date=self.birth_date,
            sex=self.sex_code,
            personal_number=self.id_number,
        )


def make_card(seed: int) -> CnIdCard:
    """A deterministic, internally consistent card: the number encodes the birth date and sex."""
    rnd = random.Random(seed)  # noqa: S311 - fiction, not secrets
    surname = rnd.choice(_COMPOUND_SURNAMES) if rnd.random() < 0.05 else rnd.choice(_SURNAMES)
    given = "".join(rnd.choice(_GIVEN) for _ in range(rnd.choice((1, 2, 2, 2))))
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rnd.randrange(0, 365 * 55))
    male = rnd.random() < 0.5
    region = rnd.choice(sorted(_REGIONS))
    seq = rnd.randrange(0, 500) * 2 + (1 if male else 0)  # odd sequence: male (GB 11643)
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    street = rnd.choice(_STREETS)
    building, entrance = rnd.randrange(1, 30), rnd.randrange(1, 6)
    flat = rnd.randrange(1, 30) * 100 + rnd.randrange(1, 9)
    address = (
        f"{_REGIONS[region]}{street}{rnd.randrange(1, 300)}{rnd.choice(_UNITS)}"
        f"{building}号楼{entrance}单元{flat}室"
    )
    return CnIdCard(
        name=surname + given,
        sex="男" if male else "女",
        ethnicity=rnd.choice(_ETHNICITIES),
        birth_date=born,
        address=address,
        id_number=body + ric.calc_check_digit(body + "0"),  # stdnum skips the last char
    )


@cache
def cjk_font_path() -> Path:
    """A CJK font file, looked up in the usual Debian places."""
    patterns = ("**/wqy-microhei.ttc", "**/wqy-zenhei.ttc", "**/NotoSansCJK*.ttc")
    for root in (Path("/usr/share/fonts"), Path("/usr/local/share/fonts")):
        if root.is_dir():
            for pattern in patterns:
                found = sorted(root.glob(pattern))
                if found:
                    return found[0]
    raise FontMissing("install fonts-wqy-microhei or fonts-noto-cjk to draw Chinese text")


@cache
def _digit_font_path() -> Path | None:
    # The card prints its number in an OCR-B-like face; fonts-ocr-b is the closest free one.
    for candidate in sorted(Path("/usr/share/fonts").glob("**/OCRB.otf")):
        return candidate
    return None


@cache
def _font(size: int, *, digits: bool = False) -> ImageFont.FreeTypeFont:
    path = _digit_font_path() if digits else None
    return ImageFont.truetype(str(path or cjk_font_path()), size)


@dataclass(frozen=True, slots=True)
class _Ink:
    height_mm: float
    colour: tuple[int, int, int]
    digits: bool = False


_LABEL = _Ink(LABEL_MM, _LABEL_INK)
_VALUE = _Ink(VALUE_MM, _VALUE_INK)
_NAME = _Ink(NAME_MM, _VALUE_INK)
_NUMBER = _Ink(NUMBER_MM, _VALUE_INK, digits=True)


def _text(
    draw: ImageDraw.ImageDraw, scale: float, at_mm: tuple[float, float], text: str, ink: _Ink
) -> None:
    # Font size is the em box; CJK glyphs fill about 0.9 of it.
    font = _font(round(ink.height_mm * scale / 0.9), digits=ink.digits)
    draw.text((at_mm[0] * scale, at_mm[1] * scale), text, font=font, fill=ink.colour)


def _background(width: int, height: int, seed: int) -> Image.Image:
    """A pale, faintly patterned ground, like the card's guilloche print."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    rng = np.random.default_rng(seed)
    phase = float(rng.uniform(0, 6.28))
    wave = np.sin(xx / width * 40 + np.sin(yy / height * 9 + phase) * 3) * 4
    base = np.stack(
        [
            232 + wave + xx / width * 6,
            238 + wave,
            236 - wave + yy / height * 6,
        ],
        axis=-1,
    )
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")


def _portrait(draw: ImageDraw.ImageDraw, scale: float) -> None:
    x0, y0, x1, y1 = (v * scale for v in PORTRAIT_BOX)
    draw.rectangle((x0, y0, x1, y1), fill=(222, 226, 232))
    cx, w, h = (x0 + x1) / 2, x1 - x0, y1 - y0
    draw.ellipse((cx - w * 0.22, y0 + h * 0.15, cx + w * 0.22, y0 + h * 0.55), fill=(120, 120, 125))
    draw.chord(
        (x0 + w * 0.08, y0 + h * 0.6, x1 - w * 0.08, y1 + h * 0.35), 180, 360, fill=(120, 120, 125)
    )


def address_lines(address: str, per_line: int = ADDRESS_CHARS) -> list[str]:
    return [address[i : i + per_line] for i in range(0, len(address), per_line)][:3]


def render_front(card: CnIdCard, *, px_per_mm: float = 12.0, seed: int = 0) -> RGB:
    """The card's front as an RGB array, edge to edge (a perfect flat scan)."""
    scale = px_per_mm
    width, height = round(CARD_MM[0] * scale), round(CARD_MM[1] * scale)
    img = _background(width, height, seed)
    draw = ImageDraw.Draw(img)

    def put(x: float, y: float, text: str, ink: _Ink) -> None:
        _text(draw, scale, (x, y), text, ink)

    put(LABEL_X, NAME_Y + 0.6, "姓 名", _LABEL)
    put(VALUE_X, NAME_Y, card.name, _NAME)
    put(LABEL_X, SEX_Y, "性 别", _LABEL)
    put(VALUE_X, SEX_Y - 0.3, card.sex, _VALUE)
    put(ETHNICITY_LABEL_X, SEX_Y, "民 族", _LABEL)
    put(ETHNICITY_X, SEX_Y - 0.3, card.ethnicity, _VALUE)
    put(LABEL_X, BIRTH_Y, "出 生", _LABEL)
    born, y = card.birth_date, BIRTH_Y - 0.3
    put(VALUE_X, y, f"{born.year}", _VALUE)
    put(VALUE_X + 9.5, y, "年", _LABEL)
    put(VALUE_X + 14.0, y, f"{born.month}", _VALUE)
    put(VALUE_X + 18.0, y, "月", _LABEL)
    put(VALUE_X + 22.5, y, f"{born.day}", _VALUE)
    put(VALUE_X + 26.5, y, "日", _LABEL)
    put(LABEL_X, ADDRESS_Y, "住 址", _LABEL)
    for i, line in enumerate(address_lines(card.address)):
        put(VALUE_X, ADDRESS_Y - 0.3 + i * ADDRESS_LINE, line, _VALUE)
    put(LABEL_X, NUMBER_Y + 0.4, "公民身份号码", _LABEL)
    put(NUMBER_X, NUMBER_Y, card.id_number, _NUMBER)
    _portrait(draw, scale)
    return np.asarray(img, dtype=np.uint8).copy()


# ---------------------------------------------------------------------------------------------
# Degrading copies


def _u8(array: object) -> RGB:
    # OpenCV's stubs type every result as a generic Mat; the pixels are 8-bit here.
    return np.asarray(array, dtype=np.uint8)


def _table(shape: tuple[int, int], rng: np.random.Generator) -> RGB:
    """A darker, textured surface for the card to lie on (wood-ish noise, smooth light)."""
    h, w = shape
    tone = rng.uniform(60, 120, size=3)
    noise = cv2.GaussianBlur(rng.normal(0, 18, size=(h, w)).astype(np.float32), (0, 0), 3)
    light = np.linspace(-15, 15, w, dtype=np.float32)[None, :]
    out = tone[None, None, :] + (noise + light)[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def photo_of(
    card: RGB,
    rng: np.random.Generator,
    *,
    card_fraction: float = 0.7,
    tilt_deg: float = 4.0,
    perspective: float = 0.03,
    shift: tuple[float, float] = (0.0, 0.0),
) -> RGB:
    """The card lying on a table, photographed: it fills ``card_fraction`` of the width.

    ``shift`` moves the card by that fraction of the frame, so a large one pushes it past
    the edge (the cropped copies).
    """
    ch, cw = card.shape[:2]
    out_w = round(cw / card_fraction)
    out_h = round(out_w * 0.75)
    src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], dtype=np.float32)
    angle = np.deg2rad(rng.uniform(-tilt_deg, tilt_deg))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centred = (src - [cw / 2, ch / 2]) @ rot.T
    jitter = rng.uniform(-perspective, perspective, size=(4, 2)) * [cw, ch]
    centre = np.array([out_w / 2 + shift[0] * out_w, out_h / 2 + shift[1] * out_h])
    dst = np.asarray(centred + jitter + centre, dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    table = _table((out_h, out_w), rng)
    warped = cv2.warpPerspective(card, matrix, (out_w, out_h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((ch, cw), 255, np.uint8), matrix, (out_w, out_h))
    alpha = np.asarray(cv2.GaussianBlur(mask, (3, 3), 0), dtype=np.float32)[..., None] / 255
    return np.asarray(warped * alpha + table * (1 - alpha), dtype=np.uint8)


def blur(image: RGB, sigma: float) -> RGB:
    return _u8(cv2.GaussianBlur(image, (0, 0), sigma))


def motion_blur(image: RGB, length: int, angle_deg: float) -> RGB:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle_deg, 1.0)
    turned = np.asarray(cv2.warpAffine(kernel, rot, (length, length)), dtype=np.float32)
    return _u8(cv2.filter2D(image, -1, turned / max(float(turned.sum()), 1e-6)))


def noise(image: RGB, sigma: float, rng: np.random.Generator) -> RGB:
    noisy = image.astype(np.float32) + rng.normal(0, sigma, image.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def jpeg(image: RGB, quality: int) -> RGB:
    ok, data = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    decoded = _u8(cv2.imdecode(data, cv2.IMREAD_COLOR))
    return np.ascontiguousarray(decoded[..., ::-1])


def exposure(image: RGB, gain: float, gamma: float = 1.0) -> RGB:
    """Scale brightness (``gain`` < 1 darkens) and bend midtones (``gamma`` > 1 darkens)."""
    norm = image.astype(np.float32) / 255
    return np.clip((norm**gamma) * gain * 255, 0, 255).astype(np.uint8)


def wash_out(image: RGB, amount: float) -> RGB:
    """Veiling flare: every pixel pulled ``amount`` of the way to white (over-exposure)."""
    out = image.astype(np.float32) * (1 - amount) + 255 * amount
    return _u8(np.clip(out, 0, 255))


def glare(
    image: RGB,
    rng: np.random.Generator,
    *,
    area: float = 0.06,
    within: tuple[float, float, float, float] = (0.2, 0.2, 0.8, 0.8),
) -> RGB:
    """A specular hot spot: a saturated white ellipse covering ``area`` of the frame,
    fading out over a soft halo, centred at a random point of the ``within`` box."""
    h, w = image.shape[:2]
    cx = rng.uniform(within[0], within[2]) * w
    cy = rng.uniform(within[1], within[3]) * h
    aspect = rng.uniform(1.2, 2.2)
    ry = np.sqrt(area * w * h / (np.pi * aspect))
    rx = ry * aspect
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = np.sqrt(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)
    # Fully white inside the ellipse, a halo fading to nothing at twice its radius.
    strength = np.clip(2.0 - d, 0, 1) ** 1.5
    out = image.astype(np.float32) + (300 - image.astype(np.float32)) * strength[..., None]
    return _u8(np.clip(out, 0, 255))


def downscale(image: RGB, factor: float) -> RGB:
    h, w = image.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return _u8(cv2.resize(image, size, interpolation=cv2.INTER_AREA))


def crop(image: RGB, box: Sequence[float]) -> RGB:
    """The part of the image inside ``box`` = (left, top, right, bottom) as fractions."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box
    return image[round(y0 * h) : round(y1 * h), round(x0 * w) : round(x1 * w)].copy()
