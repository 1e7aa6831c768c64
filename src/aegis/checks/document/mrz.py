"""ICAO 9303 machine-readable zones: layouts, check digits, parsing with OCR repair.

A pure core: text lines in, a :class:`MrzResult` out. Nothing here touches images or files.

The parser accepts OCR output, so it repairs what OCR typically gets wrong, but only where the
standard itself confirms the repair (this is what keeps a reader from inventing a document):

* field type: dates and check digits are digits only, country codes and names letters only, so
  ``O``/``0``, ``I``/``1``, ``B``/``8``, ``S``/``5``, ``Z``/``2``, ``G``/``6`` are forced to
  the field's class;
* check digits: a document number or optional field may legitimately hold either class, so a
  look-alike substitution (at most two) is accepted only when it makes the field's own check
  digit *and* the composite check digit validate, and no other substitution of the same size
  does. Formats without a composite (visas) get only the commonest swap, the letter O read
  for a zero among digits: one check digit alone is right by chance one time in ten;
* fillers: ``<`` read as ``K`` in a run of fillers, and a filler run one or two characters too
  short or long (the most frequent OCR slip), the run chosen by the check digits.

Every repair is listed in :attr:`MrzResult.corrections`. The result holds personal data: log
``format``, ``checks`` and correction ``reason`` values, never lines or fields.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from aegis.checks.document import mrz_layout as lay
from aegis.checks.document.fields import DocumentFields, DocumentType
from aegis.checks.document.mrz_layout import (
    FILLER,
    MrzFormat,
    MrzFormatError,
    check_digit,
    compose_mrva,
    compose_mrvb,
    compose_mrz,
    compose_td1,
    compose_td2,
    compose_td3,
)

__all__ = [
    "FILLER",
    "CheckName",
    "Correction",
    "MrzFormat",
    "MrzFormatError",
    "MrzResult",
    "check_digit",
    "compose_mrva",
    "compose_mrvb",
    "compose_mrz",
    "compose_td1",
    "compose_td2",
    "compose_td3",
    "detect_format",
    "parse_mrz",
]


class CheckName(StrEnum):
    DOCUMENT_NUMBER = "document_number"
    BIRTH_DATE = "birth_date"
    EXPIRY_DATE = "expiry_date"
    OPTIONAL = "optional"  # TD3 personal number
    COMPOSITE = "composite"


@dataclass(frozen=True, slots=True, kw_only=True)
class Correction:
    """One repair of the OCR text. ``reason``: field_type, check_digit, filler or length."""

    field: str
    before: str
    after: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MrzResult:
    lines: tuple[str, ...]  # after corrections
    raw_lines: tuple[str, ...]
    format: MrzFormat
    # One entry per check digit the format has; True when it validates.
    checks: dict[str, bool]
    fields: DocumentFields
    corrections: tuple[Correction, ...] = ()
    # Optional data fields as printed (fillers kept), line by line: issuers put national
    # numbers there in their own layouts.
    optional_fields: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return all(self.checks.values())

    @property
    def failed_checks(self) -> tuple[str, ...]:
        return tuple(name for name, ok in self.checks.items() if not ok)


# Look-alikes, in both directions. A filler read as a letter is only ever repaired towards
# the filler: the reverse would let a forger hide letters.
_TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "Z": "2", "S": "5"}
_TO_DIGIT |= {"G": "6", "B": "8"}
_TO_ALPHA = {"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B", "4": "A", "7": "T"}
_SWAP = {"0": "O", "O": "0", "1": "I", "I": "1", "2": "Z", "Z": "2", "5": "S", "S": "5"}
_SWAP |= {"6": "G", "G": "6", "8": "B", "B": "8", "C": FILLER, "E": FILLER}
_FILLER_LOOKALIKES = frozenset("KCEXL")
_ALL_FILLER = dict.fromkeys(lay.ALPHABET, FILLER)
_MAX_SUBSTITUTIONS = 2
# ICAO document codes start with one of these (Part 4: P; Part 5/6: A, C, I; Part 7: V).
_DOCUMENT_KINDS = frozenset("PACIV")
_MAX_LENGTH_SLIP = 3


def detect_format(lines: Sequence[str]) -> MrzFormat:
    """The layout that ``lines`` (normalised) most plausibly are, allowing small length slips."""
    if len(lines) == 3:
        fmt = MrzFormat.TD1
    elif len(lines) == 2:
        mean = sum(len(line) for line in lines) / 2
        # A stray mark read before the first line shifts its document code right.
        slack = max(0, len(lines[0]) - (44 if abs(mean - 44) <= abs(mean - 36) else 36))
        head = lines[0][:1]
        visa = head == "V" or (head not in _DOCUMENT_KINDS and "V" in lines[0][1 : 1 + slack])
        if abs(mean - 44) <= abs(mean - 36):
            fmt = MrzFormat.MRV_A if visa else MrzFormat.TD3
        else:
            fmt = MrzFormat.MRV_B if visa else MrzFormat.TD2
    else:
        raise MrzFormatError(f"an MRZ has 2 or 3 lines, not {len(lines)}")
    width = lay.SHAPES[fmt][1]
    if any(abs(len(line) - width) > _MAX_LENGTH_SLIP for line in lines):
        raise MrzFormatError(f"line lengths do not fit {fmt.value}")
    return fmt


def parse_mrz(
    lines: Sequence[str] | str,
    *,
    today: dt.date | None = None,
    correct: bool = True,
    swap_lookalikes: bool = True,
) -> MrzResult:
    """Parse and verify an MRZ.

    ``correct=False`` takes the text as is (exact lengths, no repair at all);
    ``swap_lookalikes=False`` keeps the field-type, filler and length repairs but makes no
    repair that only check digits support (see :class:`Correction` reason ``check_digit``).
    """
    norm = _normalise(lines)
    fmt = detect_format(norm)
    width = lay.SHAPES[fmt][1]
    if not correct:
        if any(len(line) != width for line in norm):
            raise MrzFormatError(f"{fmt.value} lines are {width} characters long")
        return _build(fmt, norm, norm, [], today)
    best: tuple[tuple[int, int, int], MrzResult] | None = None
    for variant, length_fixes in _length_variants(norm, width, _name_span(fmt)):
        grid = [list(line) for line in variant]
        corrections = list(length_fixes)
        _coerce(fmt, grid, corrections)
        if swap_lookalikes:
            _substitute(fmt, grid, corrections)
        result = _build(fmt, norm, ["".join(row) for row in grid], corrections, today)
        # Ties (line 1 has no check digit) go to a document code that is one.
        sane = int(result.lines[0][:1] in _DOCUMENT_KINDS)
        score = (sum(result.checks.values()), sane, -len(result.corrections))
        if best is None or score > best[0]:
            best = (score, result)
    assert best is not None  # _length_variants yields at least one variant
    return best[1]


def _normalise(lines: Sequence[str] | str) -> list[str]:
    raw = lines.splitlines() if isinstance(lines, str) else list(lines)
    out = ["".join(line.split()).upper() for line in raw]
    out = [line for line in out if line]
    for line in out:
        if not set(line) <= lay.ALPHABET:
            raise MrzFormatError("an MRZ holds only A-Z, 0-9 and '<'")
    return out


# --- length repair ----------------------------------------------------------------------


def _name_span(fmt: MrzFormat) -> tuple[int, int]:
    """The line (0-based) and first column of the name field, which admits no digit."""
    return (2, 0) if fmt is MrzFormat.TD1 else (0, 5)


def _length_variants(
    lines: list[str], width: int, name_span: tuple[int, int]
) -> Iterator[tuple[list[str], list[Correction]]]:
    """Each line fitted to ``width`` by growing or shrinking one filler run (or the end);
    the product over lines, preferred fits first (the longest run, then the last)."""
    options: list[list[tuple[str, Correction | None]]] = []
    for number, line in enumerate(lines, start=1):
        fits = _fit_line(line, width)
        if number - 1 == name_span[0] and len(line) > width:
            fits = _drop_name_digits(line, width, name_span[1]) + fits
        options.append(
            [
                (
                    fit,
                    None
                    if fit == line
                    else Correction(field=f"line{number}", before=line, after=fit, reason="length"),
                )
                for fit in fits
            ]
        )
    for combo in itertools.islice(itertools.product(*options), 64):
        yield [fit for fit, _ in combo], [fix for _, fix in combo if fix is not None]


def _fit_line(line: str, width: int) -> list[str]:
    if len(line) == width:
        return [line]
    fits: list[str] = []
    # Stray marks read at either end (a card edge, a frame), then a filler run off by some.
    extra = max(0, len(line) - width)
    for head in range(min(extra, 2) + 1):
        for tail in range(min(extra - head, 2) + 1):
            fits += _fit_runs(line[head : len(line) - tail], width)
    return list(dict.fromkeys(fits))[:8]


def _drop_name_digits(line: str, width: int, start: int) -> list[str]:
    """An over-long name line with a digit in its name field: the digit is a stray mark (a
    name holds no digit), so the field type confirms deleting it rather than a letter."""
    digits = [i for i in range(start, len(line)) if line[i].isdigit()]
    if not digits or len(digits) > len(line) - width:
        return []
    drop = set(digits)
    kept = "".join(c for i, c in enumerate(line) if i not in drop)
    return _fit_runs(kept, width)[:2]


def _fit_runs(line: str, width: int) -> list[str]:
    delta = width - len(line)
    if delta == 0:
        return [line]
    runs = sorted(_filler_runs(line), key=lambda r: (r[1] - r[0], r[0]), reverse=True)
    fits: list[str] = []
    for start, stop in runs:
        if delta > 0:
            fits.append(line[:stop] + FILLER * delta + line[stop:])
        elif stop - start > -delta:  # keep at least one filler so fields stay apart
            fits.append(line[: stop + delta] + line[stop:])
    if delta > 0:  # a filler lost at the end of the line
        fits.append(line + FILLER * delta)
    return fits[:4]


def _filler_runs(line: str) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start = None
    for i, char in enumerate(line + "#"):
        if char == FILLER and start is None:
            start = i
        elif char != FILLER and start is not None:
            runs.append((start, i))
            start = None
    return runs


# --- field-type coercion ----------------------------------------------------------------


def _coerce(fmt: MrzFormat, grid: list[list[str]], fixes: list[Correction]) -> None:
    """Force every character to its field's class where the field admits only one."""
    spec = lay.layout(fmt, grid)
    for name, cells in spec.digit_fields.items():
        # A check digit may be a filler (empty optional data), so K there is a filler.
        table = _TO_DIGIT | {"K": FILLER} if name.endswith("_check") else _TO_DIGIT
        _map_cells(name, grid, cells, table, fixes)
    for name, cells in spec.alpha_fields.items():
        _map_cells(name, grid, cells, _TO_ALPHA, fixes)
    _fix_country_fillers(grid, spec, fixes)
    sex = grid[spec.sex[0]][spec.sex[1]]
    if sex in _FILLER_LOOKALIKES and sex != "X":
        _map_cells("sex", grid, [spec.sex], _ALL_FILLER, fixes, reason="filler")
    _map_cells("name", grid, spec.name, _TO_ALPHA, fixes)
    _fix_name_fillers(grid, spec.name, fixes)
    for name, cells in spec.alnum_fields.items():
        _fix_k_fillers(name, grid, cells, fixes)


