"""The handbook's evaluation protocol: its pieces by hand, end to end on a small simulation,
the CLI, and the real data (skipped when ../shared/data is absent)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from aegis.cli.risk import risk_app
from aegis.risk import evaluation as ev
from tests.conftest import SHARED_DATA

HANDBOOK = SHARED_DATA / "fraud" / "handbook_raw_2018-04-01_2018-07-31.parquet"
DAY0 = dt.date(2018, 4, 1)


def _arrays(days: list[int], customers: list[int], frauds: list[int]) -> ev.Transactions:
    base = (DAY0 - dt.date(1970, 1, 1)).days
    n = len(days)
    return ev.Transactions(
        tx_id=np.arange(n),
        time=(np.array(days) + base) * ev.DAY_US + np.arange(n),
        customer=np.array(customers),
        terminal=np.zeros(n, dtype=np.int64),
        amount=np.ones(n),
        fraud=np.array(frauds),
    )


def test_protocol_mask_leaves_out_customers_known_compromised() -> None:
    # train days 0-1, delay days 2-3, test days 4-5 (train 2, delay 2, test 2)
    split = ev.Split(train_start=DAY0, train_days=2, delay_days=2, test_days=2)
    days = [0, 1, 2, 3, 4, 4, 4, 4, 5, 5, 5]
    customers = [1, 2, 3, 4, 1, 3, 4, 5, 3, 4, 5]
    frauds = [1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0]
    data = _arrays(days, customers, frauds)
    test_rows = np.arange(4, len(days))  # what is known comes from all the data
    keep = ev.protocol_mask(data, split, test_rows)
    # day 4 knows the training frauds (1) and those of day 1 (none): 3 and 4 still count;
    # day 5 also knows day 2's (3), not day 3's (4) nor day 4's (5)
    assert keep.tolist() == [False, True, True, True, False, True, True]


def test_card_precision_at_k_per_day_without_customers_caught_before() -> None:
    day = np.array([0, 0, 0, 1, 1, 1, 1])
    customer = np.array([1, 2, 3, 1, 3, 4, 4])
    fraud = np.array([1, 0, 1, 1, 1, 0, 0])
    score = np.array([0.9, 0.8, 0.7, 0.99, 0.6, 0.1, 0.5])
    # day 0: top 2 = 1 (fraud), 2 -> 1/2; day 1: 1 was caught, top 2 = 3 (fraud), 4 -> 1/2
    assert ev.card_precision_at_k(day, customer, fraud, score, k=2) == 0.5
    # a customer's score is its highest of the day, its label its worst
    assert ev.card_precision_at_k(day[3:], customer[3:], fraud[3:], score[3:], k=1) == 1.0


def simulate(path: Path, *, days: int = 40, seed: int = 1) -> None:
    """A tiny handbook-like world: amounts per customer, some compromised terminals (all
    their payments fraudulent for 10 days), some compromised customers (a third of their
    payments five times larger for 10 days)."""
    rng = np.random.default_rng(seed)
    customers, terminals = 250, 120
    mean_amount = rng.uniform(10, 100, customers)
    rows = []
    bad_terminal: dict[int, int] = {}
    bad_customer: dict[int, int] = {}
    tid = 0
    for d in range(days):
        for t in rng.choice(terminals, 2, replace=False).tolist():
            bad_terminal[t] = d + 10
        for c in rng.choice(customers, 3, replace=False).tolist():
            bad_customer[c] = d + 10
        for c in range(customers):
            for _ in range(rng.poisson(2)):
                at = dt.datetime(2018, 4, 1) + dt.timedelta(
                    days=d, seconds=int(rng.integers(86_400))
                )
                t = int(rng.integers(terminals))
                amount = round(float(rng.normal(mean_amount[c], mean_amount[c] / 3)) % 300, 2)
                fraud = int(bad_terminal.get(t, -1) > d)
                if bad_customer.get(c, -1) > d and rng.random() < 1 / 3:
                    amount, fraud = amount * 5, 1
                rows.append((tid, at, c, t, amount, fraud))
                tid += 1
    rows.sort(key=lambda r: r[1])
    table = pa.table(
        {
            "TRANSACTION_ID": [r[0] for r in rows],
            "TX_DATETIME": [r[1] for r in rows],
            "CUSTOMER_ID": [r[2] for r in rows],
            "TERMINAL_ID": [r[3] for r in rows],
            "TX_AMOUNT": [r[4] for r in rows],
            "TX_FRAUD": [r[5] for r in rows],
        }
    )
    if path.suffix == ".csv":
        with path.open("w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(table.column_names)
            for r in rows:
                out.writerow([r[0], r[1].isoformat(sep=" "), r[2], r[3], r[4], r[5]])
    else:
        pq.write_table(table, path)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("world") / "tx.parquet"
    simulate(path)
    return path


def test_parquet_and_csv_read_the_same(world: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "tx.csv"
    simulate(csv_path)
    a, b = ev.read_transactions(world), ev.read_transactions(csv_path)
    for x, y in zip(ev._fields(a), ev._fields(b), strict=True):
        assert np.array_equal(x, y)


def test_evaluate_end_to_end_with_scores_and_rules(world: Path, tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    start = dt.date(2018, 4, 16)
    result = ev.evaluate(
        world,
        start,
        train_days=7,
        delay_days=7,
        test_days=7,
        scores_out=scores,
        rules=lambda tx, features: float(tx.amount),
        warmup=dt.timedelta(days=15),
    )
    split = result["split"]
    assert split["train"] == ["2018-04-16", "2018-04-22"]
    assert split["test"] == ["2018-04-30", "2018-05-06"]
    model = result["model"]
    assert set(model) == {"auc_roc", "average_precision", "card_precision_at_100"}
    assert model["auc_roc"] > 0.7  # a small world: the plumbing, not the quality
    assert set(result["rules"]) == set(model)  # the rule callable got its own figures
    with scores.open() as fh:
        written = list(csv.DictReader(fh))
    data = ev.read_transactions(world)
    test_days = (data.day >= ev.Split(train_start=start).test_start) & (
        data.day < ev.Split(train_start=start).test_end
    )
    # every test-day transaction, before any customer is left out
    assert len(written) == int(test_days.sum()) > split["test_transactions"]
    assert {int(r["TRANSACTION_ID"]) for r in written} == set(data.tx_id[test_days].tolist())
    assert all(0.0 <= float(r["score"]) <= 1.0 for r in written)


def test_bad_inputs_are_evaluation_errors(world: Path, tmp_path: Path) -> None:
    with pytest.raises(ev.EvaluationError, match="no such file"):
        ev.read_transactions(tmp_path / "absent.parquet")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("TRANSACTION_ID,TX_DATETIME\n1,2018-04-01 00:00:00\n")
    with pytest.raises(ev.EvaluationError, match="missing column"):
        ev.read_transactions(wrong)
    garbage = tmp_path / "garbage.csv"
    garbage.write_text(",".join(ev.COLUMNS) + "\n1,yesterday,1,1,1.0,0\n")
    with pytest.raises(ev.EvaluationError, match="unreadable"):
        ev.read_transactions(garbage)
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(b"PAR1" + b"\x00" * 64 + b"PAR1")
    with pytest.raises(ev.EvaluationError, match="Parquet"):
        ev.read_transactions(damaged)
    with pytest.raises(ev.EvaluationError, match="the file covers 2018-04-01 to 2018-05-10"):
        ev.evaluate(world, dt.date(2018, 5, 1))


def test_cli_prints_one_json_document(world: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["evaluate", "--transactions", str(world), "--json"]
    ok = runner.invoke(
        risk_app,
        [*base, "--train-start", "2018-04-20", "--train-days", "5", "--delay-days", "3"],
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["model"]["auc_roc"] > 0.5
    for args, message in (
        (["--train-start", "2018-13-01"], "YYYY-MM-DD"),
        (["--train-start", "2018-07-25"], "the split needs data"),
        (["--train-start", "2018-04-20", "--test-days", "0"], "must be >= 1"),
        (
            ["--train-start", "2018-04-20", "--scores-out", str(tmp_path / "no" / "x.csv")],
            "no such folder",
        ),
    ):
        bad = runner.invoke(risk_app, [*base, *args])
        assert bad.exit_code == 2, bad.output
        assert message in json.loads(bad.stdout)["error"]
        assert "Traceback" not in bad.output
    missing = runner.invoke(
        risk_app,
        ["evaluate", "--transactions", str(tmp_path / "x.csv"), "--train-start", "2018-04-20"],
    )
    assert missing.exit_code == 2 and "no such file" in missing.output


@pytest.mark.skipif(not HANDBOOK.exists(), reason=f"{HANDBOOK} absent (shared data)")
def test_real_data_small_split(tmp_path: Path) -> None:
    """A short split keeps this under a minute; the full 7/7/7 figures are in the docs."""
    scores = tmp_path / "scores.csv"
    result = ev.evaluate(
        HANDBOOK,
        dt.date(2018, 7, 20),
        train_days=3,
        delay_days=3,
        test_days=3,
        scores_out=scores,
        warmup=dt.timedelta(days=12),
    )
    model = result["model"]
    assert model["auc_roc"] > 0.85
    assert model["average_precision"] > 0.55
    assert model["card_precision_at_100"] > 0.2
    # the written scores give the same figures when the protocol is re-applied to them
    data = ev.read_transactions(HANDBOOK)
    with scores.open() as fh:
        written = {int(r["TRANSACTION_ID"]): float(r["score"]) for r in csv.DictReader(fh)}
    split = ev.Split(train_start=dt.date(2018, 7, 20), train_days=3, delay_days=3, test_days=3)
    rows = np.flatnonzero((data.day >= split.day(0)) & (data.day < split.test_end))
    test = rows[data.day[rows] >= split.test_start]
    kept = test[ev.protocol_mask(data, split, test)]
    again = ev.metrics(
        data.day[kept],
        data.customer[kept],
        data.fraud[kept],
        np.array([written[i] for i in data.tx_id[kept].tolist()]),
    )
    assert again == model
