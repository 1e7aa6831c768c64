"""The synthetic MRZ documents: reproducible, truthful ground truth, tampering that shows."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image

from aegis.checks.document.mrz import MrzFormat, parse_mrz
from aegis.checks.document.synthetic import degrade as dg
from aegis.checks.document.synthetic.mrz_docs import (
    ocr_b_font,
    synthetic_document,
    synthetic_documents,
)


def test_same_seed_same_document() -> None:
    a_image, a_truth, a_flag = synthetic_document(11, degraded=True, tampered=True)
    b_image, b_truth, b_flag = synthetic_document(11, degraded=True, tampered=True)
    assert a_truth == b_truth and a_flag == b_flag
    assert np.array_equal(np.asarray(a_image), np.asarray(b_image))
    _, c_truth, _ = synthetic_document(12)
    assert c_truth.lines != a_truth.lines


@pytest.mark.parametrize("fmt", list(MrzFormat))
def test_ground_truth_is_a_valid_mrz_of_the_format(fmt: MrzFormat) -> None:
    image, truth, tampered = synthetic_document(3, fmt=fmt)
    assert not tampered and truth.failed_checks == ()
    result = parse_mrz(truth.lines, correct=False)
    assert result.valid and result.format is fmt
    assert result.fields.document_number == truth.fields.document_number
    width_mm = {MrzFormat.TD1: 85.6, MrzFormat.TD2: 105.0, MrzFormat.MRV_B: 105.0}.get(fmt, 125.0)
    assert image.width == round(width_mm / 25.4 * 300)


def test_tampered_documents_fail_the_named_checks() -> None:
    for seed in range(40):
        _, truth, tampered = synthetic_document(seed, tampered=True)
        assert tampered
        result = parse_mrz(truth.lines, correct=False)
        assert not result.valid
        assert result.failed_checks == truth.failed_checks != ()


def test_mixed_set_covers_formats_flags_and_countries() -> None:
    docs = [truth for _, truth, _ in synthetic_documents(60, seed=3)]
    assert {t.format for t in docs} == set(MrzFormat)
    assert any(t.tampered for t in docs) and any(not t.tampered for t in docs)
    assert any(t.degraded for t in docs) and any(not t.degraded for t in docs)
    assert len({t.fields.issuing_country for t in docs}) >= 6
    assert any(t.fields.name_truncated for t in docs) or any(
        len(t.fields.document_number or "") > 9 for t in docs
    )


def test_mrz_drawn_at_ten_characters_per_inch() -> None:
    font = ocr_b_font(30.0)
    assert abs(font.getlength("<" * 44) - 44 * 30.0) < 44 * 1.5


def test_degrade_helpers() -> None:
    rng = random.Random(5)
    clean = Image.new("RGB", (600, 400), (240, 240, 240))
    assert dg.resample_dpi(clean, 100).size == (200, 133)
    photo = dg.photo_on_table(clean, rng)
    assert photo.width > clean.width and photo.height > clean.height
    noisy = np.asarray(dg.add_noise(clean, 8.0, rng), dtype=np.float32)
    assert 4.0 < noisy.std() < 12.0
    compressed = dg.jpeg(dg.blur(clean, 1.0), 40)
    assert compressed.size == clean.size and compressed.mode == "RGB"
    out = dg.degrade(clean, random.Random(1))
    assert out.width < clean.width  # resampled from 300 dpi to 100-150
