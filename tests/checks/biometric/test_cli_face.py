"""``aegis face compare`` through typer's CliRunner, on the shared photos."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from aegis.cli.main import app

runner = CliRunner()


def _run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["face", "compare", *args], catch_exceptions=False)


def test_compare_two_images_as_json(faces_dir: Path) -> None:
    same = _run(
        str(faces_dir / "obama/examples_obama.jpg"),
        str(faces_dir / "obama/knn_test_obama1.jpg"),
        "--json",
    )
    assert same.exit_code == 0, same.output
    data = json.loads(same.stdout)
    assert data["match"] is True and data["threshold"] == 0.6
    assert 0 <= data["distance"] <= 0.6 and 0.5 <= data["similarity"] <= 1
    assert len(data["a_faces"]) == 1 and len(data["b_faces"]) == 1
    assert set(data["a_faces"][0]) == {"box", "confidence", "size"}

    other = json.loads(
        _run(
            str(faces_dir / "obama/examples_obama.jpg"),
            str(faces_dir / "biden/examples_biden.jpg"),
            "--json",
        ).stdout
    )
    assert other["match"] is False and other["codes"] == ["FACE_MISMATCH"]
    assert other["distance"] > 0.6 > other["similarity"]

    strict = json.loads(
        _run(
            str(faces_dir / "obama/examples_obama.jpg"),
            str(faces_dir / "obama/knn_test_obama1.jpg"),
            "--json",
            "--threshold",
            "0.2",
        ).stdout
    )
    assert strict["match"] is False and strict["threshold"] == 0.2


def test_human_output(faces_dir: Path) -> None:
    result = _run(
        str(faces_dir / "obama/examples_obama.jpg"), str(faces_dir / "obama/knn_test_obama1.jpg")
    )
    assert result.exit_code == 0
    assert "MATCH" in result.stdout and "distance" in result.stdout and "1 face(s)" in result.stdout


def test_pairs_csv_gives_one_line_per_pair_in_order(faces_dir: Path, tmp_path: Path) -> None:
    for folder in ("obama", "biden", "_multi"):
        shutil.copytree(faces_dir / folder, tmp_path / "imgs" / folder)
    (tmp_path / "pairs.csv").write_text(
        "a,b\n"
        "imgs/obama/examples_obama.jpg,imgs/obama/tests_obama3.jpg\n"
        "imgs/obama/examples_obama.jpg,imgs/biden/examples_biden.jpg\n"
        "imgs/_multi/two_people.jpg,imgs/biden/examples_biden.jpg\n"
    )
    result = _run("--pairs", str(tmp_path / "pairs.csv"), "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(x["b"]).name for x in lines] == [
        "tests_obama3.jpg",
        "examples_biden.jpg",
        "examples_biden.jpg",
    ]
    assert [x["match"] for x in lines] == [True, False, False]
    assert lines[2]["codes"] == ["MULTIPLE_FACES"] and lines[2]["distance"] is None


def test_input_errors_are_one_line_and_exit_2(faces_dir: Path, tmp_path: Path) -> None:
    good = str(faces_dir / "obama/examples_obama.jpg")
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    cases = [
        ((str(tmp_path / "absent.jpg"), good), "no such file"),
        ((good, str(text)), "not a readable image"),
        (("--pairs", str(tmp_path / "absent.csv")), "no such file"),
        ((), "give two images"),
        ((good,), "give two images"),
    ]
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("left,right\nx,y\n")
    cases.append((("--pairs", str(bad_csv)), "columns a,b"))
    missing_row = tmp_path / "missing.csv"
    missing_row.write_text("a,b\nnope.jpg,nope2.jpg\n")
    cases.append((("--pairs", str(missing_row)), "no such file"))
    for args, message in cases:
        result = _run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
        as_json = _run(*args, "--json")
        assert as_json.exit_code == 2
        assert message in json.loads(as_json.stdout)["error"]