def _map_cells(
    name: str,
    grid: list[list[str]],
    cells: Sequence[tuple[int, int]],
    mapping: Mapping[str, str],
    fixes: list[Correction],
    *,
    reason: str = "field_type",
) -> None:
    before = "".join(grid[r][c] for r, c in cells)
    for r, c in cells:
        grid[r][c] = mapping.get(grid[r][c], grid[r][c])
    after = "".join(grid[r][c] for r, c in cells)
    if after != before:
        fixes.append(Correction(field=name, before=before, after=after, reason=reason))


def _fix_country_fillers(grid: list[list[str]], spec: lay.Layout, fixes: list[Correction]) -> None:
    # Germany's one-letter code "D<<" is the only state code with fillers; its fillers read
    # as K or C would otherwise give a state that does not exist.
    for name in ("issuing_country", "nationality"):
        cells = spec.alpha_fields[name]
        text = "".join(grid[r][c] for r, c in cells)
        if text[0] == "D" and text[1:] != "<<" and set(text[1:]) <= _FILLER_LOOKALIKES | {"<"}:
            _map_cells(name, grid, cells[1:], _ALL_FILLER, fixes, reason="filler")


def _fix_k_fillers(
    name: str, grid: list[list[str]], cells: Sequence[tuple[int, int]], fixes: list[Correction]
) -> None:
    """``K`` after a filler in a run of fillers and K's is a filler.

    K is worth 20, nothing modulo 10, so no check digit can tell it from a filler: the run
    decides. A K that starts a run (``12345K<<<``) is data and stays.
    """
    text = "".join(grid[r][c] for r, c in cells)
    seen_filler = False
    for (r, c), char in zip(cells, text, strict=True):
        if char == FILLER:
            seen_filler = True
        elif char == "K" and seen_filler:
            grid[r][c] = FILLER
        else:
            seen_filler = False
    after = "".join(grid[r][c] for r, c in cells)
    if after != text:
        fixes.append(Correction(field=name, before=text, after=after, reason="filler"))


