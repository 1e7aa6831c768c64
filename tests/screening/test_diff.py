"""The snapshot diff: a pure function of content hashes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aegis.screening.diff import diff_entities

hashes = st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.sampled_from("xyz"))


def test_added_changed_removed() -> None:
    diff = diff_entities({"1": "a", "2": "b", "3": "c"}, {"2": "b", "3": "C", "4": "d"})
    assert diff.added == ("4",)
    assert diff.changed == ("3",)
    assert diff.removed == ("1",)
    assert diff.touched == ("4", "3")
    assert not diff.empty
    assert diff_entities({"1": "a"}, {"1": "a"}).empty


@given(hashes, hashes)
def test_diff_partitions_the_keys(old: dict[str, str], new: dict[str, str]) -> None:
    diff = diff_entities(old, new)
    unchanged = {k for k in old.keys() & new.keys() if old[k] == new[k]}
    assert set(diff.added) | set(diff.changed) | unchanged == set(new)
    assert set(diff.removed) | set(diff.changed) | unchanged == set(old)
    assert not (set(diff.added) & set(diff.removed))
    # Applying the diff to the old keys gives the new keys.
    assert (set(old) - set(diff.removed)) | set(diff.added) == set(new)
