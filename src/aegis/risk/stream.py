"""High-volume intake on NATS JetStream: transactions in on a subject, decisions out on
another (the scaled shape; Tazama's broker).

    aegis.tx.<tenant_id>        a transaction: the JSON body of POST /v1/transactions, or an
                                ISO 20022 pacs.008 (XML or Tazama's JSON; header
                                Content-Type says which)
    aegis.decision.<tenant_id>  the decision, as POST /v1/transactions answers it, or
                                {"error": problem document} for a message that cannot be one

Every consumer process binds the same durable pull consumer, so they share the load (each
message goes to one of them). A message is acknowledged only after its decision has
committed and been published: a consumer killed at any point leaves the message to be
delivered again, and deciding it again returns the stored decision (transaction ids are
idempotent), published with the decision id as ``Nats-Msg-Id`` so JetStream drops the
duplicate. Publishing rights on ``aegis.tx.<tenant_id>`` are the tenant's credential:
grant them per tenant in the NATS account configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from pydantic import ValidationError

from aegis.api.problems import from_validation
from aegis.auth.context import Actor, Ctx, Scope
from aegis.errors import AegisError, problem_body
from aegis.partners.models import Tenant

if TYPE_CHECKING:
    from aegis.platform import Platform
    from aegis.services import Services

log = structlog.get_logger(__name__)
STREAM_ACTOR = Actor("stream", "nats")
# How long a consumer that holds a message waits for more to join its batch: long enough for
# JetStream to hand over what is already waiting (a round trip on the same network), so a
# message never waits for others that have not arrived.
GATHER_SECONDS = 0.002


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamNames:
    prefix: str = "aegis"

    @property
    def tx_stream(self) -> str:
        return f"{self.prefix.upper()}_TX"

    @property
    def decision_stream(self) -> str:
        return f"{self.prefix.upper()}_DECISIONS"

    @property
    def durable(self) -> str:
        return f"{self.prefix}-decider"

    def tx_subject(self, tenant_id: str = "*") -> str:
        return f"{self.prefix}.tx.{tenant_id}"

    def decision_subject(self, tenant_id: str) -> str:
        return f"{self.prefix}.decision.{tenant_id}"


async def ensure_streams(js: Any, names: StreamNames) -> None:
    """Create the two streams if they are missing (idempotent)."""
    from nats.js.api import RetentionPolicy, StreamConfig

    for name, subjects, retention in (
        (names.tx_stream, [f"{names.prefix}.tx.>"], RetentionPolicy.WORK_QUEUE),
        (names.decision_stream, [f"{names.prefix}.decision.>"], RetentionPolicy.LIMITS),
    ):
        try:
            await js.stream_info(name)
        except Exception:  # noqa: BLE001 - nats raises NotFoundError; any miss means create
            await js.add_stream(
                StreamConfig(name=name, subjects=subjects, retention=retention, max_age=7 * 86400)
            )


class Decider:
    """Turns one stream message into a decision document (sync: runs in a thread)."""

    def __init__(self, platform: Platform, services: Services) -> None:
        self.platform = platform
        self.services = services
        self._tenants: dict[str, bool] = {}

    def _tenant_exists(self, tenant_id: str) -> bool:
        known = self._tenants.get(tenant_id)
        if known is None:
            with self.platform.db.session(write=False) as session:
                known = session.get(Tenant, tenant_id) is not None
            self._tenants[tenant_id] = known
        return known

    def decide_all(self, items: list[tuple[str, bytes, str]]) -> list[list[dict[str, Any]] | None]:
        """``decide`` for each ``(tenant_id, data, content_type)``; ``None`` for a tenant that
        does not exist."""
        results: list[list[dict[str, Any]] | None] = []
        for tenant_id, data, content_type in items:
            try:
                results.append(self.decide(tenant_id, data, content_type))
            except LookupError:
                results.append(None)
        return results

    def decide(self, tenant_id: str, data: bytes, content_type: str) -> list[dict[str, Any]]:
        if not self._tenant_exists(tenant_id):
            raise LookupError("unknown tenant")
        ctx = Ctx(tenant_id, STREAM_ACTOR, None, frozenset({Scope.RISK_WRITE, Scope.READ}))
        views = self.services.risk_views
        try:
            with self.platform.db.session() as session:
                decided = views.iso20022(session, ctx, data, content_type or "application/json")
                if isinstance(decided, dict):
                    return [decided]
                return [orjson.loads(orjson.dumps(views.decision(d), default=str)) for d in decided]
        except ValidationError as exc:
            return [
                {
                    "error": problem_body(
                        from_validation(exc.errors()), instance=None, request_id=None
                    )
                }
            ]
        except AegisError as exc:
            return [{"error": problem_body(exc, instance=None, request_id=None)}]


async def _next_batch(sub: Any, batch: int, *, backlog: bool) -> list[Any]:
    """Up to ``batch`` messages, as soon as there is one (empty after a second without).

    Asked for in one fetch, a batch that found nothing waiting waits on the server until it
    is full or the fetch expires: at 200 messages a second the first of 64 waited ~300 ms
    for the others. So a consumer waits for one message, then takes what else is waiting
    at once; behind a backlog it asks for a whole batch straight away."""
    import nats

    timeouts = (TimeoutError, nats.errors.TimeoutError)  # nats-py raises either
    messages: list[Any] = []
    if backlog:
        with contextlib.suppress(*timeouts):
            messages = await sub.fetch(batch, timeout=GATHER_SECONDS)
        if messages:
            return messages
    try:
        messages = await sub.fetch(1, timeout=1)
    except timeouts:
        return []
    if batch > 1:
        with contextlib.suppress(*timeouts):
            messages += await sub.fetch(batch - 1, timeout=GATHER_SECONDS)
    return messages


async def consume(
    platform: Platform,
    services: Services,
    *,
    url: str,
    names: StreamNames | None = None,
    batch: int = 64,
    ack_wait: float = 30.0,
    stop: asyncio.Event | None = None,
    on_decided: Callable[[int], None] | None = None,
) -> None:
    """Run one consumer until ``stop`` is set (or SIGTERM/SIGINT)."""
    import nats

    names = names or StreamNames()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Not the main thread (tests): the caller sets ``stop``.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    nc = await nats.connect(url, name="aegis-decider", max_reconnect_attempts=-1)
    js = nc.jetstream()
    await ensure_streams(js, names)
    from nats.js.api import AckPolicy, ConsumerConfig

    # ack_wait: how long a message taken by a consumer that died stays invisible before it
    # is delivered again; a decision takes milliseconds, so it only has to outlast a batch.
    sub = await js.pull_subscribe(
        f"{names.prefix}.tx.>",
        durable=names.durable,
        stream=names.tx_stream,
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=ack_wait, max_deliver=50),
    )

    async def finish(msg: Any, tenant_id: str, documents: list[dict[str, Any]] | None) -> None:
        if documents is None:
            log.warning("stream_unknown_tenant")
            await msg.term()  # never decidable: do not redeliver
            return
        for document in documents:  # in message order (a pacs.008 may hold several)
            msg_id = document.get("id") or None
            await js.publish(
                names.decision_subject(tenant_id),
                orjson.dumps(document),
                headers={"Nats-Msg-Id": msg_id} if msg_id else None,
            )
        await msg.ack()

    decider = Decider(platform, services)
    decided = 0
    full = False  # the last batch was full: more are likely waiting
    log.info("stream_consumer_started", durable=names.durable)
    try:
        while not stop.is_set():
            messages = await _next_batch(sub, batch, backlog=full)
            if not messages:
                continue
            full = len(messages) >= batch
            # One hop to a thread for the batch, each message still decided in a
            # transaction of its own; then every message's decisions are published and
            # it is acknowledged, the messages side by side. One at a time (a thread hop,
            # then a publish waiting for JetStream's ack, per message), the last of a
            # batch of 64 waited ~130 ms behind the others.
            items = [
                (
                    msg.subject.rsplit(".", 1)[-1],
                    msg.data,
                    (msg.headers or {}).get("Content-Type", "application/json"),
                )
                for msg in messages
            ]
            results = await asyncio.to_thread(decider.decide_all, items)

            outcomes = await asyncio.gather(
                *(
                    finish(msg, item[0], documents)
                    for msg, item, documents in zip(messages, items, results, strict=True)
                ),
                return_exceptions=True,
            )
            failures = [o for o in outcomes if isinstance(o, BaseException)]
            for outcome, documents in zip(outcomes, results, strict=True):
                if outcome is None and documents is not None:
                    decided += 1
                    if on_decided is not None:
                        on_decided(decided)
            if failures:
                # Unacknowledged messages are delivered again after ack_wait.
                raise failures[0]
    finally:
        # Messages fetched but not yet acknowledged go back after ack_wait; a drain of the
        # pull subscription can wait on the server for a long time, so just close.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(nc.close(), timeout=5)
        log.info("stream_consumer_stopped", decided=decided)
