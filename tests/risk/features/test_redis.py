"""Memory and Redis states give identical features (against the real Redis in CI)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator

import pytest
import redis

from aegis.risk.features import FeatureConfig, FeatureEngine, MemoryState, RedisState
from aegis.risk.model import Transaction, TxType
from tests.conftest import REDIS_URL, service_url
from tests.risk.features.reference import random_transactions, replay, same

pytestmark = pytest.mark.redis


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    url = service_url("REDIS", REDIS_URL, 6379)
    c = redis.Redis.from_url(url)
    yield c
    c.close()


@pytest.fixture
def state(client: redis.Redis) -> Iterator[RedisState]:
    s = RedisState(client, f"aegis-test-{secrets.token_hex(6)}")
    yield s
    s.clear()


def test_memory_and_redis_give_identical_features(state: RedisState) -> None:
    # amounts up to 10^9 + 7: sums of squares leave the exact-integer range of a double,
    # and the two must still agree bit for bit
    txs = random_transactions(7, 3000, max_amount=1_000_000_007)
    in_memory = replay(FeatureEngine(MemoryState()), txs, 3)
    in_redis = replay(FeatureEngine(state), txs, 3)
    risky = 0
    for i, (a, b) in enumerate(zip(in_memory, in_redis, strict=True)):
        assert same(a, b) == [], f"transaction {i}"
        risky += a["terminal_risk_share_30d"] > 0
    assert risky > 100  # the labels did reach the features


def test_a_client_that_decodes_responses_works_too(state: RedisState) -> None:
    url = service_url("REDIS", REDIS_URL, 6379)
    with redis.Redis.from_url(url, decode_responses=True) as text_client:
        texts = RedisState(text_client, state._prefix)
        txs = random_transactions(9, 200)
        a = replay(FeatureEngine(MemoryState()), txs, 1)
        b = replay(FeatureEngine(texts), txs, 1)
    assert all(same(x, y) == [] for x, y in zip(a, b, strict=True))


def test_identical_under_another_configuration(state: RedisState) -> None:
    config = FeatureConfig(
        windows=(dt.timedelta(minutes=5), dt.timedelta(hours=2)),
        risk_windows=(dt.timedelta(hours=12),),
        label_delay=dt.timedelta(hours=1),
    )
    txs = random_transactions(8, 800)
    a = replay(FeatureEngine(MemoryState(), config), txs, 4)
    b = replay(FeatureEngine(state, config), txs, 4)
    assert all(same(x, y) == [] for x, y in zip(a, b, strict=True))


def test_prefix_is_bound_to_one_configuration_and_tenants_are_apart(
    client: redis.Redis, state: RedisState
) -> None:
    engine = FeatureEngine(state)
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    payment = Transaction(
        id="a",
        time=at,
        type=TxType.PAYMENT,
        amount=5,
        currency="EUR",
        customer_id="customer-in-clear",
        device_id="device-in-clear",
        terminal_id="T1",
    )
    engine.observe(payment)
    with pytest.raises(ValueError, match="another configuration"):
        FeatureEngine(state, FeatureConfig(label_delay=dt.timedelta(days=1)))
    other = RedisState(client, f"aegis-test-{secrets.token_hex(6)}")
    try:
        assert FeatureEngine(other).compute(payment)["customer_count_1d"] == 0.0
        assert engine.compute(payment)["customer_count_1d"] == 1.0
    finally:
        other.clear()
    # identifiers are stored as keyed digests, never in clear
    stored = b""
    for key in client.scan_iter(match=f"{state._prefix}:*"):
        kind = client.type(key)
        stored += key
        if kind == b"zset":
            stored += b"".join(client.zrange(key, 0, -1))
        elif kind == b"hash":
            stored += b"".join(k + v for k, v in client.hgetall(key).items())
        elif kind == b"list":
            stored += b"".join(client.lrange(key, 0, -1))
    assert b"-in-clear" not in stored and b"EUR" in stored
    with pytest.raises(ValueError, match="prefix"):
        RedisState(client, "bad prefix*")
