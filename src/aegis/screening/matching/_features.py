"""The named features a match score is the weighted sum of.

Each feature is a function whose docstring is its user documentation (``FEATURES`` maps a
feature's name to it). Name features read the alignment of the best-matching pair of names;
evidence features read the query and the entity. Every feature is present in every result,
with value 0 where it has nothing to say, so that explanations all look alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from aegis.screening.entities import EntityType, ListEntity
from aegis.screening.matching._model import FeatureValue, Query
from aegis.screening.matching._similarity import Alignment
from aegis.screening.matching._tokens import PreparedName

C = TypeVar("C")
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class NamePair:
    query: PreparedName
    match: PreparedName
    alignment: Alignment


@dataclass(frozen=True, slots=True)
class Evidence:
    query: Query
    entity: ListEntity


@dataclass(frozen=True, slots=True)
class Feature(Generic[C]):
    name: str
    weight: float
    value: Callable[[C], float]
    describe: Callable[[C], str]
    best: float = 1.0  # the highest value the feature takes

    def evaluate(self, ctx: C) -> FeatureValue:
        value = self.value(ctx)
        return FeatureValue(
            name=self.name,
            value=value,
            weight=self.weight,
            contribution=value * self.weight,
            detail=self.describe(ctx),
        )


FEATURES: dict[str, str] = {}
NAME_FEATURES: list[Feature[NamePair]] = []
EVIDENCE_FEATURES: list[Feature[Evidence]] = []


def _doc(fn: Callable[..., float]) -> str:
    return " ".join((fn.__doc__ or "").split())


def _name_feature(
    weight: float, describe: Callable[[NamePair], str]
) -> Callable[[Callable[[NamePair], float]], Callable[[NamePair], float]]:
    def register(fn: Callable[[NamePair], float]) -> Callable[[NamePair], float]:
        NAME_FEATURES.append(Feature(fn.__name__, weight, fn, describe))
        FEATURES[fn.__name__] = _doc(fn)
        return fn

    return register


def _evidence_feature(
    weight: float, describe: Callable[[Evidence], str], *, best: float
) -> Callable[[Callable[[Evidence], float]], Callable[[Evidence], float]]:
    def register(fn: Callable[[Evidence], float]) -> Callable[[Evidence], float]:
        EVIDENCE_FEATURES.append(Feature(fn.__name__, weight, fn, describe, best))
        FEATURES[fn.__name__] = _doc(fn)
        return fn

    return register


# --- name features --------------------------------------------------------------------------

MISSING_WEIGHT = -0.3
MISSING_SQUARE = 1.5
CONFLICT_WEIGHT = -0.8


def _script_note(name: PreparedName, side: str) -> str:
    foreign = sorted(name.scripts - {"latin"})
    return f"{side} romanised from {'/'.join(foreign)} as '{name.display}'; " if foreign else ""


def _describe_similarity(pair: NamePair) -> str:
    parts = [
        f"'{p.query}' = '{p.match}'"
        if p.method == "exact"
        else f"'{p.query}' ~ '{p.match}' ({p.method} {p.score:.2f})"
        for p in pair.alignment.pairs
    ]
    notes = _script_note(pair.query, "query") + _script_note(pair.match, "name")
    return notes + ("; ".join(parts) if parts else "no token in common")


@_name_feature(1.0, _describe_similarity)
def name_similarity(pair: NamePair) -> float:
    """How alike the aligned tokens of the best-matching pair of names are (0..1): the mean of
    the token-pair scores, weighted by token weight (1 for a name, 0.5 for a generic company
    word, 0.3 for an initial, 0.2 for a particle, title or legal form). Names are romanised
    first (Arabic as a consonant skeleton with its written long vowels, Chinese as pinyin,
    Korean with the customary surname spellings, Japanese kana, Cyrillic in two
    transliterations, accents removed), leading titles are dropped from people's names, and
    tokens are paired in any order, adjacent ones also joined ("abdul rahman" =
    "abdulrahman", "abd al rahman"). A token pair scores 1 when equal, else the best of:
    edit similarity 1 - d/n × (1 + 1.5/n) for d edits between tokens of n letters (optimal
    string alignment; a doubled letter counts half an edit, a different first consonant half
    an edit more), so that one edit costs more in a short token; 0.85 for the same Metaphone
    key (6+ letters, same first letter); against Arabic script, 0.9 for the same consonant
    skeleton when the long vowels agree, 0.85 for a skeleton equal up to d/z/dh/th and
    g/j/k, 0.8 for one consonant apart (or an assimilated article: ud-din); 0.7 + 0.25 × the
    share kept for a truncated last token (a prefix of 5+ letters and at least half the
    token, as machine-readable zones cut names); 0.95 for an attached article
    ("alqaida"/"qaida") or a particle spelt differently (bin/ben); 0.7 for an initial. A
    surname against a patronymic scores at most 0.7 (Ivanov/Ivanovich), a name against its
    nisba at most 0.55 (Ahmad/Ahmadi). Pairs scoring under 0.6 are not aligned."""
    return pair.alignment.similarity


def _describe_missing(pair: NamePair) -> str:
    a = pair.alignment
    parts = []
    if a.unmatched_query:
        parts.append("only in query: " + ", ".join(f"'{t}'" for t in a.unmatched_query))
    if a.unmatched_match:
        parts.append("only in name: " + ", ".join(f"'{t}'" for t in a.unmatched_match))
    return "; ".join(parts) or "every token matched"


@_name_feature(MISSING_WEIGHT, _describe_missing)
def name_missing_tokens(pair: NamePair) -> float:
    """For the share u (0..1) of token weight left unmatched on the side that has more of
    it, u + 1.5 u²: the name parts one side gives and the other does not, like a middle
    name, a patronymic or a second surname. One part in three missing costs little (lists
    and customers rarely give every name); half a name missing costs as much as a wrong
    token, since the names may then share only their commonest parts. Particles (al, bin,
    van, de), titles and generic company words weigh little."""
    a = pair.alignment
    return missing_value(max(a.query_unmatched_share, a.match_unmatched_share))


def missing_value(share: float) -> float:
    return share + MISSING_SQUARE * share * share


@_name_feature(CONFLICT_WEIGHT, _describe_missing)
def name_conflicting_tokens(pair: NamePair) -> float:
    """Share (0..1) of token weight left unmatched on the side that has less of it. When
    both names keep tokens the other lacks ("Ali Hassan Karim" against "Ali Hassan Mahmoud"),
    they disagree rather than one being shorter, and that is heavily penalised."""
    a = pair.alignment
    return min(a.query_unmatched_share, a.match_unmatched_share)


def _describe_single(pair: NamePair) -> str:
    a = pair.alignment
    if a.single_token:
        return f"{a.distinctive_pairs} distinctive token(s) in common, others unexplained"
    return f"{a.distinctive_pairs} distinctive token(s) in common"


@_name_feature(-0.35, _describe_single)
def name_single_token(pair: NamePair) -> float:
    """1 when fewer than two distinctive tokens are in common while either name has a
    distinctive token left over: sharing "John", or "Mohammed", or a surname alone is never
    enough to match a person ("Hamas" still matches "Hamas", and "Abdulrahman" matches
    "Abdul Rahman"). Initials, particles, titles and generic company words are not
    distinctive, and a token matched only by its initial does not count."""
    return 1.0 if pair.alignment.single_token else 0.0


def name_score(pair: NamePair) -> float:
    return sum(f.weight * f.value(pair) for f in NAME_FEATURES)


def name_score_bound(query_share: Floats, match_share: Floats) -> Floats:
    """The most name pairs can score when at least these shares of their weight are
    unmatched (every aligned pair scoring 1, no single-token penalty): retrieval's bound."""
    high, low = np.maximum(query_share, match_share), np.minimum(query_share, match_share)
    return 1.0 + MISSING_WEIGHT * (high + MISSING_SQUARE * high * high) + CONFLICT_WEIGHT * low


