"""Document photo quality: calibrated on synthetic ID cards, sanity-checked on real specimens.

The synthetic set is one clean card per seed and deliberately spoiled copies of it; each copy
should raise exactly the code its spoiling calls for. Run with ``-s`` to see the table:

    .venv/bin/pytest -q -s -p no:cacheprovider tests/checks/document/test_quality.py
"""

from __future__ import annotations

import io
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aegis.checks.document import quality as q
from aegis.checks.document.synthetic import cn_id as syn
from aegis.checks.result import Outcome
from tests.checks.helpers import SHARED_DATA

CODES = (q.LOW_RESOLUTION, q.BLURRY, q.GLARE, q.TOO_DARK, q.CROPPED)
EXPECTED: dict[str, tuple[str, ...]] = {
    "photo": (),
    "scan": (),
    "mild_blur": (),
    "mild_shake": (),
    "blurred": (q.BLURRY,),
    "shaken": (q.BLURRY,),
    "glare": (q.GLARE,),
    "washed_out": (q.GLARE,),
    "dark": (q.TOO_DARK,),
    "off_frame": (q.CROPPED,),
    "cut_scan": (q.CROPPED,),
    "low_res": (q.LOW_RESOLUTION,),
}
SEEDS = range(10)
SPECIMENS = SHARED_DATA / "mrz"
# Specimen files without a document's MRZ (test pages, a cartoon, a bank card).
NOT_DOCUMENTS = ("pacman", "tesseract-test", "nomrz")


def variants(seed: int) -> tuple[float, dict[str, np.ndarray]]:
    """The true dpi of the card, and its good and spoiled copies."""
    rng = np.random.default_rng(seed)
    px_per_mm = rng.uniform(9.5, 14)
    card = syn.render_front(syn.make_card(seed), px_per_mm=px_per_mm, seed=seed)
    photo = syn.photo_of(card, rng, card_fraction=rng.uniform(0.6, 0.85))
    photo = syn.jpeg(syn.noise(photo, 3, rng), 85)
    side = ((-0.35, 0), (0.35, 0), (0, -0.4), (0, 0.4))[seed % 4]
    dpi = px_per_mm * 25.4
    out = {
        "photo": photo,
        "scan": syn.jpeg(card, 90),
        "mild_blur": syn.blur(photo, 1.0),
        "mild_shake": syn.motion_blur(photo, 5, rng.uniform(0, 180)),
        "blurred": syn.blur(photo, rng.uniform(2.5, 4)),
        "shaken": syn.motion_blur(photo, int(rng.integers(18, 28)), rng.uniform(0, 180)),
        "glare": syn.photo_of(syn.glare(card, rng, area=rng.uniform(0.03, 0.08)), rng),
        "washed_out": syn.wash_out(photo, rng.uniform(0.5, 0.65)),
        "dark": syn.exposure(photo, rng.uniform(0.2, 0.35), 1.3),
        "off_frame": syn.photo_of(card, rng, shift=side),
        "cut_scan": syn.crop(card, (0, 0, rng.uniform(0.55, 0.78), 1)),
        "low_res": syn.downscale(photo, rng.uniform(40, 85) / dpi),
    }
    return dpi, out


@cache
def confusion() -> dict[str, Counter[str]]:
    """Per code: true and false positives and negatives over the whole synthetic set."""
    table = {code: Counter[str]() for code in CODES}
    for seed in SEEDS:
        _, images = variants(seed)
        for name, image in images.items():
            got = set(q.assess_quality(image).codes)
            for code in CODES:
                want = code in EXPECTED[name]
                key = {(True, True): "tp", (False, True): "fp", (True, False): "fn"}.get(
                    (want, code in got), "tn"
                )
                table[code][key] += 1
    print("\ncode                  TP  FP  FN  TN")
    for code, c in table.items():
        print(f"{code:20s} {c['tp']:3d} {c['fp']:3d} {c['fn']:3d} {c['tn']:3d}")
    return table


@pytest.mark.parametrize("code", CODES)
def test_each_code_catches_its_spoiling_and_nothing_else(code: str) -> None:
    c = confusion()[code]
    positives = c["tp"] + c["fn"]
    assert positives > 0
    assert c["tp"] / positives >= 0.9, c
    assert c["fp"] == 0, c


def test_good_copies_pass_outright() -> None:
    for seed in SEEDS[:4]:
        _, images = variants(seed)
        for name in ("photo", "scan", "mild_blur", "mild_shake"):
            report = q.assess_quality(images[name])
            assert report.codes == (), (seed, name, report.reasons, report.measures())
            assert report.result().outcome is Outcome.PASS


