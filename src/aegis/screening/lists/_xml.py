"""Small helpers for reading list XML by local element names, whatever the namespace (OFAC
has changed its namespace URI more than once; the UN uses none)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aegis.screening.entities import ListFileError
from aegis.screening.lists._values import clean


def local(element: Any) -> str:
    tag = element.tag
    # Comments and processing instructions have a function, not a string, as their tag.
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children(element: Any, name: str) -> Iterator[Any]:
    return (child for child in element if local(child) == name)


def child(element: Any, name: str) -> Any:
    return next(children(element, name), None)


def text(element: Any, name: str) -> str | None:
    found = child(element, name)
    return None if found is None else clean(found.text)


def path(element: Any, *names: str) -> Iterator[Any]:
    """Every descendant along ``names``: ``path(entry, "akaList", "aka")``."""
    level: list[Any] = [element]
    for name in names:
        level = [c for parent in level for c in children(parent, name)]
    return iter(level)


def single_file(folder: Path, preferred: tuple[str, ...], suffixes: tuple[str, ...]) -> Path:
    """The list file in a folder: a preferred name, else the only file with the suffix."""
    if not folder.is_dir():
        return folder
    files = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    for name in preferred:
        if name in files:
            return files[name]
    candidates = sorted(p for name, p in files.items() if name.endswith(suffixes))
    if len(candidates) != 1:
        wanted = " or ".join(preferred) if preferred else "/".join(suffixes)
        raise ListFileError(f"{folder.name}: expected one {wanted} file in the folder")
    return candidates[0]
