"""Downloading a list for an operator: fetch every file, load them, and only then put them in
place, so the destination folder always holds the last list that loaded, never a partial or
broken download."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from aegis.screening.entities import ListFormat
from aegis.screening.lists import _csl, _ofac_csv
from aegis.screening.lists._model import ListFetchError, LoadedList

_FOLDER_FORMATS = {
    ListFormat.OFAC_CSV: _ofac_csv.SDN,
    ListFormat.OFAC_CONS: _ofac_csv.CONSOLIDATED,
}
_DEFAULT_NAMES = {
    ListFormat.OFAC_XML: "sdn.xml",
    ListFormat.UN_XML: "consolidated.xml",
    ListFormat.FTM: "entities.ftm.json",
}
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True, slots=True, kw_only=True)
class _File:
    url: str
    name: str
    required: bool = True


def shown(url: str) -> str:
    """The URL without credentials, query or fragment: what an error message may say."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _basename(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _plan(fmt: ListFormat, url: str | list[str]) -> list[_File]:
    urls = [url] if isinstance(url, str) else list(url)
    if not urls:
        raise ListFetchError("no URL given")
    for item in urls:
        if urlsplit(item).scheme not in {"http", "https"}:
            raise ListFetchError(f"{shown(item)}: only http and https URLs are fetched")
    layout = _FOLDER_FORMATS.get(fmt)
    if layout is not None:
        required = layout.names[:3]
        if isinstance(url, str):
            base, given = url.rstrip("/"), _basename(url)
            upper = False
            # The URL of one of the files ("…/SDN.CSV"): its folder is the base, and the
            # server's spelling of the names is kept.
            if given.lower() in layout.names:
                base, upper = base.rsplit("/", 1)[0], given.isupper()
            return [
                _File(url=f"{base}/{n.upper() if upper else n}", name=n, required=n in required)
                for n in layout.names
            ]
        files = {_basename(item).lower(): item for item in urls}
        unknown = [shown(files[n]) for n in files if n not in layout.names]
        missing = [n for n in required if n not in files]
        if unknown or missing:
            raise ListFetchError(
                f"{fmt.value} needs URLs of {', '.join(layout.names)}; "
                f"missing {', '.join(missing) or 'none'}, unexpected {', '.join(unknown) or 'none'}"
            )
        return [_File(url=files[n], name=n) for n in layout.names if n in files]
    if fmt is ListFormat.CSL:
        plan = [
            _File(
                url=item,
                name=_csl.DPL_NAME if _basename(item).lower().endswith(".txt") else _csl.CSL_NAME,
            )
            for item in urls
        ]
        if len({f.name for f in plan}) != len(plan):
            raise ListFetchError("csl takes at most one csl.csv URL and one dpl.txt URL")
        return plan
    if len(urls) != 1:
        raise ListFetchError(f"{fmt.value} is one file: give one URL")
    name = _basename(urls[0])
    default = _DEFAULT_NAMES[fmt]
    if not _SAFE_NAME.fullmatch(name) or not name.lower().endswith(default.rsplit(".", 1)[-1]):
        name = default
    return [_File(url=urls[0], name=name)]


def _download(client: httpx.Client, file: _File, target: Path, timeout: float) -> bool:
    try:
        with client.stream("GET", file.url, timeout=timeout) as response:
            if response.status_code == 404 and not file.required:
                return False
            if not response.is_success:
                raise ListFetchError(f"{shown(file.url)}: HTTP {response.status_code}")
            with target.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
    except httpx.HTTPError as exc:
        raise ListFetchError(f"{shown(file.url)}: download failed ({type(exc).__name__})") from None
    return True


def fetch(
    fmt: ListFormat,
    url: str | list[str],
    *,
    dest: Path,
    timeout: float,
    client: httpx.Client | None,
    load: Callable[[ListFormat, Path], LoadedList],
) -> LoadedList:
    plan = _plan(fmt, url)
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=dest))
    http = client or httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        fetched = [file for file in plan if _download(http, file, staging / file.name, timeout)]
        folder = fmt in _FOLDER_FORMATS or fmt is ListFormat.CSL
        loaded = load(fmt, staging if folder else staging / plan[0].name)
        for file in plan:
            if file in fetched:
                os.replace(staging / file.name, dest / file.name)
            else:
                # An optional file the source no longer serves must not outlive it here.
                (dest / file.name).unlink(missing_ok=True)
        return loaded
    finally:
        if client is None:
            http.close()
        shutil.rmtree(staging, ignore_errors=True)
