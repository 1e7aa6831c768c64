"""The MRZ reader on images: synthetic documents of every format, turned, degraded, tampered;
images without an MRZ; and the public specimens in ../shared/data when present."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from aegis.checks.document.mrz import MrzFormat
from aegis.checks.document.mrz_reader import (
    MODEL_DIR,
    MODEL_LANGUAGE,
    MrzModelError,
    MrzReaderConfig,
    read_mrz,
)
from aegis.checks.document.synthetic.mrz_docs import synthetic_document, synthetic_documents
from aegis.cli.main import app

SPECIMENS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "mrz"
NO_MRZ_PREFIXES = ("pacman.", "tesseract-test", "0_", "nomrz.")
# Pictures with no document at all (the 0_* specimens do show an MRZ, with wrong digits).
NO_DOCUMENT_PREFIXES = ("pacman.", "tesseract-test", "nomrz.")


@pytest.mark.parametrize("fmt", list(MrzFormat))
def test_reads_every_format(fmt: MrzFormat) -> None:
    image, truth, _ = synthetic_document(21, fmt=fmt)
    read = read_mrz(image)
    assert read is not None
    assert read.valid and read.format is fmt
    assert read.fields == truth.fields
    assert read.lines == truth.lines


@pytest.mark.parametrize("angle", [90, 180, 270])
def test_reads_a_turned_document(angle: int) -> None:
    image, truth, _ = synthetic_document(22, fmt=MrzFormat.TD3)
    read = read_mrz(image.rotate(angle, expand=True))
    assert read is not None and read.valid
    assert read.fields == truth.fields
    assert read.rotation != 0


def test_reads_arrays_and_huge_images() -> None:
    image, truth, _ = synthetic_document(23, fmt=MrzFormat.TD1)
    read = read_mrz(np.asarray(image))
    assert read is not None and read.fields == truth.fields
    grey = read_mrz(np.asarray(image.convert("L")))
    assert grey is not None and grey.fields == truth.fields
    huge = image.resize((image.width * 4, image.height * 4))
    big = read_mrz(huge)
    assert big is not None and big.fields == truth.fields


def test_tampered_zone_is_read_and_flagged() -> None:
    for seed in (31, 32, 33):
        image, truth, tampered = synthetic_document(seed, tampered=True)
        read = read_mrz(image)
        assert tampered and read is not None
        assert not read.valid
        assert set(truth.failed_checks) <= set(read.failed_checks)


def _text_page() -> Image.Image:
    page = Image.new("RGB", (1000, 700), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 26)
    for i in range(12):
        draw.text(
            (30, 30 + 52 * i),
            f"LINE {i} THE QUICK BROWN FOX 0123456789 <<< JUMPS",
            fill="black",
            font=font,
        )
    return page


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (800, 600), "white"),
        Image.fromarray(np.random.default_rng(1).integers(0, 255, (600, 800, 3), dtype=np.uint8)),
        _text_page(),
    ],
    ids=["blank", "noise", "text"],
)
def test_no_mrz_no_read(image: Image.Image) -> None:
    assert read_mrz(image) is None


def test_operator_model_folder(tmp_path: Path) -> None:
    source = MODEL_DIR / f"{MODEL_LANGUAGE}.traineddata"
    if not source.exists():
        pytest.skip("no shipped model to copy")
    shutil.copy(source, tmp_path / "custom.traineddata")
    config = MrzReaderConfig(tessdata_dir=tmp_path, language="custom")
    assert config.tesseract_args()[0] == "custom"
    image, truth, _ = synthetic_document(24, fmt=MrzFormat.TD2)
    read = read_mrz(image, config=config)
    assert read is not None and read.fields == truth.fields
    config.check_model()
    missing = MrzReaderConfig(tessdata_dir=tmp_path, language="absent")
    with pytest.raises(MrzModelError, match=r"absent\.traineddata"):
        missing.check_model()
    with pytest.raises(Exception, match=r"(?i)absent|load|tesseract"):
        read_mrz(image, config=missing)


def test_a_missing_model_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    MrzReaderConfig().check_model()  # the shipped model
    MrzReaderConfig(language="eng").check_model()
    with pytest.raises(MrzModelError, match="no language 'klingon'"):
        MrzReaderConfig(language="klingon").check_model()
    monkeypatch.setenv("AEGIS_MRZ_LANGUAGE", "klingon")
    out = CliRunner().invoke(app, ["document", "read", "whatever.jpg", "--json"])
    assert out.exit_code == 2
    assert "klingon" in out.output and "Traceback" not in out.output


def test_synthetic_sample_rates() -> None:
    """Acceptance on a sample: >= 97% of untampered read exactly, every tampered flagged."""
    exact = untampered = flagged = forged = 0
    for image, truth, tampered in synthetic_documents(40, seed=2):
        read = read_mrz(image)
        if tampered:
            forged += 1
            flagged += bool(
                read is not None
                and not read.valid
                and set(truth.failed_checks) & set(read.failed_checks)
            )
        else:
            untampered += 1
            exact += bool(read is not None and read.valid and read.fields == truth.fields)
    assert forged >= 4 and untampered >= 25
    assert exact / untampered >= 0.97
    assert flagged == forged


def test_specimens() -> None:
    """Acceptance: >= 90% of specimen images with an MRZ read fully valid, no false reads."""
    paths = sorted(
        p
        for folder in ("passporteye", "fastmrz")
        for p in (SPECIMENS / folder).glob("*")
        if p.suffix.lower() in (".jpg", ".png")
    )
    if not paths:
        pytest.skip(f"specimens absent: {SPECIMENS}")
    with_mrz = valid = 0
    false_reads = []
    for path in paths:
        with Image.open(path) as image:
            image.load()
            read = read_mrz(image)
        if path.name.startswith(NO_MRZ_PREFIXES):
            if read is not None and read.valid:
                false_reads.append(path.name)
            if path.name.startswith(NO_DOCUMENT_PREFIXES) and read is not None:
                false_reads.append(path.name)
        else:
            with_mrz += 1
            valid += bool(read is not None and read.valid)
    assert with_mrz >= 40
    assert false_reads == []
    assert valid / with_mrz >= 0.9, f"{valid}/{with_mrz}"


def test_check_result_codes() -> None:
    from aegis.checks.document.mrz import parse_mrz
    from aegis.checks.document.mrz_reader import MrzRead, mrz_check_result
    from aegis.checks.result import Outcome
    from tests.checks.document.test_mrz import TD3

    def read(lines: tuple[str, ...]) -> MrzRead:
        return MrzRead(
            result=parse_mrz(lines), rotation=0, box=(0, 0, 0, 0), variant="t", ocr_calls=1
        )

    assert mrz_check_result(None).codes == ("MRZ_UNREADABLE",)
    assert mrz_check_result(None).outcome is Outcome.REVIEW
    passed = mrz_check_result(read(TD3))
    assert passed.outcome is Outcome.PASS and passed.details["format"] == "TD3"
    tampered = (TD3[0], TD3[1][:19] + "3" + TD3[1][20:])
    failed = mrz_check_result(read(tampered))
    assert failed.codes == ("MRZ_CHECK_DIGIT_FAILED",)
    assert failed.details["failed_checks"] == ["birth_date", "composite"]
    assert "ERIKSSON" not in repr(failed.details) and "L898902C3" not in repr(failed.details)


@pytest.mark.parametrize("fmt", [MrzFormat.TD1, MrzFormat.TD3])
def test_band_found_at_the_bottom(fmt: MrzFormat) -> None:
    from aegis.checks.document.mrz_band import find_bands
    from aegis.checks.document.mrz_reader import to_gray

    image, truth, _ = synthetic_document(25, fmt=fmt, degraded=True)
    gray = to_gray(image)
    band = find_bands(gray)[0]
    assert band.lines == len(truth.lines)
    assert band.cy > 0.6 * gray.shape[0]
    assert band.w > 0.6 * gray.shape[1]
    assert abs(band.angle) <= 4


def test_vote_outvotes_a_single_misread() -> None:
    from aegis.checks.document.mrz import parse_mrz
    from aegis.checks.document.mrz_reader import _vote, plausible
    from tests.checks.document.test_mrz import TD3

    good = parse_mrz(TD3)
    bad_a = parse_mrz((TD3[0], TD3[1].replace("7408122", "7408127")))
    bad_b = parse_mrz((TD3[0], TD3[1].replace("1204159", "1204169")))
    assert not bad_a.valid and not bad_b.valid and plausible(bad_a)
    voted = _vote([bad_a, bad_b, good], None)
    assert voted is not None and voted.valid and voted.lines == TD3
    assert _vote([bad_a, bad_b], None) is None
