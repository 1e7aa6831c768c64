"""``aegis screen``: screen names against the loaded lists, or compare two names.

    aegis screen NAME [--dob D] [--country CC] [--type person] [--json]
    aegis screen --batch FILE.csv --json         (columns name, dob, country, type, id)
    aegis screen compare NAME_A NAME_B [--dob-a D] [--dob-b D] --json
    aegis screen compare --pairs FILE.csv --json (columns a, b; optional dob_a, dob_b)

The batch forms print one JSON document per input row, in order, and a progress bar on
stderr, so a large evaluation runs in one process. No server is needed: the lists are
read from the configured database (load them with ``aegis lists load``).
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
from rich.progress import Progress

from aegis.cli.output import emit, fail
from aegis.screening.entities import EntityType, ListEntity

TYPES = ", ".join(t.value for t in EntityType if t is not EntityType.UNKNOWN)


def _line(data: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(data).decode() + "\n")


def _rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            columns = [c.strip().lower() for c in reader.fieldnames or []]
            missing = [c for c in required if c not in columns]
            if missing:
                raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
            reader.fieldnames = columns
            return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise ValueError(f"{path}: not CSV ({exc})") from None


def _type(value: str | None) -> EntityType | None:
    if not value:
        return None
    try:
        return EntityType(value.strip().lower())
    except ValueError:
        raise ValueError(f"type must be one of {TYPES}") from None


def _progress(total: int, label: str) -> Iterator[None]:
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        for _ in range(total):
            yield
            bar.advance(task)


def screen(
    args: Annotated[
        list[str] | None, typer.Argument(help="NAME, or: compare NAME_A NAME_B.")
    ] = None,
    dob: Annotated[
        str | None, typer.Option(help="Birth date: YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    country: Annotated[
        list[str] | None, typer.Option(help="Nationality or residence, alpha-2 (repeatable).")
    ] = None,
    type_: Annotated[str | None, typer.Option("--type", help=f"One of {TYPES}.")] = None,
    id_number: Annotated[str | None, typer.Option("--id", help="An ID number.")] = None,
    lists: Annotated[
        list[str] | None, typer.Option("--list", help="Only this list (repeatable).")
    ] = None,
    threshold: Annotated[float | None, typer.Option(min=0.5, max=1.0)] = None,
    batch: Annotated[
        Path | None, typer.Option(help="CSV with columns name, dob, country, type, id.")
    ] = None,
    pairs: Annotated[Path | None, typer.Option(help="For compare: CSV with columns a, b.")] = None,
    dob_a: Annotated[str | None, typer.Option("--dob-a")] = None,
    dob_b: Annotated[str | None, typer.Option("--dob-b")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Screen names against the loaded sanctions and PEP lists, or compare two names."""
    words = list(args or [])
    try:
        if words[:1] == ["compare"]:
            _compare(words[1:], pairs, dob_a, dob_b, _type(type_), threshold, as_json)
        elif batch is not None:
            if words:
                raise ValueError("give either NAME or --batch, not both")
            _batch(batch, lists, threshold)
        elif words:
            _one(
                " ".join(words),
                dob,
                country or [],
                _type(type_),
                id_number,
                lists,
                threshold,
                as_json,
            )
        else:
            raise ValueError("give a NAME, --batch FILE.csv, or compare NAME_A NAME_B")
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code=2)


# --- against the lists ---------------------------------------------------------------


class _Lists:
    """The loaded lists' index, read once from the configured database."""

    def __init__(self, names: list[str] | None, threshold: float | None) -> None:
        from aegis.cli.context import CliError, platform_for_cli
        from aegis.screening.matching import DEFAULT_THRESHOLD
        from aegis.screening.service import Policy

        try:
            self.platform = platform_for_cli(migrate=False)
        except CliError as exc:
            raise ValueError(str(exc)) from None
        with self.platform.db.session(write=False) as session:
            self.active = self.platform.screening_index.current(session)
        loaded = set(self.active.list_names.values())
        if not loaded:
            raise ValueError("no lists are loaded: run `aegis lists load` first")
        unknown = sorted(set(names or []) - loaded)
        if unknown:
            raise ValueError(
                f"not loaded: {', '.join(unknown)} (loaded: {', '.join(sorted(loaded))})"
            )
        self.policy = Policy(
            lists=set(names) if names else None, threshold=threshold or DEFAULT_THRESHOLD
        )

    def screen(self, query: Any) -> dict[str, Any]:
        from aegis.screening.service import search

        return {"hits": [f.as_dict() for f in search(self.active, query, self.policy)]}

    def close(self) -> None:
        self.platform.close()


