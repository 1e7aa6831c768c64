"""A brute-force reading of the documented feature semantics, and random transactions.

The reference keeps every event of every stream and rescans it for every query: slow, but
obviously right. The states must agree with it exactly (amounts are kept small enough that
every sum is an exact integer in a double, whatever the order of additions).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from aegis.risk.features import KINDS, FeatureConfig, FeatureEngine
from aegis.risk.features._config import ATTRIBUTES
from aegis.risk.features._names import Layout
from aegis.risk.model import Label, LabelKind, Transaction, TxType

NAN = math.nan
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
US = dt.timedelta(microseconds=1)


@dataclass
class _Ev:
    tx_id: str
    time: int
    amount: float
    currency: str
    values: tuple[str | None, ...]


@dataclass
class _Stream:
    head: int | None = None
    events: list[_Ev] = field(default_factory=list)


class Reference:
    """Same interface as FeatureEngine's compute/record/observe/add_label."""

    def __init__(self, config: FeatureConfig = FeatureConfig()) -> None:
        self.lay = Layout(config)
        self.streams: dict[tuple[int, str], _Stream] = {}
        self.labels: dict[str, tuple[bool, int]] = {}
        self.recorded: set[str] = set()

    def compute(self, tx: Transaction) -> dict[str, float]:
        return self._features(tx)

    def record(self, tx: Transaction) -> None:
        t = (tx.time - EPOCH) // US
        for index, key, values in self._refs(tx):
            s = self._stream(index, key, t)
            eff = t if s.head is None or t > s.head else s.head
            s.head = eff
            s.events.append(_Ev(tx.id, eff, float(tx.amount), tx.currency, values))
        self.recorded.add(tx.id)

    def observe(self, tx: Transaction) -> dict[str, float]:
        out = self.compute(tx)
        self.record(tx)
        return out

    def add_label(self, label: Label) -> None:
        if label.transaction_id in self.recorded:  # a label before its transaction is lost
            usable = (label.usable_at - EPOCH) // US
            self.labels[label.transaction_id] = (label.fraud, usable)

    def _refs(self, tx: Transaction) -> list[tuple[int, str, tuple[str | None, ...]]]:
        refs = []
        for index, kind in enumerate(KINDS):
            key = kind.key(tx)
            if key:
                values = tuple(getattr(tx, ATTRIBUTES[a]) or None for a in kind.distinct)
                refs.append((index, key, values))
        return refs

    def _stream(self, index: int, key: str, t: int) -> _Stream:
        s = self.streams.get((index, key))
        if s is None or (s.head is not None and s.head <= t - self.lay.retention):
            s = self.streams[(index, key)] = _Stream()
        return s

    def _features(self, tx: Transaction) -> dict[str, float]:
        lay = self.lay
        t = (tx.time - EPOCH) // US
        out = dict(lay.template)
        out["amount"] = float(tx.amount)
        for index, key, values in self._refs(tx):
            s = self.streams.get((index, key))
            if s is None or (s.head is not None and s.head <= t - lay.retention):
                s = _Stream()
            kind = KINDS[index]
            eff = t if s.head is None or t > s.head else s.head
            r: list[float] = []
            if kind.velocity:
                r.append(float(eff - s.head) if s.head is not None else NAN)
                for w in lay.windows:
                    inside = [e for e in s.events if eff - w < e.time <= eff]
                    same = [e.amount for e in inside if e.currency == tx.currency]
                    total = float(sum(same))
                    mean = total / len(same) if same else NAN
                    r += [len(inside), total, mean, max(same, default=NAN)]
                for j in range(len(kind.distinct)):
                    for w in lay.windows:
                        inside = [e for e in s.events if eff - w < e.time <= eff]
                        r.append(len({e.values[j] for e in inside} - {None}))
            if kind.moments:
                recent = [e for e in s.events if e.time > eff - lay.retention]
                for j, value in enumerate(values):
                    seen = {e.values[j] for e in recent}
                    r.append(NAN if value is None else float(value in seen))
                top = lay.windows[-1]
                same = [
                    e.amount
                    for e in s.events
                    if eff - top < e.time <= eff and e.currency == tx.currency
                ]
                r.append(float(sum(a * a for a in same)))
                r.append(float(sum(a < tx.amount for a in same)))
                r.append(float(sum(a == tx.amount for a in same)))
                r.append(float(len(same)))
            if kind.risk:
                hi = eff - lay.delay
                fraud_times: list[int] = []
                for w in lay.risk_windows:
                    inside = [e for e in s.events if hi - w < e.time <= hi]
                    frauds = 0
                    fraud_times = []
                    for e in inside:
                        fraud, usable = self.labels.get(e.tx_id, (False, 0))
                        if fraud and usable <= eff:
                            frauds += 1
                            fraud_times.append(e.time)
                    r += [float(len(inside)), float(frauds)]
                if fraud_times:  # those of the longest window
                    r += [float(eff - min(fraud_times)), float(eff - max(fraud_times))]
                else:
                    r += [NAN, NAN]
            derived = lay.derive[index]([float(x) for x in r], float(tx.amount))
            out.update(zip(lay.kind_names[index], derived, strict=True))
        return out


