"""Evaluation by the protocol of the Fraud Detection Handbook (Le Borgne et al.).

Input: transactions in the handbook's raw format (Parquet or CSV with TRANSACTION_ID,
TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT, TX_FRAUD). The engine replays them in time
order through its own :class:`~aegis.risk.features.FeatureEngine` (memory state), starting a
retention (37 days) before the training start so that every window is full, and feeds each
fraud back as a label usable ``delay_days`` after the transaction (the handbook's
assumption). It trains LightGBM on the training days and scores the test days, which start
after the delay.

The test protocol is the handbook's ``get_train_test_set`` and ``card_precision_top_k``: on
test day *d*, customers (the handbook's cards) with a fraud in the training days or in the
delay days before *d* are left out; AUC ROC and average precision are over the remaining
test transactions; CP@100 is, per test day, the share of frauds among the 100 customers with
the highest score (a customer's score is its highest), customers caught on earlier test days
left out, averaged over the days.

Rules plug in as a callable ``(transaction, features) -> score`` (higher is riskier, e.g.
the total score of the fired rules plus a large constant per outcome rank); their figures
are computed by the same protocol under ``"rules"``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from aegis.risk.features import FeatureConfig, FeatureEngine, MemoryState
from aegis.risk.model import Label, LabelKind, Transaction, TxType
from aegis.risk.scoring import TrainParams, compile_model, train

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
RuleScore = Callable[[Transaction, Mapping[str, float]], float]

COLUMNS = ("TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_FRAUD")
DAY_US = 86_400_000_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TOP_K = 100


class EvaluationError(ValueError):
    """Bad input: a missing file, missing columns, or a split the data does not cover."""


@dataclass(frozen=True, slots=True)
class Transactions:
    """The handbook's columns as arrays, in time order; times in µs since the epoch (UTC)."""

    tx_id: Ints
    time: Ints
    customer: Ints
    terminal: Ints
    amount: Floats  # currency units, as in the file
    fraud: Ints

    @property
    def day(self) -> Ints:
        return self.time // DAY_US

    def __len__(self) -> int:
        return len(self.tx_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Split:
    train_start: dt.date
    train_days: int = 7
    delay_days: int = 7
    test_days: int = 7

    def __post_init__(self) -> None:
        if min(self.train_days, self.test_days) < 1 or self.delay_days < 0:
            raise EvaluationError("train and test days must be >= 1, delay days >= 0")

    def day(self, offset: int) -> int:
        """Days since the epoch of ``train_start + offset``."""
        return (self.train_start - dt.date(1970, 1, 1)).days + offset

    @property
    def test_start(self) -> int:
        return self.day(self.train_days + self.delay_days)

    @property
    def test_end(self) -> int:  # exclusive
        return self.test_start + self.test_days


# --- I/O ---------------------------------------------------------------------------------


def read_transactions(path: Path) -> Transactions:
    """Read Parquet (by magic number) or CSV in the handbook's raw format."""
    if not path.is_file():
        raise EvaluationError(f"{path}: no such file")
    with path.open("rb") as fh:
        magic = fh.read(4)
    columns = _read_parquet(path) if magic == b"PAR1" else _read_csv(path)
    try:
        times = np.asarray(columns["TX_DATETIME"], dtype="datetime64[us]").astype(np.int64)
        data = Transactions(
            tx_id=np.asarray(columns["TRANSACTION_ID"], dtype=np.int64),
            time=times,
            customer=np.asarray(columns["CUSTOMER_ID"], dtype=np.int64),
            terminal=np.asarray(columns["TERMINAL_ID"], dtype=np.int64),
            amount=np.asarray(columns["TX_AMOUNT"], dtype=np.float64),
            fraud=np.asarray(columns["TX_FRAUD"], dtype=np.int64),
        )
    except (ValueError, TypeError) as exc:
        raise EvaluationError(f"{path}: unreadable values ({exc})") from None
    if len(data) == 0:
        raise EvaluationError(f"{path}: no transactions")
    if not np.isfinite(data.amount).all() or (data.amount < 0).any():
        raise EvaluationError(f"{path}: TX_AMOUNT must be non-negative numbers")
    if not np.isin(data.fraud, (0, 1)).all():
        raise EvaluationError(f"{path}: TX_FRAUD must be 0 or 1")
    order = np.argsort(data.time, kind="stable")
    return Transactions(*(np.ascontiguousarray(a[order]) for a in _fields(data)))


def _fields(data: Transactions) -> tuple[npt.NDArray[Any], ...]:
    return (data.tx_id, data.time, data.customer, data.terminal, data.amount, data.fraud)


def _read_parquet(path: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise EvaluationError(f"{path}: not a readable Parquet file ({exc})") from None
    _check_columns(path, schema.names)
    try:
        table = pq.read_table(path, columns=list(COLUMNS))
        return {name: table.column(name).to_numpy() for name in COLUMNS}
    except Exception as exc:  # damaged pages, or types numpy cannot take
        raise EvaluationError(f"{path}: unreadable Parquet data ({exc})") from None


def _read_csv(path: Path) -> dict[str, Any]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            _check_columns(path, reader.fieldnames or [])
            rows = {name: [] for name in COLUMNS}  # type: dict[str, list[str]]
            for row in reader:
                for name in COLUMNS:
                    rows[name].append(row[name])
    except UnicodeDecodeError:
        raise EvaluationError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise EvaluationError(f"{path}: not CSV ({exc})") from None
    out: dict[str, Any] = {}
    try:
        for name, values in rows.items():
            if name == "TX_DATETIME":
                out[name] = np.array(
                    [v.strip().replace(" ", "T") for v in values], "datetime64[us]"
                )
            elif name == "TX_AMOUNT":
                out[name] = np.array(values, dtype=np.float64)
            else:
                out[name] = np.array([int(float(v)) for v in values], dtype=np.int64)
    except ValueError as exc:
        raise EvaluationError(f"{path}: unreadable values ({exc})") from None
    return out


def _check_columns(path: Path, names: Sequence[str]) -> None:
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise EvaluationError(f"{path}: missing column(s) {', '.join(missing)}")


def write_scores(path: Path, tx_ids: Ints, scores: Floats) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["TRANSACTION_ID", "score"])
        out.writerows(zip(tx_ids.tolist(), (repr(float(s)) for s in scores), strict=True))


# --- features ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Replayed:
    """Features of every transaction from the training start to the test end."""

    rows: npt.NDArray[np.intp]  # indices into the Transactions
    matrix: Floats  # one row per index, columns = the engine's feature names
    names: tuple[str, ...]
    rule_scores: Floats | None


def replay(
    data: Transactions,
    split: Split,
    *,
    config: FeatureConfig | None = None,
    rules: RuleScore | None = None,
    warmup: dt.timedelta | None = None,
) -> Replayed:
    """Observe every transaction from ``warmup`` (default: the retention) before the
    training start to the end of the test days; frauds come back as labels usable
    ``delay_days`` after the transaction."""
    config = config or FeatureConfig(label_delay=dt.timedelta(days=split.delay_days))
    engine = FeatureEngine(MemoryState(), config)
    warmup = config.retention if warmup is None else warmup
    begin = split.day(0) * DAY_US - warmup // dt.timedelta(microseconds=1)
    collect_from, end = split.day(0) * DAY_US, split.test_end * DAY_US
    first, stop = np.searchsorted(data.time, [begin, end])
    collect = int(np.searchsorted(data.time, collect_from))
    # The handbook's transactions carry a customer and a terminal only: the columns of
    # the other entities would be all missing.
    index = [
        i
        for i, name in enumerate(engine.feature_names)
        if name == "amount" or name.startswith(("customer_", "terminal_"))
    ]
    names = tuple(engine.feature_names[i] for i in index)
    full = len(engine.feature_names)
    matrix = np.empty((stop - collect, len(names)))
    rule_scores = np.empty(stop - collect) if rules is not None else None
    delay = dt.timedelta(days=split.delay_days)
    ids, times = data.tx_id.tolist(), data.time.tolist()
    customers, terminals = data.customer.tolist(), data.terminal.tolist()
    amounts, frauds = data.amount.tolist(), data.fraud.tolist()
    for i in range(first, stop):
        at = EPOCH + dt.timedelta(microseconds=times[i])
        tx = Transaction(
            id=str(ids[i]),
            time=at,
            type=TxType.PAYMENT,
            amount=round(amounts[i] * 100),
            currency="EUR",
            customer_id=str(customers[i]),
            terminal_id=str(terminals[i]),
        )
        features = engine.observe(tx)
        if i >= collect:
            matrix[i - collect] = np.fromiter(features.values(), np.float64, full)[index]
            if rule_scores is not None and rules is not None:
                rule_scores[i - collect] = rules(tx, features)
        if frauds[i]:
            engine.add_label(
                Label(
                    transaction_id=tx.id,
                    kind=LabelKind.CONFIRMED_FRAUD,
                    reported_at=at,
                    usable_at=at + delay,
                )
            )
    return Replayed(np.arange(collect, stop), matrix, names, rule_scores)


# --- the protocol ------------------------------------------------------------------------


def protocol_mask(
    data: Transactions, split: Split, rows: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    """Which of ``rows`` (test-day transactions) the handbook's ``get_train_test_set``
    keeps: on each test day, customers with a fraud in the training days, or in the delay
    days up to the day before the test day minus the delay, are left out. What is known
    is read from all of ``data``, not only from ``rows``."""
    all_days = data.day
    frauds = data.fraud == 1
    in_train = (all_days >= split.day(0)) & (all_days < split.day(split.train_days))
    known = set(data.customer[in_train & frauds].tolist())
    day, customer = all_days[rows], data.customer[rows]
    keep = np.zeros(len(rows), dtype=bool)
    for d in range(split.test_days):
        # the frauds of day (train_days + d - 1) are known when test day d starts
        newly = (all_days == split.day(split.train_days + d - 1)) & frauds
        known |= set(data.customer[newly].tolist())
        today = day == split.test_start + d
        keep |= today & ~np.isin(customer, np.fromiter(known, np.int64, len(known)))
    return keep


def card_precision_at_k(
    day: Ints, customer: Ints, fraud: Ints, score: Floats, k: int = TOP_K
) -> float:
    """The handbook's CP@k: per day, the k customers with the highest (max) score, the share
    of them with a fraud that day; customers caught on earlier days are left out."""
    caught: set[int] = set()
    daily = []
    for d in np.unique(day):
        today = day == d
        best: dict[int, tuple[float, int]] = {}
        for c, s, f in zip(
            customer[today].tolist(), score[today].tolist(), fraud[today].tolist(), strict=True
        ):
            if c in caught:
                continue
            prev = best.get(c)
            best[c] = (s, f) if prev is None else (max(prev[0], s), max(prev[1], f))
        ranked = sorted(best.items(), key=lambda item: -item[1][0])[:k]
        hits = [c for c, (_, f) in ranked if f]
        daily.append(len(hits) / k)
        caught.update(hits)
    return float(np.mean(daily)) if daily else float("nan")


def metrics(day: Ints, customer: Ints, fraud: Ints, score: Floats) -> dict[str, float]:
    from sklearn.metrics import average_precision_score, roc_auc_score

    if len(np.unique(fraud)) < 2:
        raise EvaluationError("the test days need both frauds and genuine transactions")
    return {
        "auc_roc": round(float(roc_auc_score(fraud, score)), 4),
        "average_precision": round(float(average_precision_score(fraud, score)), 4),
        "card_precision_at_100": round(card_precision_at_k(day, customer, fraud, score), 4),
    }


def evaluate(
    transactions_path: Path,
    train_start: dt.date,
    train_days: int = 7,
    delay_days: int = 7,
    test_days: int = 7,
    scores_out: Path | None = None,
    *,
    params: TrainParams | None = None,
    rules: RuleScore | None = None,
    warmup: dt.timedelta | None = None,
) -> dict[str, Any]:
    """Train on the training days, score the test days, report by the handbook's protocol."""
    split = Split(
        train_start=train_start, train_days=train_days, delay_days=delay_days, test_days=test_days
    )
    data = read_transactions(transactions_path)
    first_day, last_day = int(data.day[0]), int(data.day[-1])
    if split.day(0) < first_day or split.test_end - 1 > last_day:
        span = f"{_date(first_day)} to {_date(last_day)}"
        raise EvaluationError(
            f"the split needs data from {train_start} to {_date(split.test_end - 1)}; "
            f"the file covers {span}"
        )
    rep = replay(data, split, rules=rules, warmup=warmup)
    day = data.day[rep.rows]
    train_rows = day < split.day(split.train_days)
    test_rows = (day >= split.test_start) & (day < split.test_end)
    y = data.fraud[rep.rows]
    if y[train_rows].sum() == 0:
        raise EvaluationError("no fraud in the training days")
    params = params or TrainParams()
    booster = train(rep.matrix[train_rows], y[train_rows], rep.names, params)
    model = compile_model(booster.model_to_string(), rep.names)
    scores = model.predict(rep.matrix[test_rows])
    test_index = rep.rows[test_rows]
    if scores_out is not None:
        write_scores(scores_out, data.tx_id[test_index], scores)
    keep = protocol_mask(data, split, test_index)
    kept = test_index[keep]
    cols = (data.day[kept], data.customer[kept], data.fraud[kept])
    result: dict[str, Any] = {
        "split": {
            "train": [str(train_start), _date(split.day(train_days) - 1)],
            "test": [_date(split.test_start), _date(split.test_end - 1)],
            "train_transactions": int(train_rows.sum()),
            "train_frauds": int(y[train_rows].sum()),
            "test_transactions": len(kept),
            "test_frauds": int(data.fraud[kept].sum()),
        },
        "model": metrics(*cols, scores[keep]),
        "rules": {},
    }
    if rep.rule_scores is not None:
        result["rules"] = metrics(*cols, rep.rule_scores[test_rows][keep])
    return result


def _date(day: int) -> str:
    return str(dt.date(1970, 1, 1) + dt.timedelta(days=day))
