"""Backtests: replay historical transactions through a candidate rule set (a draft) and the
published one, and compare both with the labels.

Two phases. The features are computed once, in time order, through a fresh in-memory
history, with each known fraud fed back as a label usable after the label delay, exactly as
live decisions would have seen them (that phase is sequential: a history is a sequence).
The rule sets are then evaluated on chunks of transactions, a pure function mapped by the
batch engine: in this process, or as Ray tasks when ``AEGIS_RAY_ADDRESS`` is set (the
workers compile the rule sets themselves; compiled CEL programs do not travel).

Input files: the Fraud Detection Handbook's raw format (Parquet or CSV: TRANSACTION_ID,
TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT, TX_FRAUD), or JSON lines of
``POST /v1/transactions`` bodies, each with an optional ``"fraud": true|false``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from aegis.batch import BatchEngine, LocalEngine
from aegis.risk.features import FeatureConfig, FeatureEngine, MemoryState
from aegis.risk.intake import IntakeRejected, TransactionIn, to_transaction
from aegis.risk.lists import NO_HITS
from aegis.risk.model import Label, LabelKind, Outcome, Transaction, TxType
from aegis.risk.rules import (
    CustomerFacts,
    Limits,
    RuleSet,
    compile_rule_set,
    variables_for,
)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FAR_FUTURE_SKEW = dt.timedelta(days=365 * 100)  # history is in the past; no skew applies


class BacktestError(ValueError):
    """A file that cannot be backtested: missing, unreadable, or with a bad row."""


@dataclass(frozen=True, slots=True)
class History:
    transactions: tuple[Transaction, ...]
    fraud: tuple[bool | None, ...]  # None: no label for that transaction


def read_history(path: Path) -> History:
    if not path.is_file():
        raise BacktestError(f"{path}: no such file")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return _read_jsonl(path)
    from aegis.risk.evaluation import EvaluationError, read_transactions

    try:
        data = read_transactions(path)
    except EvaluationError as exc:
        raise BacktestError(str(exc)) from None
    txs, fraud = [], []
    for tx_id, time, customer, terminal, amount, label in zip(
        data.tx_id.tolist(), data.time.tolist(), data.customer.tolist(),
        data.terminal.tolist(), data.amount.tolist(), data.fraud.tolist(), strict=True,
    ):  # fmt: skip
        txs.append(
            Transaction(
                id=str(tx_id),
                time=_EPOCH + dt.timedelta(microseconds=time),
                type=TxType.PAYMENT,
                amount=max(1, round(amount * 100)),
                currency="EUR",
                customer_id=str(customer),
                terminal_id=str(terminal),
            )
        )
        fraud.append(bool(label))
    return History(tuple(txs), tuple(fraud))


def _read_jsonl(path: Path) -> History:
    txs: list[Transaction] = []
    fraud: list[bool | None] = []
    now = dt.datetime.now(dt.UTC)
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = orjson.loads(line)
                label = data.pop("fraud", None) if isinstance(data, dict) else None
                body = TransactionIn.model_validate(data)
                txs.append(to_transaction(body, now=now, max_future_skew=_FAR_FUTURE_SKEW))
            except (orjson.JSONDecodeError, ValidationError, IntakeRejected) as exc:
                raise BacktestError(
                    f"{path}:{number}: not a transaction ({type(exc).__name__})"
                ) from None
            if label is not None and not isinstance(label, bool):
                raise BacktestError(f"{path}:{number}: 'fraud' must be true or false")
            fraud.append(label)
    if not txs:
        raise BacktestError(f"{path}: no transactions")
    order = sorted(range(len(txs)), key=lambda i: txs[i].time)
    return History(tuple(txs[i] for i in order), tuple(fraud[i] for i in order))


def features_of(history: History, *, label_delay: dt.timedelta) -> list[dict[str, float]]:
    """Each transaction's features as a live decision would have seen them."""
    engine = FeatureEngine(MemoryState(), FeatureConfig(label_delay=label_delay))
    out = []
    for tx, fraud in zip(history.transactions, history.fraud, strict=True):
        out.append(engine.observe(tx))
        if fraud:
            engine.add_label(
                Label(
                    transaction_id=tx.id,
                    kind=LabelKind.CONFIRMED_FRAUD,
                    reported_at=tx.time,
                    usable_at=tx.time + label_delay,
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class Chunk:
    rule_sets: tuple[dict[str, Any], ...]  # RuleSet JSON: compiled where the chunk runs
    limits: dict[str, Any]
    transactions: tuple[Transaction, ...]
    features: tuple[dict[str, float], ...]


def evaluate_chunk(chunk: Chunk) -> list[list[tuple[str, tuple[str, ...]]]]:
    """For each rule set, each transaction's outcome and the rules that hit. Pure."""
    limits = Limits.model_validate(chunk.limits)
    compiled = [compile_rule_set(RuleSet.model_validate(rs)) for rs in chunk.rule_sets]
    customer = CustomerFacts()
    results: list[list[tuple[str, tuple[str, ...]]]] = [[] for _ in compiled]
    for tx, features in zip(chunk.transactions, chunk.features, strict=True):
        variables = variables_for(tx, features, customer, NO_HITS, None, limits)
        for i, rule_set in enumerate(compiled):
            evaluation = rule_set.evaluate(variables)
            results[i].append((evaluation.outcome.value, tuple(e.rule_id for e in evaluation.hits)))
    return results


def _summary(
    rule_set: RuleSet, decided: Sequence[tuple[str, tuple[str, ...]]], fraud: Sequence[bool | None]
) -> dict[str, Any]:
    labelled = [i for i, f in enumerate(fraud) if f is not None]
    frauds = sum(1 for i in labelled if fraud[i])
    flagged = [i for i, (outcome, _) in enumerate(decided) if outcome != Outcome.APPROVE.value]
    flagged_labelled = [i for i in flagged if fraud[i] is not None]
    caught = sum(1 for i in flagged_labelled if fraud[i])
    rules: dict[str, dict[str, Any]] = {}
    hits: Counter[str] = Counter()
    true_hits: Counter[str] = Counter()
    for i, (_, fired) in enumerate(decided):
        for rule_id in fired:
            hits[rule_id] += 1
            true_hits[rule_id] += bool(fraud[i])
    for rule in rule_set.rules:
        n = hits[rule.id]
        rules[rule.id] = {
            "hits": n,
            "hit_rate": round(n / len(decided), 6) if decided else 0.0,
            "precision": round(true_hits[rule.id] / n, 4) if n else None,
        }
    return {
        "rule_set": rule_set.name,
        "version": rule_set.version,
        "outcomes": dict(Counter(outcome for outcome, _ in decided)),
        "flagged": len(flagged),
        "flag_rate": round(len(flagged) / len(decided), 6) if decided else 0.0,
        "precision": round(caught / len(flagged_labelled), 4) if flagged_labelled else None,
        "recall": round(caught / frauds, 4) if frauds else None,
        "rules": rules,
    }


def backtest(
    history: History,
    *,
    candidate: RuleSet,
    baseline: RuleSet | None,
    limits: Limits,
    label_delay: dt.timedelta = dt.timedelta(days=7),
    engine: BatchEngine | None = None,
    chunk_size: int = 20_000,
) -> dict[str, Any]:
    engine = engine or LocalEngine()
    features = features_of(history, label_delay=label_delay)
    sets = [candidate] + ([baseline] if baseline is not None else [])
    payload = tuple(rs.model_dump(mode="json") for rs in sets)
    chunks = [
        Chunk(
            payload,
            limits.model_dump(mode="json"),
            history.transactions[i : i + chunk_size],
            tuple(features[i : i + chunk_size]),
        )
        for i in range(0, len(features), chunk_size)
    ]
    parts = engine.map(evaluate_chunk, chunks)
    decided = [[row for part in parts for row in part[i]] for i in range(len(sets))]
    report: dict[str, Any] = {
        "transactions": len(history.transactions),
        "labelled": sum(1 for f in history.fraud if f is not None),
        "frauds": sum(1 for f in history.fraud if f),
        "engine": engine.name,
        "candidate": _summary(candidate, decided[0], history.fraud),
    }
    if baseline is not None:
        base = _summary(baseline, decided[1], history.fraud)
        report["baseline"] = base
        cand = report["candidate"]
        changed = sum(1 for a, b in zip(decided[0], decided[1], strict=True) if a[0] != b[0])

        def delta(key: str) -> float | None:
            a, b = cand[key], base[key]
            return None if a is None or b is None else round(a - b, 4)

        report["diff"] = {
            "changed_decisions": changed,
            "outcomes": {
                o.value: cand["outcomes"].get(o.value, 0) - base["outcomes"].get(o.value, 0)
                for o in Outcome
            },
            "flagged": cand["flagged"] - base["flagged"],
            "precision": delta("precision"),
            "recall": delta("recall"),
        }
    return report