def _fix_name_fillers(
    grid: list[list[str]], cells: Sequence[tuple[int, int]], fixes: list[Correction]
) -> None:
    """Fillers read as letters after the name has ended.

    Name components are joined by one filler and surname from given names by two, so after
    the ``<<`` separator a second ``<<`` (or ``<<<`` anywhere) ends the name: the rest of the
    field can only be fillers, and look-alike letters there are fillers misread.
    """
    text = "".join(grid[r][c] for r, c in cells)
    sep = text.find("<<")
    if sep < 0:
        return
    end_candidates = [i for i in (text.find("<<", sep + 2), text.find("<<<")) if i >= 0]
    if not end_candidates:
        return
    end = min(end_candidates)
    tail = text[end:]
    # Look-alikes anywhere in the tail, or one or two stray marks of any kind (a long run
    # of fillers is where OCR hallucinates most).
    stray = sum(1 for char in tail if char != FILLER)
    if stray and (set(tail) <= _FILLER_LOOKALIKES | {FILLER} or stray <= 2):
        _map_cells("name", grid, cells[end:], _ALL_FILLER, fixes, reason="filler")


# --- check-digit-confirmed substitution -------------------------------------------------


def _substitute(fmt: MrzFormat, grid: list[list[str]], fixes: list[Correction]) -> None:
    """Look-alike swaps in alphanumeric fields, accepted only when every check agrees."""
    spec = lay.layout(fmt, grid)
    checks = _checks(spec, grid)
    if all(checks.values()):
        return
    cells = [
        cell
        for field_cells in spec.alnum_fields.values()
        for i, cell in enumerate(field_cells)
        if _plausible_swap(grid, field_cells, i)
    ][:24]
    o_cells = [(r, c) for r, c in cells if grid[r][c] == "O"]
    # O read for a zero first: by far the commonest confusion, it is tried on its own before
    # rarer swaps can make the repair ambiguous. Visas, with one check digit per field, get
    # no other swap.
    tiers = [o_cells] if spec.composite is None else [o_cells, cells]
    for tier in tiers:
        found = _search(fmt, grid, tier)
        if found is None:
            continue
        for name, field_cells in spec.alnum_fields.items():
            before = "".join(grid[r][c] for r, c in field_cells)
            after = "".join(found[r][c] for r, c in field_cells)
            if before != after:
                fixes.append(
                    Correction(field=name, before=before, after=after, reason="check_digit")
                )
        grid[:] = found
        return


