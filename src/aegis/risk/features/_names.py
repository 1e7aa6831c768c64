"""Feature names, their documentation, and how a state's raw readings become features.

A state (memory or Redis) returns, per stream, a *reading*: a flat list of floats in the
layout below. Turning readings into features is shared code, so that both states give the
same features as long as they give the same readings.

Reading layout of a stream, in order:

- velocity kinds: the gap to the stream's previous transaction (µs, NaN if none); per window
  ``count`` (any currency), ``sum`` (same currency; 0 if none), ``mean`` and ``max`` (same
  currency, NaN if none); per distinct attribute, per window, the number of distinct values
  (so far, exactly the features but the gap's unit);
- moments kinds: per distinct attribute 1 if the transaction's value was seen within the
  retention, 0 if not, NaN if the transaction has none; then the sum of squared amounts over
  the longest window, how many of its amounts are below and equal to this one, and how many
  there are;
- risk kinds: per risk window, the delayed transaction count and its usable fraud labels;
  then the gaps (µs) from the oldest and the newest of those frauds in the longest window
  to the effective time (NaN if none).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from aegis.risk.features._config import KINDS, MICROS, FeatureConfig, Kind, window_label

NAN = math.nan
Derive = Callable[[Sequence[float], float], list[float]]

PLURAL = {"country": "countries"}

FEATURES: dict[str, str] = {
    "amount": "The transaction's amount in minor units of its currency.",
    "{entity}_seconds_since_last": (
        "Seconds since the entity's previous transaction; NaN when none within the retention."
    ),
    "{entity}_count_{window}": (
        "Number of the entity's earlier transactions in the window, in any currency."
    ),
    "{entity}_amount_sum_{window}": (
        "Sum of the amounts of the entity's earlier transactions in the window, counting only "
        "those in this transaction's currency (minor units); 0 when there are none."
    ),
    "{entity}_amount_mean_{window}": (
        "Mean amount of the entity's earlier same-currency transactions in the window; NaN "
        "when there are none."
    ),
    "{entity}_amount_max_{window}": (
        "Largest amount among the entity's earlier same-currency transactions in the window; "
        "NaN when there are none."
    ),
    "{entity}_distinct_{attribute}s_{window}": (
        "Number of distinct values of the attribute (cards, customers, devices, IPs, payees, "
        "countries) the entity's earlier transactions in the window carried."
    ),
    "customer_new_{attribute}": (
        "1 when this card, device, IP, payee or country was never seen with the customer "
        "within the retention (longest window, or label delay + longest risk window), "
        "0 when it was; NaN when the transaction does not carry it."
    ),
    "customer_amount_ratio_{window}": (
        "The amount divided by the customer's mean same-currency amount over the window; "
        "NaN without history in the window."
    ),
    "customer_amount_to_max_{window}": (
        "The amount divided by the customer's largest same-currency amount over the longest "
        "window (above 1: the largest yet); NaN without history."
    ),
    "customer_amount_zscore_{window}": (
        "(amount - mean) / max(standard deviation, 1 minor unit) of the customer's "
        "same-currency amounts over the longest window; NaN with fewer than 2 of them."
    ),
    "customer_amount_percentile_{window}": (
        "Share of the customer's same-currency amounts over the longest window below this "
        "amount (ties count half); NaN without history."
    ),
    "{entity}_risk_count_{window}": (
        "Terminal or merchant: number of its transactions in (t - delay - window, t - delay] "
        "(the handbook's delayed window)."
    ),
    "{entity}_risk_share_{window}": (
        "Terminal or merchant: share of those transactions labelled fraud by labels already "
        "usable at t; NaN when there are none."
    ),
    "{entity}_risk_seconds_since_first_fraud": (
        "Terminal or merchant: seconds from its earliest fraudulent transaction in the "
        "longest delayed window (labels usable at t) to t: how old the fraud episode is. NaN "
        "when none."
    ),
    "{entity}_risk_seconds_since_last_fraud": (
        "Terminal or merchant: seconds from its latest such fraudulent transaction to t."
    ),
}


_KIND = "|".join(k.name for k in KINDS)
_ATTR = "cards|customers|devices|ips|payees|countries"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(regex), pattern)
    for regex, pattern in (
        (r"amount", "amount"),
        (rf"(?:{_KIND})_seconds_since_last", "{entity}_seconds_since_last"),
        (rf"(?:{_KIND})_count_\w+", "{entity}_count_{window}"),
        (rf"(?:{_KIND})_amount_sum_\w+", "{entity}_amount_sum_{window}"),
        (rf"(?:{_KIND})_amount_mean_\w+", "{entity}_amount_mean_{window}"),
        (rf"(?:{_KIND})_amount_max_\w+", "{entity}_amount_max_{window}"),
        (rf"(?:{_KIND})_distinct_(?:{_ATTR})_\w+", "{entity}_distinct_{attribute}s_{window}"),
        (r"customer_new_\w+", "customer_new_{attribute}"),
        (r"customer_amount_ratio_\w+", "customer_amount_ratio_{window}"),
        (r"customer_amount_to_max_\w+", "customer_amount_to_max_{window}"),
        (r"customer_amount_zscore_\w+", "customer_amount_zscore_{window}"),
        (r"customer_amount_percentile_\w+", "customer_amount_percentile_{window}"),
        (rf"(?:{_KIND})_risk_count_\w+", "{entity}_risk_count_{window}"),
        (rf"(?:{_KIND})_risk_share_\w+", "{entity}_risk_share_{window}"),
        (
            rf"(?:{_KIND})_risk_seconds_since_first_fraud",
            "{entity}_risk_seconds_since_first_fraud",
        ),
        (
            rf"(?:{_KIND})_risk_seconds_since_last_fraud",
            "{entity}_risk_seconds_since_last_fraud",
        ),
    )
)


def feature_pattern(name: str) -> str:
    """The :data:`FEATURES` key documenting a concrete feature name."""
    for regex, pattern in _PATTERNS:
        if regex.fullmatch(name):
            return pattern
    raise KeyError(name)


def feature_doc(name: str) -> str:
    """The documentation of a concrete feature name (for reason codes and user docs)."""
    return FEATURES[feature_pattern(name)]


class Layout:
    """The feature names and the derivation for one configuration."""

    def __init__(self, config: FeatureConfig) -> None:
        self.config = config
        self.windows = tuple(w // MICROS for w in config.windows)
        self.risk_windows = tuple(w // MICROS for w in config.risk_windows)
        self.delay = config.label_delay // MICROS
        self.retention = config.retention // MICROS
        names: list[str] = ["amount"]
        self.kind_names: list[tuple[str, ...]] = []
        self.derive: list[Derive] = []
        for kind in KINDS:
            kind_names = _kind_names(kind, config)
            self.kind_names.append(kind_names)
            self.derive.append(_deriver(kind, len(self.windows), len(self.risk_windows)))
            names.extend(kind_names)
        self.names: tuple[str, ...] = tuple(names)
        self.template: dict[str, float] = dict.fromkeys(self.names, NAN)
        # per kind, its values when the transaction does not carry that entity
        self.missing: list[list[float]] = [[NAN] * len(n) for n in self.kind_names]


def _kind_names(kind: Kind, config: FeatureConfig) -> tuple[str, ...]:
    k = kind.name
    labels = [window_label(w) for w in config.windows]
    out: list[str] = []
    if kind.velocity:
        out.append(f"{k}_seconds_since_last")
        for w in labels:
            out += [f"{k}_count_{w}", f"{k}_amount_sum_{w}"]
            out += [f"{k}_amount_mean_{w}", f"{k}_amount_max_{w}"]
        for attr in kind.distinct:
            out += [f"{k}_distinct_{PLURAL.get(attr, attr + 's')}_{w}" for w in labels]
    if kind.moments:
        out += [f"{k}_new_{attr}" for attr in kind.distinct]
        top = labels[-1]
        out += [f"{k}_amount_ratio_{w}" for w in labels]
        out += [f"{k}_amount_to_max_{top}", f"{k}_amount_zscore_{top}"]
        out.append(f"{k}_amount_percentile_{top}")
    if kind.risk:
        for w in (window_label(r) for r in config.risk_windows):
            out += [f"{k}_risk_count_{w}", f"{k}_risk_share_{w}"]
        out += [f"{k}_risk_seconds_since_first_fraud", f"{k}_risk_seconds_since_last_fraud"]
    return tuple(out)


def _deriver(kind: Kind, nw: int, nr: int) -> Derive:
    """A function from (reading, amount) to the kind's feature values, in name order."""
    nd = len(kind.distinct)
    velocity, moments, risk = kind.velocity, kind.moments, kind.risk
    plain = 1 + 4 * nw + nd * nw  # the velocity block is the features themselves
    means = range(3, 1 + 4 * nw, 4)
    top_max = 4 * nw

    def derive(r: Sequence[float], amount: float) -> list[float]:
        pos = 0
        out: list[float] = []
        if velocity:
            out = [r[0] / 1e6]  # NaN stays NaN
            out += r[1:plain]
            pos = plain
        if moments:
            out += [1.0 - known for known in r[pos : pos + nd]]  # NaN stays NaN
            pos += nd
            sumsq, below, equal, n = r[pos], r[pos + 1], r[pos + 2], r[pos + 3]
            pos += 4
            out += [amount / r[i] if r[i] > 0 else NAN for i in means]
            high = r[top_max]
            out.append(amount / high if high > 0 else NAN)
            out += _against_history(amount, n, r[means[-1] - 1], sumsq, below, equal)
        if risk:
            for _ in range(nr):
                count, frauds = r[pos], r[pos + 1]
                pos += 2
                out += (count, frauds / count if count > 0 else NAN)
            out += (r[pos] / 1e6, r[pos + 1] / 1e6)
        return out

    return derive


def _against_history(
    amount: float, n: float, total: float, sumsq: float, below: float, equal: float
) -> tuple[float, float]:
    """(z-score, percentile) of the amount among the longest window's."""
    if n <= 0:
        return NAN, NAN
    mean = total / n
    if n >= 2:
        # Cancellation can make the variance slightly negative; a constant history then
        # gives std 0, floored at one minor unit so that a spike still stands out.
        std = math.sqrt(max(sumsq / n - mean * mean, 0.0))
        zscore = (amount - mean) / max(std, 1.0)
    else:
        zscore = NAN
    return zscore, (below + 0.5 * equal) / n
