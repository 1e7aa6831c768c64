"""``aegis face compare``: match a selfie against a portrait or document, offline.

    aegis face compare SELFIE PORTRAIT [--json]
    aegis face compare --pairs PAIRS.csv [--json]

The first image is the selfie (it must show exactly one face), the second a portrait or
a whole document image (its largest face is used). ``--pairs`` reads a CSV with columns
``a`` and ``b`` (paths relative to the CSV) and prints one JSON line per pair, in order;
the models are loaded once for all pairs. Input errors exit with code 2.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from aegis.cli.output import fail
from aegis.errors import AegisError

face_app = typer.Typer(help="Face matching (dlib, offline).", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (one line per pair).")]


def _policy(threshold: float | None) -> Any:
    from aegis.checks.biometric.faces import DEFAULT_POLICY, FacePolicy

    return DEFAULT_POLICY if threshold is None else FacePolicy(threshold=threshold)


def _compare(a: Path, b: Path, policy: Any) -> dict[str, Any]:
    """One comparison as JSON-ready data; raises ``AegisError`` on unreadable input."""
    from aegis.checks.biometric.faces import compare
    from aegis.checks.biometric.models import get_models
    from aegis.config import Settings

    models = get_models(Settings().face_model_dir)
    comparison = compare(_load(a), _load(b), policy=policy, models=models)
    data = comparison.as_dict()
    return {
        "a": str(a),
        "b": str(b),
        "a_faces": data.pop("selfie_faces"),
        "b_faces": data.pop("portrait_faces"),
        **data,
    }


class _InputError(Exception):
    pass


def _load(path: Path) -> Any:
    from aegis.checks.biometric.images import load_picture

    if not path.is_file():
        raise _InputError(f"{path}: no such file")
    try:
        return load_picture(path.read_bytes())
    except OSError as exc:
        raise _InputError(f"{path}: cannot read ({exc.strerror})") from exc
    except AegisError as exc:
        raise _InputError(f"{path}: {exc.detail}") from exc


def _pairs(csv_path: Path) -> Iterator[tuple[Path, Path]]:
    base = csv_path.parent
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _InputError(f"{csv_path}: cannot read ({type(exc).__name__})") from exc
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not {"a", "b"} <= {f.strip() for f in reader.fieldnames}:
        raise _InputError(f"{csv_path}: needs a header with columns a,b")
    for row in reader:
        clean = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if not clean.get("a") or not clean.get("b"):
            raise _InputError(f"{csv_path}: line {reader.line_num} lacks a or b")
        yield base / clean["a"], base / clean["b"]


def _faces_table(title: str, faces: list[dict[str, Any]]) -> Table:
    table = Table("box (l,t,r,b)", "confidence", "size px", title=title)
    for face in faces:
        box = face["box"]
        table.add_row(
            f"{box['left']},{box['top']},{box['right']},{box['bottom']}",
            f"{face['confidence']:.2f}",
            str(face["size"]),
        )
    return table


def _human(data: dict[str, Any]) -> None:
    console = Console()
    for side in ("a", "b"):
        faces = data[f"{side}_faces"]
        title = f"{Path(data[side]).name}: {len(faces)} face(s)"
        console.print(_faces_table(title, faces))
    if data["distance"] is None:
        console.print(f"[red]no comparison[/red]: {', '.join(data['codes'])}")
        return
    verdict = "[green]MATCH[/green]" if data["match"] else "[red]NO MATCH[/red]"
    console.print(
        f"{verdict}  distance {data['distance']:.4f} (threshold {data['threshold']}), "
        f"similarity {data['similarity']:.3f}"
        + (f"  {' '.join(data['codes'])}" if data["codes"] else "")
    )


def _line(data: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(data).decode() + "\n")
    sys.stdout.flush()


@face_app.command("compare")
def compare_cmd(
    a: Annotated[Path | None, typer.Argument(help="Selfie (exactly one face).")] = None,
    b: Annotated[Path | None, typer.Argument(help="Portrait or document (largest face).")] = None,
    pairs: Annotated[
        Path | None, typer.Option("--pairs", help="CSV with columns a,b (paths relative to it).")
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(help="Match when distance <= this (default 0.6).", min=0.0, max=2.0),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare two face images, or every pair listed in a CSV."""
    if (pairs is None) == (a is None or b is None) or (pairs is not None and a is not None):
        fail("give two images, or --pairs PAIRS.csv", as_json=as_json, code=2)
    policy = _policy(threshold)
    try:
        if pairs is None:
            assert a is not None
            assert b is not None
            data = _compare(a, b, policy)
            if as_json:
                sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
            else:
                _human(data)
            return
        if not pairs.is_file():
            raise _InputError(f"{pairs}: no such file")
        for left, right in list(_pairs(pairs)):
            row = _compare(left, right, policy)
            if as_json:
                _line(row)
            else:
                _human(row)
    except _InputError as exc:
        fail(str(exc), as_json=as_json, code=2)
    except AegisError as exc:  # the face models are missing or broken: not the input
        fail(exc.detail, as_json=as_json, code=1)
