"""In-process feature state (the embedded shape).

Not thread-safe: one engine per worker, or a lock around it. Its twin in Redis
(``_redis.lua``) runs the same steps in the same order; keep them in step.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, bisect_right, insort
from collections import deque

from aegis.risk.features._config import KINDS, FeatureConfig
from aegis.risk.features._names import Layout
from aegis.risk.features._state import Event
from aegis.risk.model import Label

NAN = math.nan
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SWEEP_EVERY = 8192  # writes between sweeps of idle streams (memory only, never a result)
_TRIM_AT = 64  # log entries passed by every cursor before they are dropped


class _Stream:
    __slots__ = (
        "agg",
        "cur",
        "frauds",
        "head",
        "log",
        "off",
        "rcur",
        "rin",
        "seen",
        "seq",
        "sorted",
        "stacks",
    )

    def __init__(self, nw: int, nr: int, nattrs: int) -> None:
        self.head: int | None = None  # effective time of the newest event
        self.seq = 0  # events appended so far: the absolute index of the next one
        self.off = 0  # absolute index of log[0]
        self.log: list[tuple[int, float, str]] = []
        self.cur = [0] * nw  # per window: absolute index of its oldest event
        # per currency: [n, sum] per window, then the sum of squares over the longest
        self.agg: dict[str, list[float]] = {}
        self.stacks: dict[str, tuple[list[int], list[float]]] = {}  # suffix maxima
        self.sorted: dict[str, list[float]] = {}  # amounts in the longest window
        # per attribute: value -> last seen (in last-seen order), and those times sorted
        self.seen: list[tuple[dict[str, int], list[int]]] = [({}, []) for _ in range(nattrs)]
        self.rin = 0  # first event newer than t - delay
        self.rcur = [0] * nr  # per risk window: first event newer than t - delay - window
        self.frauds: dict[str, tuple[int, int]] = {}  # tx id -> (effective time, usable at)


class MemoryState:
    """Histories in dictionaries of this process."""

    def __init__(self) -> None:
        self._layout: Layout | None = None
        self._streams: list[dict[str, _Stream]] = [{} for _ in KINDS]
        # tx id -> the risk streams it went to, with its effective time there; and the ids
        # in time order for expiry (a deque: iterating a dict after many deletions from its
        # front walks every deleted slot)
        self._txs: dict[str, tuple[int, list[tuple[int, str, int]]]] = {}
        self._tx_order: deque[tuple[int, str]] = deque()
        self._newest = 0
        self._writes = 0

    def configure(self, config: FeatureConfig) -> None:
        if self._layout is not None and self._layout.config != config:
            raise ValueError("this state already holds history under another configuration")
        self._layout = Layout(config)

    @property
    def _lay(self) -> Layout:
        if self._layout is None:
            raise RuntimeError("state not configured: pass it to a FeatureEngine")
        return self._layout

    def apply(self, event: Event, *, read: bool, write: bool) -> list[list[float]]:
        lay = self._lay
        readings: list[list[float]] = []
        refs: list[tuple[int, str, int]] = []
        t = event.time
        for kind_index, key, values in event.streams:
            kind = KINDS[kind_index]
            streams = self._streams[kind_index]
            stream = streams.get(key)
            if stream is None or (stream.head is not None and stream.head <= t - lay.retention):
                stream = _Stream(len(lay.windows), len(lay.risk_windows), len(values))
                if write:
                    streams[key] = stream
            reading, eff = _touch(stream, kind_index, event, values, lay, read, write)
            if read:
                readings.append(reading)
            if write and kind.risk:
                refs.append((kind_index, key, eff))
        if write:
            self._after_write(event, refs)
        return readings

    def add_label(self, label: Label) -> None:
        entry = self._txs.get(label.transaction_id)
        if entry is None:
            return  # unknown, or older than the retention: it could not count any more
        usable = (label.usable_at - EPOCH) // dt.timedelta(microseconds=1)
        for kind_index, key, eff in entry[1]:
            stream = self._streams[kind_index].get(key)
            if stream is None:
                continue
            if label.fraud:
                stream.frauds[label.transaction_id] = (eff, usable)
            else:
                stream.frauds.pop(label.transaction_id, None)

    def _after_write(self, event: Event, refs: list[tuple[int, str, int]]) -> None:
        lay = self._lay
        if event.time > self._newest:
            self._newest = event.time
        if refs:
            self._txs[event.tx_id] = (event.time, refs)
            self._tx_order.append((event.time, event.tx_id))
        horizon = self._newest - lay.retention
        order = self._tx_order
        while order and order[0][0] <= horizon:
            at, tx_id = order.popleft()
            entry = self._txs.get(tx_id)
            if entry is not None and entry[0] == at:  # not re-recorded since
                del self._txs[tx_id]
        self._writes += 1
        if self._writes % _SWEEP_EVERY == 0:
            for streams in self._streams:
                idle = [k for k, s in streams.items() if s.head is not None and s.head <= horizon]
                for k in idle:
                    del streams[k]


def _touch(
    s: _Stream,
    kind_index: int,
    ev: Event,
    values: tuple[str | None, ...],
    lay: Layout,
    read: bool,
    write: bool,
) -> tuple[list[float], int]:
    kind = KINDS[kind_index]
    head = s.head
    t = ev.time
    eff = t if head is None or t > head else head
    out: list[float] = []
    if kind.velocity:
        if read:
            out.append(float(eff - head) if head is not None else NAN)
        _windows(s, eff, ev, values, lay, kind.moments, read, write, out)
    if kind.risk:
        _risk(s, eff, lay, read, write, out)
    if write:
        _append(s, kind_index, eff, ev.amount, ev.currency, values, lay)
    return out, eff


def _windows(
    s: _Stream,
    eff: int,
    ev: Event,
    values: tuple[str | None, ...],
    lay: Layout,
    moments: bool,
    read: bool,
    write: bool,
    out: list[float],
) -> None:
    amount, currency = ev.amount, ev.currency
    log, off, seq, cur = s.log, s.off, s.seq, s.cur
    windows = lay.windows
    nw = len(windows)
    top = nw - 1 if moments else -1  # the window whose moments are kept
    if not read:
        _evict(s, eff, windows, top)
        return
    agg = s.agg.get(currency)
    stack = s.stacks.get(currency)
    sumsq = below = equal = 0.0
    if moments:
        ordered = s.sorted.get(currency)
        if agg is not None:
            sumsq = agg[2 * nw]
        if ordered:
            lo = bisect_left(ordered, amount)
            below = float(lo)
            equal = float(bisect_right(ordered, amount) - lo)
    for i in range(nw):
        bound = eff - windows[i]
        c = cur[i]
        if agg is not None:
            n, total = agg[2 * i], agg[2 * i + 1]
        else:
            n = total = 0.0
        # Events leave the window. Reading only, the stream is left as it was: a later,
        # earlier-dated transaction may still need them.
        while c < seq:
            et, ea, ec = log[c - off]
            if et > bound:
                break
            if write:
                e_agg = s.agg[ec]
                e_agg[2 * i] -= 1.0
                e_agg[2 * i + 1] -= ea
                if i == top:
                    e_agg[2 * nw] -= ea * ea
                    e_sorted = s.sorted[ec]
                    del e_sorted[bisect_left(e_sorted, ea)]
            if ec == currency:
                n -= 1.0
                total -= ea
                if i == top:
                    sumsq -= ea * ea
                    if ea < amount:
                        below -= 1.0
                    elif ea == amount:
                        equal -= 1.0
            c += 1
        if write:
            cur[i] = c
        if read:
            high = NAN
            if stack is not None:
                times = stack[0]
                k = bisect_right(times, bound)
                if k < len(times):
                    high = stack[1][k]
            if n > 0:
                out += (float(seq - c), total, total / n, high)
            else:
                out += (float(seq - c), 0.0, NAN, high)
    if not read:
        return
    for _, times in s.seen:
        if times:
            size = len(times)
            for w in windows:
                out.append(float(size - bisect_right(times, eff - w)))
        else:  # an attribute this entity never carried
            out += [0.0] * nw
    if moments:
        horizon = eff - lay.retention
        for (seen_at, _), value in zip(s.seen, values, strict=True):
            if value is None:
                out.append(NAN)
            else:
                when = seen_at.get(value)
                out.append(1.0 if when is not None and when > horizon else 0.0)
        out += (sumsq, below, equal, n)


def _evict(s: _Stream, eff: int, windows: tuple[int, ...], top: int) -> None:
    """The write half of :func:`_windows` alone (a record without a read): events leave
    the windows, nothing is measured for the current currency."""
    log, off, seq, cur, aggs = s.log, s.off, s.seq, s.cur, s.agg
    nw2 = 2 * len(windows)
    for i, span in enumerate(windows):
        bound = eff - span
        c = cur[i]
        while c < seq:
            et, ea, ec = log[c - off]
            if et > bound:
                break
            e_agg = aggs[ec]
            e_agg[2 * i] -= 1.0
            e_agg[2 * i + 1] -= ea
            if i == top:
                e_agg[nw2] -= ea * ea
                e_sorted = s.sorted[ec]
                del e_sorted[bisect_left(e_sorted, ea)]
            c += 1
        cur[i] = c


def _risk(s: _Stream, eff: int, lay: Layout, read: bool, write: bool, out: list[float]) -> None:
    log, off, seq = s.log, s.off, s.seq
    hi = eff - lay.delay
    rin = s.rin
    while rin < seq and log[rin - off][0] <= hi:
        rin += 1
    if write:
        s.rin = rin
    # the usable frauds of the delayed window, by time
    frauds = (
        sorted(tt for tt, usable in s.frauds.values() if tt <= hi and usable <= eff)
        if s.frauds and read
        else []
    )
    rcur = s.rcur
    for j, w in enumerate(lay.risk_windows):
        lo = hi - w
        r = rcur[j]
        while r < seq and log[r - off][0] <= lo:
            r += 1
        if write:
            rcur[j] = r
        if read:
            hits = len(frauds) - bisect_right(frauds, lo)
            out += (float(rin - r), float(hits))
    if read:
        oldest = bisect_right(frauds, hi - lay.risk_windows[-1])
        if oldest < len(frauds):
            out += (float(eff - frauds[oldest]), float(eff - frauds[-1]))
        else:
            out += (NAN, NAN)


def _append(
    s: _Stream,
    kind_index: int,
    eff: int,
    amount: float,
    currency: str,
    values: tuple[str | None, ...],
    lay: Layout,
) -> None:
    kind = KINDS[kind_index]
    nw = len(lay.windows)
    s.head = eff
    s.log.append((eff, amount, currency))
    s.seq += 1
    if kind.velocity:
        agg = s.agg.get(currency)
        if agg is None:
            agg = s.agg[currency] = [0.0] * (2 * nw + 1)
        for i in range(nw):
            agg[2 * i] += 1.0
            agg[2 * i + 1] += amount
        if kind.moments:
            agg[2 * nw] += amount * amount
            ordered = s.sorted.get(currency)
            if ordered is None:
                ordered = s.sorted[currency] = []
            insort(ordered, amount)
        stack = s.stacks.get(currency)
        if stack is None:
            stack = s.stacks[currency] = ([], [])
        times, amounts = stack
        while amounts and amounts[-1] <= amount:
            amounts.pop()
            times.pop()
        times.append(eff)
        amounts.append(amount)
        oldest = eff - lay.windows[-1]
        while times[0] <= oldest:  # the newest entry is never that old
            del times[0], amounts[0]
        horizon = eff - lay.retention
        for (seen_at, seen_times), value in zip(s.seen, values, strict=True):
            if value is not None:
                before = seen_at.pop(value, None)
                if before is not None:
                    del seen_times[bisect_left(seen_times, before)]
                seen_at[value] = eff
                seen_times.append(eff)
            while seen_times and seen_times[0] <= horizon:
                del seen_at[next(iter(seen_at))]
                del seen_times[0]
    if kind.risk and s.frauds:
        oldest = eff - lay.delay - lay.risk_windows[-1]
        for tx_id in [k for k, (tt, _) in s.frauds.items() if tt <= oldest]:
            del s.frauds[tx_id]
    # Drop log entries every cursor has passed.
    keep = min(s.cur[-1] if kind.velocity else s.seq, s.rcur[-1] if kind.risk else s.seq)
    if keep - s.off >= _TRIM_AT:
        del s.log[: keep - s.off]
        s.off = keep