def test_dpi_is_estimated_from_the_document_not_the_frame() -> None:
    for seed in SEEDS[:4]:
        dpi, images = variants(seed)
        for name in ("photo", "scan"):
            report = q.assess_quality(images[name])
            assert report.document is not None and report.document.format == "ID-1"
            assert abs(report.dpi / dpi - 1) < 0.1, (name, report.dpi, dpi)


def test_a_card_on_a_table_is_found_and_straightened() -> None:
    _, images = variants(3)
    region = q.find_document(images["photo"])
    assert not region.fills_frame and region.touches == ()
    assert 0.25 < region.area_fraction < 0.8
    flat = q.warp_document(images["photo"], region, width=856)
    assert flat.shape[:2] == (540, 856)
    # The portrait sits right of centre on a straightened card: its grey silhouette is there.
    grey = q.to_gray(flat)
    assert grey[150:400, 600:780].mean() < grey[150:400, 100:400].mean()


def test_the_result_fails_with_codes_and_holds_only_measures() -> None:
    _, images = variants(1)
    report = q.assess_quality(images["blurred"])
    result = report.result()
    assert result.outcome is Outcome.FAIL
    assert result.codes == (q.BLURRY,)
    assert result.details["reasons"] == {q.BLURRY: "sharpness"}
    assert all(
        isinstance(v, int | float | str | bool | dict) or v is None for v in result.details.values()
    )


def test_thresholds_are_the_callers_to_move() -> None:
    _, images = variants(2)
    strict = q.QualityThresholds(min_dpi=10_000)
    assert q.LOW_RESOLUTION in q.assess_quality(images["photo"], strict).codes


def test_every_code_has_a_hint_in_both_languages() -> None:
    for code in CODES:
        en, zh = q.HINTS[code]
        assert en.isascii() and en.endswith(".")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def test_format_matching_by_proportions() -> None:
    assert q.match_format(85.6 / 54, 0.09) == "ID-1"
    assert q.match_format(125 / 88, 0.09) == "ID-3"
    assert q.match_format(120 / 80, 0.09) == "ID-1"  # MRV-A sits on the split, read as a card
    assert q.match_format(1.0, 0.09) is None
    assert q.match_format(2.2, 0.09) is None


def test_bad_input_is_refused_and_bytes_decode() -> None:
    with pytest.raises(ValueError, match="RGB"):
        q.assess_quality(np.zeros((1, 1), np.uint8))
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(buffer, "PNG")
    pixels = q.decode_rgb(buffer.getvalue())
    assert pixels.shape == (30, 40, 3) and tuple(pixels[0, 0]) == (10, 20, 30)


def _specimens() -> list[Path]:
    if not SPECIMENS.is_dir():
        pytest.skip(f"specimen documents not found at {SPECIMENS}")
    files = sorted(
        p
        for p in SPECIMENS.glob("*/*")
        if p.suffix in (".jpg", ".png") and not p.name.startswith(NOT_DOCUMENTS)
    )
    if not files:
        pytest.skip("no specimen images")
    return files


def test_genuine_specimens_mostly_pass() -> None:
    """Real scans: nothing blurred, dark or glared; what is flagged is small or cut."""
    reports = {
        p.name: q.assess_quality(np.asarray(Image.open(p).convert("RGB"))) for p in _specimens()
    }
    flagged = Counter(code for r in reports.values() for code in r.codes)
    clean = sum(1 for r in reports.values() if not r.codes)
    clean_but_size = sum(1 for r in reports.values() if set(r.codes) <= {q.LOW_RESOLUTION})
    print(f"\nspecimens: {len(reports)}, pass: {clean}, pass but resolution: {clean_but_size}")
    print("flagged:", dict(flagged))
    for name, r in reports.items():
        if r.codes:
            print(f"  {name}: {', '.join(r.codes)} ({r.dpi:.0f} dpi)")
    assert flagged[q.BLURRY] == 0 and flagged[q.TOO_DARK] == 0
    assert flagged[q.GLARE] <= 1
    assert clean_but_size >= 0.8 * len(reports)
    assert clean >= 0.6 * len(reports)
    # Low resolution is only ever said of images that are genuinely small.
    assert all(
        min(r.width, r.height) < 420 for r in reports.values() if q.LOW_RESOLUTION in r.codes
    )