def _search(
    fmt: MrzFormat, grid: list[list[str]], cells: Sequence[tuple[int, int]]
) -> list[list[str]] | None:
    """The one smallest set of swaps among ``cells`` that makes every check pass, if unique."""
    for size in range(1, _MAX_SUBSTITUTIONS + 1):
        passing = []
        for chosen in itertools.combinations(cells, size):
            trial = [row[:] for row in grid]
            for r, c in chosen:
                trial[r][c] = _SWAP[trial[r][c]]
            # The layout may change (a long document number appears or vanishes).
            if all(_checks(lay.layout(fmt, trial), trial).values()):
                passing.append(trial)
            if len(passing) > 1:
                return None  # ambiguous: no repair is better than a guessed one
        if len(passing) == 1:
            return passing[0]
    return None


def _plausible_swap(grid: list[list[str]], cells: Sequence[tuple[int, int]], i: int) -> bool:
    """Whether OCR could have swapped this character: a letter inside a run of digits, a
    digit inside letters, a K beside fillers. One check digit is one equation modulo 10, so
    each swap allowed is one more way for a changed field to pass as valid: only the swaps
    OCR actually makes are allowed."""
    char = grid[cells[i][0]][cells[i][1]]
    if char not in _SWAP:
        return False
    around = [grid[r][c] for r, c in (cells[j] for j in (i - 1, i + 1) if 0 <= j < len(cells))]
    if _SWAP[char] == FILLER:
        return FILLER in around
    if char == "O":
        # O for 0 is by far the commonest OCR-B confusion: one digit beside it is enough.
        return any(other.isdigit() for other in around)
    target_is_digit = _SWAP[char].isdigit()

    def of_target_class(other: str) -> bool:
        return other.isdigit() if target_is_digit else other.isalpha()

    def lookalike(other: str) -> bool:
        return other in _SWAP and _SWAP[other] != FILLER

    # Every neighbour of the target class or a look-alike, and one of them unambiguously of
    # the target class: "1B4" makes B an 8, "226" does not make the middle 2 a Z.
    neighbours = [other for other in around if other != FILLER]
    return (
        bool(neighbours)
        and all(of_target_class(o) or lookalike(o) for o in neighbours)
        and any(of_target_class(o) and not lookalike(o) for o in neighbours)
    )


