"""In-process feature state (the embedded shape).

Not thread-safe: one engine per worker, or a lock around it. Its twin in Redis
(``_redis.lua``) runs the same steps in the same order; keep them in step.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from bisect import bisect_left, bisect_right, insort
from collections import deque
from typing import Any, cast

from aegis.risk.features._config import KINDS, FeatureConfig
from aegis.risk.features._names import Layout
from aegis.risk.features._state import Event
from aegis.risk.model import Label

NAN = math.nan
_EMPTY = (0.0, 0.0, NAN, NAN)  # count, sum, mean, max of a window with nothing in it
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Streams looked at per write for having been idle long past the retention (memory only,
# never a result: ``apply`` treats a stream idle past the retention as new). A sweep of
# every stream at once, every few thousand writes, walked hundreds of thousands of them in
# Python: 40 ms, once every few seconds under load, while every request waited.
_SWEEP_STEP = 4
_SWEEP_MARGIN = 7 * 86_400_000_000  # a week, in the state's microseconds
_TRIM_AT = 64  # log entries passed by every cursor before they are dropped
_RISK = tuple(kind.risk for kind in KINDS)
# what a stream holds where its kind keeps nothing: shared, never written
_NO_AMOUNTS = array("d")
_NO_SEEN: list[Any] = []
_NO_MORE: dict[int, tuple[array[float], array[float]]] = {}

# A stream that has seen a single event is that event: (effective time, amount, currency,
# attribute values). Most entities (a card, an IP) see few transactions, many only one; as
# a tuple of atomic values such a stream costs one allocation, and the cyclic GC stops
# tracking it at its first pass. It grows into a _Stream at its second event, or at a fraud
# label.
_One = tuple[int, float, str, tuple[str | None, ...]]


class _Stream:
    """A stream with more than one event.

    Few objects, numbers in arrays: a full collection of the cyclic GC costs about the same
    for every object it tracks (an array, however long, is one) and for every object a
    tracked one refers to (a log of tuples, a list of floats); on a large heap each is a
    cache miss. So the first currency's aggregates sit in the stream itself (most streams
    never see a second), the cursors share one array, the attribute maps one list, and
    currencies are the state's indices.
    """

    __slots__ = (
        "agg",
        "cu",
        "cur",
        "frauds",
        "head",
        "log",
        "more",
        "off",
        "seen",
        "seq",
        "sorted",
    )

    def __init__(self, cu: int, kind_index: int, lay: Layout) -> None:
        kind = KINDS[kind_index]
        nw = len(lay.windows) if kind.velocity else 0
        nr = len(lay.risk_windows) if kind.risk else 0
        nattrs = len(kind.distinct)
        self.head = 0  # effective time of the newest event
        self.seq = 0  # events appended so far: the absolute index of the next one
        self.off = 0  # absolute index of the log's first event
        # the log: effective time, amount, currency per event, in one array of doubles
        # (exact: times are below 2^53 microseconds, currencies small indices); bounds
        # are compared to its times as doubles, three times cheaper than against an int
        self.log = array("d")
        # per window: absolute index of its oldest event; then the first event newer than
        # t - delay, and per risk window the first newer than t - delay - window
        self.cur = array("q", bytes(8 * (nw + 1 + nr)))
        # The aggregates of currency ``cu`` (the stream's first): [n, sum] per window, the
        # sum of squares over the longest, then the suffix maxima (time, amount, time...)
        # from the oldest; and its amounts in the longest window, sorted (moments only).
        self.cu = cu
        self.agg = array("d", bytes(8 * (2 * nw + 1))) if nw else _NO_AMOUNTS
        self.sorted = array("d") if kind.moments else _NO_AMOUNTS
        self.more = _NO_MORE  # the other currencies' (a dict of its own once there are any)
        # per attribute: value -> last seen (in last-seen order); then per attribute those
        # times sorted (an array once the attribute has had a value: many never carry one)
        self.seen: list[Any] = _NO_SEEN
        if nattrs:
            self.seen = [{} for _ in range(nattrs)] + [None] * nattrs
        self.frauds: dict[str, tuple[int, int]] = {}  # tx id -> (effective time, usable at)

    def amounts(self, cu: int) -> tuple[array[float], array[float]] | None:
        """The aggregates and sorted amounts of a currency, if the stream has seen it."""
        return (self.agg, self.sorted) if cu == self.cu else self.more.get(cu)


class MemoryState:
    """Histories in dictionaries of this process."""

    def __init__(self) -> None:
        self._layout: Layout | None = None
        self._streams: list[dict[str, _Stream | _One]] = [{} for _ in KINDS]
        # tx id -> (time, then per risk stream it went to: kind index, key, effective time
        # there); and the ids in time order for expiry (a deque: iterating a dict after many
        # deletions from its front walks every deleted slot)
        self._txs: dict[str, tuple[int | str, ...]] = {}
        self._tx_order: deque[tuple[int, str]] = deque()
        self._newest = 0
        self._writes = 0
        # currency -> its index in logs and aggregates (ISO 4217 codes: a short table)
        self._units: dict[str, int] = {}
        # the incremental sweep: the kind it walks, a snapshot of that kind's keys (taken at
        # C speed; a key added since waits for the next pass), how far it got
        self._sweep_kind = 0
        self._sweep_keys: list[str] = []
        self._sweep_at = 0

    def _unit(self, currency: str) -> int:
        cu = self._units.get(currency)
        if cu is None:
            cu = self._units[currency] = len(self._units)
        return cu

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
        refs: list[int | str] = []  # kind index, key, effective time; flat
        t = event.time
        stale = t - lay.retention
        cu = self._unit(event.currency)
        for kind_index, key, values in event.streams:
            streams = self._streams[kind_index]
            stream = streams.get(key)
            if isinstance(stream, _Stream) and stream.head > stale:
                reading, eff = _touch(stream, kind_index, event, cu, values, lay, read, write)
                if read:
                    readings.append(reading)
            else:
                # new, or idle longer than the retention (forgotten, as if new)
                one = stream if isinstance(stream, tuple) and stream[0] > stale else None
                if read:
                    readings.append(_read_light(kind_index, one, event, values, lay))
                if not write:
                    continue
                if one is None:
                    eff = t
                    streams[key] = (t, event.amount, event.currency, values)
                else:
                    full = streams[key] = self._grown(one, kind_index)
                    _, eff = _touch(full, kind_index, event, cu, values, lay, False, True)
            if write and _RISK[kind_index]:
                refs += (kind_index, key, eff)
        if write:
            self._after_write(event, refs)
        return readings

    def add_label(self, label: Label) -> None:
        entry = self._txs.get(label.transaction_id)
        if entry is None:
            return  # unknown, or older than the retention: it could not count any more
        usable = (label.usable_at - EPOCH) // dt.timedelta(microseconds=1)
        for at in range(1, len(entry), 3):
            kind_index, key = cast(int, entry[at]), cast(str, entry[at + 1])
            eff = cast(int, entry[at + 2])
            streams = self._streams[kind_index]
            stream = streams.get(key)
            if stream is None:
                continue
            if not isinstance(stream, _Stream):
                if not label.fraud:
                    continue  # a single event carries no label to withdraw
                stream = streams[key] = self._grown(stream, kind_index)
            if label.fraud:
                stream.frauds[label.transaction_id] = (eff, usable)
            else:
                stream.frauds.pop(label.transaction_id, None)

    def _grown(self, one: _One, kind_index: int) -> _Stream:
        """The _Stream of a single event: a fresh stream with that event appended (nothing
        leaves a window or passes a cursor when a stream's first event is written)."""
        lay = self._lay
        t, amount, currency, values = one
        cu = self._unit(currency)
        s = _Stream(cu, kind_index, lay)
        _append(s, kind_index, t, amount, cu, values, lay)
        return s

    def _after_write(self, event: Event, refs: list[int | str]) -> None:
        lay = self._lay
        if event.time > self._newest:
            self._newest = event.time
        if refs:
            # a flat tuple of atomic values: the cyclic GC stops tracking it at its first
            # pass, where a list of tuples would stay tracked for the whole retention
            self._txs[event.tx_id] = (event.time, *refs)
            self._tx_order.append((event.time, event.tx_id))
        horizon = self._newest - lay.retention
        order = self._tx_order
        while order and order[0][0] <= horizon:
            at, tx_id = order.popleft()
            entry = self._txs.get(tx_id)
            if entry is not None and entry[0] == at:  # not re-recorded since
                del self._txs[tx_id]
        self._writes += 1
        # A stream idle for the retention is forgotten by ``apply`` as of a transaction's
        # own time; swept only after a further retention (as long as Redis keeps its keys)
        # and at least a week, so a transaction dated that much before the newest one seen
        # still finds every stream its time keeps alive.
        self._sweep(horizon - max(lay.retention, _SWEEP_MARGIN))

    def _sweep(self, horizon: int) -> None:
        """Forget a few streams idle since ``horizon``, one kind after the other."""
        at = self._sweep_at
        if at >= len(self._sweep_keys):
            self._sweep_kind = (self._sweep_kind + 1) % len(self._streams)
            self._sweep_keys = list(self._streams[self._sweep_kind])
            at = 0
        streams = self._streams[self._sweep_kind]
        end = self._sweep_at = at + _SWEEP_STEP
        for key in self._sweep_keys[at:end]:
            stream = streams.get(key)
            if stream is not None and _head(stream) <= horizon:
                del streams[key]


def _head(stream: _Stream | _One) -> int:
    return stream.head if isinstance(stream, _Stream) else stream[0]


def _touch(
    s: _Stream,
    kind_index: int,
    ev: Event,
    cu: int,
    values: tuple[str | None, ...],
    lay: Layout,
    read: bool,
    write: bool,
) -> tuple[list[float], int]:
    kind = KINDS[kind_index]
    head = s.head
    t = ev.time
    eff = t if t > head else head
    out: list[float] = []
    if kind.velocity:
        if read:
            out.append(float(eff - head))
        _windows(s, eff, ev.amount, cu, values, lay, kind.moments, read, write, out)
    if kind.risk:
        _risk(s, eff, lay, len(lay.windows) if kind.velocity else 0, read, write, out)
    if write:
        _append(s, kind_index, eff, ev.amount, cu, values, lay)
    return out, eff


def _read_light(
    kind_index: int, one: _One | None, ev: Event, values: tuple[str | None, ...], lay: Layout
) -> list[float]:
    """What :func:`_touch` reads from a stream that is new (``None``) or holds one event,
    without building it: the same numbers, from the same operations on the same floats."""
    kind = KINDS[kind_index]
    windows = lay.windows
    nw = len(windows)
    out: list[float] = []
    if one is None:
        if kind.velocity:
            out.append(NAN)
            out += _EMPTY * nw
            out += [0.0] * (nw * len(values))
            if kind.moments:
                out += [NAN if v is None else 0.0 for v in values]
                out += (0.0, 0.0, 0.0, 0.0)
        if kind.risk:
            out += (0.0, 0.0) * len(lay.risk_windows)
            out += (NAN, NAN)
        return out
    head, first, unit, seen = one
    t, amount = ev.time, ev.amount
    eff = t if t > head else head
    if kind.velocity:
        same = ev.currency == unit
        total = 0.0 + first  # as summed into a stream's zeroed aggregates
        inside = (1.0, total, total / 1.0, first) if same else (1.0, 0.0, NAN, NAN)
        out.append(float(eff - head))
        for span in windows:
            if head > eff - span:
                out += inside
            elif same:  # it left the window: its sums went back to zero
                out += (0.0, 0.0, NAN, NAN)
            else:
                out += _EMPTY
        for value in seen:
            if value is None:
                out += [0.0] * nw
            else:
                out += [1.0 if head > eff - span else 0.0 for span in windows]
        if kind.moments:
            horizon = eff - lay.retention
            for before, value in zip(seen, values, strict=True):
                if value is None:
                    out.append(NAN)
                else:
                    out.append(1.0 if value == before and head > horizon else 0.0)
            if same:
                square = 0.0 + first * first
                below = 1.0 if first < amount else 0.0
                equal = 1.0 if first == amount else 0.0
                if head > eff - windows[-1]:
                    out += (square, below, equal, 1.0)
                else:
                    out += (
                        square - first * first,
                        below - 1.0 if first < amount else below,
                        equal - 1.0 if first == amount else equal,
                        1.0 - 1.0,
                    )
            else:
                out += (0.0, 0.0, 0.0, 0.0)
    if kind.risk:
        hi = eff - lay.delay
        rin = 1 if head <= hi else 0
        for span in lay.risk_windows:
            out += (float(rin - (1 if head <= hi - span else 0)), 0.0)
        out += (NAN, NAN)
    return out


def _windows(
    s: _Stream,
    eff: int,
    amount: float,
    currency: int,
    values: tuple[str | None, ...],
    lay: Layout,
    moments: bool,
    read: bool,
    write: bool,
    out: list[float],
) -> None:
    log, off, seq, cur = s.log, s.off, s.seq, s.cur
    windows = lay.windows
    nw = len(windows)
    top = nw - 1 if moments else -1  # the window whose moments are kept
    if not read:
        _evict(s, eff, windows, top)
        return
    found = s.amounts(currency)
    agg = found[0] if found is not None else None
    sumsq = below = equal = 0.0
    if moments and found is not None:
        agg, ordered = found
        sumsq = agg[2 * nw]
        if ordered:
            lo = bisect_left(ordered, amount)
            below = float(lo)
            equal = float(bisect_right(ordered, amount) - lo)
    for i in range(nw):
        bound = float(eff - windows[i])
        c = cur[i]
        if agg is not None:
            n, total = agg[2 * i], agg[2 * i + 1]
        else:
            n = total = 0.0
        # Events leave the window. Reading only, the stream is left as it was: a later,
        # earlier-dated transaction may still need them.
        while c < seq:
            at = 3 * (c - off)
            if log[at] > bound:
                break
            ea, ec = log[at + 1], int(log[at + 2])
            if write:
                e_agg, e_sorted = (s.agg, s.sorted) if ec == s.cu else s.more[ec]
                e_agg[2 * i] -= 1.0
                e_agg[2 * i + 1] -= ea
                if i == top:
                    e_agg[2 * nw] -= ea * ea
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
            if agg is not None:  # the oldest suffix maximum inside the window
                k, end = 2 * nw + 1, len(agg)
                while k < end and agg[k] <= bound:
                    k += 2
                if k < end:
                    high = agg[k + 1]
            if n > 0:
                out += (float(seq - c), total, total / n, high)
            else:
                out += (float(seq - c), 0.0, NAN, high)
    if not read:
        return
    seen = s.seen
    nattrs = len(values)
    for j in range(nattrs, 2 * nattrs):
        times = seen[j]
        if times:
            size = len(times)
            for w in windows:
                out.append(float(size - bisect_right(times, eff - w)))
        else:  # an attribute this entity never carried
            out += [0.0] * nw
    if moments:
        horizon = eff - lay.retention
        for j, value in enumerate(values):
            if value is None:
                out.append(NAN)
            else:
                when = seen[j].get(value)
                out.append(1.0 if when is not None and when > horizon else 0.0)
        out += (sumsq, below, equal, n)


def _evict(s: _Stream, eff: int, windows: tuple[int, ...], top: int) -> None:
    """The write half of :func:`_windows` alone (a record without a read): events leave
    the windows, nothing is measured for the current currency."""
    log, off, seq, cur = s.log, s.off, s.seq, s.cur
    nw2 = 2 * len(windows)
    for i, span in enumerate(windows):
        bound = float(eff - span)
        c = cur[i]
        while c < seq:
            at = 3 * (c - off)
            if log[at] > bound:
                break
            ea, ec = log[at + 1], int(log[at + 2])
            e_agg, e_sorted = (s.agg, s.sorted) if ec == s.cu else s.more[ec]
            e_agg[2 * i] -= 1.0
            e_agg[2 * i + 1] -= ea
            if i == top:
                e_agg[nw2] -= ea * ea
                del e_sorted[bisect_left(e_sorted, ea)]
            c += 1
        cur[i] = c


def _risk(
    s: _Stream, eff: int, lay: Layout, rb: int, read: bool, write: bool, out: list[float]
) -> None:
    """``rb``: where the risk cursors start in ``s.cur``."""
    log, off, seq, cur = s.log, s.off, s.seq, s.cur
    hi = eff - lay.delay
    rin = cur[rb]
    top = float(hi)
    while rin < seq and log[3 * (rin - off)] <= top:
        rin += 1
    if write:
        cur[rb] = rin
    # the usable frauds of the delayed window, by time
    frauds = (
        sorted(tt for tt, usable in s.frauds.values() if tt <= hi and usable <= eff)
        if s.frauds and read
        else []
    )
    for j, w in enumerate(lay.risk_windows, start=rb + 1):
        lo = hi - w
        r = cur[j]
        bottom = float(lo)
        while r < seq and log[3 * (r - off)] <= bottom:
            r += 1
        if write:
            cur[j] = r
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
    currency: int,
    values: tuple[str | None, ...],
    lay: Layout,
) -> None:
    kind = KINDS[kind_index]
    nw = len(lay.windows)
    s.head = eff
    log = s.log
    log.append(eff)
    log.append(amount)
    log.append(currency)
    s.seq += 1
    if kind.velocity:
        found = s.amounts(currency)
        if found is None:
            if s.more is _NO_MORE:
                s.more = {}
            found = s.more[currency] = (
                array("d", bytes(8 * (2 * nw + 1))),
                array("d") if kind.moments else _NO_AMOUNTS,
            )
        agg, ordered = found
        for i in range(nw):
            agg[2 * i] += 1.0
            agg[2 * i + 1] += amount
        if kind.moments:
            agg[2 * nw] += amount * amount
            insort(ordered, amount)
        # suffix maxima: the newest drops every older one it is not below
        base = 2 * nw + 1
        top = len(agg)
        if top > base and agg[-1] <= amount:
            top -= 2
            while top > base and agg[top - 1] <= amount:
                top -= 2
            del agg[top:]
        agg.append(eff)
        agg.append(amount)
        oldest = float(eff - lay.windows[-1])
        while agg[base] <= oldest:  # the newest entry is never that old
            del agg[base : base + 2]
        horizon = eff - lay.retention
        seen, nattrs = s.seen, len(values)
        for j, value in enumerate(values):
            times = seen[nattrs + j]
            if value is not None:
                seen_at = seen[j]
                if times is None:
                    times = seen[nattrs + j] = array("q")
                before = seen_at.pop(value, None)
                if before is not None:
                    del times[bisect_left(times, before)]
                seen_at[value] = eff
                times.append(eff)
            while times and times[0] <= horizon:
                seen_at = seen[j]
                del seen_at[next(iter(seen_at))]
                del times[0]
    if kind.risk and s.frauds:
        oldest = eff - lay.delay - lay.risk_windows[-1]
        for tx_id in [k for k, (tt, _) in s.frauds.items() if tt <= oldest]:
            del s.frauds[tx_id]
    # Drop log entries every cursor has passed.
    keep = min(s.cur[nw - 1] if kind.velocity else s.seq, s.cur[-1] if kind.risk else s.seq)
    if keep - s.off >= _TRIM_AT:
        del s.log[: 3 * (keep - s.off)]
        s.off = keep
