"""Values every format shares: birth dates, identity numbers and which identifiers count.

Pure functions; they return nothing (None or an empty tuple) for a value they cannot read,
and the loader counts that as a warning.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from anyascii import anyascii

# A birth-date range wider than this says too little to help a match; it is dropped.
MAX_RANGE_YEARS: Final = 10

_MONTHS: Final = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})")
_MONTH_YEAR = re.compile(r"([A-Za-z]{3,9})\.?,?\s+(\d{4})")
_APPROX = re.compile(r"^(?:circa|ca\.|c\.|approximately|approx\.|about|around)\s*", re.I)
_RANGE = re.compile(r"\s+(?:to|until|-|–)\s+|(?<=\d{4})-(?=\d{4}$)", re.I)


def clean(value: str | None) -> str | None:
    """Whitespace collapsed, and None for OFAC's ``-0-`` and for nothing at all."""
    if value is None:
        return None
    text = " ".join(value.split())
    return None if text in {"", "-0-"} else text


def _month(name: str) -> int | None:
    return _MONTHS.get(name[:3].lower()) if name.isalpha() else None


def _valid(year: int, month: int = 1, day: int = 1) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return 1800 <= year <= 2100


def _one_date(text: str) -> str | None:
    """One date as an ISO 8601 prefix: ``1962``, ``1962-05``, ``1962-05-17``."""
    if m := _ISO.fullmatch(text):
        year, month, day = int(m[1]), m[2], m[3]
        if not _valid(year, int(month or 1), int(day or 1)):
            return None
        return text
    if m := _DAY_MONTH_YEAR.fullmatch(text):
        month_no = _month(m[2])
        day_no, year = int(m[1]), int(m[3])
        if month_no is None or not _valid(year, month_no, day_no):
            return None
        return f"{year:04d}-{month_no:02d}-{day_no:02d}"
    if m := _MONTH_YEAR.fullmatch(text):
        month_no = _month(m[1])
        year = int(m[2])
        if month_no is None or not _valid(year, month_no):
            return None
        return f"{year:04d}-{month_no:02d}"
    return None


def birth_dates(text: str) -> tuple[str, ...]:
    """Every ISO prefix a published date of birth stands for.

    ``01 Jan 1960``, ``Jan 1960``, ``1960``, ISO dates, ``circa 1955`` (the year: "circa" is
    what a one-year prefix already means to the matcher), and ranges (``1955 to 1958``,
    ``circa 1955-1958``) as each year, when they span at most ten years. Empty when the text
    is not a date this reads.
    """
    value = " ".join(text.split()).strip(" .;,")
    value = _APPROX.sub("", value)
    if not value:
        return ()
    parts = _RANGE.split(value)
    if len(parts) == 1:
        single = _one_date(value)
        return (single,) if single else ()
    if len(parts) != 2:
        return ()
    ends = [_one_date(_APPROX.sub("", part.strip())) for part in parts]
    if ends[0] is None or ends[1] is None:
        return ()
    first, last = int(ends[0][:4]), int(ends[1][:4])
    if first == last:
        return (ends[0],) if ends[0] == ends[1] else (str(first),)
    if last < first or last - first + 1 > MAX_RANGE_YEARS:
        return ()
    return tuple(str(year) for year in range(first, last + 1))


def un_birth_dates(
    *, date: str | None, year: str | None, from_year: str | None, to_year: str | None
) -> tuple[str, ...]:
    """The UN's structured date of birth. Its TYPE_OF_DATE (EXACT, APPROXIMATELY, BETWEEN)
    only says which of these fields is filled, so it is not needed to read them."""
    if from_year and to_year:
        return birth_dates(f"{from_year} to {to_year}")
    if date:
        # The UN writes plain ISO dates; cut any time or zone it might add.
        return birth_dates(date[:10])
    if year:
        return birth_dates(year)
    return ()


# An identifier piece: anything with a digit, or a short all-capitals prefix ("RL", "HRB",
# "IMO") that belongs to the number that follows it.
_PREFIX_TOKEN = re.compile(r"[A-Z]{1,4}")
_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{4,}")


def _has_digit(token: str) -> bool:
    return any(c.isdigit() for c in token)


