"""Names as weighted tokens: what the matcher and the index both work on.

A published or queried name is romanised (:mod:`._translit`), split into tokens, and each
token gets a weight that says how much it identifies someone: a particle (``al``, ``bin``,
``van``) or a title weighs little, a legal form of a company nothing at all when the
entity is known to be a company. The weights are fixed, not learned from a corpus, so that
comparing two names gives the same score wherever it runs.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import Any

import jellyfish

from aegis.screening.entities import EntityType
from aegis.screening.matching._translit import RawToken, romanize


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Removed from the start of a person's name; kept as light tokens when the type is unknown,
# since "General" also starts company names. Words that are also common surnames (King,
# Major, Prince, Marshal) are not here.
HONORIFICS = _words(
    """mr mrs ms miss mister madam madame mme mlle dr doctor prof professor sir dame lord lady
    sheikh shaikh shaykh sheik cheikh haji hajji hadji hajj alhaj alhajj alhaji mullah mulla
    molla maulana mawlana maulvi mawlawi moulavi imam qari hafiz general gen colonel col
    lieutenant lt maj captain capt sergeant sgt brigadier admiral commander cmdr president
    minister ambassador senator rev reverend fr excellency hon honourable honorable
    eng engr engineer"""
)
# Light tokens in an organisation's name (legal forms, also Cyrillic ones transliterated).
LEGAL_FORMS = _words(
    """ltd limited llc lc inc incorporated corp corporation co company cos gmbh mbh ag kg ohg
    sa sas sarl sarlu srl spa sl slu bv nv plc llp lp pte pty pvt private public jsc ojsc
    cjsc pjsc ooo oao zao pao tov pp fze fzco fzc fzllc fze fzc dmcc wll est establishment
    bhd sdn tbk pt cv lda ltda kft zrt doo dd ad eood ood ab oy oyj asa aps sro as kk yk
    gk"""
)
# Words of organisation names that say little about which organisation it is.
ORG_COMMON = _words(
    """trading trade international intl group holding holdings industries industrial
    enterprise enterprises services service general import export imports exports global
    investment investments commercial commerce shipping logistics development company bank
    foundation association organization organisation partners agency national united
    technology technologies tech solutions management consulting center centre"""
)
# Kinship words, articles, and the like: they come and go between spellings of one name.
# Not here although particles elsewhere: "le", "do", "an" (Vietnamese surnames and names),
# "das" (an Indian surname).
PARTICLES = _words(
    """al el ul ad ar as ash at az ad adh ath bin ben ibn bint binti bte abu abou bou umm
    ould walad ur ud us uz de da di del della dela der den des du dos van von vom zu la los
    las y e of the and und et mc mac st saint jr sr ii iii iv"""
)


class Kind(IntEnum):
    NAME = 0  # an ordinary name token
    COMMON = 1  # a generic organisation word ("trading")
    INITIAL = 2  # a single letter
    LIGHT = 3  # a particle, or a title/legal form that could not be ruled out
    JOINED = 4  # adjacent tokens joined into one, for comparison only


WEIGHTS = {Kind.NAME: 1.0, Kind.COMMON: 0.5, Kind.INITIAL: 0.3, Kind.LIGHT: 0.2, Kind.JOINED: 1.0}
# A token that by itself can tell two people apart (for the "one token in common" rule).
INFORMATIVE = frozenset({Kind.NAME})


# Identity equality: tokens are interned by :func:`make_token`, and hashing by identity keeps
# the similarity cache cheap.
@dataclass(frozen=True, slots=True, eq=False)
class Token:
    text: str
    kind: Kind
    weight: float
    # Consonant classes, comparable across Latin spellings and abjad (vowel-less) scripts.
    skeleton: str
    phonetic: str
    # The token was romanised from Arabic script, so its vowels are unknown and only its
    # skeleton is reliable...
    abjad: bool
    # ...and the long vowels the script does write (A, U, I in order; "" for Latin), and its
    # consonant classes before collapsing (to join tokens).
    vowels: str = ""
    classes: str = ""
    # The text without doubled letters, and the skeleton without an h after a consonant
    # (precomputed for the similarity measures).
    single: str = ""
    loose: str = ""
    # Unique in the process and never reused (unlike ``id``, once a token is freed): caches
    # keyed by plain integers hold no objects the garbage collector must walk.
    serial: int = 0

    def __reduce__(self) -> tuple[Any, ...]:
        # Unpickled (another process), a token is interned again and gets a serial there.
        return make_token, (self.text, self.kind, self.classes if self.abjad else None, self.vowels)


_SERIALS = itertools.count(1)


@dataclass(frozen=True, slots=True, eq=False)
class Form:
    """One spelling of a name as tokens, with what alignment needs precomputed: the units
    compared (each token, adjacent pairs joined, triples around a particle), split into
    single tokens and joined spans (singles come first in ``units``), and per unit its token
    weight and whether it holds an informative token."""

    tokens: tuple[Token, ...]
    units: tuple[tuple[tuple[int, ...], Token], ...]
    weight: float
    informative: int
    token_weights: tuple[float, ...]
    unit_weights: tuple[float, ...]
    unit_informative: tuple[bool, ...]
    # Bit i set for token i: of each unit, and of the informative tokens.
    unit_masks: tuple[int, ...]
    informative_mask: int
    singles: int  # the first ``singles`` units are single tokens


@dataclass(frozen=True, slots=True)
class PreparedName:
    original: str
    forms: tuple[Form, ...]
    scripts: frozenset[str]

    @property
    def informative(self) -> int:
        """The fewest informative tokens any form has (0 for an empty name)."""
        return min((f.informative for f in self.forms), default=0)

    @property
    def display(self) -> str:
        return " ".join(t.text for t in self.forms[0].tokens) if self.forms else ""


_LATIN_CLASS = re.compile(r"tch|sch|sh|ch|kh|gh|th|dh|ph|ck|dj|c[eiy]|[a-z0-9]")
_CLASS_OF = {
    "tch": "S", "sch": "S", "sh": "S", "ch": "S", "kh": "K", "dj": "J", "ce": "S", "ci": "S",
    "cy": "S", "gh": "G", "th": "T", "dh": "D", "ph": "F",
    "ck": "K", "b": "B", "p": "B", "t": "T", "d": "D", "z": "Z", "s": "S", "c": "K", "k": "K",
    "q": "K", "g": "G", "j": "J", "h": "H", "f": "F", "v": "F", "l": "L", "m": "M", "n": "N",
    "r": "R", "x": "KS",
}  # fmt: skip


_COARSE = str.maketrans({"D": "T", "Z": "T", "Q": "T", "G": "K", "J": "K"})
_DIGRAPH_H = re.compile(r"(?<=[KSTDGJZQ])H")


def undigraph(skeleton: str) -> str:
    out: list[str] = []
    for ch in _DIGRAPH_H.sub("", skeleton):
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


def coarse(skeleton: str) -> str:
    """A skeleton blind to the consonants spellings disagree on most: an h after another
    consonant (Latin "kh" and "sh" are also k+h and s+h), the dentals (ظ is z, dh, th or d
    in Latin, ذ dh, z or d), and g/j/k (Egyptian "Gamal"). The index's key for
    loose comparison of :mod:`._similarity`: equal skeletons have equal coarse skeletons."""
    return undigraph(skeleton).translate(_COARSE)


def skeleton_of(classes: str) -> str:
    """Consonant classes with doubles collapsed and a final h dropped (Hamza/Hamzah,
    Allah/Alla come and go between spellings)."""
    out: list[str] = []
    for ch in classes:
        if not out or out[-1] != ch:
            out.append(ch)
    while len(out) > 1 and out[-1] == "H":
        out.pop()
    return "".join(out)


def latin_skeleton(text: str) -> str:
    """Consonant classes of a Latin spelling, vowels (and y, w) dropped, doubles and a
    final h collapsed: ``mohammed`` and ``muhammad`` both give ``MHMD``."""
    return skeleton_of(latin_classes(text))


def latin_classes(text: str) -> str:
    """The consonant class of each letter of a Latin spelling, uncollapsed."""
    return "".join(_CLASS_OF.get(p, "") for p in _LATIN_CLASS.findall(text))


@lru_cache(maxsize=1 << 17)
def make_token(text: str, kind: Kind, abjad_classes: str | None = None, vowels: str = "") -> Token:
    """One interned token: equal tokens are one object, which keeps a large index small.
    ``abjad_classes`` are the consonant classes of a token romanised from Arabic script."""
    skeleton = skeleton_of(abjad_classes) if abjad_classes is not None else latin_skeleton(text)
    single = "".join(ch for i, ch in enumerate(text) if i == 0 or text[i - 1] != ch)
    return Token(
        text=text,
        kind=kind,
        weight=WEIGHTS[kind],
        skeleton=skeleton,
        phonetic=jellyfish.metaphone(text) if len(text) > 1 and text.isalpha() else text,
        abjad=abjad_classes is not None,
        vowels=vowels,
        classes=abjad_classes or "",
        single=text if single == text else single,
        loose=undigraph(skeleton),
        serial=next(_SERIALS),
    )


def name_rules(entity_type: EntityType | None) -> str:
    """How words are read: a person's leading titles are removed; a company's legal forms
    (and, type unknown, titles) are kept as light tokens, since a misspelt legal form must
    still be recognised as one."""
    if entity_type is EntityType.PERSON:
        return "person"
    if entity_type is EntityType.ORGANIZATION:
        return "organization"
    return "unknown"


def _kind(text: str, rules: str, abjad: bool) -> Kind:
    if abjad:
        # Romanised Arabic is vowel-less: "mr" is Omar (عمر), not Mister.
        return Kind.INITIAL if len(text) == 1 else Kind.NAME
    if len(text) == 1:
        # Before the particles: a lone letter ("y", "e") is read as an initial, or a name
        # made of such letters could never match itself.
        return Kind.INITIAL
    if text in PARTICLES:
        return Kind.LIGHT
    if rules != "organization" and text in HONORIFICS:
        return Kind.LIGHT
    if rules != "person" and text in LEGAL_FORMS:
        return Kind.LIGHT
    if rules != "person" and text in ORG_COMMON:
        return Kind.COMMON
    return Kind.NAME


def _strip(raw: tuple[RawToken, ...], rules: str) -> tuple[RawToken, ...]:
    # Titles come first ("Dr", "Sheikh Haji"); later the same word is more likely a name.
    if rules == "person":
        start = 0
        while start < len(raw) - 1 and raw[start][1] is None and raw[start][0] in HONORIFICS:
            start += 1
        return raw[start:]
    return raw


def joined(tokens: tuple[Token, ...]) -> Token:
    """Adjacent tokens as one (``abdul`` + ``rahman`` -> ``abdulrahman``)."""
    text = "".join(t.text for t in tokens)
    if any(t.abjad for t in tokens):
        classes = "".join(t.classes if t.abjad else latin_classes(t.text) for t in tokens)
        return make_token(text, Kind.JOINED, classes, "".join(t.vowels for t in tokens))
    return make_token(text, Kind.JOINED)


def spans(tokens: tuple[Token, ...]) -> list[tuple[int, ...]]:
    """Token positions compared as one: each token, each adjacent pair, and each triple
    around a particle ("abd al rahman", "salah ad din")."""
    out: list[tuple[int, ...]] = [(i,) for i in range(len(tokens))]
    out.extend((i, i + 1) for i in range(len(tokens) - 1))
    out.extend(
        (i, i + 1, i + 2) for i in range(len(tokens) - 2) if tokens[i + 1].kind is Kind.LIGHT
    )
    return out


def make_form(tokens: tuple[Token, ...]) -> Form:
    weights = tuple(t.weight for t in tokens)
    informative = tuple(t.kind in INFORMATIVE for t in tokens)
    units: list[tuple[tuple[int, ...], Token]] = []
    unit_weights: list[float] = []
    unit_informative: list[bool] = []
    unit_masks: list[int] = []
    for span in spans(tokens):
        first, last = span[0], span[-1]
        units.append((span, tokens[first] if first == last else joined(tokens[first : last + 1])))
        # Summed left to right as alignment once summed them: scores stay bit-for-bit equal.
        weight = weights[first]
        for i in span[1:]:
            weight += weights[i]
        unit_weights.append(weight)
        unit_informative.append(any(informative[first : last + 1]))
        unit_masks.append((1 << (last + 1)) - (1 << first))
    return Form(
        tokens=tokens,
        units=tuple(units),
        weight=sum(weights),
        informative=sum(informative),
        token_weights=weights,
        unit_weights=tuple(unit_weights),
        unit_informative=tuple(unit_informative),
        unit_masks=tuple(unit_masks),
        informative_mask=sum(1 << i for i, inf in enumerate(informative) if inf),
        singles=len(tokens),
    )


@lru_cache(maxsize=1 << 16)
def prepare_name(name: str, rules: str = "unknown") -> PreparedName:
    """Romanise, tokenise and weigh one name. ``rules`` is what :func:`name_rules` gives."""
    romanized = romanize(name, organisation=rules == "organization")
    seen: set[tuple[Token, ...]] = set()
    forms: list[Form] = []
    for raw in romanized.forms:
        tokens = tuple(
            make_token(t, _kind(t, rules, s is not None), s, v) for t, s, v in _strip(raw, rules)
        )
        if tokens and tokens not in seen:
            seen.add(tokens)
            forms.append(make_form(tokens))
    return PreparedName(original=name, forms=tuple(forms), scripts=romanized.scripts)