def _checks(spec: lay.Layout, grid: list[list[str]]) -> dict[str, bool]:
    def text(cells: Sequence[tuple[int, int]]) -> str:
        return "".join(grid[r][c] for r, c in cells)

    out: dict[str, bool] = {}
    for name, (data, digit) in spec.checked.items():
        value, cd = text(data), grid[digit[0]][digit[1]]
        if name == CheckName.OPTIONAL and set(value) <= {FILLER}:
            out[str(name)] = cd in (FILLER, "0")  # ICAO: an empty field may carry < or 0
        else:
            out[str(name)] = lay.verify(value, cd)
    if spec.composite is not None:
        data, digit = spec.composite
        out[CheckName.COMPOSITE.value] = lay.verify(text(data), grid[digit[0]][digit[1]])
    return out


# --- fields -----------------------------------------------------------------------------


def _build(
    fmt: MrzFormat,
    raw: Sequence[str],
    lines: Sequence[str],
    corrections: list[Correction],
    today: dt.date | None,
) -> MrzResult:
    grid = [list(line) for line in lines]
    spec = lay.layout(fmt, grid)
    checks = _checks(spec, grid)

    def text(cells: Sequence[tuple[int, int]]) -> str:
        return "".join(grid[r][c] for r, c in cells)

    today = today or dt.date.today()
    code = "".join(grid[0][:2])
    name = text(spec.name)
    surname, _, given = name.partition("<<")
    optional = tuple(text(cells) for cells in spec.optional_parts)
    stripped = [part.strip(FILLER) for part in optional]
    personal = stripped[0] if fmt is MrzFormat.TD3 and stripped[0] else None
    if len(stripped) == 2 and stripped[1]:
        optional_data: str | None = f"{stripped[0]} {stripped[1]}"
    else:
        optional_data = stripped[0] or None
    sex = grid[spec.sex[0]][spec.sex[1]]
    fields = DocumentFields(
        document_type=_document_type(code),
        document_code=code.strip(FILLER) or None,
        issuing_country=text(spec.alpha_fields["issuing_country"]).strip(FILLER) or None,
        surname=_name_text(surname),
        given_names=_name_text(given),
        document_number=text(spec.document_number).strip(FILLER) or None,
        nationality=text(spec.alpha_fields["nationality"]).strip(FILLER) or None,
        birth_date=lay.resolve_birth(text(spec.digit_fields["birth_date"]), today),
        expiry_date=lay.resolve_expiry(text(spec.digit_fields["expiry_date"]), today),
        sex={"M": "M", "F": "F", "X": "X", FILLER: "X"}.get(sex),
        optional_data=optional_data,
        personal_number=personal,
        name_truncated=name[-1] != FILLER,
    )
    return MrzResult(
        lines=tuple(lines),
        raw_lines=tuple(raw),
        format=fmt,
        checks=checks,
        fields=fields,
        corrections=tuple(corrections),
        optional_fields=optional,
    )


def _name_text(part: str) -> str | None:
    words = [word for word in part.split(FILLER) if word]
    return " ".join(words) or None


def _document_type(code: str) -> DocumentType:
    kind = code[:1]
    if kind == "P":
        return DocumentType.PASSPORT
    if kind == "V":
        return DocumentType.VISA
    if kind in ("I", "A", "C"):
        # "IR"/"AR": residence permits in the TD1/TD2 families.
        return DocumentType.RESIDENCE_PERMIT if code[1:2] == "R" else DocumentType.ID_CARD
    return DocumentType.OTHER
