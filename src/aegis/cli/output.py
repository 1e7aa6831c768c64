"""Human text by default, exactly one JSON document on stdout with --json."""

from __future__ import annotations

import sys
from typing import Any

import orjson
from rich.console import Console

err = Console(stderr=True)


def emit(data: Any, *, as_json: bool, human: str | None = None) -> None:
    if as_json:
        sys.stdout.write(
            orjson.dumps(data, default=str, option=orjson.OPT_INDENT_2).decode() + "\n"
        )
    else:
        Console().print(human if human is not None else data)


def fail(message: str, *, as_json: bool, code: int = 1) -> None:
    if as_json:
        sys.stdout.write(orjson.dumps({"error": message}).decode() + "\n")
    else:
        err.print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False)
    raise SystemExit(code)
