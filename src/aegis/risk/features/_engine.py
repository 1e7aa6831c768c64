"""The feature engine: a transaction and its entity histories in, named features out."""

from __future__ import annotations

import datetime as dt
from operator import attrgetter

from aegis.risk.features._config import ATTRIBUTES, KINDS, MICROS, FeatureConfig, Getter
from aegis.risk.features._names import Layout
from aegis.risk.features._state import Event, FeatureState, StreamRef
from aegis.risk.model import Label, Transaction

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Every attribute read at once (one C call), then per kind: its index, key getter, and
# where its distinct attributes are in that tuple.
_ATTRS = tuple(ATTRIBUTES)
_READ = attrgetter(*ATTRIBUTES.values())
_PLAN: tuple[tuple[int, Getter, tuple[int, ...]], ...] = tuple(
    (i, kind.key, tuple(_ATTRS.index(a) for a in kind.distinct)) for i, kind in enumerate(KINDS)
)


class FeatureEngine:
    """Computes the features of :data:`FEATURE_NAMES` (for its configuration) from a state.

    Every name is always present in the result; NaN means unknown or undefined (the entity
    is absent from the transaction, or has no history to average). LightGBM takes NaN as
    missing, and a rule comparing NaN is false.
    """

    def __init__(self, state: FeatureState, config: FeatureConfig = FeatureConfig()) -> None:
        self._state = state
        self._layout = Layout(config)
        state.configure(config)
        # The event of the last transaction seen: a decision computes, then records, the
        # same (immutable) transaction, and building its event twice was a tenth of both.
        self._last: tuple[Transaction, Event] | None = None

    @property
    def config(self) -> FeatureConfig:
        return self._layout.config

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self._layout.names

    def compute(self, tx: Transaction) -> dict[str, float]:
        """The features of ``tx`` against the history recorded so far; changes nothing."""
        return self._run(tx, write=False)

    def record(self, tx: Transaction) -> None:
        """Add ``tx`` to the history without computing its features."""
        self._state.apply(self.event(tx), read=False, write=True)

    def observe(self, tx: Transaction) -> dict[str, float]:
        """:meth:`compute` then :meth:`record`, in one step (one round trip on Redis)."""
        return self._run(tx, write=True)

    def add_label(self, label: Label) -> None:
        """Attach a label to a recorded transaction (known by its id); it counts in risk
        features from ``label.usable_at`` on. Labels of unknown or forgotten transactions
        are ignored; a later label for the same transaction replaces the earlier one."""
        self._state.add_label(label)

    def event(self, tx: Transaction) -> Event:
        last = self._last  # one read: another thread may replace it meanwhile
        if last is not None and last[0] is tx:
            return last[1]
        event = self._event(tx)
        self._last = (tx, event)
        return event

    def _event(self, tx: Transaction) -> Event:
        if tx.time.tzinfo is None:
            raise ValueError("transaction time must be timezone-aware (UTC)")
        attrs = [v or None for v in _READ(tx)]
        streams: list[StreamRef] = []
        for index, key_of, where in _PLAN:
            key = key_of(tx)
            if key:
                streams.append((index, key, tuple(map(attrs.__getitem__, where))))
        return Event(
            tx_id=tx.id,
            time=(tx.time - EPOCH) // MICROS,
            amount=float(tx.amount),
            currency=tx.currency,
            streams=tuple(streams),
        )

    def _run(self, tx: Transaction, *, write: bool) -> dict[str, float]:
        event = self.event(tx)
        readings = self._state.apply(event, read=True, write=write)
        lay = self._layout
        # all values in name order, then one dict: cheaper than updating a template
        values = [event.amount]
        kind = 0
        for (index, _, _), reading in zip(event.streams, readings, strict=True):
            while kind < index:
                values += lay.missing[kind]
                kind += 1
            values += lay.derive[index](reading, event.amount)
            kind += 1
        for rest in lay.missing[kind:]:
            values += rest
        return dict(zip(lay.names, values, strict=True))
