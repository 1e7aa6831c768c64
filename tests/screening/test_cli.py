"""``aegis lists`` and ``aegis screen`` against the configured database, without a server:
one JSON document (or one JSON line per input row) on stdout."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aegis.cli.main import app
from aegis.config import Settings
from tests.screening.support import company, person, write_ftm

Run = Callable[..., Any]
LISTED = [
    person("p1", "IVANOV, Sergei Petrovich", aliases=("Сергей Петрович Иванов",), birth="1962"),
    person("p2", "AL-RASHID, Ahmed Mohammed", birth="1968-01-01", nationality="IQ"),
    company("c1", "Golden Crescent Trading LLC", country="AE"),
]


@pytest.fixture
def run(settings: Settings) -> Run:
    runner = CliRunner()
    env = {
        "AEGIS_DATABASE_URL": settings.resolved_database_url,
        "AEGIS_DATA_DIR": str(settings.data_dir),
        "AEGIS_MASTER_KEY": settings.master_key.get_secret_value() if settings.master_key else "",
        "USER": "ops-alice",
    }

    def invoke(*args: str, code: int = 0, lines: bool = False) -> Any:
        result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        if lines:
            return [json.loads(line) for line in result.stdout.splitlines()]
        return json.loads(result.stdout)

    return invoke


def test_load_show_and_screen(run: Run, tmp_path: Path) -> None:
    path = write_ftm(tmp_path / "v1.jsonl", LISTED)
    loaded = run("lists", "load", "--format", "ftm", str(path), "--name", "watch", "--json")
    assert loaded["list"]["name"] == "watch" and loaded["snapshot"]["version"] == 1
    assert loaded["diff"]["counts"] == {"added": 3, "changed": 0, "removed": 0}
    assert {e["key"] for e in loaded["diff"]["added"]} == {"p1", "p2", "c1"}

    # A bad file is refused whole; the active snapshot stays.
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"id": "x", "schema": "Person", "properties": {"name": ["A')
    refused = run("lists", "load", "--format", "ftm", str(bad), "--name", "watch", "--json", code=2)
    assert "bad.jsonl" in refused["error"]
    shown = run("lists", "show", "--json")["lists"]
    assert [(x["name"], x["version"], x["entities"]) for x in shown] == [("watch", 1, 3)]

    second = write_ftm(tmp_path / "v2.jsonl", LISTED[:2])
    diff = run("lists", "load", "--format", "ftm", str(second), "--name", "watch", "--json")
    assert diff["diff"]["counts"] == {"added": 0, "changed": 0, "removed": 1}
    assert diff["diff"]["removed"] == [{"key": "c1", "name": "Golden Crescent Trading LLC",
                                        "type": "organization"}]  # fmt: skip

    out = run("screen", "Sergey", "Ivanov", "--dob", "1962", "--json")
    [hit] = out["hits"]
    assert set(hit) >= {"entity_id", "list", "name", "matched_name", "score", "features"}
    assert hit["entity_id"] == "p1" and hit["list"] == "watch" and 0 < hit["score"] <= 1
    assert run("screen", "Сергей Иванов", "--json")["hits"][0]["entity_id"] == "p1"
    assert run("screen", "John Smith", "--json") == {"hits": []}
    assert "not loaded" in run("screen", "x", "--list", "nope", "--json", code=2)["error"]


def test_batch_keeps_order_and_reports_bad_rows(run: Run, tmp_path: Path) -> None:
    run("lists", "load", "--format", "ftm", str(write_ftm(tmp_path / "l.jsonl", LISTED)), "--json")
    batch = tmp_path / "people.csv"
    batch.write_text(
        "id,name,dob,country,type\n"
        "a,Ahmed Mohammed Al Rashid,1968,IQ,person\n"
        "b,Jane Doe,,,\n"
        "c,Sergei Ivanov,,,dog\n"
        "d,Golden Crescent Trading,,AE,organization\n",
        encoding="utf-8",
    )
    rows = run("screen", "--batch", str(batch), "--json", lines=True)
    assert [r["id"] for r in rows] == ["a", "b", "c", "d"]
    assert [h["entity_id"] for h in rows[0]["hits"]] == ["p2"]
    assert rows[1]["hits"] == []
    assert "type must be one of" in rows[2]["error"]
    assert rows[3]["hits"][0]["entity_id"] == "c1"
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("who,when\nx,y\n")
    assert "missing column" in run("screen", "--batch", str(wrong), "--json", code=2)["error"]


def test_compare_pairs(run: Run, tmp_path: Path) -> None:
    one = run("screen", "compare", "Mohammed Al-Rashid", "AL RASHID, Muhammad", "--json")
    assert set(one) == {"score", "match", "threshold", "features"} and one["match"] is True
    dob = run("screen", "compare", "Mohammed Al-Rashid", "AL RASHID, Muhammad",
              "--dob-a", "1968-01-01", "--dob-b", "1990-06-30", "--json")  # fmt: skip
    assert dob["score"] < one["score"]
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("a,b\nJohn Smith,Smith John\nJohn Smith,Maria Garcia\n,x\n")
    rows = run("screen", "compare", "--pairs", str(pairs), "--json", lines=True)
    assert [r.get("match") for r in rows] == [True, False, None]
    assert "error" in rows[2]
    assert "two names" in run("screen", "compare", "only-one", "--json", code=2)["error"]