def random_transactions(
    seed: int, n: int, *, late: float = 0.1, max_amount: int = 1_000_000
) -> list[Transaction]:
    """Transactions over a few months, many sharing entities, some late, a few after a long
    silence (streams forgotten), in two currencies."""
    rng = random.Random(seed)
    t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    out = []

    def pick(prefix: str, k: int) -> str | None:
        return f"{prefix}{rng.randrange(k)}" if rng.random() < 0.8 else None

    for i in range(n):
        step = rng.choice([0, 1, 5, 60, 600, 3600, 20_000, 86_400, 5 * 86_400])
        if rng.random() < 0.003:
            step = 45 * 86_400
        t += dt.timedelta(seconds=step)
        at = t
        if rng.random() < late:
            at -= dt.timedelta(seconds=rng.choice([1, 30, 4000, 90_000]))
        tx = Transaction(
            id=f"tx{i}",
            time=at,
            type=TxType.PAYMENT,
            amount=rng.choice([100, 250, 999, rng.randrange(1, max_amount)]),
            currency=rng.choice(["EUR", "EUR", "EUR", "USD"]),
            customer_id=pick("c", 30),
            card_fingerprint=pick("k", 40),
            device_id=pick("d", 25),
            ip=pick("i", 20),
            terminal_id=pick("t", 10) if rng.random() < 0.5 else None,
            merchant_id=pick("m", 6),
            payee_account=pick("p", 15),
            country=rng.choice(["FR", "DE", None, "US"]),
        )
        out.append(tx)
    return out


def replay(
    engine: FeatureEngine | Reference, txs: list[Transaction], seed: int
) -> list[dict[str, float]]:
    """Observe, or compute then record, or only compute; labels of recent transactions
    (fraud or genuine, usable at once or later) in between."""
    rng = random.Random(seed)
    feats = []
    for i, tx in enumerate(txs):
        mode = rng.random()
        if mode < 0.1:
            f = engine.compute(tx)
            engine.record(tx)
        elif mode < 0.15:
            f = engine.compute(tx)
        else:
            f = engine.observe(tx)
        feats.append(f)
        if rng.random() < 0.2:
            target = txs[rng.randrange(max(0, i - 50), i + 1)]
            kind = rng.choice([LabelKind.CHARGEBACK, LabelKind.CONFIRMED_FRAUD, LabelKind.GENUINE])
            reported = target.time + dt.timedelta(hours=rng.choice([1, 30, 200]))
            usable = reported + dt.timedelta(days=rng.choice([0, 2, 7]))
            engine.add_label(
                Label(transaction_id=target.id, kind=kind, reported_at=reported, usable_at=usable)
            )
    return feats


def same(a: dict[str, float], b: dict[str, float]) -> list[str]:
    """Names whose values differ (NaN equals NaN)."""
    assert a.keys() == b.keys()
    return [k for k in a if not (a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])))]