def name_score_most_shares(query_share: float, match_share: float) -> float:
    """:func:`name_score_bound` for one pair of shares (the same arithmetic, in order)."""
    high, low = max(query_share, match_share), min(query_share, match_share)
    return 1.0 + MISSING_WEIGHT * (high + MISSING_SQUARE * high * high) + CONFLICT_WEIGHT * low


def name_score_most(top: float, query_share: float, match_share: float) -> float:
    """The most a name pair can score when its aligned pairs score at most ``top`` and at
    least these shares of each side's weight stay unmatched (the similarity is a mean of
    pair scores; no single-token penalty); a hair over, so that rounding never makes it
    less than a score it bounds."""
    high, low = max(query_share, match_share), min(query_share, match_share)
    return top + MISSING_WEIGHT * missing_value(high) + CONFLICT_WEIGHT * low + 1e-9


# --- evidence features ----------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def _parse_date(text: str) -> tuple[int, int | None, int | None] | None:
    m = _DATE.match(text.strip())
    if not m:
        return None
    return int(m[1]), int(m[2]) if m[2] else None, int(m[3]) if m[3] else None


def _date_level(a: str, b: str) -> tuple[float, str]:
    da, db = _parse_date(a), _parse_date(b)
    if da is None or db is None:
        return 0.0, "unreadable"
    (ya, ma, ta), (yb, mb, tb) = da, db
    if abs(ya - yb) > 1:
        return -1.0, "different"
    if ya != yb:
        return 0.0, "within a year"
    if ma is not None and mb is not None and ma != mb:
        return -0.3, "same year, different month"
    if ta is not None and tb is not None and ma == mb:
        return (0.6, "exact") if ta == tb else (-0.3, "same month, different day")
    return 0.3, "same year"


