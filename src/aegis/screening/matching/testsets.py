"""Labelled pairs for evaluating the matcher, built deterministically from list entities.

Positives pair a listed person or organisation with a query that should match it: the
name or an alias as published, and variants a customer's record plausibly holds
(misspelled, reordered, truncated as in a machine-readable zone, without a middle name,
in another script, with words joined or split). Negatives are common names of many
cultures (:mod:`._common_names`) that no listed entity carries: a query is kept only when
no entity has all of its tokens among its names.

Pure: takes entities, returns pairs; ``scripts/eval_screening.py`` loads the lists and
prints the figures.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace

from rapidfuzz.distance import OSA

from aegis.screening.entities import EntityType, ListEntity
from aegis.screening.matching._common_names import COMMON_NAMES, NAME_VARIANTS
from aegis.screening.matching._compare import compare
from aegis.screening.matching._index import NameIndex
from aegis.screening.matching._model import Query
from aegis.screening.matching._renderings import (
    SLAVIC,
    SLAVIC_COUNTRIES,
    display_order,
    to_cyrillic,
    to_han,
)
from aegis.screening.matching._tokens import HONORIFICS, PARTICLES
from aegis.screening.matching._translit import latin_tokens

VARIANT_KINDS = (
    "exact",
    "alias",
    "misspelled",
    "reordered",
    "truncated",
    "missing_middle",
    "transliterated",
    "joined_split",
)
NEGATIVE = "negative"


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelledPair:
    kind: str  # one of VARIANT_KINDS, or NEGATIVE
    query: Query
    entity: ListEntity | None  # the entity the query must match; None for negatives
    source: str  # the published name the variant was made from, or the culture
    detail: str = ""  # e.g. the script of a transliteration


def _is_latin(text: str) -> bool:
    return all(not ch.isalpha() or ord(ch) < 0x250 for ch in text)


# --- variants -------------------------------------------------------------------------------

_KEYBOARD = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij",
    "i": "uok", "o": "ipl", "p": "ol", "a": "qsz", "s": "adw", "d": "sfe", "f": "dgr",
    "g": "fht", "h": "gjy", "j": "hku", "k": "jli", "l": "ko", "z": "xa", "x": "zcs",
    "c": "xvd", "v": "cbf", "b": "vng", "n": "bmh", "m": "nj",
}  # fmt: skip
_VOWELS = "aeiou"


def _typo(word: str, rng: random.Random) -> str:
    """One realistic typing or spelling error: a neighbouring key or another vowel, a
    dropped, doubled or swapped letter."""
    for _ in range(20):
        i = rng.randrange(len(word))
        ch = word[i]
        low = ch.lower()
        op = rng.choice(("substitute", "delete", "insert", "transpose"))
        if op == "substitute" and low.isalpha():
            pool = _VOWELS if low in _VOWELS else _KEYBOARD.get(low, "")
            pool = pool.replace(low, "")
            if not pool:
                continue
            new = rng.choice(pool)
            new = new.upper() if ch.isupper() else new
            out = word[:i] + new + word[i + 1 :]
        elif op == "delete" and len(word) > 3:
            out = word[:i] + word[i + 1 :]
        elif op == "insert":
            out = word[:i] + ch + word[i:]
        elif op == "transpose" and i + 1 < len(word) and word[i] != word[i + 1]:
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            continue
        if out.lower() != word.lower():
            return out
    return word


def misspelled(name: str, rng: random.Random) -> str | None:
    """One or two errors (as likely), in different tokens of 4+ letters where there are
    two."""
    words = display_order(name).split()
    eligible = [i for i, w in enumerate(words) if sum(c.isalpha() for c in w) >= 4]
    if not eligible:
        return None
    edits = rng.choice((1, 2))
    chosen = rng.sample(eligible, min(edits, len(eligible)))
    if edits == 2 and len(chosen) == 1:
        chosen = chosen * 2
    for i in chosen:
        words[i] = _typo(words[i], rng)
    out = " ".join(words)
    return out if out.lower() != display_order(name).lower() else None


def reordered(name: str, rng: random.Random) -> str | None:
    """The published order changed: ``SURNAME, Given`` as ``Given SURNAME``, or the last
    name moved to the front."""
    if name.count(",") == 1:
        return display_order(name)
    words = name.split()
    if len(words) < 2:
        return None
    return " ".join([words[-1], *words[:-1]])


def truncated(name: str, rng: random.Random) -> str | None:
    """As in a passport's machine-readable zone (``SURNAME<<GIVEN<NAMES``, upper-case
    A-Z), cut off inside the last name, keeping at least half of it and 5 letters."""
    if name.count(",") == 1:
        surname, given = (p.strip() for p in name.split(","))
    else:
        surname, given = name, ""

    def mrz(text: str) -> str:
        return "<".join(latin_tokens(text)).upper()

    field = mrz(surname) + ("<<" + mrz(given) if given else "")
    last = field.replace("<<", "<").split("<")[-1]
    if len(last) < 6:
        return None
    keep = rng.randint(max(5, math.ceil(len(last) / 2)), len(last) - 1)
    return field[: len(field) - len(last) + keep]


def _distinctive(word: str) -> bool:
    low = word.lower().strip("'-.")
    return len(low) > 1 and low not in PARTICLES and low not in HONORIFICS


def missing_middle(name: str, rng: random.Random) -> str | None:
    """One inner name (not the first or last, not a particle) left out, where two
    distinctive names remain."""
    words = display_order(name).split()
    inner = [i for i in range(1, len(words) - 1) if _distinctive(words[i])]
    if len(words) < 3 or not inner or sum(map(_distinctive, words)) < 3:
        return None
    drop = rng.choice(inner)
    return " ".join(w for i, w in enumerate(words) if i != drop)


_JOINABLE = ("al", "el", "abd", "abdul", "abdel", "abu", "bin", "ul", "ben")


def joined_split(name: str, rng: random.Random) -> str | None:
    """Words joined or split as spellings do: ``al-Qaida`` / ``alqaida`` / ``al qaida``,
    ``Abdul Rahman`` / ``Abdulrahman``."""
    text = display_order(name)
    if "-" in text:
        return text.replace("-", rng.choice(("", " ")))
    words = text.split()
    for i in range(len(words) - 1):
        if words[i].lower() in _JOINABLE:
            return " ".join([*words[:i], words[i] + words[i + 1].lower(), *words[i + 2 :]])
    for i, w in enumerate(words):
        low = w.lower()
        for prefix in ("abdul", "abdel", "abu", "al"):
            if low.startswith(prefix) and len(low) - len(prefix) >= 4:
                cut = len(prefix)
                return " ".join([*words[:i], w[:cut], w[cut:], *words[i + 1 :]])
    return None


# --- building the sets ----------------------------------------------------------------------


def _latin_only(entity: ListEntity) -> ListEntity:
    names = [n for n in entity.names if _is_latin(n)]
    return replace(entity, name=names[0], aliases=tuple(names[1:]))


def _script_only(entity: ListEntity) -> ListEntity | None:
    names = [n for n in entity.names if not _is_latin(n)]
    if not names:
        return None
    return replace(entity, name=names[0], aliases=tuple(names[1:]))


def _script_of(text: str) -> str:
    for ch in text:
        if "\u0600" <= ch <= "\u06ff":
            return "arabic"
        if "\u0400" <= ch <= "\u04ff":
            return "cyrillic"
        if "\u4e00" <= ch <= "\u9fff":
            return "han"
    return "other"


Maker = Callable[[str, random.Random], str | None]
_MAKERS: dict[str, tuple[Maker, bool]] = {
    # kind: (maker, persons only)
    "misspelled": (misspelled, False),
    "reordered": (reordered, True),
    "truncated": (truncated, True),
    "missing_middle": (missing_middle, True),
    "joined_split": (joined_split, False),
}


def build_positives(
    entities: Sequence[ListEntity], *, seed: int = 7, per_kind: int = 400
) -> list[LabelledPair]:
    """Up to ``per_kind`` positives of each kind (fewer where few names qualify)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    pool = [e for e in entities if e.type in (EntityType.PERSON, EntityType.ORGANIZATION)]
    pool.sort(key=lambda e: (e.key, e.name))
    rng.shuffle(pool)
    out: list[LabelledPair] = []

    def pair(kind: str, query: str, entity: ListEntity, source: str, detail: str = "") -> None:
        q = Query.of(query, type=entity.type)
        out.append(LabelledPair(kind=kind, query=q, entity=entity, source=source, detail=detail))

    for e in pool[:per_kind]:
        pair("exact", e.name, e, e.name)
    with_alias = [e for e in pool if any(_is_latin(a) for a in e.aliases)]
    for e in with_alias[:per_kind]:
        alias = rng.choice([a for a in e.aliases if _is_latin(a)])
        pair("alias", alias, e, alias)
    for kind, (maker, persons_only) in _MAKERS.items():
        made = 0
        for e in pool:
            if made >= per_kind:
                break
            if persons_only and e.type is not EntityType.PERSON:
                continue
            latin = [n for n in e.names if _is_latin(n)]
            if not latin:
                continue
            source = rng.choice(latin)
            variant = maker(source, rng)
            if variant:
                detail = ""
                if kind == "misspelled":
                    edits = OSA.distance(variant.lower(), display_order(source).lower())
                    detail = "1 edit" if edits <= 1 else "2 edits"
                pair(kind, variant, e, source, detail)
                made += 1
    out.extend(_transliterated(pool, rng, per_kind))
    return out


