"""Damaged files of every format: each either loads or raises ListFileError from a check
that foresaw it (not from load_list's last-resort net), never another exception."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aegis.screening.entities import ListFileError
from aegis.screening.lists import LoadedList, load_list
from tests.screening.lists.fixtures import (
    CSL_HEADER,
    SDN_XML_ENTRIES,
    UN_ENTITY,
    UN_INDIVIDUAL,
    csl_row,
    ftm,
    ftm_lines,
    ofac_xml,
    sdn_folder,
    un_xml,
)


def _sdn(folder: Path) -> bytes:
    sdn_folder(folder)
    return (folder / "sdn.csv").read_bytes()


VALID: dict[str, tuple[str, Callable[[Path], bytes]]] = {
    "ofac-csv": ("sdn.csv", _sdn),
    "ofac-xml": ("sdn.xml", lambda _: ofac_xml(SDN_XML_ENTRIES)),
    "un-xml": ("consolidated.xml", lambda _: un_xml(UN_INDIVIDUAL, UN_ENTITY)),
    "csl": (
        "csl.csv",
        lambda _: (
            "\n".join(
                [
                    CSL_HEADER,
                    *(csl_row(source="Entity List (EL)", name=f"N {i}") for i in range(5)),
                    "",
                ]
            )
        ).encode(),
    ),
    "ftm": (
        "entities.ftm.json",
        lambda _: ftm_lines(
            *(ftm(f"p{i}", "Person", name=[f"P {i}"], birthDate=["1970"]) for i in range(5))
        ),
    ),
}


def _load_damaged(fmt: str, damage: Callable[[bytes], bytes]) -> LoadedList | ListFileError:
    name, make = VALID[fmt]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = make(folder)
        (folder / name).write_bytes(damage(data))
        try:
            return load_list(fmt, folder if fmt == "ofac-csv" else folder / name)
        except ListFileError as exc:
            error = exc
    assert "cannot be loaded as" not in str(error), error.__cause__
    return error


@pytest.mark.parametrize("fmt", sorted(VALID))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.floats(0, 1), edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=6)
)
def test_damaged_files(fmt: str, cut: float, edits: list[tuple[float, int]]) -> None:
    def damage(data: bytes) -> bytes:
        out = bytearray(data[: int(len(data) * cut)])
        for where, byte in edits:
            if out:
                out[int(where * (len(out) - 1))] = byte
        return bytes(out)

    _load_damaged(fmt, damage)


@pytest.mark.parametrize("fmt", sorted(VALID))
@settings(max_examples=25, deadline=None)
@given(junk=st.binary(max_size=2000))
def test_random_bytes(fmt: str, junk: bytes) -> None:
    result = _load_damaged(fmt, lambda _: junk)
    if isinstance(result, LoadedList):
        assert result.entities  # never an empty list passed off as loaded


@pytest.mark.parametrize("fmt", sorted(VALID))
def test_truncated_files_never_load_half(fmt: str) -> None:
    _, make = VALID[fmt]
    with tempfile.TemporaryDirectory() as tmp:
        whole = make(Path(tmp))
    result = _load_damaged(fmt, lambda data: data[: len(whole) // 2])
    # A cut XML document is refused; line formats lose the cut line, and with these few
    # records that is more than the tolerated 5%.
    assert isinstance(result, ListFileError)


def test_the_last_resort_net(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from aegis.screening import lists

    def broken(path: Path) -> LoadedList:
        raise KeyError("surprise")

    monkeypatch.setitem(lists._LOADERS, lists.ListFormat.FTM, broken)
    with pytest.raises(ListFileError, match=r"^x.json: cannot be loaded as ftm \(KeyError\)$"):
        load_list("ftm", tmp_path / "x.json")