def _best_date(ev: Evidence) -> tuple[float, str]:
    best: tuple[float, str] | None = None
    for q in ev.query.all_birth_dates:
        for e in ev.entity.birth_dates:
            level, label = _date_level(q, e)
            if best is None or level > best[0]:
                best = (level, f"{label}: {q} / {e}")
    return best or (0.0, "not known on both sides")


@_evidence_feature(0.15, lambda ev: _best_date(ev)[1], best=0.6)
def birth_date(ev: Evidence) -> float:
    """Birth dates, compared at the precision both give (the most favourable pair when
    several are known): +0.6 for the same day, +0.3 for the same year (when no more is
    known), 0 within a year (a common error), -0.3 for the same year but another month or
    day, -1 for years more than one apart. Weight 0.15: a clearly different date pulls a
    good name match below the threshold; an equal date only confirms."""
    return _best_date(ev)[0]


def _countries(ev: Evidence) -> tuple[set[str], set[str]]:
    q = {c.upper() for c in ev.query.countries if c}
    e = {c.upper() for c in (*ev.entity.nationalities, *ev.entity.countries) if c}
    return q, e


def _describe_country(ev: Evidence) -> str:
    q, e = _countries(ev)
    if not q or not e:
        return "not known on both sides"
    common = q & e
    if common:
        return "shared: " + ", ".join(sorted(common))
    return f"query {', '.join(sorted(q))}; entity {', '.join(sorted(e))}"


@_evidence_feature(0.05, _describe_country, best=0.6)
def country(ev: Evidence) -> float:
    """Countries (nationality, citizenship, residence, registration): +0.6 when the query
    and the entity share one, -1 when both give countries and none is shared, 0 otherwise.
    Weak either way: people move and lists give few addresses."""
    q, e = _countries(ev)
    if not q or not e:
        return 0.0
    return 0.6 if q & e else -1.0


_ID_CLEAN = re.compile(r"[^0-9A-Z]")


def id_keys(values: tuple[str, ...]) -> set[str]:
    """Identity numbers as compared: upper-case, separators removed, 5+ characters."""
    cleaned = (_ID_CLEAN.sub("", v.upper()) for v in values)
    return {v for v in cleaned if len(v) >= 5}


def _describe_id(ev: Evidence) -> str:
    common = id_keys(ev.query.id_numbers) & id_keys(ev.entity.id_numbers)
    return "identical: " + ", ".join(sorted(common)) if common else "no identical number"


@_evidence_feature(0.3, _describe_id, best=1.0)
def id_number(ev: Evidence) -> float:
    """1 when an identity number (passport, national ID, registration number; upper-cased,
    separators removed, at least 5 characters) is the same on both sides. Strong: it can
    lift a fair name match over the threshold. A different number is not evidence against,
    since people hold several documents."""
    return 1.0 if id_keys(ev.query.id_numbers) & id_keys(ev.entity.id_numbers) else 0.0


def _types(ev: Evidence) -> tuple[EntityType | None, EntityType | None]:
    q = ev.query.type
    e = ev.entity.type
    return (
        None if q is EntityType.UNKNOWN else q,
        None if e is EntityType.UNKNOWN else e,
    )


def _describe_type(ev: Evidence) -> str:
    q, e = _types(ev)
    if q is None or e is None:
        return "not known on both sides"
    return f"both {q.value}" if q is e else f"query {q.value}, entity {e.value}"


@_evidence_feature(0.3, _describe_type, best=0.0)
def entity_type(ev: Evidence) -> float:
    """-1 when one side is a person and the other is not (a company, vessel or aircraft),
    -0.3 for two different kinds of non-person, 0 when the types agree or one is unknown."""
    q, e = _types(ev)
    if q is None or e is None or q is e:
        return 0.0
    return -1.0 if EntityType.PERSON in (q, e) else -0.3


def max_evidence(query: Query) -> float:
    """The most the evidence features can add for this query: each needs a fact the query
    may not have, and adds at most its weight times its best value."""
    known = {
        "birth_date": bool(query.all_birth_dates),
        "country": bool(query.countries),
        "id_number": bool(query.id_numbers),
    }
    return sum(max(0.0, f.weight * f.best) for f in EVIDENCE_FEATURES if known.get(f.name, False))
