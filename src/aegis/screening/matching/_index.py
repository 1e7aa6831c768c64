"""Candidate retrieval without a full scan, and search on top of it.

Every stored name is filed under the keys of :mod:`._keys` for each of its tokens and
joined spans. Postings are numpy arrays: keys hashed to int64 and sorted, with offsets into
one int32 array whose entries encode the record (a distinct name) and the token positions
the filed span covers. A query looks its tokens up; a record becomes a candidate when

* the hits cover two of its heavy tokens and two of the query's: one where both names are
  short enough that one token explains them (the rule of the ``name_single_token``
  feature), and
* the tokens the hits cover on both sides leave unmatched shares small enough that the
  name could still reach the threshold (the missing- and conflicting-token features with
  every aligned pair scoring 1: an upper bound).

Hits are generous (one-letter deletions, skeletons, prefixes), so both tests only drop what
the scorer would reject. Beyond ``limit``, candidates are ranked by IDF-weighted hits, so
that a shared "mohammed" or "john" counts for little. Only the candidates are scored.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Hashable, Iterable
from functools import lru_cache
from itertools import accumulate
from typing import Any

import numpy as np
import numpy.typing as npt

from aegis.screening.entities import ListEntity
from aegis.screening.matching._compare import (
    Memo,
    best_names,
    prepare_entity,
    prepare_query,
    result,
    score_of,
)
from aegis.screening.matching._features import (
    NamePair,
    id_keys,
    max_evidence,
    name_score_bound,
    name_score_most_shares,
)
from aegis.screening.matching._keys import KIND_WEIGHT, filed_keys, probe_keys
from aegis.screening.matching._model import DEFAULT_THRESHOLD, MatchResult, Query
from aegis.screening.matching._tokens import (
    INFORMATIVE,
    Kind,
    PreparedName,
    Token,
    name_rules,
)

# Pending additions are merged into the arrays once they are this large a share of them.
_MERGE_SHARE = 0.1
_MERGE_MIN = 50_000
# Query units whose hits are kept between searches.
_HIT_CACHE = 20_000
# Candidates scored per search at most (ranked by weighted hits beyond that).
_SEARCH_SHORTLIST = 1000
# Up to this many candidates, their bound is computed in plain Python.
_FEW = 24
# A posting is record << 6 | position << 2 | (span length - 1); positions past 15 are
# filed as 15 and their tokens count as covered (the bound stays an upper bound).
_POS_BITS = 16
_ID_CODE = 3  # span "4": an identity-number posting, covering nothing

Codes = npt.NDArray[np.int32]
Ints = npt.NDArray[np.int64]
# A query unit's postings and the weight of each (for ranking), and the records they hit
# (sorted, distinct) with the record tokens the unit covers in each (bit masks).
_Hits = tuple[Codes, npt.NDArray[np.float64], Codes, Codes]


def _by_record(codes: Codes) -> tuple[Codes, Codes]:
    """The distinct records among postings, and the record tokens they cover in each: one
    key of a unit after another finds the same span (token, deletions, skeleton...)."""
    if not len(codes):
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int32)
    codes = np.sort(codes)  # by record: a posting is record << 6 | its span
    recs = codes >> 6
    starts = np.flatnonzero(np.concatenate(([True], recs[1:] != recs[:-1])))
    return recs[starts], np.bitwise_or.reduceat(_COVERS[codes & 63], starts)


def _cover(code: int) -> int:
    span = (code & 3) + 1
    # An identity number (span code 3) covers no token.
    return 0 if span > 3 else ((1 << span) - 1) << (code >> 2)


# The record tokens a posting covers, by its low six bits (position and span length).
_COVERS = np.array([_cover(code) for code in range(64)], dtype=np.int32)


def _units(name: PreparedName) -> dict[Token, list[tuple[int, tuple[int, ...]]]]:
    """The tokens and joined spans of every form, with where they occur (form, span);
    light tokens only within spans, unless the name has nothing else."""
    out: dict[Token, list[tuple[int, tuple[int, ...]]]] = {}
    for f, form in enumerate(name.forms):
        heavy = any(t.kind is not Kind.LIGHT for t in form.tokens)
        for span, token in form.units:
            if len(span) > 1 or token.kind is not Kind.LIGHT or not heavy:
                out.setdefault(token, []).append((f, span))
    return out


def _span_code(span: tuple[int, ...]) -> int:
    return min(span[0], _POS_BITS - 1) << 2 | (len(span) - 1)


def _informative_mask(tokens: tuple[Token, ...], width: int) -> int:
    return sum(1 << i for i, t in enumerate(tokens[:width]) if t.kind in INFORMATIVE)


# Query token positions tracked (later tokens count as covered: the bound stays a bound).
_Q_WIDTH = 63


def _masks(tokens: tuple[Token, ...], width: int = _Q_WIDTH) -> tuple[int, int]:
    """Positions of a form's heavy tokens (names and generic company words, which count
    towards the hits a candidate needs) and of its informative ones."""
    heavy = sum(1 << i for i, t in enumerate(tokens[:width]) if t.kind in (Kind.NAME, Kind.COMMON))
    return heavy, _informative_mask(tokens, width)


@lru_cache(maxsize=1 << 14)
def _query_masks(tokens: tuple[Token, ...]) -> tuple[int, int]:
    return _masks(tokens)


class NameIndex:
    """Candidate retrieval without a full scan.

    Holds list entities (or customers, as :class:`ListEntity` keyed by customer id) under a
    caller's ``ref`` and finds those whose names could match a query.
    """

    def __init__(self, entities: Iterable[ListEntity] | None = None) -> None:
        self._refs: list[Hashable] = []
        self._entities: list[ListEntity] = []
        # A record is a distinct name (customers share names): the entities carrying it.
        self._names: list[PreparedName] = []
        self._rec_slots: list[list[int]] = []
        self._rec_of: dict[tuple[str, str], int] = {}
        # Per record: fewest informative tokens of any form, their positions (any form),
        # most token weight of any form, positions of heavy tokens; as arrays once searched.
        self._rec_meta: list[tuple[int, int, float, int]] = []
        self._rec_inf: npt.NDArray[np.int16] = np.empty(0, dtype=np.int16)
        self._rec_mask: Ints = np.empty(0, dtype=np.int64)
        self._rec_heavy: Ints = np.empty(0, dtype=np.int64)
        self._rec_weight: npt.NDArray[np.float64] = np.empty(0, dtype=np.float64)
        self._rec_tracked: npt.NDArray[np.int16] = np.empty(0, dtype=np.int16)
        self._rec_divisor: npt.NDArray[np.float64] = np.empty(0, dtype=np.float64)
        self._keys: Ints = np.empty(0, dtype=np.int64)
        self._offsets: Ints = np.zeros(1, dtype=np.int64)
        self._postings: Codes = np.empty(0, dtype=np.int32)
        # Additions since the last merge, as parallel lists, and (when searched before the
        # merge) as a dict.
        self._pending_keys = array("q")
        self._pending_codes = array("i")
        self._pending: dict[int, list[int]] = {}
        self._filed: dict[tuple[Token, bool], tuple[int, ...]] = {}
        # By unit serial and whether it is joined: integer keys, nothing for the garbage
        # collector to walk.
        self._hits: dict[int, _Hits] = {}
        self._hits_version = 0
        # Scratch arrays, one entry per record, for grouping hits by record.
        self._seen: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._slot_of: Codes = np.zeros(0, dtype=np.int32)
        for entity in entities or ():
            self.add(entity.key, entity)

    def __len__(self) -> int:
        return len(self._entities)

    # --- building ----------------------------------------------------------------------------

    def _filed_hashes(self, token: Token, joined: bool) -> tuple[int, ...]:
        hashes = self._filed.get((token, joined))
        if hashes is None:
            keys = filed_keys(token, joined=joined)
            hashes = tuple({hash(kind + key) for kind, key in keys})
            self._filed[(token, joined)] = hashes
        return hashes

    def add(self, ref: Hashable, entity: ListEntity) -> None:
        """File ``entity`` under ``ref`` (e.g. ``(list_id, key)``, or a customer id)."""
        slot = len(self._entities)
        self._refs.append(ref)
        self._entities.append(entity)
        rules = name_rules(entity.type)
        first: int | None = None
        for name in prepare_entity(entity):
            rec = self._rec_of.get((name.original, rules))
            if rec is None:
                rec = self._new_record(name, rules)
                self._rec_slots.append([slot])
            elif self._rec_slots[rec][-1] != slot:
                self._rec_slots[rec].append(slot)
            first = rec if first is None else first
        if first is not None and entity.id_numbers:
            # An identical document number makes a candidate whatever the names say.
            hashes = {hash("i" + n) for n in id_keys(entity.id_numbers)}
            self._pending_keys.extend(hashes)
            self._pending_codes.extend([first << 6 | _ID_CODE] * len(hashes))

    def _new_record(self, name: PreparedName, rules: str) -> int:
        rec = len(self._names)
        self._rec_of[(name.original, rules)] = rec
        self._names.append(name)
        mask = heavy = 0
        for form in name.forms:
            mask |= _informative_mask(form.tokens, _POS_BITS - 1)
            heavy |= _masks(form.tokens, _POS_BITS - 1)[0]
        weight = max((f.weight for f in name.forms), default=0.0)
        if any(len(f.tokens) >= _POS_BITS - 1 for f in name.forms):
            heavy = -1  # too long to track: never pruned by the count of its tokens hit
        self._rec_meta.append((name.informative, mask, weight, heavy))
        filed: set[tuple[int, int]] = set()
        for unit, places in _units(name).items():
            hashes = self._filed_hashes(unit, any(len(span) > 1 for _, span in places))
            for _, span in places:
                code = rec << 6 | _span_code(span)
                filed.update((h, code) for h in hashes)
        self._pending_keys.extend(h for h, _ in filed)
        self._pending_codes.extend(c for _, c in filed)
        return rec

    def _merge(self) -> None:
        """Move pending postings into the sorted arrays."""
        new_keys = np.frombuffer(self._pending_keys, dtype=np.int64).copy()
        new_codes = np.frombuffer(self._pending_codes, dtype=np.int32).copy()
        if len(self._postings):
            old_keys = np.repeat(self._keys, np.diff(self._offsets))
            new_keys = np.concatenate([old_keys, new_keys])
            new_codes = np.concatenate([self._postings, new_codes])
        order = np.argsort(new_keys, kind="stable")
        keys = new_keys[order]
        self._postings = new_codes[order]
        self._keys, starts = np.unique(keys, return_index=True)
        self._offsets = np.append(starts, len(keys)).astype(np.int64)
        self._pending_keys = array("q")
        self._pending_codes = array("i")
        self._pending = {}
        # The filing cache only speeds up bulk building; it would cost more than the arrays.
        self._filed = {}

    def _sync(self) -> None:
        if self._hits_version != len(self._entities):
            self._hits.clear()  # cached hits do not know the new names
            self._hits_version = len(self._entities)
        if len(self._rec_inf) != len(self._rec_meta):
            self._seen = np.zeros(len(self._rec_meta), dtype=bool)
            self._slot_of = np.zeros(len(self._rec_meta), dtype=np.int32)
            meta = self._rec_meta
            self._rec_inf = np.fromiter((m[0] for m in meta), dtype=np.int16, count=len(meta))
            self._rec_mask = np.fromiter((m[1] for m in meta), dtype=np.int64, count=len(meta))
            self._rec_weight = np.fromiter((m[2] for m in meta), dtype=np.float64, count=len(meta))
            self._rec_heavy = np.fromiter((m[3] for m in meta), dtype=np.int64, count=len(meta))
            # What the bound reads: the informative tokens the masks track, and the weight
            # the unmatched share is taken of.
            self._rec_tracked = np.minimum(self._rec_inf, np.bitwise_count(self._rec_mask))
            self._rec_divisor = np.maximum(self._rec_weight, 1e-9)
        waiting = len(self._pending_keys)
        if not waiting:
            return
        if waiting > max(_MERGE_MIN, _MERGE_SHARE * len(self._postings)):
            self._merge()
        elif sum(len(v) for v in self._pending.values()) != waiting:
            # A few additions: searched through a dict until there are enough to merge.
            pending: dict[int, list[int]] = {}
            for h, c in zip(self._pending_keys, self._pending_codes, strict=True):
                pending.setdefault(h, []).append(c)
            self._pending = pending

    def nbytes(self) -> int:
        """Memory held by the posting and record arrays (for benchmarks)."""
        arrays = (self._keys, self._offsets, self._postings, self._rec_mask, self._rec_weight)
        return sum(a.nbytes for a in arrays) + self._rec_inf.nbytes

    # --- retrieval ---------------------------------------------------------------------------

    def _probe(self, token: Token, joined: bool) -> tuple[Ints, npt.NDArray[np.float64]]:
        """The hashes to look up for a query unit, with the weight of each kind of key."""
        seen: dict[int, float] = {}
        for kind, key in probe_keys(token, joined=joined):
            h = hash(kind + key)
            weight = KIND_WEIGHT[kind]
            if seen.get(h, 0.0) < weight:
                seen[h] = weight
        return (
            np.fromiter(seen.keys(), dtype=np.int64, count=len(seen)),
            np.fromiter(seen.values(), dtype=np.float64, count=len(seen)),
        )

    def _gather(
        self, hashes: Ints, weights: npt.NDArray[np.float64]
    ) -> tuple[Codes, npt.NDArray[np.float64]]:
        """Every posting under ``hashes``, with the weight of the hit: the key's kind weight
        times its IDF, so that keys shared by many names count little."""
        codes: list[Codes] = []
        worth: list[npt.NDArray[np.float64]] = []
        log_total = math.log(1 + len(self._names))
        if len(self._keys):
            order = np.argsort(hashes)  # sorted needles search faster
            hashes, weights = hashes[order], weights[order]
            pos = np.searchsorted(self._keys, hashes)
            np.minimum(pos, len(self._keys) - 1, out=pos)
            found = self._keys[pos] == hashes
            at = pos[found]
            if len(at):
                starts = self._offsets[at]
                lens = self._offsets[at + 1] - starts
                # A few dozen keys: slices are cheaper than index arithmetic.
                postings = self._postings
                codes.append(
                    np.concatenate(
                        [
                            postings[a : a + n]
                            for a, n in zip(starts.tolist(), lens.tolist(), strict=True)
                        ]
                    )
                )
                idf = log_total - np.log1p(lens) + 0.1
                worth.append(np.repeat(weights[found] * idf, lens))
        if self._pending:
            for h, w in zip(hashes.tolist(), weights.tolist(), strict=True):
                extra = self._pending.get(h)
                if extra:
                    codes.append(np.asarray(extra, dtype=np.int32))
                    worth.append(np.full(len(extra), w * log_total))
        if not codes:
            return np.empty(0, dtype=np.int32), np.empty(0)
        return np.concatenate(codes), np.concatenate(worth)

    def _unit_hits(self, unit: Token, joined: bool) -> _Hits:
        """The postings a query unit hits, cached: names repeat tokens ("mohammed", "john"),
        and a bulk run looks the same ones up again and again."""
        key = unit.serial << 1 | joined
        hits = self._hits.get(key)
        if hits is None:
            codes, worth = self._gather(*self._probe(unit, joined))
            hits = (codes, worth, *_by_record(codes))
            if len(self._hits) >= _HIT_CACHE:
                self._hits.clear()
            self._hits[key] = hits
        return hits

    def _shortlist(
        self,
        names: tuple[PreparedName, ...],
        limit: int,
        *,
        ids: tuple[str, ...] = (),
        floor: float | None = None,
    ) -> list[int]:
        """Candidate records for the query names, at most ``limit``; with ``floor``, only
        those whose name could score that much."""
        self._sync()
        if not self._names or not names:
            return []
        forced: Codes | None = None
        if ids:
            id_hashes = np.asarray(sorted({hash("i" + n) for n in id_keys(ids)}), dtype=np.int64)
            id_codes, _ = self._gather(id_hashes, np.ones(len(id_hashes)))
            if len(id_codes):
                forced = np.unique(id_codes >> 6)
        forms = [form for name in names for form in name.forms]
        places: dict[Token, list[tuple[int, tuple[int, ...]]]] = {}
        offset = 0
        for name in names:
            for unit, at in _units(name).items():
                places.setdefault(unit, []).extend((offset + f, span) for f, span in at)
            offset += len(name.forms)
        # Per form, the query positions each unit covers.
        form_bits = [[0] * len(places) for _ in forms]
        for u, spans in enumerate(places.values()):
            for f, span in spans:
                if span[-1] < _Q_WIDTH:
                    form_bits[f][u] += sum(1 << i for i in span)
        unit_hits = [
            self._unit_hits(unit, any(len(span) > 1 for _, span in at))
            for unit, at in places.items()
        ]
        ends = list(accumulate((len(h[2]) for h in unit_hits), initial=0))
        if not ends[-1]:
            return [] if forced is None else [int(r) for r in forced[:limit]]
        recs = np.concatenate([h[2] for h in unit_hits])
        # Group the hits by record, with a scratch array rather than a sort.
        self._seen[recs] = True
        hit_recs = np.flatnonzero(self._seen)
        self._seen[hit_recs] = False
        self._slot_of[hit_recs] = np.arange(len(hit_recs), dtype=np.int32)
        at = self._slot_of[recs]
        # Which query tokens the hits cover, per query form: the count of distinct heavy
        # tokens covered (not of units, which overlap), and the unmatched share bound.
        heavy_count: npt.NDArray[np.integer[Any]] | None = None
        q_share: npt.NDArray[np.float64] | None = None
        for f, form in enumerate(forms):
            cover = np.zeros(len(hit_recs), dtype=np.int64)
            for u, bits in enumerate(form_bits[f]):
                if bits and ends[u + 1] > ends[u]:
                    cover[at[ends[u] : ends[u + 1]]] |= bits
            heavy, informative = _query_masks(form.tokens)
            count = np.bitwise_count(cover & heavy)
            share = (informative.bit_count() - np.bitwise_count(cover & informative)) / (
                form.weight or 1.0
            )
            heavy_count = count if heavy_count is None else np.maximum(heavy_count, count)
            q_share = share if q_share is None else np.minimum(q_share, share)
        assert heavy_count is not None  # every prepared name has a form
        assert q_share is not None
        # One token suffices only where one unit can explain both names' distinctive tokens
        # (at most one on one side, two on the other).
        q_inf = min(n.informative for n in names)
        lone_max = 2 if q_inf <= 1 else 1 if q_inf == 2 else -1
        need: npt.NDArray[np.int64] | int = (
            2 if lone_max < 0 else np.where(self._rec_inf[hit_recs] <= lone_max, 1, 2)
        )
        keep = heavy_count >= need
        candidates = hit_recs[keep]
        if len(candidates):
            # The same test on the candidate's side (two query tokens hitting one of its
            # tokens are not two tokens in common), and the score bound.
            bound, r_heavy = self._bound(candidates, keep, q_share[keep], unit_hits, at)
            ok = r_heavy >= (need if isinstance(need, int) else need[keep])
            if floor is not None:
                ok &= bound >= floor - 1e-9
            candidates = candidates[ok]
        if forced is not None:
            candidates = np.union1d(candidates, forced)
        if len(candidates) > limit:
            every = np.concatenate([h[0] for h in unit_hits]) >> 6
            worth = np.concatenate([h[1] for h in unit_hits])
            scores = np.bincount(every, weights=worth, minlength=len(self._names))[candidates]
            candidates = candidates[np.argsort(-scores, kind="stable")[:limit]]
        return [int(r) for r in candidates.tolist()]

    def _bound(
        self,
        candidates: Ints,
        keep: npt.NDArray[np.bool_],
        q_share: npt.NDArray[np.float64],
        unit_hits: list[_Hits],
        at: Codes,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.integer[Any]]]:
        """For each kept record, the most its name could score given the unmatched share of
        the query's weight and which of its own tokens the hits cover (see
        :func:`._features.name_score_bound`), and how many of its heavy tokens they cover."""
        position = np.cumsum(keep) - 1
        chosen = keep[at]
        covers = np.concatenate([h[3] for h in unit_hits])
        if len(candidates) <= _FEW:
            return self._bound_few(candidates, q_share, position, chosen, covers, at)
        cover = np.zeros(len(candidates), dtype=np.int64)
        np.bitwise_or.at(cover, position[at[chosen]], covers[chosen])
        # Informative tokens past the tracked positions are not in the mask: they count as
        # covered, so that the bound stays a bound.
        left = self._rec_tracked[candidates] - np.bitwise_count(cover & self._rec_mask[candidates])
        r_share = np.maximum(left, 0) / self._rec_divisor[candidates]
        bound = name_score_bound(q_share, r_share.astype(np.float64))
        heavy_masks = self._rec_heavy[candidates]
        heavy = np.where(heavy_masks < 0, 2, np.bitwise_count(cover & heavy_masks))
        return bound, heavy

    def _bound_few(
        self,
        candidates: Ints,
        q_share: npt.NDArray[np.float64],
        position: Ints,
        chosen: npt.NDArray[np.bool_],
        covers: Codes,
        at: Codes,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.integer[Any]]]:
        """:meth:`_bound` for a few candidates, in plain Python (the same arithmetic, in the
        same order): numpy's cost per call outweighs its speed per element."""
        picked = np.flatnonzero(chosen)
        cover = [0] * len(candidates)
        for i, bits in zip(position[at[picked]].tolist(), covers[picked].tolist(), strict=True):
            cover[i] |= bits
        rows = zip(
            cover,
            q_share.tolist(),
            self._rec_tracked[candidates].tolist(),
            self._rec_mask[candidates].tolist(),
            self._rec_divisor[candidates].tolist(),
            self._rec_heavy[candidates].tolist(),
            strict=True,
        )
        bound: list[float] = []
        heavy: list[int] = []
        for bits, q, tracked, mask, divisor, heavy_mask in rows:
            r = max(tracked - (bits & mask).bit_count(), 0) / divisor
            bound.append(name_score_most_shares(q, r))
            heavy.append(2 if heavy_mask < 0 else (bits & heavy_mask).bit_count())
        return np.array(bound, dtype=np.float64), np.array(heavy, dtype=np.int64)

    def candidates(
        self, query: Query, *, limit: int = 200, threshold: float | None = None
    ) -> list[Hashable]:
        """The refs of the entities retrieval would score for ``query`` (for tests and
        diagnostics); with ``threshold``, after the bound ``search`` applies."""
        floor = None if threshold is None else threshold - max_evidence(query)
        out: dict[int, None] = {}
        names = prepare_query(query)
        for rec in self._shortlist(names, limit, ids=query.id_numbers, floor=floor):
            for slot in self._rec_slots[rec]:
                out.setdefault(slot, None)
        return [self._refs[slot] for slot in out]

    def search(
        self, query: Query, *, threshold: float = DEFAULT_THRESHOLD, limit: int = 20
    ) -> list[tuple[Hashable, ListEntity, MatchResult]]:
        """Entities matching ``query`` at ``threshold``, best first: for each, the result
        :func:`compare` gives."""
        names = prepare_query(query)
        # A name scoring below this cannot match whatever the evidence says.
        floor = threshold - max_evidence(query)
        best: dict[int, float] = {}
        memo = Memo(floor)
        shortlist = self._shortlist(names, _SEARCH_SHORTLIST, ids=query.id_numbers, floor=floor)
        for rec in shortlist:
            score, _ = best_names(names, (self._names[rec],), memo)
            for slot in self._rec_slots[rec]:
                if score > best.get(slot, -1.0):
                    best[slot] = score
        matches: list[tuple[float, int, NamePair]] = []
        for slot, score in best.items():
            if score < floor:
                continue
            entity = self._entities[slot]
            # Over every name of the entity, so that the result is exactly compare()'s.
            _, pair = best_names(names, prepare_entity(entity), memo)
            total = score_of(query, entity, pair)
            if total >= threshold:
                matches.append((total, slot, pair))
        # Explained (the costly part) only for what is returned.
        matches.sort(key=lambda m: m[0], reverse=True)
        return [
            (
                self._refs[slot],
                self._entities[slot],
                result(query, self._entities[slot], pair, threshold=threshold),
            )
            for _, slot, pair in matches[:limit]
        ]