def _query(
    name: str, dob: str | None, countries: list[str], kind: EntityType | None, id_number: str | None
) -> Any:
    from aegis.screening.matching import Query

    if not name.strip():
        raise ValueError("the name is empty")
    return Query(
        names=(name.strip(),),
        type=kind,
        birth_date=dob or None,
        countries=tuple(c.strip().upper() for c in countries if c.strip()),
        id_numbers=(id_number,) if id_number else (),
    )


def _one(
    name: str,
    dob: str | None,
    countries: list[str],
    kind: EntityType | None,
    id_number: str | None,
    lists: list[str] | None,
    threshold: float | None,
    as_json: bool,
) -> None:
    index = _Lists(lists, threshold)
    try:
        result = index.screen(_query(name, dob, countries, kind, id_number))
    finally:
        index.close()
    human = "\n".join(
        f"{h['score']:.3f}  {h['list']:<12} {h['entity_id']:<10} {h['name']}  "
        f"(matched {h['matched_name']})"
        for h in result["hits"]
    )
    emit(result, as_json=as_json, human=human or "no hits")


def _batch(path: Path, lists: list[str] | None, threshold: float | None) -> None:
    rows = _rows(path, ("name",))
    index = _Lists(lists, threshold)
    try:
        for number, (row, _) in enumerate(
            zip(rows, _progress(len(rows), "screening"), strict=True), start=1
        ):
            out: dict[str, Any] = {"row": number, "id": row.get("id") or None}
            try:
                query = _query(
                    row["name"],
                    row.get("dob"),
                    [row.get("country", "")],
                    _type(row.get("type")),
                    None,
                )
                out.update(index.screen(query))
            except ValueError as exc:
                out["error"] = str(exc)
            _line(out)
    finally:
        index.close()


# --- two names -------------------------------------------------------------------------


def _pair(
    a: str,
    b: str,
    dob_a: str | None,
    dob_b: str | None,
    kind: EntityType | None,
    threshold: float | None,
) -> dict[str, Any]:
    from aegis.screening.matching import DEFAULT_THRESHOLD, Query, compare

    if not a.strip() or not b.strip():
        raise ValueError("both names are needed")
    other = ListEntity(
        key="b",
        type=kind or EntityType.UNKNOWN,
        name=b.strip(),
        birth_dates=(dob_b,) if dob_b else (),
    )
    result = compare(
        Query(names=(a.strip(),), type=kind, birth_date=dob_a or None),
        other,
        threshold=threshold or DEFAULT_THRESHOLD,
    )
    explained = result.explain()
    return {
        "score": round(result.score, 4),
        "match": result.match,
        "threshold": result.threshold,
        "features": explained["features"],
    }


def _compare(
    names: list[str],
    pairs: Path | None,
    dob_a: str | None,
    dob_b: str | None,
    kind: EntityType | None,
    threshold: float | None,
    as_json: bool,
) -> None:
    if pairs is not None:
        if names:
            raise ValueError("give either NAME_A NAME_B or --pairs, not both")
        rows = _rows(pairs, ("a", "b"))
        for number, (row, _) in enumerate(
            zip(rows, _progress(len(rows), "comparing"), strict=True), start=1
        ):
            try:
                out = _pair(row["a"], row["b"], row.get("dob_a"), row.get("dob_b"), kind, threshold)
            except ValueError as exc:
                out = {"row": number, "error": str(exc)}
            _line(out)
        return
    if len(names) != 2:
        raise ValueError("compare takes two names: compare NAME_A NAME_B")
    result = _pair(names[0], names[1], dob_a, dob_b, kind, threshold)
    verdict = "match" if result["match"] else "no match"
    lines = [f"score {result['score']:.3f} ({verdict})"] + [
        f"  {name}: {f['value']:.3f} x {f['weight']:.2f} -> {f['contribution']:+.3f}  "
        + f["detail"]
        for name, f in result["features"].items()
    ]
    human = "\n".join(lines)
    emit(result, as_json=as_json, human=human)