def id_number(raw: str | None) -> str | None:
    """An identity number as it is compared: upper-case ASCII letters and digits only.

    Lists put prose around numbers ("CAR diplomatic passport no. D00000898", "181301-1
    Cali"): the first run of number-like tokens that holds a digit is the number.
    """
    if raw is None:
        return None
    found: list[str] = []
    run: list[str] = []
    for token in [*raw.split(), ""]:
        if token and (_has_digit(token) or _PREFIX_TOKEN.fullmatch(token)):
            run.append(token)
            continue
        if any(_has_digit(t) for t in run):
            found = run
            break
        run = []
    # A capitals-only token after the number belongs to the prose that follows it.
    while found and not _has_digit(found[-1]):
        found.pop()
    # A code without digits (SWIFT/BIC "KDBKKPPY", tail number "EP-MMH") stands alone.
    if not found and _CODE.fullmatch(raw.strip()):
        found = [raw.strip()]
    text = re.sub(r"[^A-Z0-9]", "", anyascii("".join(found)).upper())
    return text if len(text) >= 3 else None


# The identifier types worth matching on: identity documents, tax and company registration
# numbers, and the numbers that identify vessels, aircraft and banks. OFAC's remarks, its XML
# idType and the CSL's ids all use this vocabulary. Phone numbers, e-mail and crypto
# addresses, dates, and sanctions notes are not identifiers of the entity and stay in remarks.
_WORDS = r"(?:[\w.'-]+ ){0,4}"  # a qualifier before the label: "British National Overseas"
_ID_LABELS: Final = (
    rf"{_WORDS}passport(?: booklet| no\.?| number)?",
    r"travel document(?: number| no\.?)?",
    r"national id(?:entification)? (?:no\.?|number|card)",
    r"national foreign id number",
    r"personal id(?:entification)? (?:card|no\.?|number)",
    rf"{_WORDS}(?:identification|identificiation|identity|id) (?:number|no\.?|card(?: number)?)",
    r"identification number",
    r"uae identification",
    r"tazkira national id card",
    r"numero de identidad",
    r"residency number",
    r"(?:stateless person|refugee) id card",
    r"seafarer'?s identification document",
    r"birth certificate number",
    r"immigration no\.?|public security and immigration no\.?",
    r"visanumberid|sre permit no\.?",
    rf"{_WORDS}licen[cs]e(?: no\.?| number)?",
    r"electoral registry no\.?",
    r"credencial electoral",
    r"i\.f\.e\.",
    r"cartilla de servicio militar nacional",
    r"tarjeta profesional",
    r"cedula no\.?",
    r"d\.n\.i\.|dni|n\.i\.e\.",
    r"cnp \(personal numerical code\)",
    r"ssn",
    r"c\.u\.r\.p\.(?: #)?|curp",
    r"r\.f\.c\.|rfc",
    r"c\.u\.i\.p\.|c\.u\.i\.t\.|c\.u\.i\.|c\.i\.f\.",
    r"nit #|ruc #|rif #|rtn|rsin",
    rf"{_WORDS}tax (?:id no\.?|identification number|registration(?: number)?)",
    rf"{_WORDS}fiscal code",
    r"us fein",
    r"v\.a\.t\. number|vat number",
    r"numero unico de identificacao tributaria \(nuit\)",
    rf"{_WORDS}registration (?:id|number|document #|system number)",
    r"registration id",
    r"commercial registry number|romanian c\.r\.",
    r"(?:uk )?company (?:number|id:? no\.?)",
    r"certificate of incorporation number",
    r"government gazette number",
    r"legal entity number|le number",
    r"unified social credit code \(uscc\)",
    r"united social credit code certificate \(usccc\)",
    rf"{_WORDS}chamber of comm(?:erce|\.) (?:membership )?(?:number|no\.?)",
    r"matricula mercantil no\.?",
    r"folio mercantil no\.?",
    r"c\.r\. no\.?",
    r"enterprise number",
    r"branch unit number",
    r"business number",
    r"file number",
    r"registered charity no\.?",
    r"d-u-n-s number",
    r"vessel registration identification",
    r"international maritime organization no\.?",
    r"mmsi",
    r"aircraft manufacturer'?s serial number \(msn\)",
    r"(?:aircraft )?serial (?:no\.?|number|identification)",
    r"(?:previous )?aircraft tail number",
    r"aircraft mode s transponder code",
    r"swift/bic|bik(?: \(ru\))?",
    r"isin",
)
ID_LABEL = re.compile("|".join(f"(?:{label})" for label in _ID_LABELS), re.IGNORECASE)


def is_identifier_type(label: str) -> bool:
    """Whether a published identifier type is one to match on (see ``_ID_LABELS``)."""
    text = " ".join(label.split()).strip(" :#-").strip()
    return bool(ID_LABEL.fullmatch(text) or ID_LABEL.fullmatch(text + " #"))
