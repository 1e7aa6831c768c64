"""``aegis lists``: load sanctions and PEP lists as snapshots, show what is loaded."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from aegis.cli.context import open_platform
from aegis.cli.output import emit, fail
from aegis.screening.entities import ListFileError, ListFormat

lists_app = typer.Typer(help="Sanctions and PEP lists: load, fetch, show.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
FormatOpt = Annotated[
    ListFormat,
    typer.Option("--format", help="ofac-csv (a folder), ofac-xml, ofac-cons, un-xml, csl, ftm."),
]
NameOpt = Annotated[
    str | None,
    typer.Option(help="The list's name (default by format: ofac-sdn, ofac-cons, un, ...)."),
]
RescreenOpt = Annotated[
    bool,
    typer.Option(
        "--rescreen/--no-rescreen",
        help="Re-screen customers against the diff now, in this process (default: the "
        "worker does it).",
    ),
]


def _actor() -> str:
    return f"cli:{os.environ.get('USER', 'operator')}"


def _store(loaded: Any, *, name: str | None, rescreen: bool, as_json: bool) -> None:
    from aegis.screening.rescreen import Rescreener
    from aegis.screening.snapshots import SnapshotService

    platform = open_platform(as_json=as_json)
    try:
        with platform.db.session() as session:
            report = SnapshotService(platform.audit).load(
                session, loaded, name=name, actor=_actor()
            )
        data = report.as_dict()
        if rescreen and report.snapshot_id is not None:
            data["rescreen"] = Rescreener(platform).run(report.snapshot_id)
    finally:
        platform.close()
    counts = data["diff"]["counts"]
    snap = data["snapshot"]
    human = (
        f"{data['list']['name']} v{snap['version']}: {snap['entities']} entities "
        f"(+{counts['added']} ~{counts['changed']} -{counts['removed']})"
        + (" unchanged" if snap["unchanged"] else "")
    )
    emit(data, as_json=as_json, human=human)


@lists_app.command("load")
def load(
    path: Annotated[Path, typer.Argument(help="The list file (for ofac-csv: the folder).")],
    fmt: FormatOpt,
    name: NameOpt = None,
    rescreen: RescreenOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Load a list file as a new snapshot and print its diff against the previous one.

    A file that cannot be read as its format is refused whole: the active snapshot
    stays as it was.
    """
    from aegis.screening.lists import load_list

    try:
        loaded = load_list(fmt, path)
    except ListFileError as exc:
        fail(str(exc), as_json=as_json, code=2)
    _store(loaded, name=name, rescreen=rescreen, as_json=as_json)


@lists_app.command("fetch")
def fetch(
    urls: Annotated[list[str], typer.Argument(help="URL(s) of the list file(s).")],
    fmt: FormatOpt,
    dest: Annotated[Path, typer.Option(help="Folder to download into.")] = Path("var/lists"),
    name: NameOpt = None,
    rescreen: RescreenOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Download a list from its publisher, then load it as ``load`` does."""
    from aegis.screening.lists import fetch_list

    try:
        loaded = fetch_list(fmt, urls if len(urls) > 1 else urls[0], dest=dest)
    except (ListFileError, OSError) as exc:
        fail(str(exc), as_json=as_json, code=2)
    _store(loaded, name=name, rescreen=rescreen, as_json=as_json)


@lists_app.command("show")
def show(as_json: JsonOpt = False) -> None:
    """Every loaded list with its active snapshot and its snapshot history."""
    from aegis.screening.repository import ListRepository

    platform = open_platform(as_json=as_json, migrate=False)
    try:
        with platform.db.session(write=False) as session:
            repo = ListRepository(session)
            lists: list[dict[str, Any]] = []
            for row in repo.all():
                snapshots = [
                    {
                        "id": s.id,
                        "version": s.version,
                        "entities": s.entities,
                        "added": s.added,
                        "changed": s.changed,
                        "removed": s.removed,
                        "digest": s.digest,
                        "published": s.published.isoformat() if s.published else None,
                        "loaded_at": s.loaded_at.isoformat(),
                        "loaded_by": s.loaded_by,
                        "rescreen": s.rescreen_status,
                    }
                    for s in repo.snapshots(row.id)
                ]
                lists.append(
                    {
                        "id": row.id,
                        "name": row.name,
                        "format": row.format,
                        "source": row.source,
                        "version": row.version,
                        "entities": snapshots[0]["entities"] if snapshots else 0,
                        "snapshots": snapshots,
                    }
                )
    finally:
        platform.close()
    human = "\n".join(
        f"{x['name']:<16} v{x['version']:<3} {x['entities']:>7} entities  {x['source']}"
        for x in lists
    )
    emit({"lists": lists}, as_json=as_json, human=human or "no lists loaded")
