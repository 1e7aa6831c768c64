"""What changed between two snapshots of a list: a pure function of content hashes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class EntityDiff:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def touched(self) -> tuple[str, ...]:
        """Keys whose current version is new: what customers must be screened against."""
        return self.added + self.changed

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def diff_entities(current: Mapping[str, str], new: Mapping[str, str]) -> EntityDiff:
    """``current`` and ``new`` map entity keys to content hashes."""
    return EntityDiff(
        added=tuple(sorted(k for k in new if k not in current)),
        changed=tuple(sorted(k for k, h in new.items() if k in current and current[k] != h)),
        removed=tuple(sorted(k for k in current if k not in new)),
    )
