"""What each process keeps per tenant to decide fast: the compiled published rule set, the
allow/block list index, the champion and challenger models, the limits, and the feature
state. Refreshed from the database at most every ``AEGIS_RISK_REFRESH_SECONDS`` (a publish
in this process refreshes at once), so a published rule change takes effect without a
restart.

Feature state: embedded, each process keeps its tenants' histories in memory and, when it
first meets a tenant, replays the tenant's stored transactions of the retention period and
their labels, so a restart loses nothing; scaled (``AEGIS_REDIS_URL``), every process shares
one history per tenant in Redis. Labels reach the state in id order: each process remembers
the newest label it fed and reads the ones after it on refresh.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import orjson
import structlog
from sqlalchemy.orm import Session

from aegis.kit.time import utcnow
from aegis.partners.models import Tenant
from aegis.partners.repository import TenantStore
from aegis.partners.schemas import TenantSettings
from aegis.privacy.crypto import aad_for
from aegis.privacy.registry import row_aad
from aegis.risk.engine import Context, Scorer
from aegis.risk.facts import Screening
from aegis.risk.features import FEATURE_NAMES, FeatureConfig, FeatureEngine, MemoryState, RedisState
from aegis.risk.lists import ListEntry, ListIndex, ListKind, ListType
from aegis.risk.model import Label, LabelKind, Transaction
from aegis.risk.models import RiskModel, RiskTransaction
from aegis.risk.repository import (
    LabelRepository,
    ListEntryRepository,
    ModelRepository,
    RuleSetRepository,
    TransactionRepository,
    last_row,
    sealed_after_row,
)
from aegis.risk.rules import CompiledRuleSet, RuleSet, compile_rule_set, default_rule_set
from aegis.risk.transactions import transaction_from_json
from aegis.storage.hot import LoopReads

if TYPE_CHECKING:
    from aegis.platform import Platform

log = structlog.get_logger(__name__)
DEFAULT_RULE_SET = "default"
_RECENT = 200_000
# Commits land out of id order and storage-time order within a moment: re-read that long.
_TAIL_OVERLAP = timedelta(seconds=5)
# Other processes' transactions recorded per turn of the event loop (see ``_tail``): about
# 2 ms of work, so a request waits for at most that long behind them.
TAIL_SLICE = 32
# SQLite: rows of the transactions table the event loop reads per turn when it catches up
# with the other processes (see ``_tail_pages``); about half are its own, skipped.
TAIL_PAGE = 64
# ... and per statement when a thread reads them (a build or a refresh not started from a
# loop), recording as it goes.
TAIL_THREAD_PAGE = 1_000
# ... and how long it waits when a build or refresh on a thread holds the runtimes' lock.
TAIL_RETRY_SECONDS = 0.001


@dataclass(slots=True)
class TenantRuntime:
    tenant_id: str
    settings: TenantSettings
    context: Context
    engine: FeatureEngine
    # What the context was built from: compared on refresh.
    rules_key: tuple[str, int]
    lists_key: tuple[Any, int]
    models_key: tuple[str | None, str | None]
    label_mark: str | None = None
    # The sanctions lists' index and the tenant's screening policy as of the last refresh,
    # for payee screening (None when the tenant does not screen payees).
    screening: Screening | None = None
    checked_at: float = field(default=0.0)
    # Guards the feature state and ``recent``: the event loop computes while the group
    # commit's thread and a refresh record; the state is not safe to share otherwise.
    lock: threading.Lock = field(default_factory=threading.Lock)
    # A refresh is running on a thread of its own (see ``RiskRuntime.refresh_soon``).
    refreshing: bool = False
    # In-memory histories only: the storage time up to which other processes' decisions
    # were read, and the ids recorded recently (ours and theirs) so none counts twice.
    tail_mark: datetime | None = None
    # SQLite: the newest rowid read instead (storage order without overlap).
    tail_row: int | None = None
    # The event loop is reading the others' transactions, a page per turn (SQLite).
    tailing: bool = False
    recent: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def compute(self, tx: Transaction) -> dict[str, float]:
        """The features of ``tx`` against the history so far."""
        with self.lock:
            return self.engine.compute(tx)

    def record(self, tx: Transaction) -> None:
        """Add a decided transaction to the history, once."""
        with self.lock:
            if tx.id in self.recent:
                return
            self.recent[tx.id] = None
            while len(self.recent) > _RECENT:
                self.recent.popitem(last=False)
            self.engine.record(tx)


class RiskRuntime:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.refresh_seconds = platform.settings.risk_refresh_seconds
        self._tenants: dict[str, TenantRuntime] = {}
        self._lock = threading.Lock()
        self._compiled: dict[tuple[str, str, int], CompiledRuleSet] = {}
        self._models: dict[str, Scorer] = {}
        self._redis: Any = None

    # --- access ---------------------------------------------------------------------
    def tenant(
        self,
        session: Session,
        tenant_id: str,
        *,
        tail_to: asyncio.AbstractEventLoop | None = None,
    ) -> TenantRuntime:
        """The tenant's runtime, built or refreshed when its period has passed. With
        ``tail_to``, the other processes' decisions a refresh reads are recorded on that
        event loop (see ``_tail``) rather than here."""
        rt = self._tenants.get(tenant_id)
        if rt is not None and time.monotonic() - rt.checked_at < self.refresh_seconds:
            return rt
        with self._lock:
            rt = self._tenants.get(tenant_id)
            # Callers that found it stale together refresh it once: the first one.
            if rt is not None and time.monotonic() - rt.checked_at < self.refresh_seconds:
                return rt
            if rt is None or self._delay_changed(session, rt):
                rt = self._build(session, tenant_id)
                self._tenants[tenant_id] = rt
            else:
                self._refresh(session, rt, tail_to)
        return rt

    def load(self, tenant_id: str) -> TenantRuntime:
        """``tenant`` in a read transaction of its own (off the event loop)."""
        with self.platform.db.session(write=False) as session:
            return self.tenant(session, tenant_id)

    def prebuild(self) -> int:
        """Build every active tenant's runtime now, replaying its history: for a process
        about to serve, so that no request waits for a build (``AEGIS_RISK_PREBUILD``).

        Built on a tenant's first request instead, a runtime replays the whole retention
        period while every request of that tenant waits on this process: seconds for a
        month of payments, and 270-370 ms after a few seconds of load on a web worker that
        had served none of bench/risk_http.py's warm-up (its first requests came after). A
        worker that starts builds before it takes a connection (``aegis.app``), and the
        others serve meanwhile. A tenant that fails (or all of them, when the
        tenants cannot be read) is logged and built on its first request, as before.
        Returns how many were built."""
        if not self.platform.settings.risk_prebuild:
            return 0
        try:
            with self.platform.db.session(write=False) as session:
                tenant_ids = TenantStore(session).active_ids()
        except Exception:  # noqa: BLE001 - each tenant's first decision builds it
            log.warning("risk_prebuild_failed", exc_info=True)
            return 0
        built = 0
        for tenant_id in tenant_ids:
            try:
                self.load(tenant_id)
            except Exception:  # noqa: BLE001 - built on its first request instead
                log.warning("risk_prebuild_failed", tenant_id=tenant_id, exc_info=True)
                continue
            built += 1
        log.info("risk_runtimes_built", tenants=built)
        return built

    def stale(self, tenant_id: str) -> bool:
        """Whether the next ``tenant`` call reads the database (a build or a refresh)."""
        rt = self._tenants.get(tenant_id)
        return rt is None or time.monotonic() - rt.checked_at >= self.refresh_seconds

    def due(self, tenant_id: str) -> Literal["now", "soon"] | None:
        """``now``: no runtime yet, or a change in this process invalidated it, so the next
        decision must wait for it; ``soon``: the refresh period has passed, and decisions
        may go on with the current runtime while it refreshes."""
        rt = self._tenants.get(tenant_id)
        if rt is None or rt.checked_at == 0.0:
            return "now"
        if time.monotonic() - rt.checked_at >= self.refresh_seconds:
            return "soon"
        return None

    def refresh_soon(self, tenant_id: str) -> None:
        """Refresh a tenant's runtime on a thread of its own, once at a time.

        A refresh reads the configuration and, with in-memory histories, what the other
        processes decided since the last one: about a second's worth of their payments to
        decrypt and record. Decisions waiting for that stalled every worker once a second
        (tens of milliseconds at a few hundred payments a second); with the refresh aside
        they go on, deciding against a configuration at most one refresh older."""
        rt = self._tenants.get(tenant_id)
        if rt is None or rt.refreshing:
            return
        rt.refreshing = True
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        threading.Thread(
            target=self._refresh_aside, args=(rt, loop), name="risk-refresh", daemon=True
        ).start()

    def _refresh_aside(self, rt: TenantRuntime, loop: asyncio.AbstractEventLoop | None) -> None:
        try:
            with self.platform.db.session(write=False) as session:
                self.tenant(session, rt.tenant_id, tail_to=loop)
        except Exception:  # noqa: BLE001 - the next due decision tries again
            log.warning("risk_refresh_failed", tenant_id=rt.tenant_id, exc_info=True)
        finally:
            rt.refreshing = False

    def settled(self, tenant_id: str) -> TenantRuntime:
        """The tenant's runtime as it is, without reading the database (built before)."""
        rt = self._tenants.get(tenant_id)
        if rt is None:
            raise LookupError(f"risk runtime of {tenant_id} not built")
        return rt

    def _delay_changed(self, session: Session, rt: TenantRuntime) -> bool:
        """A new label delay reshapes every risk window: the history is built again."""
        current = self._settings(session, rt.tenant_id).risk_label_delay_days
        return current != rt.settings.risk_label_delay_days

    def invalidate(self, tenant_id: str) -> None:
        """Re-read the tenant's configuration on its next decision (after a publish)."""
        rt = self._tenants.get(tenant_id)
        if rt is not None:
            rt.checked_at = 0.0

    # --- building -------------------------------------------------------------------
    def _settings(self, session: Session, tenant_id: str) -> TenantSettings:
        tenant = session.get(Tenant, tenant_id)
        return TenantSettings.model_validate((tenant.settings if tenant else None) or {})

    def _rules(self, session: Session, tenant_id: str, name: str) -> tuple[CompiledRuleSet, int]:
        repo = RuleSetRepository(session, tenant_id)
        row = repo.published(name)
        if row is None:
            # The built-in pack until the tenant publishes its own "default".
            version = 1
            key = ("", DEFAULT_RULE_SET, version)
            if key not in self._compiled:
                self._compiled[key] = compile_rule_set(
                    default_rule_set(), known_features=FEATURE_NAMES
                )
            return self._compiled[key], 0
        key = (tenant_id, name, row.version)
        if key not in self._compiled:
            rule_set = RuleSet.model_validate({**row.body, "name": name, "version": row.version})
            self._compiled[key] = compile_rule_set(rule_set, known_features=FEATURE_NAMES)
        return self._compiled[key], row.version

    def _lists(self, session: Session, tenant_id: str) -> ListIndex:
        vault = self.platform.vault
        entries = [
            ListEntry(
                value=vault.decrypt(row.value_enc, row_aad(row, "value_enc")),
                kind=ListKind(row.kind),
                list=ListType(row.list_type),
                reason=row.reason,
                expires_at=row.expires_at,
                id=row.id,
            )
            for row in ListEntryRepository(session, tenant_id).all()
        ]
        return ListIndex(entries)

    def scorer(self, row: RiskModel) -> Scorer:
        scorer = self._models.get(row.id)
        if scorer is None:
            from aegis.risk.scoring_adapter import load_scorer

            scorer = load_scorer(row)
            self._models[row.id] = scorer
        return scorer

    def _scorers(
        self, session: Session, tenant_id: str
    ) -> tuple[Scorer | None, Scorer | None, tuple[str | None, str | None]]:
        repo = ModelRepository(session, tenant_id)
        champion, challenger = repo.with_status("champion"), repo.with_status("challenger")
        return (
            self.scorer(champion) if champion else None,
            self.scorer(challenger) if challenger else None,
            (champion.id if champion else None, challenger.id if challenger else None),
        )

    def _screening(
        self, session: Session, tenant_id: str, settings: TenantSettings
    ) -> Screening | None:
        """Read with the rest of the configuration, not per payment: a list loaded or a
        policy changed reaches payee screening within one refresh, as a published rule
        set does, and a payment reads neither."""
        if not settings.risk_screen_counterparties:
            return None
        from aegis.screening.service import ScreeningService

        active = self.platform.screening_index.current(session)
        return Screening(active, ScreeningService.policy(session, tenant_id))

    def _lists_key(self, session: Session, tenant_id: str) -> tuple[Any, int]:
        repo = ListEntryRepository(session, tenant_id)
        return (repo.newest_change(), repo.count())

    def _state(self, tenant_id: str, delay_days: int) -> Any:
        url = self.platform.settings.redis_url
        if url is None:
            return MemoryState()
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(url)
        # The label delay shapes the stored risk windows: another delay, another history.
        return RedisState(
            self._redis,
            f"aegis:risk:{tenant_id}:d{delay_days}",
            secret=self.platform.ring.key(self.platform.ring.active_id("index")).key,
        )

    def _build(self, session: Session, tenant_id: str) -> TenantRuntime:
        settings = self._settings(session, tenant_id)
        rules, version = self._rules(session, tenant_id, settings.risk_rule_set)
        champion, challenger, models_key = self._scorers(session, tenant_id)
        delay = settings.risk_label_delay_days
        state = self._state(tenant_id, delay)
        engine = FeatureEngine(state, FeatureConfig(label_delay=timedelta(days=delay)))
        rt = TenantRuntime(
            tenant_id=tenant_id,
            settings=settings,
            context=Context(
                rules=rules,
                lists=self._lists(session, tenant_id),
                limits=settings.risk_limits,
                champion=champion,
                challenger=challenger,
            ),
            engine=engine,
            rules_key=(settings.risk_rule_set, version),
            lists_key=self._lists_key(session, tenant_id),
            models_key=models_key,
            screening=self._screening(session, tenant_id, settings),
        )
        if isinstance(state, MemoryState):
            rt.tail_mark = utcnow() - _TAIL_OVERLAP
            repo = TransactionRepository(session, tenant_id)
            # Read before the replay: what lands between is replayed or tailed, once.
            rt.tail_row = repo.last_row() if repo.by_row_order() else None
            self._replay(session, rt)
        self._feed_labels(session, rt)
        rt.checked_at = time.monotonic()
        return rt

    def _refresh(
        self,
        session: Session,
        rt: TenantRuntime,
        tail_to: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        settings = self._settings(session, rt.tenant_id)
        name = settings.risk_rule_set
        version = RuleSetRepository(session, rt.tenant_id).published_version(name) or 0
        context = rt.context
        if (name, version) != rt.rules_key:
            rules, version = self._rules(session, rt.tenant_id, name)
            context = _replace(context, rules=rules)
            rt.rules_key = (name, version)
        lists_key = self._lists_key(session, rt.tenant_id)
        if lists_key != rt.lists_key:
            context = _replace(context, lists=self._lists(session, rt.tenant_id))
            rt.lists_key = lists_key
        repo = ModelRepository(session, rt.tenant_id)
        if repo.active_ids() != rt.models_key:
            champion, challenger, rt.models_key = self._scorers(session, rt.tenant_id)
            context = _replace(context, champion=champion, challenger=challenger)
        if settings.risk_limits != context.limits:
            context = _replace(context, limits=settings.risk_limits)
        rt.settings, rt.context = settings, context
        rt.screening = self._screening(session, rt.tenant_id, settings)
        if rt.tail_mark is not None:
            self._tail(session, rt, tail_to)
        self._feed_labels(session, rt)
        rt.checked_at = time.monotonic()

    def _tail(
        self,
        session: Session,
        rt: TenantRuntime,
        tail_to: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        """Catch an in-memory history up with what other processes of this tenant decided
        (several web workers on the embedded database): each sees the others' transactions
        within one refresh period.

        With ``tail_to`` (a refresh aside, started from that event loop) the loop records
        them, in pieces between its requests. Recorded on the refresh's thread, a second's
        worth of another worker's payments (about 150 ms of recording at 750 a second) took
        the GIL from the loop in turns for as long, and every request waited behind it; read
        there too, the reading alone (10-15 ms at 1,000 a second, stretched by the GIL's
        hand-overs) still made every turn of the loop slower meanwhile. So on SQLite the
        loop reads as well, a page per turn (``_tail_pages``); elsewhere a read waits on the
        network, and the thread reads while the loop records (``_record_slices``)."""
        assert rt.tail_mark is not None
        if rt.tail_row is not None and tail_to is not None:
            if not rt.tailing:
                rt.tailing = True
                try:
                    tail_to.call_soon_threadsafe(self._tail_pages, rt)
                except RuntimeError:  # the loop has closed: nobody decides with this history
                    rt.tailing = False
            return
        if rt.tail_row is not None:  # SQLite, on this thread: every page now
            more = True
            while more:
                rows, more = self._tail_page(session, rt, TAIL_THREAD_PAGE)
                self._record_sealed(rt, rows)
            return
        repo = TransactionRepository(session, rt.tenant_id)
        # Commits land out of id and storage-time order: re-read an overlap.
        stored = repo.stored_since(rt.tail_mark - _TAIL_OVERLAP)
        if stored:
            rt.tail_mark = max(rt.tail_mark, max(created for _, created in stored))
        stored_ids = [external_id for external_id, _ in stored]
        # Nearly all of them are this process's own decisions.
        unknown = [external_id for external_id in stored_ids if external_id not in rt.recent]
        if not unknown:
            return
        sealed = {ext: (row_id, data) for row_id, ext, data in repo.sealed_data(unknown)}
        # In storage order; decrypted and recorded where they are recorded (see above).
        rows = [sealed[external_id] for external_id in unknown if external_id in sealed]
        if tail_to is None:
            self._record_sealed(rt, rows)
            return
        try:
            tail_to.call_soon_threadsafe(self._record_slices, rt, rows, 0)
        except RuntimeError:  # the loop has closed: nobody decides with this history
            return

    def _record_sealed(self, rt: TenantRuntime, rows: list[tuple[str, str]]) -> None:
        vault = self.platform.vault
        for row_id, data in rows:
            aad = aad_for(rt.tenant_id, RiskTransaction.__tablename__, "data_enc", row_id)
            try:
                tx = transaction_from_json(orjson.loads(vault.decrypt(data, aad)))
            except Exception:  # noqa: BLE001 - one unreadable row never stops the others
                log.error("risk_tail_row_unreadable", tenant_id=rt.tenant_id, row_id=row_id)
                continue
            rt.record(tx)

    def _record_slices(self, rt: TenantRuntime, rows: list[tuple[str, str]], start: int) -> None:
        """Record ``rows`` from ``start`` on, ``TAIL_SLICE`` per turn of the event loop, so
        the requests arriving meanwhile are served between slices."""
        end = start + TAIL_SLICE
        self._record_sealed(rt, rows[start:end])
        if end < len(rows):
            asyncio.get_running_loop().call_soon(self._record_slices, rt, rows, end)

    def _tail_pages(self, rt: TenantRuntime) -> None:
        """On the event loop (SQLite): one page of the tail (``_tail_page``) recorded, and
        the next turn comes back while pages are full.

        The runtimes' lock keeps ``tail_row`` in step with a build or refresh on a thread,
        which may read the tail too; the loop never waits for it, it tries again shortly."""
        loop = asyncio.get_running_loop()
        if not self._lock.acquire(blocking=False):
            loop.call_later(TAIL_RETRY_SECONDS, self._tail_pages, rt)
            return
        try:
            with LoopReads(self.platform.db) as reads:
                rows, more = self._tail_page(reads, rt, TAIL_PAGE)
        except Exception:  # noqa: BLE001 - the next refresh starts again from tail_row
            log.warning("risk_tail_failed", tenant_id=rt.tenant_id, exc_info=True)
            rt.tailing = False
            return
        finally:
            self._lock.release()
        try:
            self._record_sealed(rt, rows)
        finally:  # whatever recording did, the tail goes on (or ends) as read
            if more:
                loop.call_soon(self._tail_pages, rt)
            else:
                rt.tailing = False

    @staticmethod
    def _tail_page(
        reads: Session | LoopReads, rt: TenantRuntime, limit: int
    ) -> tuple[list[tuple[str, str]], bool]:
        """SQLite: up to ``limit`` rows stored after ``rt.tail_row``, which moves past them:
        the sealed data of the other processes' among them (ours are recorded already),
        and whether more may follow. One writer at a time gives each insert the largest
        rowid yet, so reading on from the last one seen misses nothing and reads nothing
        twice."""
        after = rt.tail_row or 0
        page = sealed_after_row(reads, rt.tenant_id, after, limit)
        if page:
            rt.tail_row = page[-1][0]
        elif after > 0 and last_row(reads) < after:
            # The table was emptied (every row past retention) and rowids start again.
            rt.tail_row = 0
            return [], True
        recent = rt.recent
        return [(i, data) for _, i, ext, data in page if ext not in recent], len(page) == limit

    def _replay(self, session: Session, rt: TenantRuntime) -> None:
        """Rebuild an in-memory history from the stored transactions of the retention
        period, oldest first."""
        horizon = utcnow() - FeatureConfig().retention
        repo = TransactionRepository(session, rt.tenant_id)
        count = 0
        for row in repo.since(horizon):
            data = self.platform.vault.decrypt(row.data_enc, row_aad(row, "data_enc"))
            rt.record(transaction_from_json(orjson.loads(data)))
            count += 1
        if count:
            log.info("risk_history_replayed", tenant_id=rt.tenant_id, transactions=count)
            # The replayed history (streams of arrays, lists, tuples: millions of objects
            # for a month of payments) lives as long as the process, or until swept (freed
            # by reference counting, frozen or not). Out of the cyclic collector's sight, as
            # the app is at start (``asgi.create``), so a full collection does not walk it:
            # each one would stop every request for as long.
            gc.freeze()

    def _feed_labels(self, session: Session, rt: TenantRuntime) -> None:
        repo = LabelRepository(session, rt.tenant_id)
        while True:
            rows = repo.after(rt.label_mark)
            for row in rows:
                with rt.lock:
                    rt.engine.add_label(label_of(row))
                rt.label_mark = row.id
            if len(rows) < 5000:
                return


def label_of(row: Any) -> Label:
    return Label(
        transaction_id=row.external_id,
        kind=LabelKind(row.kind),
        reported_at=row.reported_at,
        usable_at=row.usable_at,
    )


def _replace(context: Context, **changes: Any) -> Context:
    from dataclasses import replace

    return replace(context, **changes)
