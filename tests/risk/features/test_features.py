"""Each feature family on small hand-built sequences, with exact expected values."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from aegis.risk.features import (
    FEATURE_NAMES,
    FEATURES,
    FeatureConfig,
    FeatureEngine,
    MemoryState,
    feature_doc,
    window_label,
)
from aegis.risk.model import Label, LabelKind, Transaction, TxType
from tests.risk.features.reference import same

T0 = dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
_count = 0


def tx(at: dt.timedelta, amount: int = 1000, currency: str = "EUR", **fields: Any) -> Transaction:
    global _count
    _count += 1
    fields.setdefault("customer_id", "c1")
    return Transaction(
        id=fields.pop("id", f"t{_count}"),
        time=T0 + at,
        type=TxType.PAYMENT,
        amount=amount,
        currency=currency,
        **fields,
    )


def nan(x: float) -> bool:
    return math.isnan(x)


@pytest.fixture
def engine() -> FeatureEngine:
    return FeatureEngine(MemoryState())


def test_names_are_unique_documented_and_always_present(engine: FeatureEngine) -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES) == 187
    for name in FEATURE_NAMES:
        assert feature_doc(name) in FEATURES.values()
    features = engine.compute(tx(0 * MIN))
    assert tuple(features) == FEATURE_NAMES
    assert feature_doc("device_distinct_cards_1h").startswith("Number of distinct values")


def test_velocity_windows_count_sum_mean_max(engine: FeatureEngine) -> None:
    engine.observe(tx(0 * MIN, 1000))
    engine.observe(tx(10 * MIN, 2000))
    engine.observe(tx(120 * MIN, 500, "USD"))
    f = engine.compute(tx(121 * MIN, 3000))
    # 1h: only the USD payment: counted, but not summed with euros
    assert f["customer_count_1h"] == 1.0
    assert f["customer_amount_sum_1h"] == 0.0
    assert nan(f["customer_amount_mean_1h"]) and nan(f["customer_amount_max_1h"])
    assert f["customer_count_1d"] == 3.0
    assert f["customer_amount_sum_1d"] == 3000.0
    assert f["customer_amount_mean_1d"] == 1500.0
    assert f["customer_amount_max_1d"] == 2000.0
    assert f["customer_seconds_since_last"] == 60.0
    assert f["amount"] == 3000.0
    # against the euro history 1000, 2000: mean 1500, std 500
    assert f["customer_amount_ratio_30d"] == 2.0
    assert nan(f["customer_amount_ratio_1h"])  # no euros in the last hour
    assert f["customer_amount_to_max_30d"] == 1.5
    assert f["customer_amount_zscore_30d"] == 3.0
    assert f["customer_amount_percentile_30d"] == 1.0
    assert engine.compute(tx(121 * MIN, 1000))["customer_amount_percentile_30d"] == 0.25


def test_window_excludes_its_left_end(engine: FeatureEngine) -> None:
    engine.observe(tx(0 * MIN))
    assert engine.compute(tx(HOUR - dt.timedelta(microseconds=1)))["customer_count_1h"] == 1.0
    assert engine.compute(tx(HOUR))["customer_count_1h"] == 0.0
    assert engine.compute(tx(HOUR))["customer_count_1d"] == 1.0


def test_max_slides_with_the_window(engine: FeatureEngine) -> None:
    engine.observe(tx(0 * MIN, 500))
    engine.observe(tx(30 * MIN, 300))
    engine.observe(tx(50 * MIN, 200))
    assert engine.compute(tx(59 * MIN))["customer_amount_max_1h"] == 500.0
    assert engine.compute(tx(61 * MIN))["customer_amount_max_1h"] == 300.0
    assert engine.compute(tx(91 * MIN))["customer_amount_max_1h"] == 200.0
    assert nan(engine.compute(tx(111 * MIN))["customer_amount_max_1h"])
    # reading never moved the windows: an earlier time still sees everything
    assert engine.compute(tx(59 * MIN))["customer_amount_max_1h"] == 500.0


def test_zscore_of_a_constant_history_uses_one_minor_unit(engine: FeatureEngine) -> None:
    engine.observe(tx(0 * MIN, 1000))
    f = engine.compute(tx(1 * MIN, 1500))
    assert nan(f["customer_amount_zscore_30d"])  # one amount: no spread yet
    engine.observe(tx(2 * MIN, 1000))
    f = engine.compute(tx(3 * MIN, 1500))
    assert f["customer_amount_zscore_30d"] == 500.0
    assert f["customer_amount_percentile_30d"] == 1.0
    assert engine.compute(tx(3 * MIN, 1000))["customer_amount_percentile_30d"] == 0.5


def test_distinct_counts_and_first_seen(engine: FeatureEngine) -> None:
    engine.observe(tx(0 * MIN, device_id="d1", country="FR", payee_account="p1"))
    engine.observe(tx(5 * MIN, device_id="d2", country="FR", card_fingerprint="k1"))
    engine.observe(tx(2 * HOUR, device_id="d1", ip="1.2.3.4"))
    f = engine.compute(tx(2 * HOUR + MIN, device_id="d3", country="DE", payee_account="p1"))
    assert f["customer_distinct_devices_1h"] == 1.0
    assert f["customer_distinct_devices_1d"] == 2.0
    assert f["customer_distinct_countries_1d"] == 1.0
    assert f["customer_distinct_payees_1d"] == 1.0
    assert f["customer_distinct_cards_1d"] == 1.0
    assert f["customer_distinct_ips_1h"] == 1.0
    assert f["customer_new_device"] == 1.0
    assert f["customer_new_country"] == 1.0
    assert f["customer_new_payee"] == 0.0
    assert nan(f["customer_new_card"]) and nan(f["customer_new_ip"])
    # the device's own view: two customers, one card
    engine.observe(tx(3 * HOUR, customer_id="c2", device_id="d1", card_fingerprint="k9"))
    g = engine.compute(tx(3 * HOUR + MIN, customer_id="c3", device_id="d1"))
    assert g["device_distinct_customers_1h"] == 1.0
    assert g["device_distinct_customers_1d"] == 2.0
    assert g["device_distinct_cards_1d"] == 1.0
    assert g["device_seconds_since_last"] == 60.0


def test_absent_entity_gives_nan_and_new_entity_gives_zero_counts(
    engine: FeatureEngine,
) -> None:
    f = engine.compute(tx(0 * MIN, device_id="d1"))
    assert nan(f["card_count_1h"]) and nan(f["card_seconds_since_last"])
    assert f["device_count_1h"] == 0.0 and f["device_amount_sum_30d"] == 0.0
    assert nan(f["device_amount_mean_1h"]) and nan(f["device_seconds_since_last"])
    assert f["customer_new_device"] == 1.0
    assert nan(f["customer_amount_ratio_30d"])
    g = engine.compute(tx(0 * MIN, customer_id=None))
    assert all(nan(v) for k, v in g.items() if k.startswith("customer_"))


def test_terminal_is_the_merchant_when_no_terminal(engine: FeatureEngine) -> None:
    engine.observe(tx(0 * MIN, merchant_id="m1"))
    f = engine.compute(tx(MIN, customer_id="c2", merchant_id="m1"))
    assert f["terminal_count_1h"] == 1.0
    assert f["terminal_distinct_customers_1h"] == 1.0
    assert f["merchant_risk_count_1d"] == 0.0
    assert nan(f["merchant_risk_share_1d"])


def test_late_transaction_is_placed_at_the_streams_newest_time(
    engine: FeatureEngine,
) -> None:
    engine.observe(tx(10 * HOUR))
    late = engine.observe(tx(9 * HOUR))
    assert late["customer_seconds_since_last"] == 0.0
    assert late["customer_count_1h"] == 1.0
    # it counts as if it happened at 10:00: still in the 1h window at 10:59
    f = engine.compute(tx(10 * HOUR + 59 * MIN))
    assert f["customer_count_1h"] == 2.0
    assert engine.compute(tx(11 * HOUR))["customer_count_1h"] == 0.0


def test_a_stream_idle_longer_than_the_retention_is_forgotten(engine: FeatureEngine) -> None:
    retention = engine.config.retention
    assert retention == 37 * DAY
    engine.observe(tx(0 * MIN, device_id="d1"))
    f = engine.compute(tx(retention - MIN, device_id="d1"))
    assert f["customer_new_device"] == 0.0
    assert f["customer_seconds_since_last"] == (retention - MIN).total_seconds()
    g = engine.observe(tx(retention, device_id="d1"))
    assert g["customer_new_device"] == 1.0
    assert nan(g["customer_seconds_since_last"])


def test_idle_streams_are_swept_a_few_per_write_and_active_ones_kept() -> None:
    state = MemoryState()
    engine = FeatureEngine(state)
    retention = engine.config.retention
    for i in range(50):
        engine.record(tx(i * MIN, customer_id=f"old{i}", card_fingerprint=f"card{i}"))
    engine.record(tx(2 * retention + HOUR, customer_id="kept", card_fingerprint="card-kept"))
    sizes = [len(streams) for streams in state._streams]
    # Each write looks at a few keys only: nothing is walked all at once.
    engine.record(tx(2 * retention + 2 * HOUR, customer_id="kept", card_fingerprint="card-kept"))
    assert sum(len(streams) for streams in state._streams) >= sum(sizes) - 4
    for i in range(200):
        engine.record(tx(2 * retention + 3 * HOUR + i * MIN, customer_id="kept"))
    left = {key for streams in state._streams for key in streams}
    assert not any(key.startswith(("old", "card")) and key != "card-kept" for key in left)
    assert "kept" in left
    f = engine.compute(
        tx(2 * retention + 4 * DAY, customer_id="kept", card_fingerprint="card-kept")
    )
    assert f["customer_count_7d"] == 202.0
    assert f["card_count_7d"] == 2.0


def test_compute_writes_nothing_and_record_writes_without_reading(
    engine: FeatureEngine,
) -> None:
    first = tx(0 * MIN)
    assert same(engine.compute(first), engine.compute(first)) == []
    engine.compute(tx(MIN))
    assert engine.compute(tx(2 * MIN))["customer_count_1h"] == 0.0
    engine.record(tx(3 * MIN))
    assert engine.compute(tx(4 * MIN))["customer_count_1h"] == 1.0


def test_naive_time_is_refused(engine: FeatureEngine) -> None:
    naive = Transaction(
        id="n", time=dt.datetime(2026, 1, 1), type=TxType.PAYMENT, amount=1, currency="EUR"
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        engine.compute(naive)


def test_config_validation_and_labels() -> None:
    with pytest.raises(ValueError, match="increasing"):
        FeatureConfig(windows=(DAY, HOUR))
    with pytest.raises(ValueError, match="positive"):
        FeatureConfig(risk_windows=())
    with pytest.raises(ValueError, match="label_delay"):
        FeatureConfig(label_delay=-DAY)
    assert [window_label(w) for w in (HOUR, DAY, 90 * MIN, dt.timedelta(seconds=90))] == [
        "1h",
        "1d",
        "90m",
        "90s",
    ]
    state = MemoryState()
    FeatureEngine(state)
    with pytest.raises(ValueError, match="another configuration"):
        FeatureEngine(state, FeatureConfig(label_delay=DAY))


def label(
    target: Transaction, usable: dt.timedelta, kind: LabelKind = LabelKind.CHARGEBACK
) -> Label:
    return Label(
        transaction_id=target.id, kind=kind, reported_at=T0 + usable, usable_at=T0 + usable
    )


def test_terminal_risk_reads_delayed_windows_and_usable_labels(engine: FeatureEngine) -> None:
    a = tx(0 * DAY, terminal_id="T")
    b = tx(1 * DAY, terminal_id="T", customer_id="c2")
    c = tx(5 * DAY, terminal_id="T", customer_id="c3")
    for x in (a, b, c):
        engine.observe(x)
    engine.add_label(label(a, 7 * DAY))  # the handbook's delay: usable a week later
    engine.add_label(label(c, 20 * DAY))  # a late chargeback
    f = engine.compute(tx(8 * DAY + 12 * HOUR, terminal_id="T"))
    # t - delay = day 1.5: the 1-day window holds b only, the 7-day one a and b
    assert (f["terminal_risk_count_1d"], f["terminal_risk_share_1d"]) == (1.0, 0.0)
    assert (f["terminal_risk_count_7d"], f["terminal_risk_share_7d"]) == (2.0, 0.5)
    # the fraud episode at this terminal: one fraud, 8.5 days before
    assert f["terminal_risk_seconds_since_first_fraud"] == 8.5 * 86_400
    assert f["terminal_risk_seconds_since_last_fraud"] == 8.5 * 86_400
    assert nan(f["merchant_risk_seconds_since_first_fraud"])  # no merchant
    f = engine.compute(tx(12 * DAY + 12 * HOUR, terminal_id="T"))
    assert f["terminal_risk_count_7d"] == 3.0
    assert f["terminal_risk_share_7d"] == pytest.approx(1 / 3)  # c's label not usable yet
    just_before = engine.compute(tx(20 * DAY - dt.timedelta(microseconds=1), terminal_id="T"))
    assert just_before["terminal_risk_share_30d"] == pytest.approx(1 / 3)
    at = engine.compute(tx(20 * DAY, terminal_id="T"))
    assert at["terminal_risk_share_30d"] == pytest.approx(2 / 3)
    assert at["terminal_risk_seconds_since_first_fraud"] == 20 * 86_400
    assert at["terminal_risk_seconds_since_last_fraud"] == 15 * 86_400
    # a cleared dispute replaces the fraud label
    engine.add_label(label(c, 20 * DAY, LabelKind.GENUINE))
    assert engine.compute(tx(20 * DAY, terminal_id="T"))["terminal_risk_share_30d"] == (
        pytest.approx(1 / 3)
    )


def test_label_is_invisible_before_usable_at(engine: FeatureEngine) -> None:
    a = tx(0 * DAY, terminal_id="T")
    engine.observe(a)
    engine.add_label(label(a, 9 * DAY))
    before = engine.compute(tx(9 * DAY - dt.timedelta(microseconds=1), terminal_id="T"))
    assert before["terminal_risk_count_7d"] == 1.0
    assert before["terminal_risk_share_7d"] == 0.0
    assert engine.compute(tx(9 * DAY, terminal_id="T"))["terminal_risk_share_7d"] == 1.0


def test_labels_of_unknown_transactions_are_ignored(engine: FeatureEngine) -> None:
    a = tx(0 * DAY, terminal_id="T")
    engine.add_label(label(a, 1 * DAY))  # before the transaction is recorded
    engine.observe(a)
    assert engine.compute(tx(8 * DAY, terminal_id="T"))["terminal_risk_share_7d"] == 0.0
