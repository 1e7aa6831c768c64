"""Token similarity and the alignment of two names' tokens.

Two names are compared token by token, in any order (``SURNAME, Given`` against ``Given
Surname``): every token, and every pair of adjacent tokens joined together (``abdul
rahman`` -> ``abdulrahman``, also across a particle: ``abd al rahman``), is scored against
every token of the other name (and the other name's joined tokens against every token of
this one), and the best-scoring pairs are taken greedily, each token used once. What is
left unmatched on either side is what the missing- and conflicting-token features price.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import OSA, Levenshtein

from aegis.screening.matching._tokens import Form, Kind, Token

# Pairs scoring below this are not aligned at all: their tokens count as unmatched.
MIN_PAIR = 0.6
# An edit costs more in a short token: one letter turns "Mary" into "Mark" and "Zhang" into
# "Zheng", while "Mohamed"/"Mohammed" is one name. Edit similarity is
# 1 - edits / length * (1 + SHORT_PENALTY / length).
SHORT_PENALTY = 1.5
# Metaphone ignores vowels; in short tokens the vowels make the name, so sound-alikes only
# count from this length on.
PHONETIC_MIN_LEN = 6
PHONETIC_SCORE = 0.85
# A truncated token keeps at least this many letters and half of the full one.
PREFIX_MIN_LEN = 5
# Consonant skeletons this long may differ by one edit and still be aligned.
SKELETON_EDIT_MIN = 4
ARTICLES = ("al", "el", "ul")
# What a token derived from another scores at most: a patronymic against the name it is
# derived from still aligns (weakly), a nisba does not.
PATRONYMIC_SCORE = 0.7
NISBA_SCORE = 0.55
_V = "aeiouy"
# Russian, Ukrainian, Belarusian patronymic endings (Ivanovich, Petrovna, Volodymyrovych).
_PATRONYMIC = re.compile(r"(vich|vych|vna|ich|ych)$")


def edit_similarity(distance: float, length: int) -> float:
    """Similarity of two tokens ``distance`` edits apart, the longer ``length`` letters."""
    if length == 0:
        return 0.0
    return max(0.0, 1.0 - distance / length * (1.0 + SHORT_PENALTY / length))


# Latin letters that can spell each vowel mark of an Arabic-script token (see _translit): A,
# U, I long vowels; V a final ya or alif maqsura (a or i); E, W, Y an initial ayn, waw, ya;
# e a medial ayn, which Latin may not write at all.
_VOWEL_SPELLINGS = {
    "A": "aeo", "U": "ouwv", "I": "iey", "E": "aeiouy", "V": "aeiouy", "W": "ouwv", "Y": "iey",
}  # fmt: skip
_INITIAL_SPELLINGS = {"E": "aeiouy", "W": "wvou", "Y": "yiej"}
_LATIN_LONG = re.compile(r"oo|ou|uu|ee|ii|ei|ai|ay|ey|aa")
_LONG_MARK = {
    "oo": "U", "ou": "U", "uu": "U", "ee": "I", "ii": "I", "ei": "I", "ai": "I", "ay": "I",
    "ey": "I", "aa": "A",
}  # fmt: skip


def vowels_fit(a: Token, b: Token) -> bool:
    """Whether an Arabic-script token and a Latin spelling agree on vowels: the long vowels
    (and ayn) Arabic writes appear, in order, in the Latin spelling, and the long vowels the
    Latin spelling marks (``ou``, ``ee``, a final ``i``) are written in the Arabic."""
    arabic, latin = (a, b) if a.abjad else (b, a)
    marks = arabic.vowels
    if latin.abjad:
        return marks == latin.vowels
    text = latin.text
    initial = _INITIAL_SPELLINGS.get(marks[:1])
    if initial is not None:
        # An initial ayn is spelt as an initial vowel (Omar, Ali; not Lei for علي), an
        # initial waw or ya as a consonant or vowel (Walid, Yahya); the letter may also
        # spell the next long vowel (Essa for عیسی).
        if text[0] not in initial:
            return False
        marks = marks[1:]
    pos = 0
    for mark in marks:
        if mark == "e":
            continue  # a medial or final ayn may be spelt with an apostrophe, or not at all
        letters = _VOWEL_SPELLINGS[mark]
        while pos < len(text) and text[pos] not in letters:
            pos += 1
        if pos == len(text):
            return False
        pos += 1
    pos = 0
    marks = marks.replace("W", "U").replace("Y", "I")
    for long in _LATIN_LONG.findall(text):
        need = _LONG_MARK[long]
        # A medial ayn (e) is often spelt as a doubled or long vowel (Saeed, Jaafar).
        while pos < len(marks) and marks[pos] not in (need, "E", "e", "V"):
            pos += 1
        if pos == len(marks):
            return False
        pos += 1
    final = marks.rstrip("e")  # a final ayn (ربيع, Rabi) is not written in Latin
    return not (len(text) >= 4 and text[-1] in "iy" and not final.endswith(("I", "V")))


# Arabic consonant class -> Latin classes that may spell it.
_SPELT_AS = {"Q": "DZT", "J": "JG", "K": "KG", "G": "GK"}


def _loosely_equal(arabic: Token, latin: Token) -> bool:
    a, b = arabic.loose, latin.loose
    if len(a) != len(b):
        return False
    return all(x == y or y in _SPELT_AS.get(x, "") for x, y in zip(a, b, strict=True))


def assimilated(ka: str, kb: str) -> bool:
    """Whether two skeletons differ by an article's l only: "al" takes the sound of the
    next consonant (ad-din, ar-rahman), so Latin writes Salahuddin for صلاح الدين."""
    return abs(len(ka) - len(kb)) == 1 and ka.replace("L", "") == kb.replace("L", "")


def _abjad_similarity(a: Token, b: Token) -> tuple[float, str]:
    # Vowels are not written in Arabic script: consonant classes are what can be compared,
    # provided the long vowels agree.
    ka, kb = a.skeleton, b.skeleton
    if not ka or not kb:
        return 0.0, "different"
    if ka == kb:
        if vowels_fit(a, b):
            arabic = a if a.abjad else b
            return (0.9 if len(ka) >= 2 else 0.8 if arabic.vowels else 0.75), "skeleton"
        return (0.7 if len(ka) >= 3 else 0.0), "skeleton"
    arabic, latin = (a, b) if a.abjad else (b, a)
    if _loosely_equal(arabic, latin) and (len(ka) >= 2 or arabic.vowels):
        score = 0.85 if len(ka) >= 2 else 0.75
    elif (
        min(len(ka), len(kb)) >= SKELETON_EDIT_MIN
        and Levenshtein.distance(ka, kb) <= 1
        and (Kind.JOINED not in (a.kind, b.kind) or assimilated(ka, kb))
    ):
        score = 0.8
    else:
        return 0.0, "different"
    return (score, "skeleton~") if vowels_fit(a, b) else (0.0, "different")


# Particles that are spellings of one another (bin/ben/ibn, al/el/ul and the assimilated
# ad/ar/as..., abu/abou).
_PARTICLE_GROUPS = {
    p: i
    for i, group in enumerate(
        (
            "al el ul il ad ar as ash at az an adh ath ud ur us uz",
            "bin ben ibn bn",
            "bint binti bte",
            "abu abou bou abo",
            "de da di del della dela der den des du dos",
            "van von vom",
            "wal wa",
        )
    )
    for p in group.split()
}


def _fuzzy(a: Token, b: Token) -> float:
    sa, sb = a.text, b.text
    distance: float = OSA.distance(sa, sb)
    if distance >= 2:
        # Beyond one edit a swap counts as two, and two edits align only between long
        # tokens (never joined ones): the reach of the index's deletion keys.
        distance = Levenshtein.distance(sa, sb)
        if (
            distance > 2
            or Kind.JOINED in (a.kind, b.kind)
            or not (two_deletions(len(sa)) and two_deletions(len(sb)))
        ):
            return 0.0
    ca, cb = a.single, b.single
    doubled = (len(sa) - len(ca)) - (len(sb) - len(cb))
    if doubled in (-1, 1):
        # A doubled letter is half an edit: Hassan/Hasan, Mohammed/Mohamed, Mellon/Melon.
        distance = min(distance, OSA.distance(ca, cb) + 0.5)
    if sa[0] != sb[0] and not (sa[0] in _V and sb[0] in _V):
        # Spelling errors rarely touch the first letter, and a different first consonant
        # usually makes a different name (Wang/Kang/Yang); Omar/Umar stays one edit.
        distance += 0.5
    return edit_similarity(distance, max(len(sa), len(sb)))


def one_deletion(length: int) -> bool:
    """Whether a token this long can align with a partner one deletion away (an edit, or
    half of one: a doubled letter), so that the index must file such deletions."""
    return edit_similarity(0.5, length) >= MIN_PAIR


def two_deletions(length: int) -> bool:
    """Whether a token this long may align with one two deletions away (two edits)."""
    return edit_similarity(2.0, length + 1) >= MIN_PAIR


def _one_patronymic(short: str, long: str) -> bool:
    """Whether the longer token has a patronymic ending and the shorter has none; of two
    tokens of one length, whether just one of them has (either way round, so that the
    score of a pair never depends on which token is the query's)."""
    if len(short) == len(long):
        return (_PATRONYMIC.search(short) is None) != (_PATRONYMIC.search(long) is None)
    return _PATRONYMIC.search(long) is not None and _PATRONYMIC.search(short) is None


def _similarity(a: Token, b: Token) -> tuple[float, str]:
    sa, sb = a.text, b.text
    if sa == sb:
        return 1.0, "exact"
    group = _PARTICLE_GROUPS.get(sa)
    if group is not None and group == _PARTICLE_GROUPS.get(sb):
        return 0.95, "particle"
    if a.abjad or b.abjad:
        return _abjad_similarity(a, b)
    la, lb = len(sa), len(sb)
    if min(la, lb) == 1:
        return (0.7, "initial") if sa[0] == sb[0] else (0.0, "different")
    longest = max(la, lb)
    best, method = _fuzzy(a, b), "fuzzy"
    if (
        min(la, lb) >= PHONETIC_MIN_LEN
        and best < PHONETIC_SCORE
        and a.phonetic == b.phonetic
        and sa[0] == sb[0]
        and OSA.distance(sa, sb) <= longest * 0.4
    ):
        best, method = PHONETIC_SCORE, "phonetic"
    short, long = (sa, sb) if la <= lb else (sb, sa)
    if Kind.JOINED in (a.kind, b.kind):
        # Truncation and derived names are about single tokens ("ahmadi" is not a cut-off
        # "ahmad iman").
        return best, method
    if len(short) >= PREFIX_MIN_LEN and 2 * len(short) >= len(long) and long.startswith(short):
        # A machine-readable zone or a form field cut the name off.
        prefix = 0.7 + 0.25 * len(short) / len(long)
        if prefix > best:
            best, method = prefix, "truncated"
    if long.startswith(ARTICLES) and len(short) >= 3 and long[2:] == short:
        best, method = 0.95, "article"
    elif best > PATRONYMIC_SCORE and _one_patronymic(short, long):
        # A surname is not a patronymic (Ivanov/Ivanovich, Petrova/Petrovna), though a
        # patronymic cut short in a machine-readable zone looks like one.
        best, method = PATRONYMIC_SCORE, "patronymic"
    elif (
        best > NISBA_SCORE
        and len(long) == len(short) + 1 >= 5
        and long[-1] in "iy"
        and short[-1] not in _V
    ):
        # A name and its nisba are different names (Ahmad/Ahmadi, Muhammad/Mohammadi).
        best, method = NISBA_SCORE, "nisba"
    return best, method


# Keyed by the two tokens' serials (integers: nothing for the garbage collector to walk).
_CACHE: dict[int, tuple[float, str]] = {}
_CACHE_MAX = 1 << 18
_SHIFT = 64  # serials stay far below 2**64


def token_similarity(a: Token, b: Token) -> tuple[float, str]:
    """How alike two tokens are (0..1) and by which measure: ``exact``, ``fuzzy``
    (optimal-string-alignment edit distance, see :func:`edit_similarity`), ``phonetic``
    (same Metaphone key), ``skeleton`` (same consonant classes and compatible vowels, for
    Arabic-script tokens), ``truncated`` (one is a long prefix of the other), ``article``
    (``alqaida``/``qaida``), ``initial``."""
    hit = _CACHE.get(a.serial << _SHIFT | b.serial)
    if hit is None:
        hit = _similarity(a, b)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[a.serial << _SHIFT | b.serial] = hit
        _CACHE[b.serial << _SHIFT | a.serial] = hit
    return hit


@dataclass(frozen=True, slots=True)
class TokenPair:
    query: str
    match: str
    score: float
    method: str


# (query positions, match positions, score, method)
Aligned = tuple[tuple[int, ...], tuple[int, ...], float, str]


@dataclass(frozen=True, slots=True)
class Alignment:
    """The best pairing of one form of each name."""

    query: Form
    match: Form
    aligned: tuple[Aligned, ...]
    # Mean pair score, weighted by the tokens' weights on both sides.
    similarity: float
    # Share of each side's token weight left unmatched.
    query_unmatched_share: float
    match_unmatched_share: float
    # Aligned pairs with a distinctive token (not by initial), and whether fewer than two
    # such pairs leave a distinctive token of either name unexplained.
    distinctive_pairs: int
    single_token: bool

    @property
    def pairs(self) -> tuple[TokenPair, ...]:
        q, m = self.query.tokens, self.match.tokens
        return tuple(
            TokenPair(
                query=" ".join(q[i].text for i in qi),
                match=" ".join(m[i].text for i in mi),
                score=score,
                method=method,
            )
            for qi, mi, score, method in self.aligned
        )

    @property
    def unmatched_query(self) -> tuple[str, ...]:
        used = {i for qi, _, _, _ in self.aligned for i in qi}
        return tuple(t.text for i, t in enumerate(self.query.tokens) if i not in used)

    @property
    def unmatched_match(self) -> tuple[str, ...]:
        used = {i for _, mi, _, _ in self.aligned for i in mi}
        return tuple(t.text for i, t in enumerate(self.match.tokens) if i not in used)


def _cut_at_end(query: Form, qi: tuple[int, ...], match: Form, mi: tuple[int, ...]) -> bool:
    # A machine-readable zone cuts a name at its end: only the last token can be cut short
    # ("John Smithson" is not "SMITH, John" cut).
    q_short = len(query.tokens[qi[0]].text) <= len(match.tokens[mi[0]].text)
    form, at = (query, qi) if q_short else (match, mi)
    return at[-1] == len(form.tokens) - 1


# A unit of a query form that a token of another name aligns with: (unit index, score,
# method, both particles, minus the edit distance of the spellings).
Partner = tuple[int, float, str, bool, int]


class Partners:
    """For one query form, the units each token of other names can be paired with (pairs
    scoring at least ``MIN_PAIR``), found once per token: a search aligns one query with
    many names, and they share tokens ("mohammed", "al", "trading")."""

    __slots__ = ("_form", "_of", "_singles", "_units")

    def __init__(self, form: Form) -> None:
        self._form = form
        self._of: dict[int, tuple[Partner, ...]] = {}
        # Per unit: index, token, its length, whether joined, its cache key half, the
        # length difference a joined pair tolerates, whether a particle.
        self._units = [
            (k, qt, len(qt.text), k >= form.singles, qt.serial << _SHIFT, 2 + len(qt.text) // 4)
            for k, (_, qt) in enumerate(form.units)
        ]
        self._singles = self._units[: form.singles]

    def of(self, token: Token) -> tuple[Partner, ...]:
        found = self._of.get(token.serial)
        if found is None:
            found = self._of[token.serial] = self._find(token)
        return found

    def _find(self, mt: Token) -> tuple[Partner, ...]:
        # Only single tokens are of another kind than JOINED: whether a unit is a joined span
        # is the token's own property, so the filters below are the same for every name.
        # Two joined units are never compared; a joined unit only with a token of about its
        # length.
        m_joined = mt.kind is Kind.JOINED
        lm, m_serial, cache = len(mt.text), mt.serial, _CACHE
        out: list[Partner] = []
        for k, qt, lq, q_joined, q_key, slack in self._singles if m_joined else self._units:
            if (q_joined or m_joined) and abs(lq - lm) > slack:
                continue
            score, method = cache.get(q_key | m_serial) or token_similarity(qt, mt)
            # A truncated pair may fall back on its edit similarity (see align): kept.
            if score >= MIN_PAIR:
                light = qt.kind is Kind.LIGHT and mt.kind is Kind.LIGHT
                spelling = -Levenshtein.distance(qt.text, mt.text)
                out.append((k, score, method, light, spelling))
        return tuple(out)


# (rank, score, query unit, match unit, method), units by their index in the form.
Candidate = tuple[tuple[bool, float, int, int, int, int], float, int, int, str]


def pair_candidates(query: Form, match: Form, partners: Partners) -> list[Candidate]:
    """The unit pairs of two forms that may be aligned (scoring at least ``MIN_PAIR``)."""
    q_units = query.units
    # Best score first; particles last, so that "al" = "al" does not take the particle a
    # joined "abd al latif" needs; on a tie, the closer spelling (skeletons tie often), then
    # the smaller units, then the earlier query unit and match unit.
    candidates: list[Candidate] = []
    for j, (mi, mt) in enumerate(match.units):
        for k, score, method, light, spelling in partners.of(mt):
            qi = q_units[k][0]
            if method == "truncated" and not _cut_at_end(query, qi, match, mi):
                score, method = _fuzzy(q_units[k][1], mt), "fuzzy"
                if score < MIN_PAIR:
                    continue
            rank = (not light, score, spelling, -len(qi) - len(mi), -k, -j)
            candidates.append((rank, score, k, j, method))
    return candidates


def coverage(query: Form, match: Form, candidates: list[Candidate]) -> tuple[float, float, float]:
    """What any alignment of these candidate pairs can reach at best: the highest pair score
    (the similarity is a mean of pair scores), and the least unmatched share of each side's
    weight (tokens in no candidate pair stay unmatched)."""
    top = 0.0
    q_covered = m_covered = 0
    for _, score, k, j, _ in candidates:
        top = max(top, score)
        q_covered |= query.unit_masks[k]
        m_covered |= match.unit_masks[j]
    q_left = sum(w for i, w in enumerate(query.token_weights) if not q_covered >> i & 1)
    m_left = sum(w for i, w in enumerate(match.token_weights) if not m_covered >> i & 1)
    return (
        top,
        q_left / query.weight if query.weight else 1.0,
        m_left / match.weight if match.weight else 1.0,
    )


def align(
    query: Form,
    match: Form,
    partners: Partners | None = None,
    candidates: list[Candidate] | None = None,
) -> Alignment:
    """Pair the tokens of two name forms greedily, best pairs first (``partners``: of
    ``query``, kept by the caller to align it with many names; ``candidates``: what
    :func:`pair_candidates` gave)."""
    if candidates is None:
        candidates = pair_candidates(query, match, partners or Partners(query))
    q_units, m_units = query.units, match.units
    candidates.sort(reverse=True)  # ranks are unique: (k, j) tells every pair apart
    q_masks, m_masks = query.unit_masks, match.unit_masks
    q_weights, m_weights = query.unit_weights, match.unit_weights
    q_inf, m_inf = query.unit_informative, match.unit_informative
    used_q = used_m = 0
    aligned: list[Aligned] = []
    num = den = 0.0
    strong = 0
    # Tokens matched other than by an initial (for the single-token rule).
    covered_q = covered_m = 0
    for _, score, k, j, method in candidates:
        if used_q & q_masks[k] or used_m & m_masks[j]:
            continue
        used_q |= q_masks[k]
        used_m |= m_masks[j]
        aligned.append((q_units[k][0], m_units[j][0], score, method))
        weight = q_weights[k] + m_weights[j]
        num += score * weight
        den += weight
        if method != "initial":
            covered_q |= q_masks[k]
            covered_m |= m_masks[j]
            if q_inf[k] or m_inf[j]:
                strong += 1
    q_left = sum(w for i, w in enumerate(query.token_weights) if not used_q >> i & 1)
    m_left = sum(w for i, w in enumerate(match.token_weights) if not used_m >> i & 1)
    # A distinctive token matched by nothing, or by an initial only.
    single = strong < 2 and bool(
        query.informative_mask & ~covered_q or match.informative_mask & ~covered_m
    )
    return Alignment(
        query=query,
        match=match,
        aligned=tuple(aligned),
        similarity=num / den if den else 0.0,
        query_unmatched_share=q_left / query.weight if query.weight else 1.0,
        match_unmatched_share=m_left / match.weight if match.weight else 1.0,
        distinctive_pairs=strong,
        single_token=single,
    )
