"""Backtests: the same history through a candidate and a baseline rule set, compared with
the labels; in this process and on Ray; bad files refused with one line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aegis.batch import LocalEngine, RayEngine
from aegis.cli.main import app
from aegis.risk.backtest import BacktestError, History, backtest, read_history
from aegis.risk.model import Transaction, TxType
from aegis.risk.rules import Limits, Rule, RuleSet

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def history() -> History:
    """200 payments; the 10 of 90,000 are the frauds, and one genuine one is large too."""
    txs, fraud = [], []
    for i in range(200):
        big = i % 20 == 0 or i == 7
        txs.append(Transaction(
            id=f"t{i}", time=START + dt.timedelta(minutes=i), type=TxType.PAYMENT,
            amount=90_000 if big else 1_000 + i, currency="EUR", customer_id=f"c{i % 13}",
        ))  # fmt: skip
        fraud.append(i % 20 == 0)
    return History(tuple(txs), tuple(fraud))


def candidate() -> RuleSet:
    return RuleSet(
        name="default", version=2,
        rules=(Rule(id="big_amount", name="Big", description="Large payments.",
                    expression="tx.amount >= 50000", score=50),),
    )  # fmt: skip


def baseline() -> RuleSet:
    return RuleSet(
        name="default", version=1,
        rules=(Rule(id="huge_amount", name="Huge", description="Very large payments.",
                    expression="tx.amount >= 100000", score=50),),
    )  # fmt: skip


def test_candidate_against_baseline() -> None:
    report = backtest(history(), candidate=candidate(), baseline=baseline(), limits=Limits())
    assert report["transactions"] == 200 and report["frauds"] == 10
    cand, base = report["candidate"], report["baseline"]
    assert cand["flagged"] == 11 and cand["outcomes"] == {"approve": 189, "review": 11}
    assert cand["precision"] == round(10 / 11, 4) and cand["recall"] == 1.0
    assert cand["rules"]["big_amount"] == {"hits": 11, "hit_rate": 0.055,
                                           "precision": round(10 / 11, 4)}  # fmt: skip
    assert base["flagged"] == 0 and base["precision"] is None and base["recall"] == 0.0
    assert report["diff"]["changed_decisions"] == 11
    assert report["diff"]["outcomes"]["review"] == 11 and report["diff"]["recall"] == 1.0
    assert report["diff"]["precision"] is None  # nothing flagged before: no precision


def test_ray_gives_the_same_report() -> None:
    ray = pytest.importorskip("ray")
    engine = RayEngine("local", num_cpus=1)
    try:
        on_ray = backtest(history(), candidate=candidate(), baseline=baseline(),
                          limits=Limits(), engine=engine, chunk_size=50)  # fmt: skip
    finally:
        ray.shutdown()
    local = backtest(history(), candidate=candidate(), baseline=baseline(), limits=Limits(),
                     engine=LocalEngine(), chunk_size=50)  # fmt: skip
    assert on_ray["engine"] == "ray" and local["engine"] == "local"
    on_ray.pop("engine"), local.pop("engine")
    assert on_ray == local


def test_jsonl_history_and_bad_files(tmp_path: Path) -> None:
    good = tmp_path / "h.jsonl"
    rows = [
        {"id": f"j{i}", "time": (START + dt.timedelta(minutes=i)).isoformat(),
         "type": "payment", "amount": 90_000 if i == 3 else 500, "currency": "EUR",
         "customer_id": "c1", **({"fraud": i == 3} if i < 5 else {})}
        for i in range(8)
    ]  # fmt: skip
    good.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    loaded = read_history(good)
    assert len(loaded.transactions) == 8 and loaded.fraud[3] is True and loaded.fraud[6] is None
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text() + '{"id": "x", "amount": -1}\n')
    with pytest.raises(BacktestError, match=r"bad\.jsonl:9"):
        read_history(bad)
    with pytest.raises(BacktestError, match="no such file"):
        read_history(tmp_path / "missing.parquet")

    runner = CliRunner()
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [candidate().rules[0].model_dump(mode="json")]}))
    out = runner.invoke(app, ["risk", "backtest", "--transactions", str(good), "--rules",
                              str(rules), "--json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["candidate"]["flagged"] == 1 and report["candidate"]["recall"] == 1.0
    rules.write_text(json.dumps({"rules": [{**candidate().rules[0].model_dump(mode="json"),
                                            "expression": "tx.amount >>> 1"}]}))  # fmt: skip
    out = runner.invoke(app, ["risk", "backtest", "--transactions", str(good), "--rules",
                              str(rules), "--json"])  # fmt: skip
    assert out.exit_code == 2 and "error" in json.loads(out.stdout)
