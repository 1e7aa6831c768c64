"""Train the project's own Tesseract LSTM model for MRZ text in OCR-B (lang ``aegis_mrz``).

Debian's ``eng`` model reads OCR-B poorly (fillers ``<`` come out as K, S or C; O and 0, D
and 0 swap), so the MRZ reader ships a small model of its own, trained from scratch here on
lines drawn with the Debian OCR-B font (fonts-ocr-b) and degraded the way uploads are. Only
Debian's tesseract training tools are used (text2image is not needed: we draw the lines).

    .venv/bin/python scripts/train_mrz_model.py --work /tmp/aegis-mrz-train \\
        [--lines 6000] [--iterations 12000] [--jobs 2]

Writes src/aegis/checks/document/tessdata/aegis_mrz.traineddata (integer model, fast).
Steps: draw line images with their ground truth, make .lstmf files with ``tesseract ...
lstm.train``, build the unicharset and starter model (unicharset_extractor,
combine_lang_model), train with lstmtraining, then convert to an integer model.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import string
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from aegis.checks.document.mrz import MrzFormat, compose_mrz
from aegis.checks.document.synthetic.mrz_docs import ocr_b_font, random_identity

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "aegis" / "checks" / "document" / "tessdata" / "aegis_mrz.traineddata"
ALPHABET = string.ascii_uppercase + string.digits + "<"
# Small: one font, 37 characters. Input height 36 as Tesseract's own models.
NET_SPEC = "[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx128 O1c{classes}]"


def line_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.7:
        fmt = rng.choice(list(MrzFormat))
        lines = compose_mrz(random_identity(rng, fmt), fmt)
        return rng.choice(lines)
    # Random strings keep the model from learning where fields sit.
    length = rng.choice((30, 36, 44))
    out = []
    while len(out) < length:
        if rng.random() < 0.25:
            out += ["<"] * rng.randint(1, 12)
        else:
            out.append(rng.choice(ALPHABET))
    return "".join(out[:length])


def _background(width: int, height: int, paper: int, rng: random.Random) -> np.ndarray:
    """Plain paper, or a security print: fine waves and a gradient under the text."""
    base = np.full((height, width), float(paper), dtype=np.float32)
    if rng.random() < 0.45:
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        for _ in range(rng.randint(1, 3)):
            fx, fy = rng.uniform(-0.15, 0.15), rng.uniform(-0.3, 0.3)
            base += rng.uniform(6, 35) * np.sin(x * fx + y * fy + rng.uniform(0, 6.3))
        base += np.linspace(0, rng.uniform(-40, 40), width, dtype=np.float32)[None, :]
    return base


def draw_line(text: str, rng: random.Random) -> Image.Image:
    pitch = rng.uniform(10, 40)
    font = ocr_b_font(pitch)
    ink, paper = rng.randint(0, 90), rng.randint(160, 255)
    margin_x, margin_y = int(pitch * rng.uniform(0.3, 1.5)), int(pitch * rng.uniform(0.3, 0.9))
    left, top, right, bottom = font.getbbox(text)
    width, height = right - left + 2 * margin_x, bottom - top + 2 * margin_y
    mask = Image.new("L", (width, height), 0)
    stroke = 1 if pitch > 22 and rng.random() < 0.3 else 0
    ImageDraw.Draw(mask).text(
        (margin_x - left, margin_y - top),
        text,
        fill=255,
        font=font,
        stroke_width=stroke,
        stroke_fill=255,
    )
    # Printers differ: heavier or lighter strokes, slightly wider or narrower characters.
    roll = rng.random()
    if roll < 0.25 and pitch > 16:
        mask = mask.filter(ImageFilter.MaxFilter(3))
    elif roll < 0.4 and pitch > 24:
        mask = mask.filter(ImageFilter.MinFilter(3))
    if rng.random() < 0.4:
        width = max(16, int(width * rng.uniform(0.85, 1.15)))
        mask = mask.resize((width, height), Image.Resampling.BILINEAR)
    alpha = np.asarray(mask, dtype=np.float32) / 255.0
    arr = _background(width, height, paper, rng) * (1 - alpha) + ink * alpha
    image = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    image = image.rotate(
        rng.uniform(-0.8, 0.8), Image.Resampling.BICUBIC, expand=False, fillcolor=paper
    )
    if rng.random() < 0.6:  # low resolution, upscaled again as the reader does
        factor = rng.uniform(0.3, 0.9)
        small = image.resize(
            (max(8, int(width * factor)), max(8, int(height * factor))), Image.Resampling.BILINEAR
        )
        image = small.resize((width, height), Image.Resampling.BICUBIC)
    if rng.random() < 0.6:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.3)))
    arr = np.asarray(image, dtype=np.float32)
    arr += np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(0, 14), arr.shape)
    image = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if rng.random() < 0.5:
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=rng.randint(30, 90))
        image = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    if rng.random() < 0.35:
        gray = np.asarray(image)
        _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        image = Image.fromarray(binary)
    return image


def write_sample(work: Path, index: int, seed: int) -> Path:
    rng = random.Random(seed * 1_000_003 + index)  # noqa: S311 - training data
    text = line_text(rng)
    image = draw_line(text, rng)
    base = work / f"line_{index:05d}"
    image.save(base.with_suffix(".png"))
    base.with_suffix(".gt.txt").write_text(text + "\n")
    # One box per character spanning the whole line (Tesseract's line-level box format).
    w, h = image.size
    boxes = "".join(f"{c} 0 0 {w} {h} 0\n" for c in text) + f"\t 0 0 {w} {h} 0\n"
    base.with_suffix(".box").write_text(boxes)
    subprocess.run(
        ["tesseract", str(base.with_suffix(".png")), str(base), "--psm", "13", "lstm.train"],
        check=True,
        capture_output=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    return base.with_suffix(".lstmf")


def run(*args: str) -> None:
    print("+", " ".join(args), file=sys.stderr)
    # One thread: OpenMP threads fight over a shared machine and train no faster.
    subprocess.run(args, check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/aegis-mrz-train"))
    parser.add_argument("--lines", type=int, default=6000)
    parser.add_argument("--eval-lines", type=int, default=300)
    parser.add_argument("--iterations", type=int, default=12000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-data", action="store_true", help="reuse the lines in --work")
    parser.add_argument("--data-only", action="store_true", help="draw the lines and stop")
    parser.add_argument("--extra-lines", type=Path, help="another --work whose lines join training")
    parser.add_argument("--continue-from", type=Path, help="a checkpoint to go on from")
    parser.add_argument("--learning-rate", default="0.002")
    parser.add_argument("--output", type=Path, default=OUT)
    args = parser.parse_args()
    work: Path = args.work
    lines_dir = work / "lines"
    if not args.skip_data:
        shutil.rmtree(lines_dir, ignore_errors=True)
        lines_dir.mkdir(parents=True)
        total = args.lines + args.eval_lines
        with ThreadPoolExecutor(args.jobs) as pool:
            files = list(pool.map(lambda i: write_sample(lines_dir, i, args.seed), range(total)))
        (work / "train.txt").write_text("".join(f"{f}\n" for f in files[: args.lines]))
        (work / "eval.txt").write_text("".join(f"{f}\n" for f in files[args.lines :]))
    if args.data_only:
        return
    train_list = work / "train.txt"
    if args.extra_lines:
        train_list = work / "train_all.txt"
        train_list.write_text(
            (work / "train.txt").read_text() + (args.extra_lines / "train.txt").read_text()
        )
    (work / "all.txt").write_text(ALPHABET + "\n")
    run(
        "unicharset_extractor",
        "--output_unicharset",
        str(work / "unicharset"),
        "--norm_mode",
        "1",
        str(work / "all.txt"),
    )
    script_dir = work / "langdata"
    script_dir.mkdir(exist_ok=True)
    (work / "starter" / "aegis_mrz").mkdir(parents=True, exist_ok=True)
    # Read even for Latin; it only matters for Han, so an empty table will do.
    (script_dir / "radical-stroke.txt").write_text("4E00\t1.0\n")
    run(
        "combine_lang_model", "--input_unicharset", str(work / "unicharset"),
        "--script_dir", str(script_dir), "--output_dir", str(work / "starter"),
        "--lang", "aegis_mrz", "--pass_through_recoder",
    )  # fmt: skip
    starter = work / "starter" / "aegis_mrz" / "aegis_mrz.traineddata"
    classes = sum(1 for _ in (work / "unicharset").open()) - 1
    checkpoints = work / "checkpoints"
    checkpoints.mkdir(exist_ok=True)
    start = (
        ["--continue_from", str(args.continue_from)]
        if args.continue_from
        else ["--net_spec", NET_SPEC.format(classes=classes)]
    )
    run(
        "lstmtraining", "--traineddata", str(starter), *start,
        "--model_output", str(checkpoints / "aegis_mrz"), "--learning_rate", args.learning_rate,
        "--train_listfile", str(train_list), "--eval_listfile", str(work / "eval.txt"),
        "--max_iterations", str(args.iterations), "--target_error_rate", "0.002",
    )  # fmt: skip
    out: Path = args.output
    out.parent.mkdir(parents=True, exist_ok=True)
    run(
        "lstmtraining", "--stop_training", "--convert_to_int",
        "--continue_from", str(checkpoints / "aegis_mrz_checkpoint"),
        "--traineddata", str(starter), "--model_output", str(out),
    )  # fmt: skip
    print(f"wrote {out} ({out.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
