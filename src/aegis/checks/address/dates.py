"""When was the document issued? Dates in many formats, and the labels in front of them.

Formats read: 2026-10-03, 2026/10/03, 2026.10.03, 2026年10月3日, 3 Oct 2026, 3rd of October
2026, 03-Oct-26, October 3, 2026, and numeric 03/10/2026, 03.10.2026, 3-10-26.

Numeric day/month order (03/10/2026 is 3 October in London, March 10 in New York):

1. the document decides when it can: another numeric date on it with a first number
   above 12 (25/09/2026) proves day-first, a second number above 12 proves month-first;
2. otherwise the applicant's country: month-first for the United States and the places
   that follow its convention, day-first for the rest, except Canada and the year-first
   countries (China, Japan, Korea, Taiwan), where a year-last numeric date has no settled
   order;
3. otherwise (no country, or one of those) the date is read day-first and keeps its other
   reading as ``alternative``: the check goes to review when the two readings disagree on
   whether the document is recent enough.

Which date is the issue date: each date takes the nearest keyword before it on its line,
or, when the line carries nothing but dates, the keywords of the line above (a table's
header row). Issue labels (Statement date, 账单日期) win, first one on the page; then the
bare word "Date"; then unlabelled dates, latest not in the future; then the dates of a
period (From 1 Sep to 30 Sep, 计费周期). Due dates never count as issue dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum


class Label(StrEnum):
    ISSUE = "issue"
    GENERIC = "generic"
    NONE = "none"
    PERIOD = "period"
    DUE = "due"


_KEYWORDS: dict[Label, tuple[str, ...]] = {
    Label.ISSUE: (
        "statement date", "date of statement", "issue date", "date of issue", "issued on",
        "issued", "bill date", "billing date", "date of bill", "invoice date",
        "date of invoice", "tax point", "print date", "date printed", "letter date",
        "账单日期", "账单日", "出账日期", "出账日", "开具日期", "开票日期", "对账单日期",
        "打印日期", "制表日期", "签发日期", "出单日期",
    ),
    Label.GENERIC: ("date", "dated", "日期"),
    Label.DUE: (
        "due date", "payment due", "due by", "due on", "pay by", "please pay by", "due",
        "payment date", "direct debit", "collection date", "到期还款日", "最后还款日",
        "还款日", "缴费截止日期", "缴费截止", "截止日期", "最后缴费日", "到期日",
    ),
    Label.PERIOD: (
        "billing period", "statement period", "service period", "period", "from",
        "meter read", "reading date", "read date", "next bill", "next reading",
        "previous", "last bill", "账单周期", "计费周期", "账期", "起止日期", "抄表日期",
        "下次抄表", "周期", "上期",
    ),
}  # fmt: skip
_KIND_OF = {kw: kind for kind, kws in _KEYWORDS.items() for kw in kws}
# Longest first, so "due date" is one keyword and not "due" then "date"; Latin keywords
# only match as whole words ("dated" must not fire inside "updated").
_KEYWORD_RE = re.compile(
    "|".join(
        re.escape(kw) if not kw.isascii() else rf"(?<![a-z]){re.escape(kw)}(?![a-z])"
        for kw in sorted(_KIND_OF, key=len, reverse=True)
    ),
    re.IGNORECASE,
)
_RANGE_GAP = re.compile(r"^\s*(?:-|–|—|~|to|until|till|through|thru|至|到)\s*$", re.IGNORECASE)

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MON = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![a-z])"
)
# In priority order: where two readings overlap, the earlier pattern keeps the text.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("cjk", r"(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?"),
        (
            "iso",
            r"(?<![\d.\-/])(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)",
        ),
        (
            "day_month_name",
            rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.]*(?:of\s+)?{_MON}"
            r"[\s\-/.,]*(?P<y>\d{4}|\d{2})(?!\d)",
        ),
        (
            "month_name_day",
            rf"(?<![a-z]){_MON}[\s\-]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s*(?P<y>\d{{4}})(?!\d)",
        ),
        (
            "numeric",
            r"(?<![\d.\-/])(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\d.\-/])",
        ),
    )
)  # fmt: skip

_MONTH_FIRST = frozenset({
    "US", "USA", "PH", "PHL", "FM", "FSM", "MH", "MHL", "PW", "PLW", "GU", "GUM", "AS", "ASM",
    "PR", "PRI", "VI", "VIR", "MP", "MNP", "UM", "UMI",
})  # fmt: skip
# Countries where a year-last numeric date has no settled order.
_UNSETTLED = frozenset(
    {"CA", "CAN", "CN", "CHN", "JP", "JPN", "KR", "KOR", "KP", "PRK", "TW", "TWN"}
)


@dataclass(frozen=True, slots=True)
class FoundDate:
    value: date
    # The other reading of an ambiguous numeric date, when nothing settled the order.
    alternative: date | None
    fmt: str
    line: int
    start: int
    end: int
    label: Label = Label.NONE
    keyword: str | None = None


@dataclass(frozen=True, slots=True)
class _Raw:
    fmt: str
    start: int
    end: int
    groups: dict[str, str]


def _year(text: str) -> int:
    return int(text) + 2000 if len(text) == 2 else int(text)


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _scan(line: str) -> list[_Raw]:
    taken: list[tuple[int, int]] = []
    found: list[_Raw] = []
    for fmt, pattern in _PATTERNS:
        for m in pattern.finditer(line):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append(_Raw(fmt, m.start(), m.end(), m.groupdict()))
    return sorted(found, key=lambda r: r.start)


def _day_first(raws: list[_Raw], country: str | None) -> tuple[bool, bool]:
    """(day first?, settled?) for the ambiguous numeric dates of one document."""
    pairs = [(int(r.groups["a"]), int(r.groups["b"])) for r in raws if r.fmt == "numeric"]
    says_dmy = any(a > 12 >= b for a, b in pairs)
    says_mdy = any(b > 12 >= a for a, b in pairs)
    if says_dmy != says_mdy:
        return says_dmy, True
    code = (country or "").strip().upper()
    if code in _MONTH_FIRST:
        return False, True
    if code and code not in _UNSETTLED:
        return True, True
    return True, False


def _to_date(raw: _Raw, *, day_first: bool, settled: bool) -> tuple[date | None, date | None, str]:
    g = raw.groups
    if raw.fmt != "numeric":
        month = _MONTHS[g["mon"][:3].lower()] if g.get("mon") else int(g["m"])
        return _safe_date(_year(g["y"]), month, int(g["d"])), None, raw.fmt
    a, b, y = int(g["a"]), int(g["b"]), _year(g["y"])
    dmy, mdy = _safe_date(y, b, a), _safe_date(y, a, b)
    if a > 12 or b > 12 or a == b or dmy is None or mdy is None:
        # One reading only (or both the same).
        return (dmy or mdy), None, "numeric_dmy" if dmy else "numeric_mdy"
    if day_first:
        return dmy, None if settled else mdy, "numeric_dmy"
    return mdy, None if settled else dmy, "numeric_mdy"


def _keywords(text: str) -> list[str]:
    """The keywords of ``text`` in order; a bare "date" right after another keyword merges
    into it ("payment due" + "date" is a due date, not a generic one)."""
    out: list[str] = []
    last_end = -10
    for m in _KEYWORD_RE.finditer(text):
        keyword = m.group().lower()
        adjacent = bool(out) and not text[last_end : m.start()].strip()
        if not (adjacent and _KIND_OF[keyword] is Label.GENERIC):
            out.append(keyword)
        last_end = m.end()
    return out


def _has_words(text: str) -> bool:
    return any(c.isalpha() for c in text)


def find_dates(text: str, *, country: str | None = None) -> list[FoundDate]:
    """Every date in ``text`` (cleaned, one line per line), labelled, in reading order."""
    lines = text.split("\n")
    scanned = [_scan(line) for line in lines]
    day_first, settled = _day_first([r for raws in scanned for r in raws], country)
    out: list[FoundDate] = []
    for li, (line, raws) in enumerate(zip(lines, scanned, strict=True)):
        dates: list[FoundDate] = []
        for raw in raws:
            value, alt, fmt = _to_date(raw, day_first=day_first, settled=settled)
            if value is not None:
                dates.append(FoundDate(value, alt, fmt, li, raw.start, raw.end))
        header = _keywords(lines[li - 1]) if li > 0 and not scanned[li - 1] else []
        out.extend(_label_line(line, dates, header))
    return out


def _label_line(line: str, dates: list[FoundDate], header: list[str]) -> list[FoundDate]:
    labelled: list[FoundDate] = []
    prev_end = 0
    for j, d in enumerate(dates):
        context = line[prev_end : d.start]
        kws = _keywords(context)
        keyword = kws[-1] if kws else None
        if keyword is None and not _has_words(context) and header:
            if len(header) == len(dates):
                keyword = header[j]
            elif len(dates) == 1:
                keyword = header[-1]
        kind = _KIND_OF[keyword] if keyword else Label.NONE
        if j > 0 and _RANGE_GAP.match(context):
            # "1 Sep 2026 - 30 Sep 2026": both ends of a period, whatever labelled the first.
            labelled[-1] = replace(labelled[-1], label=Label.PERIOD)
            kind = Label.PERIOD
        labelled.append(replace(d, label=kind, keyword=keyword))
        prev_end = d.end
    return labelled


def pick_issue_date(
    dates: list[FoundDate], *, today: date, future_tolerance_days: int
) -> FoundDate | None:
    """The date that best stands for the issue date, or None when only due dates exist."""
    for kind in (Label.ISSUE, Label.GENERIC):
        labelled = [d for d in dates if d.label is kind]
        if labelled:
            return labelled[0]
    latest_ok = today + timedelta(days=future_tolerance_days)
    for kind in (Label.NONE, Label.PERIOD):
        candidates = [d for d in dates if d.label is kind]
        if candidates:
            # Everything on a bill but its due dates precedes its issue, so the latest
            # unlabelled date is the closest lower bound of the issue date.
            present = [d for d in candidates if d.value <= latest_ok]
            return max(present or candidates, key=lambda d: d.value)
    return None
