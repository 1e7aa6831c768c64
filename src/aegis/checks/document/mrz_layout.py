"""ICAO 9303 layouts (Parts 4 to 7): where each field sits, check digits, dates, composing.

Positions below are 0-based cells ``(line, column)``; the standard counts from 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from aegis.checks.document.fields import DocumentFields

FILLER = "<"
ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
_WEIGHTS = (7, 3, 1)

Cell = tuple[int, int]


class MrzFormat(StrEnum):
    TD1 = "TD1"  # ID cards: 3 lines of 30
    TD2 = "TD2"  # ID cards and travel documents: 2 lines of 36
    TD3 = "TD3"  # passports: 2 lines of 44
    MRV_A = "MRV-A"  # visas: 2 lines of 44
    MRV_B = "MRV-B"  # visas: 2 lines of 36


SHAPES: dict[MrzFormat, tuple[int, int]] = {
    MrzFormat.TD1: (3, 30),
    MrzFormat.TD2: (2, 36),
    MrzFormat.TD3: (2, 44),
    MrzFormat.MRV_A: (2, 44),
    MrzFormat.MRV_B: (2, 36),
}


class MrzFormatError(ValueError):
    """Text that cannot be an MRZ of any ICAO 9303 layout, or fields that cannot be encoded."""


def char_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == FILLER:
        return 0
    raise MrzFormatError("not an MRZ character")


def check_digit(data: str) -> str:
    """ICAO 9303 Part 3 check digit: weights 7, 3, 1 repeating, sum modulo 10."""
    return str(sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(data)) % 10)


def verify(data: str, digit: str) -> bool:
    return digit.isdigit() and check_digit(data) == digit


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """Where every field of one MRZ sits. Built per text because of long document numbers."""

    name: tuple[Cell, ...]
    sex: Cell
    document_number: tuple[Cell, ...]
    # Fields whose characters are digits only (dates, check digits); '<' stays allowed.
    digit_fields: dict[str, tuple[Cell, ...]]
    # Letters only: document code, states ('<' allowed).
    alpha_fields: dict[str, tuple[Cell, ...]]
    # Either class: the document number and optional data, settled by check digits.
    alnum_fields: dict[str, tuple[Cell, ...]]
    optional_parts: tuple[tuple[Cell, ...], ...]
    checked: dict[str, tuple[tuple[Cell, ...], Cell]]
    composite: tuple[tuple[Cell, ...], Cell] | None


def _span(line: int, start: int, stop: int) -> tuple[Cell, ...]:
    return tuple((line, col) for col in range(start, stop))


def _overflow(grid: Sequence[Sequence[str]], line: int, start: int, stop: int) -> int:
    """Length of a long document number's overflow plus its check digit (0 if none)."""
    length = 0
    while start + length < stop and grid[line][start + length] != FILLER:
        length += 1
    return length if length >= 2 else 0


def layout(fmt: MrzFormat, grid: Sequence[Sequence[str]]) -> Layout:
    if fmt is MrzFormat.TD1:
        return _layout_td1(grid)
    width = SHAPES[fmt][1]
    # Only the first character of the document code is a letter by rule: the second is the
    # issuer's (the US resident card's "C1").
    top = {
        "document_code": _span(0, 0, 1),
        "issuing_country": _span(0, 2, 5),
        "nationality": _span(1, 10, 13),
    }
    number, number_cd = _span(1, 0, 9), (1, 9)
    opt_start, opt_stop = 28, width
    if fmt is MrzFormat.TD3:
        opt_stop = 42
    elif fmt is MrzFormat.TD2:
        opt_stop = 35
    optional = _span(1, opt_start, opt_stop)
    digits = {
        "birth_date": _span(1, 13, 19),
        "birth_date_check": ((1, 19),),
        "expiry_date": _span(1, 21, 27),
        "expiry_date_check": ((1, 27),),
    }
    # ICAO 9303 Part 6: a TD2 number longer than 9 runs on into the optional data, with a
    # filler where its check digit would be.
    extra = _overflow(grid, 1, opt_start, opt_stop) if fmt is MrzFormat.TD2 else 0
    if extra and grid[1][9] == FILLER:
        number = number + _span(1, opt_start, opt_start + extra - 1)
        number_cd = (1, opt_start + extra - 1)
        optional = _span(1, min(opt_start + extra + 1, opt_stop), opt_stop)
    digits["document_number_check"] = (number_cd,)
    checked = {
        "document_number": (number, number_cd),
        "birth_date": (digits["birth_date"], (1, 19)),
        "expiry_date": (digits["expiry_date"], (1, 27)),
    }
    composite = None
    if fmt is MrzFormat.TD3:
        checked["optional"] = (_span(1, 28, 42), (1, 42))
        digits["optional_check"] = ((1, 42),)
        composite = (_span(1, 0, 10) + _span(1, 13, 20) + _span(1, 21, 43), (1, 43))
    elif fmt is MrzFormat.TD2:
        composite = (_span(1, 0, 10) + _span(1, 13, 20) + _span(1, 21, 35), (1, 35))
    return Layout(
        name=_span(0, 5, width),
        sex=(1, 20),
        document_number=number,
        digit_fields=digits,
        alpha_fields=top,
        alnum_fields={"document_number": number, "optional": optional},
        optional_parts=(optional,),
        checked=checked,
        composite=composite,
    )


