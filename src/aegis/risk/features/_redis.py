"""Feature state in Redis (the scaled shape): one Lua call per transaction.

Entity values and attribute values are stored as keyed BLAKE2b digests, never in clear
(card fingerprints, device ids and IPs are personal data). Every key carries the tenant's
prefix, so tenants never share histories. Keys expire after twice the retention of
wall-clock inactivity: windows run on transaction time, the expiry only collects garbage.
The script builds key names itself, so it needs one Redis (or one shard per tenant), not a
Redis Cluster spread.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
import re
from typing import Any

import redis

from aegis.risk.features._config import KINDS, FeatureConfig
from aegis.risk.features._names import Layout
from aegis.risk.features._redis_lua import APPLY, LABEL
from aegis.risk.features._state import Event
from aegis.risk.model import Label

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NAN = math.nan
_EMPTY = (b"", "")
_PREFIX = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


class RedisState:
    """Histories in Redis under ``prefix`` (one prefix per tenant)."""

    def __init__(self, client: redis.Redis, prefix: str, *, secret: bytes = b"") -> None:
        if not _PREFIX.fullmatch(prefix):
            raise ValueError("prefix must be letters, digits, and . _ - : only")
        self._client = client
        self._prefix = prefix
        self._key = hashlib.blake2b(secret + prefix.encode(), digest_size=32).digest()
        self._apply: Any = client.register_script(APPLY)
        self._label: Any = client.register_script(LABEL)
        self._layout: Layout | None = None
        self._head: list[str] = []
        self._sizes: tuple[int, ...] = ()
        self._ttl = ""

    def configure(self, config: FeatureConfig) -> None:
        fingerprint = config.fingerprint()
        key = f"{self._prefix}:cfg"
        self._client.set(key, fingerprint, nx=True)
        stored = self._client.get(key)
        if isinstance(stored, bytes):
            stored = stored.decode()
        if stored != fingerprint:
            raise ValueError(f"{self._prefix} holds history under another configuration")
        lay = self._layout = Layout(config)
        ttl_ms = 2 * lay.retention // 1000
        self._ttl = str(ttl_ms)
        self._head = [
            str(lay.retention),
            str(lay.delay),
            self._ttl,
            str(len(lay.windows)),
            *map(str, lay.windows),
            str(len(lay.risk_windows)),
            *map(str, lay.risk_windows),
        ]
        nw, nr = len(lay.windows), len(lay.risk_windows)
        self._sizes = tuple(
            (1 + 4 * nw + len(k.distinct) * nw if k.velocity else 0)
            + (len(k.distinct) + 4 if k.moments else 0)
            + (2 * nr + 2 if k.risk else 0)
            for k in KINDS
        )

    def _digest(self, value: str) -> str:
        raw = hashlib.blake2b(value.encode(), digest_size=12, key=self._key).digest()
        return base64.urlsafe_b64encode(raw).decode()

    def apply(self, event: Event, *, read: bool, write: bool) -> list[list[float]]:
        if self._layout is None:
            raise RuntimeError("state not configured: pass it to a FeatureEngine")
        if not (read or write):
            return []
        mode = "rw" if read and write else ("r" if read else "w")
        args: list[str] = [
            self._prefix,
            mode,
            event.tx_id,
            str(event.time),
            repr(event.amount),
            event.currency,
            *self._head,
            str(len(event.streams)),
        ]
        for kind_index, key, values in event.streams:
            args += (
                f"{kind_index}.{self._digest(key)}",
                KINDS[kind_index].flags,
                str(len(values)),
            )
            args += ("" if v is None else self._digest(v) for v in values)
        raw: list[Any] = self._apply(args=args)
        if not read:
            return []
        readings: list[list[float]] = []
        pos = 0
        for kind_index, _, _ in event.streams:
            size = self._sizes[kind_index]
            # integer replies come as int, text as bytes (str with decode_responses); an
            # empty text is a missing value
            readings.append([NAN if x in _EMPTY else float(x) for x in raw[pos : pos + size]])
            pos += size
        return readings

    def add_label(self, label: Label) -> None:
        usable = (label.usable_at - EPOCH) // dt.timedelta(microseconds=1)
        args = [self._prefix, label.transaction_id, "1" if label.fraud else "0", str(usable)]
        self._label(args=[*args, self._ttl or "1"])

    def clear(self) -> None:
        """Delete every key under the prefix (tests, tenant removal)."""
        for batch in _batched(self._client.scan_iter(match=f"{self._prefix}:*", count=1000)):
            self._client.delete(*batch)


def _batched(keys: Any, size: int = 500) -> Any:
    batch: list[Any] = []
    for key in keys:
        batch.append(key)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