def _transliterated(
    pool: Sequence[ListEntity], rng: random.Random, per_kind: int
) -> list[LabelledPair]:
    out: list[LabelledPair] = []
    for e in pool:
        scripts = [n for n in e.names if not _is_latin(n)]
        latin = [n for n in e.names if _is_latin(n)]
        reduced = _script_only(e)
        if not scripts or not latin or reduced is None:
            continue
        original = rng.choice(scripts)
        script = _script_of(original)
        latin_entity = _latin_only(e)
        # Published original script against the Latin names, and the other way round.
        out.append(
            LabelledPair(
                kind="transliterated",
                query=Query.of(original, type=e.type),
                entity=latin_entity,
                source=latin_entity.name,
                detail=f"{script} (published)",
            )
        )
        out.append(
            LabelledPair(
                kind="transliterated",
                query=Query.of(e.name, type=e.type),
                entity=reduced,
                source=original,
                detail=f"{script} (published)",
            )
        )
    generated = 0
    for e in pool:
        if generated >= per_kind // 2 or e.type is not EntityType.PERSON:
            continue
        slavic = bool(set(e.nationalities) & SLAVIC_COUNTRIES) or bool(
            SLAVIC.search(e.name.split(",")[0].strip())
        )
        if slavic and _is_latin(e.name):
            out.append(
                LabelledPair(
                    kind="transliterated",
                    query=Query.of(to_cyrillic(e.name), type=e.type),
                    entity=e,
                    source=e.name,
                    detail="cyrillic (generated)",
                )
            )
            generated += 1
        elif "CN" in e.nationalities and (han := to_han(e.name)):
            out.append(
                LabelledPair(
                    kind="transliterated",
                    query=Query.of(han, type=e.type),
                    entity=e,
                    source=e.name,
                    detail="han (generated)",
                )
            )
            generated += 1
    return out[: 2 * per_kind]


