"""What every loader shares: reading and decoding files, the digest, counting bad rows,
and the draft an entity is gathered in before it becomes a :class:`ListEntity`.

A loader parses a whole file, counting every row it skips; :meth:`Report.check` then rejects
the file when more than :data:`MAX_BAD_SHARE` of its rows were unusable. A few odd rows
become warnings; a file that is mostly wrong (the wrong file, the wrong columns, garbage) is
an error, so a load never returns half a list.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from lxml import etree

from aegis.screening.entities import EntityType, ListEntity, ListFileError
from aegis.screening.lists import _countries, _values

# More unusable rows than this share, and the file is not the list it claims to be.
MAX_BAD_SHARE: Final = 0.05

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ListFileError(f"{path.name}: not found") from None
    except IsADirectoryError:
        raise ListFileError(f"{path.name}: is a folder, expected a file") from None
    except OSError as exc:
        raise ListFileError(f"{path.name}: cannot be read ({exc.strerror})") from None


def decode(data: bytes, name: str) -> str:
    """The text of a delimited list file: UTF-8 (with or without a BOM), else Windows-1252
    (OFAC's CSVs in the wild; the US government's other files too), else Latin-1, which
    decodes anything left. UTF-16, binary data and empty files are rejected: no list is
    published that way, and reading them as text would only yield garbage rows."""
    if not data.strip(b" \t\r\n\x1a"):
        raise ListFileError(f"{name}: empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise ListFileError(f"{name}: holds NUL bytes (UTF-16 or binary data), expected text")
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    # OFAC ends its files with a DOS end-of-file mark (Ctrl-Z).
    text = text.rstrip("\x1a")
    controls = len(_CONTROL.findall(text))
    if controls > max(8, len(text) // 1000):
        raise ListFileError(f"{name}: binary data ({controls} control characters), expected text")
    return text


def digest(files: Sequence[tuple[str, str]]) -> str:
    """One file: its sha256. Several (name, sha256 hex) in the format's order: the sha256 of
    the lines ``sha256sum`` prints for them, so the digest can be checked by hand."""
    if len(files) == 1:
        return files[0][1]
    lines = "".join(f"{hexdigest}  {name}\n" for name, hexdigest in files)
    return hashlib.sha256(lines.encode()).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def csv_rows(text: str, name: str, *, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) per non-empty record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            if row and any(cell.strip() for cell in row):
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ListFileError(f"{name} line {start}: malformed CSV ({exc})") from None


def parse_xml(data: bytes, name: str) -> Any:
    """The root element, parsed without resolving entities, loading DTDs or touching the
    network; a document with a DOCTYPE is refused outright (no list needs one, and it is how
    entity-expansion attacks arrive)."""
    if not data.strip():
        raise ListFileError(f"{name}: empty file")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        # libxml2 quotes the bytes it could not decode: data, so never repeated.
        message = re.sub(r"\s*Bytes:.*$", "", " ".join(str(exc.msg).split()))[:160]
        raise ListFileError(f"{name} line {exc.lineno}: not well-formed XML ({message})") from None
    if root is None:
        raise ListFileError(f"{name}: no XML document")
    if root.getroottree().docinfo.doctype:
        raise ListFileError(f"{name}: XML with a DOCTYPE is refused")
    return root


@dataclass(slots=True)
class FileRows:
    """How many records of one file were read, and which were skipped and why."""

    name: str
    rows: int = 0
    bad: int = 0
    reasons: dict[str, list[int]] = field(default_factory=dict)  # reason -> [count, line]

    def ok(self) -> None:
        self.rows += 1

    def skip(self, line: int, reason: str) -> None:
        self.rows += 1
        self.bad += 1
        entry = self.reasons.setdefault(reason, [0, line])
        entry[0] += 1


class Report:
    """Warnings of one load, counted: the text says what and where, never the data."""

    def __init__(self) -> None:
        self._files: list[FileRows] = []
        self._notes: dict[str, list[Any]] = {}  # message -> [count, first place]

    def rows(self, name: str) -> FileRows:
        stats = FileRows(name)
        self._files.append(stats)
        return stats

    def note(self, message: str, where: str) -> None:
        entry = self._notes.setdefault(message, [0, where])
        entry[0] += 1

    def country(self, value: str | None, where: str) -> str | None:
        if value is None or _countries.is_blank(value):
            return None
        code = _countries.country_code(value)
        if code is None:
            shown = " ".join(value.split())[:40]
            self.note(f"unknown country {shown!r} dropped", where)
        return code

    def check(self, stats: FileRows, *, required: bool = True) -> None:
        if stats.rows == 0:
            if required:
                raise ListFileError(f"{stats.name}: no records")
            return
        if stats.bad > stats.rows * MAX_BAD_SHARE:
            reason, (_, line) = next(iter(stats.reasons.items()))
            raise ListFileError(
                f"{stats.name}: {stats.bad} of {stats.rows} records unusable "
                f"(first at line {line}: {reason})"
            )

    def warnings(self) -> tuple[str, ...]:
        out: list[str] = []
        for stats in self._files:
            for reason, (count, line) in stats.reasons.items():
                out.append(f"{stats.name}: {count} skipped: {reason} (first at line {line})")
        for message, (count, where) in self._notes.items():
            out.append(f"{message}: {count}× (first at {where})")
        return tuple(out)


def _unique(values: Iterable[str], *, taken: Iterable[str] = ()) -> tuple[str, ...]:
    seen = {value.casefold() for value in taken}
    out: list[str] = []
    for value in values:
        folded = value.casefold()
        if value and folded not in seen:
            seen.add(folded)
            out.append(value)
    return tuple(out)


_MULTI_VALUED: Final = (
    "aliases",
    "weak_aliases",
    "birth_dates",
    "nationalities",
    "countries",
    "id_numbers",
    "programs",
    "addresses",
    "topics",
    "positions",
    "linked_to",
)


@dataclass(slots=True)
class Draft:
    """An entity being gathered from one or more records; :meth:`build` makes it final."""

    key: str
    type: EntityType
    name: str
    report: Report
    where: str
    aliases: list[str] = field(default_factory=list)
    weak_aliases: list[str] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    linked_to: list[str] = field(default_factory=list)
    remarks: str | None = None
    source_url: str | None = None

    def alias(self, value: str | None, *, weak: bool = False) -> None:
        text = _values.clean(value)
        if text:
            (self.weak_aliases if weak else self.aliases).append(text)

    def nationality(self, value: str | None) -> None:
        code = self.report.country(value, self.where)
        if code:
            self.nationalities.append(code)

    def country(self, value: str | None) -> None:
        code = self.report.country(value, self.where)
        if code:
            self.countries.append(code)

    def birth_date(self, value: str | None) -> None:
        text = _values.clean(value)
        if not text:
            return
        dates = _values.birth_dates(text)
        if not dates:
            self.report.note(
                "date of birth unreadable (or a range over 10 years) dropped", self.where
            )
        self.birth_dates.extend(dates)

    def id_number(self, value: str | None) -> None:
        number = _values.id_number(value)
        if number:
            self.id_numbers.append(number)
        elif _values.clean(value):
            self.report.note("identity number without digits dropped", self.where)

    def add(self, target: list[str], value: str | None) -> None:
        text = _values.clean(value)
        if text:
            target.append(text)

    def merge(self, other: Draft) -> None:
        """Another record of the same entity (a CSL row repeated, an FTM fragment)."""
        if self.type is EntityType.UNKNOWN:
            self.type = other.type
        if other.name.casefold() != self.name.casefold():
            self.aliases.append(other.name)
        for name in _MULTI_VALUED:
            getattr(self, name).extend(getattr(other, name))
        if other.remarks and other.remarks != self.remarks:
            self.remarks = f"{self.remarks}\n{other.remarks}" if self.remarks else other.remarks
        self.source_url = self.source_url or other.source_url

    def build(self) -> ListEntity:
        strong = _unique(self.aliases, taken=(self.name,))
        return ListEntity(
            key=self.key,
            type=self.type,
            name=self.name,
            aliases=strong,
            weak_aliases=_unique(self.weak_aliases, taken=(self.name, *strong)),
            birth_dates=_unique(self.birth_dates),
            nationalities=_unique(self.nationalities),
            countries=_unique(self.countries),
            id_numbers=_unique(self.id_numbers),
            programs=_unique(self.programs),
            addresses=_unique(self.addresses),
            topics=_unique(self.topics),
            positions=_unique(self.positions),
            linked_to=_unique(self.linked_to),
            remarks=self.remarks,
            source_url=self.source_url,
        )


def finish(drafts: Iterable[Draft]) -> tuple[ListEntity, ...]:
    """Entities sorted by key; the loaders guarantee keys are unique."""
    entities = sorted((draft.build() for draft in drafts), key=lambda e: e.key)
    for before, after in itertools.pairwise(entities):
        if before.key == after.key:  # a loader bug, not a data problem
            raise AssertionError(f"duplicate key {before.key!r}")
    return tuple(entities)
