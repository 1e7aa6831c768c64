"""fetch_list over httpx.MockTransport: never the network."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from aegis.screening.entities import ListFileError
from aegis.screening.lists import ListFetchError, fetch_list
from tests.screening.lists.fixtures import (
    CSL_HEADER,
    UN_ENTITY,
    UN_INDIVIDUAL,
    csl_row,
    ofac_line,
    sdn_folder,
    un_xml,
)


def _client(files: dict[str, bytes], seen: list[str] | None = None) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request.url.path)
        body = files.get(request.url.path)
        return httpx.Response(404) if body is None else httpx.Response(200, content=body)

    return httpx.Client(transport=httpx.MockTransport(handler))


def _failing(error: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(error))


@pytest.fixture
def sdn_files(tmp_path: Path) -> dict[str, bytes]:
    folder = sdn_folder(tmp_path / "source")
    return {f"/ofac/{p.name}": p.read_bytes() for p in folder.iterdir()}


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_base_url(tmp_path: Path, sdn_files: dict[str, bytes]) -> None:
    seen: list[str] = []
    dest = tmp_path / "dest"
    loaded = fetch_list(
        "ofac-csv", "https://lists.test/ofac/", dest=dest, client=_client(sdn_files, seen)
    )
    assert len(loaded.entities) == 5
    assert seen == ["/ofac/sdn.csv", "/ofac/alt.csv", "/ofac/add.csv", "/ofac/sdn_comments.csv"]
    # The optional comments file was not served (404): no harm, and no staging left behind.
    assert _listing(dest) == ["add.csv", "alt.csv", "sdn.csv"]
    assert (dest / "sdn.csv").read_bytes() == sdn_files["/ofac/sdn.csv"]


def test_url_of_one_file_names_the_folder(tmp_path: Path, sdn_files: dict[str, bytes]) -> None:
    files = {path.upper(): body for path, body in sdn_files.items()}
    seen: list[str] = []
    fetch_list(
        "ofac-csv",
        "https://lists.test/OFAC/SDN.CSV",
        dest=tmp_path / "d",
        client=_client(files, seen),
    )
    assert seen == ["/OFAC/SDN.CSV", "/OFAC/ALT.CSV", "/OFAC/ADD.CSV", "/OFAC/SDN_COMMENTS.CSV"]
    assert _listing(tmp_path / "d") == ["add.csv", "alt.csv", "sdn.csv"]


def test_url_list_in_any_case(tmp_path: Path, sdn_files: dict[str, bytes]) -> None:
    files = {path.upper(): body for path, body in sdn_files.items()}
    urls = [f"https://lists.test{path}" for path in files]
    loaded = fetch_list("ofac-csv", urls, dest=tmp_path / "d", client=_client(files))
    assert len(loaded.entities) == 5
    assert _listing(tmp_path / "d") == ["add.csv", "alt.csv", "sdn.csv"]


def test_url_list_must_name_the_files(tmp_path: Path, sdn_files: dict[str, bytes]) -> None:
    with pytest.raises(ListFetchError, match=re.escape("missing add.csv")):
        fetch_list(
            "ofac-csv",
            ["https://lists.test/ofac/sdn.csv", "https://lists.test/ofac/alt.csv"],
            dest=tmp_path,
            client=_client(sdn_files),
        )
    with pytest.raises(ListFetchError, match="only http and https"):
        fetch_list("un-xml", "file:///etc/passwd", dest=tmp_path)


def test_a_failed_download_leaves_the_last_good_list(
    tmp_path: Path, sdn_files: dict[str, bytes]
) -> None:
    dest = tmp_path / "dest"
    fetch_list("ofac-csv", "https://lists.test/ofac", dest=dest, client=_client(sdn_files))
    before = {name: (dest / name).read_bytes() for name in _listing(dest)}

    broken = dict(sdn_files)
    del broken["/ofac/alt.csv"]
    with pytest.raises(ListFetchError, match=r"^https://lists.test/ofac/alt.csv: HTTP 404$"):
        fetch_list("ofac-csv", "https://lists.test/ofac", dest=dest, client=_client(broken))

    # A server error page served as the file: it does not load, so it is not kept.
    garbage = {**sdn_files, "/ofac/sdn.csv": b"<html><body>Maintenance</body></html>"}
    with pytest.raises(ListFileError, match=re.escape("sdn.csv")):
        fetch_list("ofac-csv", "https://lists.test/ofac", dest=dest, client=_client(garbage))

    def unavailable(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    with pytest.raises(ListFetchError, match="HTTP 503"):
        fetch_list("ofac-csv", "https://lists.test/ofac", dest=dest, client=_failing(unavailable))

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ListFetchError, match=r"download failed \(ConnectError\)"):
        fetch_list("ofac-csv", "https://lists.test/ofac", dest=dest, client=_failing(refused))

    assert {name: (dest / name).read_bytes() for name in _listing(dest)} == before


def test_stale_optional_file_is_removed(tmp_path: Path, sdn_files: dict[str, bytes]) -> None:
    dest = tmp_path / "dest"
    with_comments = {**sdn_files, "/ofac/sdn_comments.csv": (ofac_line(10, "x") + "\r\n").encode()}
    fetch_list("ofac-csv", "https://lists.test/ofac", dest=dest, client=_client(with_comments))
    assert "sdn_comments.csv" in _listing(dest)
    fetch_list("ofac-csv", "https://lists.test/ofac", dest=dest, client=_client(sdn_files))
    assert "sdn_comments.csv" not in _listing(dest)


def test_single_file_formats(tmp_path: Path) -> None:
    files = {"/un/consolidated.xml": un_xml(UN_INDIVIDUAL, UN_ENTITY)}
    loaded = fetch_list(
        "un-xml",
        "https://lists.test/un/consolidated.xml",
        dest=tmp_path / "un",
        client=_client(files),
    )
    assert len(loaded.entities) == 2
    assert _listing(tmp_path / "un") == ["consolidated.xml"]

    # A secret in the query string never reaches an error message.
    with pytest.raises(ListFetchError) as caught:
        fetch_list(
            "ftm",
            "https://user:pw@lists.test/ftm/entities.ftm.json?api_key=SECRET",
            dest=tmp_path / "ftm",
            client=_client({}),
        )
    assert str(caught.value) == "https://lists.test/ftm/entities.ftm.json: HTTP 404"


def test_csl_urls(tmp_path: Path) -> None:
    csl = "\n".join([CSL_HEADER, csl_row(source="Entity List (EL) - BIS", name="ACME")]) + "\n"
    files = {"/api/consolidated.csv": csl.encode()}
    loaded = fetch_list(
        "csl", ["https://lists.test/api/consolidated.csv"], dest=tmp_path, client=_client(files)
    )
    assert [e.name for e in loaded.entities] == ["ACME"]
    assert (tmp_path / "csl.csv").exists()