def _spellings(token: str) -> frozenset[str]:
    for group in NAME_VARIANTS:
        if token in group:
            return group
    return frozenset({token})


def _carried(entities: Sequence[ListEntity]) -> list[frozenset[str]]:
    return [frozenset(t for n in e.names for t in latin_tokens(n)) for e in entities]


def _carries(tokens: frozenset[str], query: frozenset[str]) -> bool:
    return all(not tokens.isdisjoint(_spellings(t)) for t in query)


def build_negatives(entities: Sequence[ListEntity]) -> list[LabelledPair]:
    """Every given name x surname of each culture that no entity carries in full, in any
    common spelling (:data:`._common_names.NAME_VARIANTS`)."""
    carried = _carried(entities)
    by_token: dict[str, list[int]] = {}
    for i, tokens in enumerate(carried):
        for t in tokens:
            by_token.setdefault(t, []).append(i)
    out: list[LabelledPair] = []
    for culture, (givens, surnames) in COMMON_NAMES.items():
        for given in givens:
            for surname in surnames:
                name = f"{given} {surname}"
                tokens = frozenset(latin_tokens(name))
                if len(tokens) < 2:
                    continue
                holders = {i for t in tokens for s in _spellings(t) for i in by_token.get(s, ())}
                if any(_carries(carried[i], tokens) for i in holders):
                    continue
                out.append(
                    LabelledPair(
                        kind=NEGATIVE,
                        query=Query.of(name, type=EntityType.PERSON),
                        entity=None,
                        source=culture,
                    )
                )
    return out


def build_pairs(
    entities: Sequence[ListEntity], *, seed: int = 7, per_kind: int = 400
) -> list[LabelledPair]:
    """Positives of every kind, then the negatives."""
    return [*build_positives(entities, seed=seed, per_kind=per_kind), *build_negatives(entities)]


