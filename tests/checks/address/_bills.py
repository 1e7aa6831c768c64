"""Synthetic utility bills and bank statements, drawn with Pillow for the OCR tests.

The people, companies, accounts and addresses are invented. Fonts come from the machine
(DejaVu for Latin text, any font fontconfig lists for Chinese); a test that needs a missing
font skips with the reason.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from aegis.checks.address import PoaAddress, PoaApplicant


@dataclass(frozen=True, kw_only=True)
class Person:
    applicant: PoaApplicant
    name_line: str  # as the bill prints the name
    address_lines: tuple[str, ...]  # as the bill prints the address


JOHN = Person(
    applicant=PoaApplicant(
        name="John Smith",
        address=PoaAddress(
            lines=("Apartment 3", "12 Baker Street"),
            city="London",
            postcode="NW1 6XE",
            country="GB",
        ),
    ),
    name_line="Mr J. SMITH",
    address_lines=("Flat 3, 12 Baker St", "LONDON", "NW1 6XE"),
)
EMILY = Person(
    applicant=PoaApplicant(
        name="Emily Rose Clarke",
        address=PoaAddress(
            lines=("27 Rose Lane", "Apt 4B"), city="Manchester", postcode="M1 4BT", country="GB"
        ),
    ),
    name_line="Ms Emily Clarke",
    address_lines=("Apartment 4B, 27 Rose Lane", "Manchester M1 4BT"),
)
ZHANG = Person(
    applicant=PoaApplicant(
        name="Zhang Wei",
        native_name="张伟",
        address=PoaAddress(lines=("广东省深圳市南山区科技园路1号2栋301室",), country="CN"),
    ),
    name_line="户名：张伟",
    address_lines=("地址：深圳市南山区科技园路1号2栋301室",),
)


def utility_bill(person: Person, issued: date | None) -> list[str]:
    lines = ["NORTHWIND ENERGY LTD", "Electricity bill"]
    if issued is not None:
        lines.append(f"Statement date: {issued.day} {issued:%B %Y}")
    lines += ["Account number: 4417 2290 8812", person.name_line, *person.address_lines]
    lines += [
        "Billing period: 01/09/2026 - 30/09/2026" if issued is not None else "Your usage",
        "Electricity used 312 kWh        GBP 84.20",
        "Standing charge 30 days         GBP 9.61",
        "Total to pay                    GBP 93.81",
    ]
    if issued is not None:
        lines.append("Payment due date: 20/10/2026")
    lines.append("Customer service 0800 123 4567")
    return lines


def bank_statement(person: Person, issued: date) -> list[str]:
    return [
        "HARBOUR BANK PLC",
        "Current account statement",
        person.name_line,
        *person.address_lines,
        f"Statement date {issued:%Y-%m-%d}",
        "Statement period 1 Sep 2026 to 28 Sep 2026",
        "Sort code 20-00-00    Account 12345678",
        "Opening balance                 1,204.33",
        "Card payment GROCER             -45.10",
        "Salary ACME LTD                 2,310.00",
        "Closing balance                 3,469.23",
    ]


def cn_bill(person: Person, issued: date) -> list[str]:
    return [
        "南方电网 深圳供电局",
        "电费通知单",
        person.name_line,
        "户号：0301 2233 4455",
        *person.address_lines,
        f"账单日期：{issued.year}年{issued.month}月{issued.day}日",
        "计费周期：2026年9月1日至2026年9月30日",
        "本期电量：256 千瓦时",
        "应缴金额：158.60 元",
        "缴费截止日期：2026年10月20日",
    ]


def _fc(*args: str) -> str:
    try:
        done = subprocess.run(["fc-list", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout


@cache
def latin_font_path() -> str | None:
    for line in _fc(":family=DejaVu Sans:style=Book", "file").splitlines():
        return line.split(":")[0].strip()
    return None


@cache
def cjk_font_path() -> str | None:
    files = sorted(line.split(":")[0].strip() for line in _fc(":lang=zh", "file").splitlines())
    return files[0] if files else None


def render(lines: list[str], *, cjk: bool = False, size: int = 26) -> Image.Image:
    """White page, black text, 150 dpi-ish: 26 px is 12.5 pt."""
    path = cjk_font_path() if cjk else latin_font_path()
    assert path is not None, "callers skip when the font is missing"
    font = ImageFont.truetype(path, size)
    step = round(size * 1.7)
    image = Image.new("L", (1240, 120 + step * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((90, 60 + i * step), line, fill=0, font=font)
    return image


def degrade(image: Image.Image) -> Image.Image:
    """A phone photo of a flat bill: a little turned, softer, smaller."""
    turned = image.rotate(1.5, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=235)
    soft = turned.filter(ImageFilter.GaussianBlur(0.7))
    return soft.resize((round(soft.width * 0.8), round(soft.height * 0.8)))


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()
