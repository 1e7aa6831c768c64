"""Does the document show the applicant's address? Token coverage over a window of lines.

Both sides are cut into tokens and canonicalised the same way (Street and St are one
token, "Flat 3" and "#3" are the token 3, 广东省深圳市 is 广东 and 深圳), then every
applicant token is looked for in a window of consecutive document lines. The score is the
weighted share of applicant tokens found; house and unit numbers must match exactly,
street types and provinces weigh little and may be missing. Bills print an
address over several lines in any order, hence the window; a small one, so tokens
scattered over a whole statement do not add up to an address.

A declared postcode must appear verbatim (spaces and hyphens aside) anywhere in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from aegis.checks.address._text import fold, has_cjk, words
from aegis.checks.address.model import PoaAddress

# One canonical spelling per street word, so "12 Baker Street" equals "12 BAKER ST".
# "st" is also Saint: harmless, both sides fold the same way.
_CANONICAL = {
    "street": "st", "str": "st", "saint": "st", "road": "rd", "avenue": "ave", "av": "ave",
    "boulevard": "blvd", "drive": "dr", "lane": "ln", "court": "ct", "place": "pl",
    "square": "sq", "crescent": "cres", "terrace": "ter", "highway": "hwy", "parkway": "pkwy",
    "close": "cl", "gardens": "gdns", "mount": "mt", "building": "bldg", "floor": "fl",
    "flr": "fl", "north": "n", "south": "s", "east": "e", "west": "w", "centre": "ctr",
    "center": "ctr", "estate": "est", "house": "ho", "apartments": "apts",
}  # fmt: skip
# Words that only announce a unit number: "Flat 3", "Apt 3", "Unit 3", "No. 3", "#3" are
# all the token 3 once these go.
_UNIT_MARKERS = frozenset(
    {"apt", "apartment", "flat", "unit", "suite", "ste", "no", "nr", "number", "room", "rm"}
)
# Street types, directions, country words: bills abbreviate or drop them, so they count
# for little and may be missing.
_MINOR = frozenset({
    "st", "rd", "ave", "blvd", "dr", "ln", "ct", "pl", "sq", "cres", "ter", "hwy", "pkwy",
    "cl", "gdns", "mt", "bldg", "fl", "n", "s", "e", "w", "ctr", "est", "ho", "apts", "way",
    "uk", "usa", "us", "united", "kingdom", "states", "america", "china", "prc", "people",
    "peoples", "republic", "the", "of", "and",
})  # fmt: skip
# Chinese address units, longest first. The text before each is one token; the marker
# itself goes, so 科技园路1号 and 科技园 路 1 号 both give 科技园, 1.
_CJK_MARKERS = (
    "特别行政区", "自治区", "自治州", "街道", "大道", "单元", "小区", "省", "市", "区", "县",
    "镇", "乡", "路", "街", "巷", "弄", "号", "栋", "幢", "座", "楼", "层", "室", "村",
)  # fmt: skip
# Province-level tokens: a bill from a city utility often leaves the province out.
_CJK_MINOR_MARKERS = frozenset({"省", "自治区", "特别行政区"})
_CJK_MINOR_WORDS = frozenset({"中国", "中华人民共和国"})
_CJK_SPLIT = re.compile("(" + "|".join(_CJK_MARKERS) + ")")
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
# Tesseract confuses these with digits inside numbers ("I2" for 12, "1O" for 10).
_OCR_DIGITS = str.maketrans({"o": "0", "i": "1", "l": "1"})
_NUMERIC_RUN = re.compile(r"\d+|[a-z]+")

# Numbers and names of streets and places decide an address; "Street" or a province barely.
_WEIGHT_KEY = 2.0
_WEIGHT_MINOR = 0.5
# A key token (number or word) found at less than this counts as missing.
_FOUND = 60.0


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    weight: float

    @property
    def numeric(self) -> bool:
        return any(c.isdigit() for c in self.text)

    @property
    def key(self) -> bool:
        return self.weight > _WEIGHT_MINOR


@dataclass(frozen=True, slots=True)
class AddressMatch:
    score: float
    tokens: int  # applicant tokens looked for
    missing: int  # key tokens (numbers, names of streets and places) not found
    postcode_found: bool | None  # None when no postcode was declared


def _latin_token(word: str) -> str | None:
    if word in _UNIT_MARKERS:
        return None
    if m := _ORDINAL.match(word):
        return m.group(1)
    if any(c.isdigit() for c in word):
        return word.translate(_OCR_DIGITS)
    return _CANONICAL.get(word, word)


def tokens_of(text: str) -> list[_Token]:
    """Canonical address tokens of one piece of text, with their weights."""
    out: list[_Token] = []
    for word in words(fold(text)):
        if has_cjk(word):
            out.extend(_cjk_tokens(word))
            continue
        # "3/12" and "3-12" are unit 3 of number 12: the split happened in words().
        token = _latin_token(word)
        if token is None:
            continue
        if any(c.isdigit() for c in token):
            out.append(_Token(token, _WEIGHT_KEY))
        elif token in _MINOR or len(token) <= 2:
            out.append(_Token(token, _WEIGHT_MINOR))
        else:
            out.append(_Token(token, _WEIGHT_KEY))
    return out


def _cjk_tokens(run: str) -> list[_Token]:
    parts = _CJK_SPLIT.split(run)
    out: list[_Token] = []
    # split() with a group alternates text and marker: text, marker, text, marker, ...
    for i in range(0, len(parts), 2):
        text = parts[i]
        if not text:
            continue
        marker = parts[i + 1] if i + 1 < len(parts) else ""
        minor = marker in _CJK_MINOR_MARKERS or text in _CJK_MINOR_WORDS
        out.append(_Token(text, _WEIGHT_MINOR if minor else _WEIGHT_KEY))
    return out


def _sim(token: _Token, other: str) -> float:
    a = token.text
    if a == other:
        return 100.0
    if token.numeric or any(c.isdigit() for c in other):
        return 0.0  # a house number is right or wrong
    if has_cjk(a):
        if not has_cjk(other):
            return 0.0
        # Document runs may hold several units the applicant wrote apart: 深圳南山 has 深圳.
        return 100.0 if len(a) >= 2 and a in other else fuzz.ratio(a, other)
    if min(len(a), len(other)) <= 3:
        return 0.0
    return fuzz.ratio(a, other)


def _found(token: _Token, line: list[str]) -> float:
    sim = max((_sim(token, u) for u in line), default=0.0)
    return sim if sim >= _FOUND else 0.0


def applicant_tokens(address: PoaAddress) -> list[_Token]:
    pieces = [*address.lines, address.city or ""]
    # The postcode has its own exact test; counting it again here would double its say.
    seen = {t.text for t in tokens_of(address.postcode or "")}
    out: list[_Token] = []
    for piece in pieces:
        for token in tokens_of(piece):
            if token.text in seen:
                continue
            seen.add(token.text)
            out.append(token)
    return out


def _compact(postcode: str) -> str:
    return re.sub(r"[\s\-]", "", fold(postcode)).upper()


def postcode_present(postcode: str, text: str) -> bool:
    """The postcode with optional spaces or hyphens between its characters, standing alone.

    "standing alone" keeps 10001 from being found inside account number 8100014.
    """
    chars = _compact(postcode)
    if not chars:
        return False
    pattern = r"[\s\-]?".join(re.escape(c) for c in chars)
    bounded = rf"(?<![A-Z0-9]){pattern}(?![A-Z0-9])"
    haystack = fold(text).upper()
    return re.search(bounded, haystack) is not None


def match_address(lines: list[str], *, address: PoaAddress, window: int) -> AddressMatch:
    """The best window of up to ``window`` consecutive lines, by weighted token coverage."""
    wanted = applicant_tokens(address)
    postcode = postcode_present(address.postcode, "\n".join(lines)) if address.postcode else None
    if not wanted:
        return AddressMatch(0.0, 0, 0, postcode)
    doc = [[t.text for t in tokens_of(line)] for line in lines]
    # best[i][k]: how well applicant token i is found on line k, computed once.
    # Below _FOUND a token is not there at all: "oxford" is 46% "october", which is no
    # reason to give it 46% of its weight.
    best = [[_found(t, line) for line in doc] for t in wanted]
    total = sum(t.weight for t in wanted)
    top_score, top_missing = 0.0, sum(t.key for t in wanted)
    for start in range(len(doc)):
        found = [0.0] * len(wanted)
        for k in range(start, min(len(doc), start + window)):
            found = [max(f, row[k]) for f, row in zip(found, best, strict=True)]
            score = sum(t.weight * f for t, f in zip(wanted, found, strict=True)) / total
            missing = sum(1 for t, f in zip(wanted, found, strict=True) if t.key and not f)
            if (score, -missing) > (top_score, -top_missing):
                top_score, top_missing = score, missing
    return AddressMatch(round(top_score, 1), len(wanted), top_missing, postcode)