def _layout_td1(grid: Sequence[Sequence[str]]) -> Layout:
    number, number_cd = _span(0, 5, 14), (0, 14)
    optional1 = _span(0, 15, 30)
    # ICAO 9303 Part 5, note j: the long document number convention.
    extra = _overflow(grid, 0, 15, 30)
    if extra and grid[0][14] == FILLER:
        number = number + _span(0, 15, 15 + extra - 1)
        number_cd = (0, 15 + extra - 1)
        optional1 = _span(0, min(15 + extra + 1, 30), 30)
    optional2 = _span(1, 18, 29)
    digits = {
        "document_number_check": (number_cd,),
        "birth_date": _span(1, 0, 6),
        "birth_date_check": ((1, 6),),
        "expiry_date": _span(1, 8, 14),
        "expiry_date_check": ((1, 14),),
    }
    return Layout(
        name=_span(2, 0, 30),
        sex=(1, 7),
        document_number=number,
        digit_fields=digits,
        alpha_fields={
            "document_code": _span(0, 0, 1),
            "issuing_country": _span(0, 2, 5),
            "nationality": _span(1, 15, 18),
        },
        alnum_fields={"document_number": number, "optional": optional1, "optional2": optional2},
        optional_parts=(optional1, optional2),
        checked={
            "document_number": (number, number_cd),
            "birth_date": (digits["birth_date"], (1, 6)),
            "expiry_date": (digits["expiry_date"], (1, 14)),
        },
        composite=(_span(0, 5, 30) + _span(1, 0, 7) + _span(1, 8, 15) + _span(1, 18, 29), (1, 29)),
    )


# --- dates ------------------------------------------------------------------------------


