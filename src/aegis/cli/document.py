"""``aegis document read``: read identity documents offline, without a server.

    aegis document read IMAGE [IMAGE ...] [--kind passport|id_card_front|...] [--json]

With ``--json`` each image gives one JSON document on its own line, in order, so a large
evaluation runs in one process (Tesseract and the face models load once). Errors on one
image (missing, not an image) are reported on its line and the others still run; the
exit code is 2 if any image could not be read at all.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from aegis.cli.output import fail
from aegis.errors import AegisError

if TYPE_CHECKING:
    from aegis.checks.document.mrz_reader import MrzReaderConfig

document_app = typer.Typer(help="Identity documents: MRZ, visual zone, quality.")

JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document per image and line.")]


def mrz_config() -> MrzReaderConfig:
    """The MRZ reader as the settings configure it (another Tesseract model, if any)."""
    from aegis.checks.document.mrz_reader import MrzReaderConfig
    from aegis.config import Settings

    settings = Settings()
    config = MrzReaderConfig(tessdata_dir=settings.mrz_tessdata_dir, language=settings.mrz_language)
    config.check_model()  # MrzModelError: a wrong setting, said once
    return config


def read_one(
    path: Path, *, kind: str | None, today: dt.date, faces: bool, mrz: MrzReaderConfig
) -> dict[str, Any]:
    from aegis.checks.biometric.images import load_picture
    from aegis.checks.document.read import MAX_SIDE, ReadOptions, read_document

    raw = path.read_bytes()
    picture = load_picture(raw, max_side=MAX_SIDE)
    faces_found = _count_faces(picture) if faces else None
    report = read_document(
        picture.pixels,
        raw=raw,
        options=ReadOptions(today=today, kind=kind, mrz=mrz, faces_on_document=faces_found),
    )
    return {"image": str(path), **report.as_dict(), "faces_on_document": faces_found}


def _count_faces(picture: Any) -> int:
    from aegis.checks.biometric.faces import find_portrait
    from aegis.checks.biometric.models import get_models
    from aegis.config import Settings

    portrait = find_portrait(picture, models=get_models(Settings().face_model_dir))
    return 0 if portrait is None else 1


def _human(data: dict[str, Any]) -> None:
    console = Console()
    table = Table(title=data["image"], show_header=False)
    mrz = data.get("mrz")
    table.add_row("type", str(data.get("document_type")))
    table.add_row("mrz", "none" if mrz is None else f"{mrz['format']} valid={mrz['valid']}")
    for name, value in (data.get("fields") or {}).items():
        table.add_row(name, "" if value is None else str(value))
    table.add_row("expired", str(data.get("expired")))
    table.add_row("quality", ", ".join(data["quality"]["codes"]) or "ok")
    table.add_row("warnings", ", ".join(data["warnings"]) or "none")
    table.add_row("outcome", data["outcome"])
    console.print(table)


@document_app.command("read")
def read_cmd(
    images: Annotated[list[Path], typer.Argument(help="Document images (JPEG, PNG, WebP).")],
    kind: Annotated[
        str | None,
        typer.Option(help="What the images are, if known: passport, id_card_front, ..."),
    ] = None,
    today: Annotated[
        str | None, typer.Option(help="Judge expiry as of this date (YYYY-MM-DD).")
    ] = None,
    faces: Annotated[
        bool, typer.Option(help="Look for the portrait (a missing one is a tamper signal).")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Read MRZ and visual fields, judge quality and validity, list tampering signals."""
    try:
        as_of = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        fail("--today must be YYYY-MM-DD", as_json=as_json, code=2)
    from aegis.checks.document.mrz_reader import MrzModelError

    try:
        mrz = mrz_config()
    except MrzModelError as exc:
        fail(str(exc), as_json=as_json, code=2)
    unreadable = False
    for path in images:
        try:
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no such file")
            data = read_one(path, kind=kind, today=as_of, faces=faces, mrz=mrz)
        except (OSError, AegisError) as exc:
            unreadable = True
            message = exc.detail if isinstance(exc, AegisError) else str(exc)
            data = {"image": str(path), "error": message}
        if as_json:
            sys.stdout.write(orjson.dumps(data).decode() + "\n")
            sys.stdout.flush()
        elif "error" in data:
            Console(stderr=True).print(f"[red]error:[/red] {data['error']}", highlight=False)
        else:
            _human(data)
    if unreadable:
        raise SystemExit(2)
