"""Pairwise comparison: a query against one list entity, with its explanation."""

from __future__ import annotations

from aegis.screening.entities import ListEntity
from aegis.screening.matching._features import (
    EVIDENCE_FEATURES,
    NAME_FEATURES,
    Evidence,
    NamePair,
    name_score,
    name_score_most,
)
from aegis.screening.matching._model import DEFAULT_THRESHOLD, FeatureValue, MatchResult, Query
from aegis.screening.matching._similarity import Partners, align, coverage, pair_candidates
from aegis.screening.matching._tokens import Form, PreparedName, make_form, name_rules, prepare_name

_EMPTY = PreparedName(original="", forms=(make_form(()),), scripts=frozenset())


def prepare_query(query: Query) -> tuple[PreparedName, ...]:
    """The query's names, romanised and tokenised under its type's rules."""
    rules = name_rules(query.type)
    return tuple(p for p in (prepare_name(n, rules) for n in query.names) if p.forms)


def prepare_entity(entity: ListEntity) -> tuple[PreparedName, ...]:
    """The entity's name and strong aliases (weak aliases never match on their own)."""
    rules = name_rules(entity.type)
    return tuple(p for p in (prepare_name(n, rules) for n in entity.names) if p.forms)


class Memo:
    """What one search reuses across the names it scores: the best pair per entity name (by
    identity), and the partners of each query form (see :class:`._similarity.Partners`)."""

    __slots__ = ("_partners", "floor", "names")

    def __init__(self, floor: float | None = None) -> None:
        self.names: dict[int, tuple[float, NamePair] | None] = {}
        self._partners: dict[int, Partners] = {}
        # With a floor, name pairs that cannot reach it are not aligned: their names count
        # as having no pair (a search only keeps names scoring at least the floor).
        self.floor = floor

    def partners(self, form: Form) -> Partners:
        # By identity: the query's forms live as long as the search.
        found = self._partners.get(id(form))
        if found is None:
            found = self._partners[id(form)] = Partners(form)
        return found


def _best_for(
    query_names: tuple[PreparedName, ...], name: PreparedName, memo: Memo
) -> tuple[float, NamePair] | None:
    best: tuple[float, NamePair] | None = None
    floor = memo.floor
    for qn in query_names:
        for qf in qn.forms:
            partners = memo.partners(qf)
            for ef in name.forms:
                candidates = pair_candidates(qf, ef, partners)
                if floor is not None and name_score_most(*coverage(qf, ef, candidates)) < floor:
                    continue  # below the floor whichever way the pairs are aligned
                alignment = align(qf, ef, candidates=candidates)
                pair = NamePair(query=qn, match=name, alignment=alignment)
                score = name_score(pair)
                if best is None or score > best[0]:
                    best = (score, pair)
                    if score >= 1.0:
                        return best
    return best


def best_names(
    query_names: tuple[PreparedName, ...],
    entity_names: tuple[PreparedName, ...],
    memo: Memo | None = None,
) -> tuple[float, NamePair]:
    """The best-scoring pair over every entity name and query name, in every form
    (``memo``: results per entity name, by identity, reused within one search)."""
    if memo is None:
        memo = Memo()
    best: tuple[float, NamePair] | None = None
    for en in entity_names:
        if id(en) in memo.names:
            hit = memo.names[id(en)]
        else:
            hit = memo.names[id(en)] = _best_for(query_names, en, memo)
        if hit is not None and (best is None or hit[0] > best[0]):
            best = hit
            if best[0] >= 1.0:
                return best
    if best is None:
        pair = NamePair(
            query=_EMPTY, match=_EMPTY, alignment=align(_EMPTY.forms[0], _EMPTY.forms[0])
        )
        return name_score(pair), pair
    return best


def score_of(query: Query, entity: ListEntity, pair: NamePair) -> float:
    """The score :func:`result` gives, without the explanations (for the many pairs a
    search discards): the same contributions summed in the same order."""
    evidence = Evidence(query=query, entity=entity)
    contributions = [f.value(pair) * f.weight for f in NAME_FEATURES]
    contributions += [f.value(evidence) * f.weight for f in EVIDENCE_FEATURES]
    return min(1.0, max(0.0, sum(contributions)))


def result(query: Query, entity: ListEntity, pair: NamePair, *, threshold: float) -> MatchResult:
    """The full, explained result for a chosen name pair."""
    features: dict[str, FeatureValue] = {}
    for name_feature in NAME_FEATURES:
        features[name_feature.name] = name_feature.evaluate(pair)
    evidence = Evidence(query=query, entity=entity)
    for evidence_feature in EVIDENCE_FEATURES:
        features[evidence_feature.name] = evidence_feature.evaluate(evidence)
    total = sum(f.contribution for f in features.values())
    score = min(1.0, max(0.0, total))
    return MatchResult(
        score=score,
        match=score >= threshold,
        threshold=threshold,
        query_name=pair.query.original,
        matched_name=pair.match.original,
        features=features,
    )


def compare(
    query: Query, entity: ListEntity, *, threshold: float = DEFAULT_THRESHOLD
) -> MatchResult:
    """Score ``query`` against ``entity``: the best pair of the query's names and the
    entity's name and strong aliases, then the evidence features (birth date, country, ID
    number, type). ``score`` is the sum of the features' contributions, clamped to 0..1."""
    _, pair = best_names(prepare_query(query), prepare_entity(entity))
    return result(query, entity, pair, threshold=threshold)
