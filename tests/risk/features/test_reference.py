"""The memory state against a brute-force reading of the documented semantics."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from aegis.risk.features import FeatureConfig, FeatureEngine, MemoryState
from aegis.risk.model import Label, LabelKind, Transaction, TxType
from tests.risk.features.reference import Reference, random_transactions, replay, same

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
SMALL = FeatureConfig(
    windows=(dt.timedelta(minutes=10), dt.timedelta(hours=1), dt.timedelta(hours=6)),
    risk_windows=(dt.timedelta(hours=1), dt.timedelta(hours=3)),
    label_delay=dt.timedelta(hours=2),
)


def test_random_sequence_matches_reference() -> None:
    txs = random_transactions(11, 600)
    ours = replay(FeatureEngine(MemoryState()), txs, 5)
    truth = replay(Reference(), txs, 5)
    for i, (a, b) in enumerate(zip(ours, truth, strict=True)):
        assert same(a, b) == [], f"transaction {i}"


step = st.tuples(
    st.sampled_from([0, 1, 60, 599, 600, 601, 3600, 7200, 21_600, 40_000]),  # seconds forward
    st.sampled_from([0, 0, 0, 30, 700]),  # seconds late
    st.sampled_from(["c1", "c2", None]),
    st.sampled_from(["d1", "d2", "d3", None]),
    st.sampled_from(["t1", "t2", None]),
    st.sampled_from([100, 250, 999, 5000]),
    st.sampled_from(["EUR", "USD"]),
    st.sampled_from(["observe", "compute", "compute+record", "label", "genuine"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(step, min_size=1, max_size=60))
def test_any_sequence_matches_reference(steps: list[tuple]) -> None:  # type: ignore[type-arg]
    ours, truth = FeatureEngine(MemoryState(), SMALL), Reference(SMALL)
    now = START
    seen: list[Transaction] = []
    for i, (forward, late, customer, device, terminal, amount, currency, action) in enumerate(
        steps
    ):
        now += dt.timedelta(seconds=forward)
        tx = Transaction(
            id=f"x{i}",
            time=now - dt.timedelta(seconds=late),
            type=TxType.PAYMENT,
            amount=amount,
            currency=currency,
            customer_id=customer,
            device_id=device,
            terminal_id=terminal,
        )
        if action in ("label", "genuine") and seen:
            target = seen[i % len(seen)]
            kind = LabelKind.CHARGEBACK if action == "label" else LabelKind.GENUINE
            label = Label(
                transaction_id=target.id,
                kind=kind,
                reported_at=now,
                usable_at=now + dt.timedelta(seconds=late * 10),
            )
            ours.add_label(label)
            truth.add_label(label)
            continue
        if action == "compute":
            a, b = ours.compute(tx), truth.compute(tx)
        elif action == "compute+record":
            a, b = ours.compute(tx), truth.compute(tx)
            ours.record(tx)
            truth.record(tx)
        else:
            a, b = ours.observe(tx), truth.observe(tx)
        if action != "compute":
            seen.append(tx)
        assert same(a, b) == [], f"step {i}"