def _ymd(text: str) -> tuple[int, int, int] | None:
    if len(text) != 6 or not text.isdigit():
        return None
    return int(text[:2]), int(text[2:4]), int(text[4:])


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def resolve_birth(text: str, today: dt.date) -> dt.date | None:
    """The latest century that does not put the birth in the future."""
    parts = _ymd(text)
    if parts is None:
        return None
    yy, month, day = parts
    for century in (today.year // 100 * 100, today.year // 100 * 100 - 100):
        found = _date(century + yy, month, day)
        if found is not None and found <= today:
            return found
    return None


def resolve_expiry(text: str, today: dt.date) -> dt.date | None:
    """The century that puts the year within 50 years either side of today, leaning
    forward: documents are valid for years ahead and are seldom presented decades expired."""
    parts = _ymd(text)
    if parts is None:
        return None
    yy, month, day = parts
    base = today.year // 100 * 100
    for year in (base - 100 + yy, base + yy, base + 100 + yy):
        if today.year - 50 < year <= today.year + 50:
            return _date(year, month, day)
    return None


# --- composing --------------------------------------------------------------------------


def _text(value: str | None, width: int, what: str) -> str:
    text = (value or "").upper().replace(" ", FILLER).replace("-", FILLER)
    if not set(text) <= ALPHABET:
        raise MrzFormatError(f"{what} has characters an MRZ cannot hold")
    if len(text) > width:
        raise MrzFormatError(f"{what} is longer than {width} characters")
    return text.ljust(width, FILLER)


def _name_field(surname: str | None, given: str | None, width: int) -> str:
    def clean(part: str | None) -> str:
        text = (part or "").upper().replace("'", "")
        text = FILLER.join(text.replace("-", " ").replace(",", " ").split())
        if not set(text) <= ALPHABET:
            raise MrzFormatError("names must be transliterated to A-Z first")
        return text

    full = clean(surname)
    if given:
        full += FILLER * 2 + clean(given)
    return full[:width].ljust(width, FILLER)


def _mrz_date(value: dt.date | None) -> str:
    return value.strftime("%y%m%d") if value else FILLER * 6


def _sex(value: str | None) -> str:
    return {"M": "M", "F": "F"}.get(value or "", FILLER)


def _with_check(text: str) -> str:
    return text + check_digit(text)


def _line1(fields: DocumentFields, default_code: str, width: int) -> str:
    code = _text(fields.document_code or default_code, 2, "document code")
    return (
        code
        + _text(fields.issuing_country, 3, "issuing country")
        + _name_field(fields.surname, fields.given_names, width - 5)
    )


def _number_and_overflow(number: str | None, opt_width: int) -> tuple[str, str]:
    """The 10 characters of number plus check digit, and what runs on into optional data."""
    text = _text(number, max(len(number or ""), 9), "document number")
    if len(text) <= 9:
        return _with_check(text), ""
    overflow = text[9:] + check_digit(text) + FILLER
    if len(overflow) > opt_width:
        raise MrzFormatError("document number is too long for this format")
    return text[:9] + FILLER, overflow


def _dates_and_sex(fields: DocumentFields) -> str:
    return (
        _with_check(_mrz_date(fields.birth_date))
        + _sex(fields.sex)
        + _with_check(_mrz_date(fields.expiry_date))
    )


def compose_td3(fields: DocumentFields) -> tuple[str, str]:
    number = _text(fields.document_number, 9, "document number")
    personal = _text(fields.personal_number or fields.optional_data, 14, "personal number")
    personal_cd = check_digit(personal) if personal.strip(FILLER) else FILLER
    body = (
        _with_check(number)
        + _text(fields.nationality, 3, "nationality")
        + _dates_and_sex(fields)
        + personal
        + personal_cd
    )
    return _line1(fields, "P", 44), body + check_digit(body[0:10] + body[13:20] + body[21:43])


def compose_td2(fields: DocumentFields) -> tuple[str, str]:
    number, overflow = _number_and_overflow(fields.document_number, 7)
    optional = _text(overflow + (fields.optional_data or ""), 7, "optional data")
    body = number + _text(fields.nationality, 3, "nationality") + _dates_and_sex(fields) + optional
    return _line1(fields, "I", 36), body + check_digit(body[0:10] + body[13:20] + body[21:35])


def compose_td1(fields: DocumentFields) -> tuple[str, str, str]:
    number, overflow = _number_and_overflow(fields.document_number, 15)
    first, _, second = (fields.optional_data or "").partition(" ")
    line1 = (
        _text(fields.document_code or "I", 2, "document code")
        + _text(fields.issuing_country, 3, "issuing country")
        + number
        + _text(overflow + first, 15, "optional data")
    )
    line2 = (
        _dates_and_sex(fields)
        + _text(fields.nationality, 3, "nationality")
        + _text(second, 11, "optional data")
    )
    line2 += check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    return line1, line2, _name_field(fields.surname, fields.given_names, 30)


def _compose_visa(fields: DocumentFields, width: int) -> tuple[str, str]:
    number = _text(fields.document_number, 9, "document number")
    body = (
        _with_check(number)
        + _text(fields.nationality, 3, "nationality")
        + _dates_and_sex(fields)
        + _text(fields.optional_data, width - 28, "optional data")
    )
    return _line1(fields, "V", width), body


def compose_mrva(fields: DocumentFields) -> tuple[str, str]:
    return _compose_visa(fields, 44)


def compose_mrvb(fields: DocumentFields) -> tuple[str, str]:
    return _compose_visa(fields, 36)


def compose_mrz(fields: DocumentFields, fmt: MrzFormat) -> tuple[str, ...]:
    composers = {
        MrzFormat.TD1: compose_td1,
        MrzFormat.TD2: compose_td2,
        MrzFormat.TD3: compose_td3,
        MrzFormat.MRV_A: compose_mrva,
        MrzFormat.MRV_B: compose_mrvb,
    }
    return composers[fmt](fields)
