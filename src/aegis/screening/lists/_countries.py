"""Country names and codes as the lists spell them, to ISO 3166-1 alpha-2.

English names come from CLDR through Babel; the lists' own spellings (OFAC's "Korea, North",
the UN's "Iran (Islamic Republic of)", "Palestinian" as a nationality...) from the alias table
below, which was built from the names the real OFAC, UN and CSL files use. A name neither
knows is reported as unknown, never guessed: a wrong country is worse evidence than none.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Final

import babel
from anyascii import anyascii

# CLDR territory codes that are not ISO 3166-1 countries (continents, pseudo-locales, and
# the exceptionally reserved codes), and Kosovo's user-assigned XK, which every list uses.
_NOT_COUNTRIES: Final = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)

# Normalised spelling (see _fold) -> code. Only names CLDR does not already give.
_ALIASES: Final[dict[str, str]] = {
    "korea north": "KP",
    "democratic peoples republic of korea": "KP",
    "dprk": "KP",
    "korea south": "KR",
    "republic of korea": "KR",
    "burma": "MM",
    "turkey": "TR",
    "hong kong": "HK",
    "hong kong special administrative region china": "HK",
    "china hong kong special administrative region": "HK",
    "macau": "MO",
    "macao": "MO",
    "china macao special administrative region": "MO",
    "congo democratic republic of": "CD",
    "democratic republic of congo": "CD",
    "congo kinshasa": "CD",
    "drc": "CD",
    "zaire": "CD",
    # The UN's "Congo" is the Republic of the Congo (Brazzaville).
    "congo": "CG",
    "congo republic of": "CG",
    "republic of congo": "CG",
    "congo brazzaville": "CG",
    "palestinian": "PS",
    "palestinian authority": "PS",
    "palestinian territories": "PS",
    "occupied palestinian territory": "PS",
    "palestine": "PS",
    "state of palestine": "PS",
    "west bank": "PS",
    "gaza": "PS",
    "gaza strip": "PS",
    "czech republic": "CZ",
    "cabo verde": "CV",
    "russian federation": "RU",
    "syrian arab republic": "SY",
    "iran islamic republic of": "IR",
    "venezuela bolivarian republic of": "VE",
    "bolivia plurinational state of": "BO",
    "united republic of tanzania": "TZ",
    "viet nam": "VN",
    "lao peoples democratic republic": "LA",
    "republic of moldova": "MD",
    "united kingdom of great britain and northern ireland": "GB",
    "great britain": "GB",
    "uk": "GB",
    "united states of america": "US",
    "usa": "US",
    "ivory coast": "CI",
    "macedonia": "MK",
    "former yugoslav republic of macedonia": "MK",
    "republic of north macedonia": "MK",
    "swaziland": "SZ",
    "east timor": "TL",
    "holy see": "VA",
    "vatican": "VA",
    "brunei darussalam": "BN",
    "micronesia federated states of": "FM",
    "netherlands kingdom of": "NL",
    "virgin islands us": "VI",
    "us virgin islands": "VI",
    "st martin french part": "MF",
    "sint maarten dutch part": "SX",
    "falkland islands malvinas": "FK",
    "united states minor outlying islands": "UM",
    "prc": "CN",
    "peoples republic of china": "CN",
    # Annexed by Russia in 2014; UN General Assembly resolution 68/262 affirms Ukraine's
    # territorial integrity, and OFAC lists it under Ukraine-related programmes.
    "crimea": "UA",
    "northern mali": "ML",
    "cote d ivoire": "CI",
    # Nationalities written as adjectives where the lists do so.
    "eritrean": "ER",
}

# Spellings that mean "no country given": dropped without a warning.
_BLANK: Final = frozenset(
    {"", "0", "na", "n a", "none", "none identified", "unknown", "undetermined", "stateless"}
)

# Qualifiers around the name itself ("Region: Gaza", "possibly Palestinian").
_PREFIX = re.compile(r"^(?:region\s*:\s*|possibly\s+)", re.IGNORECASE)
_PAREN = re.compile(r"\s*\([^()]*\)\s*")


def _fold(name: str) -> str:
    """Spelling-insensitive form: ASCII, lower case, no punctuation, "&" as "and", "Saint"
    as "St", without "the" (OFAC's "Bahamas, The", CLDR's "St. Kitts & Nevis")."""
    text = anyascii(name).lower().replace("&", " and ").replace("'", "").replace("’", "")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join("st" if w == "saint" else w for w in words if w != "the")


@cache
def _names() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, name in babel.Locale("en").territories.items():
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
            table[_fold(name)] = code
            # "Myanmar (Burma)": both the name and the name in brackets.
            for part in re.findall(r"\(([^()]*)\)", name):
                table.setdefault(_fold(part), code)
            table.setdefault(_fold(_PAREN.sub(" ", name)), code)
            # "Hong Kong SAR China", "Macao SAR China".
            if name.endswith(" SAR China"):
                table.setdefault(_fold(name.removesuffix(" SAR China")), code)
    # The generic rules above make "congo" ambiguous; the alias decides.
    table.update(_ALIASES)
    return table


@cache
def codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code CLDR knows, plus XK."""
    return frozenset(_names().values())


def _is_code(text: str) -> bool:
    return len(text) == 2 and text.isupper() and text.isascii()


def is_blank(value: str) -> bool:
    text = value.strip()
    if _is_code(text):  # "NA" is Namibia; the UN's "na" is "not available"
        return False
    return _fold(text) in _BLANK or text in {"-0-", "-"}


@cache
def country_code(value: str) -> str | None:
    """The alpha-2 code for a country name or code as a list writes it, or None when the
    name is unknown (or blank: check :func:`is_blank` to tell the two apart)."""
    text = " ".join(value.split()).strip(" .;,")
    if not text or is_blank(text):
        return None
    # Codes only in upper case: the UN writes "na" for "not available", not Namibia.
    if _is_code(text):
        return text if text in codes() else None
    table = _names()
    text = _PREFIX.sub("", text)
    # "Cabo Verde. Previously Cape Verde": the name before any further sentence.
    candidates = [text, _PAREN.sub(" ", text), text.split(". ")[0]]
    # OFAC's inverted names: "Korea, North", "Virgin Islands, British", "Man, Isle of".
    if text.count(",") == 1:
        head, tail = (part.strip() for part in text.split(","))
        candidates.append(f"{tail} {head}")
    for candidate in candidates:
        code = table.get(_fold(candidate))
        if code is not None:
            return code
    return None
