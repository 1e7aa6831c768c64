"""The port between the feature engine and where histories live.

A state keeps, per stream (one entity value of one kind), enough to answer the windows
incrementally: a log of (time, amount, currency) in time order with one cursor per window,
running counts and sums per currency, a stack of suffix maxima, the last time each distinct
attribute value was seen, and the fraud labels of risk streams. Both implementations run
the same algorithm, step for step, so they give bit-identical readings:

- **Effective time.** A stream's clock never goes back: a transaction older than the
  stream's newest is placed at that newest time (it counts as if it had just happened, and
  its gap to the previous one is 0). Windows end at the effective time. This keeps every
  structure append-only, so each update costs O(1) amortised and no window is ever rescanned.
- **Forgetting.** A stream idle for longer than the retention is forgotten when touched
  again, as if new; anything older than the retention is pruned lazily.
- **Labels.** A label is stored against the transaction's terminal and merchant streams at
  the transaction's effective time; a risk window counts it once ``usable_at`` has passed
  the stream's effective time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aegis.risk.features._config import FeatureConfig
from aegis.risk.model import Label

# (kind index in KINDS, entity value, values of the kind's distinct attributes)
StreamRef = tuple[int, str, tuple[str | None, ...]]


@dataclass(frozen=True, slots=True)
class Event:
    """A transaction as the states see it."""

    tx_id: str
    time: int  # microseconds since the Unix epoch, UTC
    amount: float  # minor units
    currency: str
    streams: tuple[StreamRef, ...]


class FeatureState(Protocol):
    """Where velocity histories live. ``apply`` reads (features of history before the
    event), writes (adds the event), or both in one step; it returns one reading per stream
    of the event when reading, and an empty list otherwise."""

    def configure(self, config: FeatureConfig) -> None: ...

    def apply(self, event: Event, *, read: bool, write: bool) -> list[list[float]]: ...

    def add_label(self, label: Label) -> None: ...
