"""Sanctions and PEP lists, loaded from their published files into :class:`ListEntity`.

Formats (:class:`ListFormat`) and what ``path`` is for each:

``ofac-csv``
    A folder with OFAC's sdn.csv, alt.csv, add.csv and, optionally, sdn_comments.csv.
``ofac-cons``
    A folder with the consolidated (non-SDN) list: cons_prim.csv, cons_alt.csv,
    cons_add.csv, optionally cons_comments.csv.
``ofac-xml``
    OFAC's sdn.xml or consolidated.xml (or a folder holding one).
``un-xml``
    The UN Security Council consolidated list XML (or a folder holding it).
``csl``
    The US Consolidated Screening List csl.csv, BIS's dpl.txt, or a folder with either or
    both.
``ftm``
    OpenSanctions FollowTheMoney entities, one JSON object per line.

Every load is all or nothing: a file that is not the list it claims to be (truncated,
garbage, the wrong columns, an encoding no publisher uses, more than 5% unusable rows)
raises :class:`ListFileError` naming the file and line or element, never the data in it; a
few odd rows are skipped and counted in :attr:`LoadedList.warnings`.

Exceptions::

    ValueError
    └── ListFileError        a list file that cannot be loaded (also: unknown format)
        └── ListFetchError   a download that failed (network error, HTTP error status)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from aegis.screening.entities import ListFileError, ListFormat
from aegis.screening.lists import _csl, _fetch, _ftm, _ofac_csv, _ofac_xml, _un_xml
from aegis.screening.lists._model import ListFetchError, LoadedList

__all__ = ["ListFetchError", "ListFileError", "ListFormat", "LoadedList", "fetch_list", "load_list"]

_LOADERS: dict[ListFormat, Callable[[Path], LoadedList]] = {
    ListFormat.OFAC_CSV: lambda path: _ofac_csv.load(path, _ofac_csv.SDN),
    ListFormat.OFAC_CONS: lambda path: _ofac_csv.load(path, _ofac_csv.CONSOLIDATED),
    ListFormat.OFAC_XML: _ofac_xml.load,
    ListFormat.UN_XML: _un_xml.load,
    ListFormat.CSL: _csl.load,
    ListFormat.FTM: _ftm.load,
}


def _format(fmt: ListFormat | str) -> ListFormat:
    try:
        return ListFormat(fmt)
    except ValueError:
        known = ", ".join(f.value for f in ListFormat)
        raise ListFileError(f"unknown list format {fmt!r}; expected one of {known}") from None


def load_list(fmt: ListFormat | str, path: Path) -> LoadedList:
    """Load a list from local files; raises :class:`ListFileError`."""
    list_format = _format(fmt)
    path = Path(path)
    try:
        return _LOADERS[list_format](path)
    except ListFileError:
        raise
    except Exception as exc:
        # A file shape no check above foresaw: still a bad file to the caller, with the
        # cause chained for whoever fixes the loader.
        raise ListFileError(
            f"{path.name}: cannot be loaded as {list_format.value} ({type(exc).__name__})"
        ) from exc


def fetch_list(
    fmt: ListFormat | str,
    url: str | list[str],
    *,
    dest: Path,
    timeout: float = 60,
    client: httpx.Client | None = None,
) -> LoadedList:
    """Download a list into ``dest`` (a folder) and load it.

    For ``ofac-csv`` and ``ofac-cons``, ``url`` is either the URLs of the files (named
    sdn.csv, alt.csv, add.csv and optionally sdn_comments.csv, in any case) or a base URL to
    which those names are appended. For ``csl``, the URLs of csl.csv and/or dpl.txt. For
    the other formats, the URL of the one file. The files replace those in ``dest`` only
    once they have loaded; a failed download or load leaves ``dest`` as it was. Raises
    :class:`ListFetchError` for download failures and :class:`ListFileError` for bad files.
    """
    return _fetch.fetch(
        _format(fmt), url, dest=Path(dest), timeout=timeout, client=client, load=load_list
    )
