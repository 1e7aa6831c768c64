"""Velocity features for transaction risk: per-entity sliding windows, first-seen flags,
the amount against the customer's history, and terminal and merchant risk from late labels.

:class:`FeatureEngine` reads and writes a :class:`FeatureState`: :class:`MemoryState`
(in-process, the embedded shape) or :class:`RedisState` (shared, the scaled shape). Both
run the same incremental algorithm and give identical features. :data:`FEATURE_NAMES` are
the columns for the default :class:`FeatureConfig`; :data:`FEATURES` documents each name
pattern (``feature_doc(name)`` for one concrete name).

    >>> import datetime as dt
    >>> from aegis.risk.model import Transaction, TxType
    >>> engine = FeatureEngine(MemoryState())
    >>> at = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    >>> tx = Transaction(id="t1", time=at, type=TxType.PAYMENT, amount=1250,
    ...                  currency="EUR", customer_id="c1", device_id="d1")
    >>> engine.observe(tx)["customer_count_1h"]
    0.0
    >>> later = Transaction(id="t2", time=at + dt.timedelta(minutes=5), type=TxType.PAYMENT,
    ...                     amount=990, currency="EUR", customer_id="c1", device_id="d2")
    >>> f = engine.observe(later)
    >>> f["customer_count_1h"], f["customer_amount_max_1h"], f["customer_new_device"]
    (1.0, 1250.0, 1.0)
"""

from aegis.risk.features._config import KINDS, FeatureConfig, Kind, window_label
from aegis.risk.features._engine import FeatureEngine
from aegis.risk.features._memory import MemoryState
from aegis.risk.features._names import FEATURES, Layout, feature_doc, feature_pattern
from aegis.risk.features._redis import RedisState
from aegis.risk.features._state import Event, FeatureState

FEATURE_NAMES: tuple[str, ...] = Layout(FeatureConfig()).names

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "KINDS",
    "Event",
    "FeatureConfig",
    "FeatureEngine",
    "FeatureState",
    "Kind",
    "MemoryState",
    "RedisState",
    "feature_doc",
    "feature_pattern",
    "window_label",
]
