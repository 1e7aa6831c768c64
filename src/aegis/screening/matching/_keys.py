"""Index keys: the cheap signatures under which a name is filed for candidate retrieval.

Every similarity :func:`._similarity.token_similarity` accepts between two tokens has a key
both share, so that retrieval does not lose a pair the scorer would align:

=====  ==========================================================  ======================
kind   filed under                                                 finds
=====  ==========================================================  ======================
``t``  the token (also each joined span, and a token without its    exact, joined/split,
       article: ``alqaida`` -> ``qaida``)                           attached article
``d``  every spelling with one letter deleted, for tokens long      one edit (two in long
       enough to be aligned with an edit; long tokens also with     tokens)
       two deleted (SymSpell, distance 2)
``p``  the first letter and Metaphone key (6+ letters)              phonetic variants
``a``  the consonant skeleton of an Arabic-script token; looked     Arabic script against
       up with a Latin token's skeleton                             Latin spellings
``s``  the consonant skeleton of a Latin token; looked up only by   Latin spellings from
       Arabic-script tokens                                         Arabic script
``c``  the coarse skeleton of an Arabic-script token (``k``: of a    z/dh/th, g/j/q, kh/k+h
       Latin token), looked up from the other script                variants
``n``  the skeleton of an Arabic-script token without l (``m``: of  an assimilated article
       a Latin token), looked up from the other script              (ud-din, ar-rahman)
``x``  a token, looked up with the long prefixes of a longer one    truncation
``y``  the long prefixes of a token, looked up with a shorter one   truncation
=====  ==========================================================  ======================

Keys are hashed to 64-bit integers (Python's ``hash``, stable within a process, which is
all an in-memory index needs) so that postings can live in numpy arrays.
"""

from __future__ import annotations

from aegis.screening.matching._similarity import (
    ARTICLES,
    PHONETIC_MIN_LEN,
    PREFIX_MIN_LEN,
    SKELETON_EDIT_MIN,
    one_deletion,
    two_deletions,
)
from aegis.screening.matching._tokens import Token, coarse

# Relative weight of a hit by kind of key, before IDF: exact spellings count most.
KIND_WEIGHT = {
    "t": 1.0, "d": 0.3, "p": 0.5, "a": 0.5, "s": 0.5, "c": 0.3, "k": 0.3, "n": 0.3, "m": 0.3,
    "x": 0.4, "y": 0.4,
}  # fmt: skip
# Longer query tokens are also looked up with two letters deleted (up to this length, to
# bound the number of keys).
_TWICE_MAX = 20


def _deletes(text: str) -> set[str]:
    return {text[:i] + text[i + 1 :] for i in range(len(text))}


def _prefixes(text: str) -> list[str]:
    low = max(PREFIX_MIN_LEN, (len(text) + 1) // 2)
    return [text[:n] for n in range(low, len(text))]


def filed_keys(token: Token, *, joined: bool = False) -> list[tuple[str, str]]:
    """The (kind, key) pairs a stored token (``joined``: a joined span) is filed under."""
    text = token.text
    keys: list[tuple[str, str]] = [("t", text)]
    skel = token.skeleton
    if token.abjad:
        if skel:
            keys.append(("a", skel))
            keys.append(("c", coarse(skel)))
            keys.append(("n", skel.replace("L", "")))
            if len(skel) >= SKELETON_EDIT_MIN and not joined:
                keys.extend(("a", d) for d in _deletes(skel))
        return keys
    # A partner one letter longer may be one edit away, hence + 1.
    if one_deletion(len(text) + 1):
        keys.append(("d", text))
        once = _deletes(text)
        keys.extend(("d", d) for d in once)
        if not joined and two_deletions(len(text)) and len(text) <= _TWICE_MAX:
            # Two substitutions: our two-deletions meet the query's (SymSpell, distance 2).
            keys.extend(("d", dd) for dd in {dd for d in once for dd in _deletes(d)})
    if len(text) >= PHONETIC_MIN_LEN and token.phonetic:
        keys.append(("p", text[0] + token.phonetic))
    if skel:
        keys.append(("s", skel))
        keys.append(("k", coarse(skel)))
        keys.append(("m", skel.replace("L", "")))
        if len(skel) >= SKELETON_EDIT_MIN and not joined:
            keys.extend(("s", d) for d in _deletes(skel))
    if len(text) >= PREFIX_MIN_LEN and not joined:
        keys.append(("x", text))
        keys.extend(("y", p) for p in _prefixes(text))
    if text.startswith(ARTICLES) and len(text) >= 5:
        keys.append(("t", text[2:]))
    return keys


def probe_keys(token: Token, *, joined: bool = False) -> list[tuple[str, str]]:
    """The (kind, key) pairs to look up for a query token (``joined``: a joined span, looked
    up with one-letter deletions only)."""
    text = token.text
    keys: list[tuple[str, str]] = [("t", text)]
    skel = token.skeleton
    if token.abjad:
        # Stored Arabic-script tokens by skeleton, stored Latin ones by theirs.
        if skel:
            keys.extend((("a", skel), ("s", skel), ("c", coarse(skel)), ("k", coarse(skel))))
            keys.extend((("n", skel.replace("L", "")), ("m", skel.replace("L", ""))))
            if len(skel) >= SKELETON_EDIT_MIN and not joined:
                for d in _deletes(skel):
                    keys.append(("a", d))
                    keys.append(("s", d))
        return keys
    if one_deletion(len(text) + 1):
        keys.append(("d", text))
        once = _deletes(text)
        keys.extend(("d", d) for d in once)
        if not joined and two_deletions(len(text)) and len(text) <= _TWICE_MAX:
            # Two edits in one token: stored one-deletions meet our two-deletions.
            keys.extend(("d", dd) for dd in {dd for d in once for dd in _deletes(d)})
    if len(text) >= PHONETIC_MIN_LEN and token.phonetic:
        keys.append(("p", text[0] + token.phonetic))
    if skel:
        keys.append(("a", skel))
        keys.append(("c", coarse(skel)))
        keys.append(("n", skel.replace("L", "")))
        if len(skel) >= SKELETON_EDIT_MIN and not joined:
            keys.extend(("a", d) for d in _deletes(skel))
    if len(text) >= PREFIX_MIN_LEN and not joined:
        # A stored token cut short (x: our prefixes), or this token cut short (y: our text).
        keys.extend(("x", p) for p in _prefixes(text))
        keys.append(("y", text))
    if text.startswith(ARTICLES) and len(text) >= 5:
        keys.append(("t", text[2:]))
    return keys
