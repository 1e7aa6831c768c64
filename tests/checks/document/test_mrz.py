"""ICAO 9303 MRZ core: specimens from the standard, check digits, OCR repairs, compose/parse."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aegis.checks.document.fields import DocumentFields, DocumentType
from aegis.checks.document.mrz import (
    MrzFormat,
    MrzFormatError,
    check_digit,
    compose_mrz,
    compose_td1,
    compose_td2,
    parse_mrz,
)

TODAY = dt.date(2025, 6, 1)

# The specimens printed in ICAO Doc 9303 (Parts 4 to 7).
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")
MRVA = (
    "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
)
MRVB = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX4009078F9612109<<<<<<<<")


def test_check_digits_of_the_icao_examples() -> None:
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"
    assert check_digit("ZE184226B<<<<<") == "1"
    assert check_digit("<<<<<<") == "0"


@pytest.mark.parametrize(
    ("lines", "fmt", "checks"),
    [
        (
            TD3,
            MrzFormat.TD3,
            {"document_number", "birth_date", "expiry_date", "optional", "composite"},
        ),
        (TD1, MrzFormat.TD1, {"document_number", "birth_date", "expiry_date", "composite"}),
        (TD2, MrzFormat.TD2, {"document_number", "birth_date", "expiry_date", "composite"}),
        (MRVA, MrzFormat.MRV_A, {"document_number", "birth_date", "expiry_date"}),
        (MRVB, MrzFormat.MRV_B, {"document_number", "birth_date", "expiry_date"}),
    ],
)
def test_icao_specimens_parse_valid(
    lines: tuple[str, ...], fmt: MrzFormat, checks: set[str]
) -> None:
    result = parse_mrz(lines, today=TODAY)
    assert result.format is fmt
    assert result.valid
    assert set(result.checks) == checks
    assert result.corrections == ()
    f = result.fields
    assert (f.surname, f.given_names, f.issuing_country) == ("ERIKSSON", "ANNA MARIA", "UTO")
    assert f.sex == "F"
    assert f.name_truncated is False


def test_td3_fields() -> None:
    f = parse_mrz(TD3, today=TODAY).fields
    assert f == DocumentFields(
        document_type=DocumentType.PASSPORT,
        document_code="P",
        issuing_country="UTO",
        surname="ERIKSSON",
        given_names="ANNA MARIA",
        document_number="L898902C3",
        nationality="UTO",
        birth_date=dt.date(1974, 8, 12),
        expiry_date=dt.date(2012, 4, 15),
        sex="F",
        optional_data="ZE184226B",
        personal_number="ZE184226B",
    )


def test_visa_fields() -> None:
    f = parse_mrz(MRVA, today=TODAY).fields
    assert f.document_type is DocumentType.VISA
    assert (f.document_number, f.nationality) == ("L8988901C", "XXX")
    assert (f.birth_date, f.expiry_date) == (dt.date(1940, 9, 7), dt.date(1996, 12, 10))


def test_two_digit_years() -> None:
    # A birth is never in the future; an expiry lies within 50 years of today.
    lines = compose_td2(
        DocumentFields(
            document_code="I", issuing_country="UTO", surname="A", document_number="X1",
            nationality="UTO", birth_date=dt.date(2025, 5, 31), expiry_date=dt.date(2070, 1, 1),
        )
    )  # fmt: skip
    f = parse_mrz(lines, today=TODAY).fields
    assert (f.birth_date, f.expiry_date) == (dt.date(2025, 5, 31), dt.date(2070, 1, 1))
    f = parse_mrz(lines, today=dt.date(2025, 5, 30)).fields
    assert f.birth_date == dt.date(1925, 5, 31)
    later = parse_mrz(lines, today=dt.date(2030, 1, 1)).fields
    assert later.expiry_date == dt.date(2070, 1, 1)


def test_td1_long_document_number() -> None:
    fields = DocumentFields(
        document_code="I", issuing_country="UTO", surname="ERIKSSON", given_names="ANNA",
        document_number="D23145890734", nationality="UTO", birth_date=dt.date(1974, 8, 12),
        expiry_date=dt.date(2012, 4, 15), sex="F", optional_data="AB12",
    )  # fmt: skip
    lines = compose_td1(fields)
    # ICAO 9303-5 note j: 9 characters, a filler, the rest in optional data with the check digit.
    assert lines[0][5:15] == "D23145890<"
    assert lines[0][15:20] == "734" + check_digit("D23145890734") + "<"
    result = parse_mrz(lines, today=TODAY)
    assert result.valid
    assert result.fields.document_number == "D23145890734"
    assert result.fields.optional_data == "AB12"
    broken = lines[0][:17] + str((int(lines[0][17]) + 1) % 10) + lines[0][18:]
    assert "document_number" in parse_mrz((broken, *lines[1:]), today=TODAY).failed_checks


def test_td2_long_document_number() -> None:
    fields = DocumentFields(
        document_code="I", issuing_country="UTO", surname="X", document_number="AB1234567891",
        nationality="UTO", birth_date=dt.date(1990, 1, 1), expiry_date=dt.date(2030, 1, 1),
    )  # fmt: skip
    result = parse_mrz(compose_td2(fields), today=TODAY)
    assert result.valid
    assert result.fields.document_number == "AB1234567891"


def test_name_truncated_when_the_field_is_full() -> None:
    fields = DocumentFields(
        issuing_country="UTO", surname="WOLFESCHLEGELSTEINHAUSENBERGERDORFF", given_names="HUBERT",
        document_number="123", nationality="UTO", birth_date=dt.date(1990, 1, 1),
    )  # fmt: skip
    result = parse_mrz(compose_mrz(fields, MrzFormat.TD1), today=TODAY)
    assert result.fields.name_truncated
    assert result.fields.surname == "WOLFESCHLEGELSTEINHAUSENBERGER"  # 30 characters
    assert result.fields.given_names is None
    assert not parse_mrz(TD1, today=TODAY).fields.name_truncated


def test_unknown_sex_and_empty_optional() -> None:
    line2 = TD3[1][:20] + "<" + TD3[1][21:28] + "<" * 14 + "<"
    line2 += check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    result = parse_mrz((TD3[0], line2), today=TODAY)
    assert result.valid
    assert result.fields.sex == "X"
    assert result.fields.personal_number is None


# --- OCR repairs ---------------------------------------------------------------------------


def test_letters_in_dates_are_digits() -> None:
    line2 = TD3[1].replace("7408122", "74O8I22")
    result = parse_mrz((TD3[0], line2), today=TODAY)
    assert result.valid
    assert result.lines == TD3
    assert [c.field for c in result.corrections] == ["birth_date"]


def test_digits_in_names_and_states_are_letters() -> None:
    line1 = TD3[0].replace("UTOERIKSSON", "UT0ER1KSS0N")
    result = parse_mrz((line1, TD3[1]), today=TODAY)
    assert result.lines == TD3
    assert {c.field for c in result.corrections} == {"issuing_country", "name"}


def test_lookalike_confirmed_by_check_digits() -> None:
    line2 = TD3[1].replace("ZE184226B", "ZE1B4226B")
    result = parse_mrz((TD3[0], line2), today=TODAY)
    assert result.valid
    assert result.fields.personal_number == "ZE184226B"
    assert [(c.field, c.reason) for c in result.corrections] == [("optional", "check_digit")]


def test_lookalike_not_repaired_without_composite() -> None:
    # Visas have no composite check digit: one check digit is too weak to trust a repair...
    line2 = MRVA[1].replace("L8988901C", "LB988901C")
    result = parse_mrz((MRVA[0], line2), today=TODAY)
    assert not result.valid
    assert result.failed_checks == ("document_number",)
    # ...but for the commonest confusion of all, O read for a zero among digits.
    line2 = MRVA[1].replace("L8988901C", "L89889O1C")
    result = parse_mrz((MRVA[0], line2), today=TODAY)
    assert result.valid and result.fields.document_number == "L8988901C"


def test_ambiguous_repair_is_refused() -> None:
    # Z->2 at the start and B->8 inside fix the same checks: neither is taken on trust. Only
    # the swap in the digit run is plausible, so it alone is tried and accepted.
    line2 = TD3[1].replace("ZE184226B", "ZE1B4226B")
    assert parse_mrz((TD3[0], line2), today=TODAY).valid
    # A digit misread as another digit, with no look-alike to blame, stays an error.
    line2 = TD3[1].replace("L898902C3", "L898912C3")
    result = parse_mrz((TD3[0], line2), today=TODAY)
    assert set(result.failed_checks) == {"document_number", "composite"}
    assert result.corrections == ()


def test_a_misread_digit_is_not_hidden_by_a_swap() -> None:
    # 7 for 8 is no look-alike; the B after "226" could be an 8 by the checks' arithmetic,
    # but it has no unambiguous digit beside it, so no swap is tried and the error stands.
    line2 = TD3[1].replace("ZE184226B", "ZE174226B")
    result = parse_mrz((TD3[0], line2), today=TODAY)
    assert set(result.failed_checks) == {"optional", "composite"}
    assert result.corrections == ()


def test_fillers_read_as_letters() -> None:
    line1 = TD3[0][:30] + "KK<<<<K<<<<<<K"
    line2 = TD3[1][:37] + "<<K<<10"
    result = parse_mrz((line1, line2), today=TODAY)
    assert result.lines == TD3
    assert result.fields.given_names == "ANNA MARIA"
    assert {c.reason for c in result.corrections} == {"filler"}


def test_a_k_that_starts_a_run_is_data() -> None:
    fields = parse_mrz(TD3, today=TODAY).fields
    lines = compose_mrz(
        DocumentFields(**{**_as_dict(fields), "personal_number": "12345K", "optional_data": None}),
        MrzFormat.TD3,
    )
    assert parse_mrz(lines, today=TODAY).fields.personal_number == "12345K"


def test_filler_run_of_wrong_length() -> None:
    short = (TD3[0][:-2], TD3[1][:37] + TD3[1][38:])
    result = parse_mrz(short, today=TODAY)
    assert result.valid
    assert result.lines == TD3
    assert all(c.reason == "length" for c in result.corrections)


@pytest.mark.parametrize(
    ("lines", "surname"),
    [
        # A stray digit after the first letter of a TD1 name line one character too long.
        ((TD1[0], TD1[1], "E8RIKSSON<<ANNA<MARIA<<<<<<<<<<<"), "ERIKSSON"),
        ((TD3[0][:6] + "0" + TD3[0][6:] + "<", TD3[1]), "ERIKSSON"),
    ],
)
def test_a_stray_digit_in_an_overlong_name_is_dropped(lines: tuple[str, ...], surname: str) -> None:
    result = parse_mrz(lines, today=TODAY)
    assert result.valid
    assert result.fields.surname == surname
    assert result.fields.given_names == "ANNA MARIA"


def test_strict_mode_takes_text_as_is() -> None:
    line2 = TD3[1].replace("7408122", "74O8122")
    assert not parse_mrz((TD3[0], line2), today=TODAY, correct=False).valid
    with pytest.raises(MrzFormatError):
        parse_mrz((TD3[0][:-1], TD3[1]), correct=False)


@pytest.mark.parametrize(
    "lines",
    [
        ("HELLO", "WORLD"),
        ("P<UTO",),
        ("ABC", "DEF", "GHI", "JKL"),
        (
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "l898902c36uto7408122f1204159ze184226b<<<<<1!",
        ),
    ],
)
def test_not_an_mrz(lines: tuple[str, ...]) -> None:
    with pytest.raises(MrzFormatError):
        parse_mrz(lines)


def _as_dict(fields: DocumentFields) -> dict[str, object]:
    return {name: getattr(fields, name) for name in fields.__slots__}  # type: ignore[attr-defined]


# --- properties ---------------------------------------------------------------------------

_WORD = st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=8)
# Real codes: repairs may rely on a code existing (only Germany's has fillers: "D<<").
_STATES = st.sampled_from(
    ("UTO", "D", "FRA", "CHN", "GBR", "USA", "NLD", "JPN", "DNK", "XXA", "ZZZ")
)
_ALNUM = string.ascii_uppercase + string.digits


@st.composite
def identities(draw: st.DrawFn, fmt: MrzFormat) -> DocumentFields:
    name_room = {MrzFormat.TD1: 30, MrzFormat.TD2: 31, MrzFormat.MRV_B: 31}.get(fmt, 39)
    surname = " ".join(draw(st.lists(_WORD, min_size=1, max_size=2)))
    given = " ".join(draw(st.lists(_WORD, min_size=0, max_size=2))) or None
    # A full field reads as possibly truncated: keep one filler free.
    if len(surname) + 2 + len(given or "") >= name_room:
        given = None
    surname = surname[: name_room - 1].strip()
    long_ok = fmt in (MrzFormat.TD1, MrzFormat.TD2)
    number = draw(st.text(alphabet=_ALNUM, min_size=1, max_size=12 if long_ok else 9))
    optional_room = {
        MrzFormat.TD1: 9, MrzFormat.TD2: 7, MrzFormat.TD3: 14, MrzFormat.MRV_A: 16, MrzFormat.MRV_B: 8,
    }[fmt]  # fmt: skip
    if fmt is MrzFormat.TD2 and len(number) > 9:
        optional_room -= len(number) - 9 + 2
    optional = draw(st.text(alphabet=_ALNUM, max_size=optional_room)) or None
    if fmt is MrzFormat.TD1 and optional and draw(st.booleans()):
        optional = f"{optional[:9]} {draw(st.text(alphabet=_ALNUM, min_size=1, max_size=11))}"
    code = {MrzFormat.TD3: "P", MrzFormat.MRV_A: "V", MrzFormat.MRV_B: "V"}.get(fmt, "I")
    return DocumentFields(
        document_type=DocumentType.PASSPORT
        if code == "P"
        else DocumentType.VISA
        if code == "V"
        else DocumentType.ID_CARD,
        document_code=code,
        issuing_country=draw(_STATES),
        surname=surname,
        given_names=given,
        document_number=number,
        nationality=draw(_STATES),
        birth_date=draw(st.dates(dt.date(1926, 6, 2), TODAY)),
        expiry_date=draw(st.dates(dt.date(1976, 1, 1), dt.date(2075, 6, 1))),
        sex=draw(st.sampled_from(("M", "F", "X"))),
        optional_data=optional,
        personal_number=optional if fmt is MrzFormat.TD3 else None,
    )


@settings(max_examples=150, deadline=None)
@given(data=st.data(), fmt=st.sampled_from(list(MrzFormat)))
def test_compose_parse_round_trip(data: st.DataObject, fmt: MrzFormat) -> None:
    fields = data.draw(identities(fmt))
    lines = compose_mrz(fields, fmt)
    assert [len(line) for line in lines] == [
        {MrzFormat.TD1: 30}.get(fmt, 44 if fmt in (MrzFormat.TD3, MrzFormat.MRV_A) else 36)
    ] * len(lines)
    result = parse_mrz(lines, today=TODAY)
    assert result.valid
    assert result.corrections == ()
    assert result.fields == fields
    assert compose_mrz(result.fields, fmt) == lines


def _checked_digit_positions(fmt: MrzFormat, lines: tuple[str, ...]) -> list[tuple[int, int]]:
    """Cells holding a digit inside a field covered by a check digit (or a check digit)."""
    if fmt is MrzFormat.TD1:
        spans = [(0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 30)]
    else:
        width = len(lines[0])
        end = 28 if fmt in (MrzFormat.MRV_A, MrzFormat.MRV_B) else width
        spans = [(1, 0, 10), (1, 13, 20), (1, 21, end)]
    return [(r, c) for r, a, b in spans for c in range(a, b) if lines[r][c].isdigit()]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), fmt=st.sampled_from(list(MrzFormat)))
def test_any_single_digit_change_is_flagged(data: st.DataObject, fmt: MrzFormat) -> None:
    lines = compose_mrz(data.draw(identities(fmt)), fmt)
    cells = _checked_digit_positions(fmt, lines)
    row, col = data.draw(st.sampled_from(cells))
    new = data.draw(st.sampled_from([d for d in string.digits if d != lines[row][col]]))
    changed = tuple(
        line if r != row else line[:col] + new + line[col + 1 :] for r, line in enumerate(lines)
    )
    # Weights 7, 3 and 1 are all prime to 10: a changed digit always changes a check.
    assert not parse_mrz(changed, today=TODAY, correct=False).valid
    # With OCR repair on, the change is flagged, or the repair that hid it is on record.
    repaired = parse_mrz(changed, today=TODAY)
    assert not repaired.valid or any(c.reason == "check_digit" for c in repaired.corrections)
    if fmt in (MrzFormat.MRV_A, MrzFormat.MRV_B) and repaired.valid:
        # Without a composite the only swap made is a letter O read for a zero.
        swaps = {
            (a, b)
            for c in repaired.corrections
            if c.reason == "check_digit"
            for a, b in zip(c.before, c.after, strict=True)
            if a != b
        }
        assert swaps == {("O", "0")}