# --- scoring --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairOutcome:
    pair: LabelledPair
    # compare() score against the labelled entity (positives), or the best search score
    # over the whole index (negatives; 0 when nothing came back).
    score: float
    # Positives: whether index.search at the threshold returned the labelled entity.
    retrieved: bool | None
    best_match: str = ""


def score_pairs(
    pairs: Sequence[LabelledPair],
    index: NameIndex,
    refs: dict[int, Hashable],
    *,
    threshold: float,
    floor: float = 0.5,
) -> list[PairOutcome]:
    """Score every pair: positives with :func:`compare` and through ``index`` (``refs``
    maps ``id(entity)`` to the entity's ref in the index), negatives through ``index``
    down to ``floor`` so that other thresholds can be read off the same run."""
    out: list[PairOutcome] = []
    for p in pairs:
        if p.entity is None:
            hits = index.search(p.query, threshold=floor, limit=1)
            score = hits[0][2].score if hits else 0.0
            shown = hits[0][2].matched_name if hits else ""
            out.append(PairOutcome(pair=p, score=score, retrieved=None, best_match=shown))
            continue
        score = compare(p.query, p.entity, threshold=threshold).score
        retrieved = None
        if score >= threshold:
            ref = refs[id(p.entity)]
            found = index.search(p.query, threshold=threshold, limit=1000)
            retrieved = any(r == ref for r, _, _ in found)
        out.append(PairOutcome(pair=p, score=score, retrieved=retrieved))
    return out


def summarise(outcomes: Sequence[PairOutcome], *, threshold: float) -> dict[str, object]:
    """Recall per kind (and per script for transliterations), the false-positive rate on
    the negatives, and how many matches retrieval lost."""
    recall: dict[str, dict[str, float | int]] = {}
    groups: dict[str, list[PairOutcome]] = {}
    for o in outcomes:
        if o.pair.entity is not None:
            groups.setdefault(o.pair.kind, []).append(o)
            if o.pair.detail:
                groups.setdefault(f"{o.pair.kind}:{o.pair.detail}", []).append(o)
    for kind, items in sorted(groups.items()):
        hits = sum(o.score >= threshold for o in items)
        recall[kind] = {"n": len(items), "recall": round(hits / len(items), 4)}
    negatives = [o for o in outcomes if o.pair.entity is None]
    fps = [o for o in negatives if o.score >= threshold]
    lost = [o for o in outcomes if o.retrieved is False]
    return {
        "threshold": threshold,
        "recall": recall,
        "negatives": len(negatives),
        "false_positives": len(fps),
        "false_positive_rate": round(len(fps) / len(negatives), 4) if negatives else None,
        "retrieval_misses": len(lost),
    }


_CULTURE_COUNTRIES = {
    "english": ("GB", "US", "AU", "CA"), "spanish": ("ES", "MX", "CO", "AR"),
    "portuguese": ("PT", "BR"), "french_german_italian": ("FR", "DE", "IT", "CH"),
    "russian_male": ("RU", "UA", "BY"), "russian_female": ("RU", "UA", "KZ"),
    "arabic": ("EG", "SA", "AE", "JO", "IQ"), "persian_turkish": ("IR", "TR"),
    "chinese": ("CN", "TW", "SG"), "korean_japanese_vietnamese": ("KR", "JP", "VN"),
    "south_asian": ("IN", "PK", "BD"), "african": ("NG", "GH", "SN", "KE", "ZA"),
}  # fmt: skip


def synthetic_customers(n: int, *, seed: int = 11) -> list[ListEntity]:
    """``n`` made-up customers (as entities keyed ``cust-N``) with names from the common-name
    tables: given name, sometimes a second given name, surname; a birth date and a
    nationality. For benchmarks of re-screening, where customers are what is indexed."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    cultures = list(COMMON_NAMES)
    out = []
    for i in range(n):
        culture = rng.choice(cultures)
        givens, surnames = COMMON_NAMES[culture]
        parts = [rng.choice(givens)]
        if rng.random() < 0.3:
            parts.append(rng.choice(givens))
        parts.append(rng.choice(surnames))
        year, month, day = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        out.append(
            ListEntity(
                key=f"cust-{i}",
                type=EntityType.PERSON,
                name=" ".join(parts),
                birth_dates=(f"{year:04d}-{month:02d}-{day:02d}",),
                nationalities=(rng.choice(_CULTURE_COUNTRIES[culture]),),
            )
        )
    return out
