"""Reading the MRZ of a document image: find the band, OCR it with Tesseract, verify.

Flow: downscale huge images; find candidate bands (:mod:`mrz_band`); for each, OCR a few
preprocessed crops (best first) with Tesseract through pytesseract, a character whitelist
``A-Z0-9<`` and no dictionaries; parse and verify each read (:func:`mrz.parse_mrz`); stop at
the first read whose check digits all validate. When nothing validates at 0 degrees the image
is tried upside down and on its sides.

Tesseract model: the project's own OCR-B model (``tessdata/aegis_mrz.traineddata``, trained by
``scripts/train_mrz_model.py``) when present, else Debian's ``eng``; an operator may point
:class:`MrzReaderConfig` at any other tessdata folder and language.

Never inventing an MRZ: a read that does not validate is returned only when it is plainly an
MRZ (the right shape, fillers where fillers go, at least two check digits right); it then
carries its failed checks, which is how a tampered zone shows. Anything less gives ``None``.
"""

from __future__ import annotations

import datetime as dt
import shlex
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytesseract
from PIL import Image

from aegis.checks.document.fields import DocumentFields
from aegis.checks.document.mrz import MrzFormat, MrzFormatError, MrzResult, parse_mrz
from aegis.checks.document.mrz_band import Box, LineImages, find_bands, split_lines
from aegis.checks.result import CheckResult

Gray = npt.NDArray[np.uint8]

MODEL_DIR = Path(__file__).resolve().parent / "tessdata"
MODEL_LANGUAGE = "aegis_mrz"
_WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"


def _shipped_model() -> bool:
    return (MODEL_DIR / f"{MODEL_LANGUAGE}.traineddata").is_file()


class MrzModelError(RuntimeError):
    """The configured Tesseract model for MRZs cannot be found."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MrzReaderConfig:
    # None: the model shipped with Aegis when present, else Tesseract's own folder and eng.
    tessdata_dir: Path | None = None
    language: str | None = None
    # Larger images are scaled down first: finding and reading need no more.
    max_side: int = 1800
    try_rotations: bool = True
    # Tesseract runs per image at most (each costs about 0.05-0.3 s).
    max_ocr_calls: int = 10
    # True: a look-alike swap that only check digits support (the check digit and the
    # composite, which for one field are one equation modulo 10) is taken only when another
    # preprocessing of the crop read the swapped character itself. Safer against a forged
    # digit that a swap elsewhere happens to balance; fewer reads of poor images. O read
    # for a zero among digits is always taken.
    confirm_swaps: bool = False
    ocr_timeout_s: float = 15.0
    today: dt.date | None = None

    def check_model(self) -> None:
        """Raise :class:`MrzModelError` unless Tesseract will find the configured model: a
        wrong setting then fails at start-up with one line, not on every document read."""
        language, _ = self.tesseract_args()
        if self.tessdata_dir is not None or language == MODEL_LANGUAGE:
            folder = self.tessdata_dir or MODEL_DIR
            if not (folder / f"{language}.traineddata").is_file():
                raise MrzModelError(
                    f"no Tesseract model {language}.traineddata in {folder} "
                    "(check AEGIS_MRZ_TESSDATA_DIR and AEGIS_MRZ_LANGUAGE)"
                )
            return
        try:
            installed = pytesseract.get_languages(config="")
        except (OSError, pytesseract.TesseractError) as exc:
            raise MrzModelError(f"Tesseract cannot run: {exc}") from None
        if language not in installed:
            raise MrzModelError(
                f"Tesseract has no language {language!r} (installed: {', '.join(installed)}; "
                "check AEGIS_MRZ_LANGUAGE)"
            )

    def tesseract_args(self, *, psm: int = 6) -> tuple[str, str]:
        """(language, extra command-line config) for pytesseract."""
        language = self.language
        folder = self.tessdata_dir
        if language is None:
            language = MODEL_LANGUAGE if _shipped_model() else "eng"
            if folder is None and language == MODEL_LANGUAGE:
                folder = MODEL_DIR
        parts = [
            "--oem 1",
            f"--psm {psm}",
            f"-c tessedit_char_whitelist={_WHITELIST}",
            "-c load_system_dawg=0",
            "-c load_freq_dawg=0",
            # Tesseract 5 re-reads doubtful lines inverted (white on black): never an MRZ.
            "-c tessedit_do_invert=0",
            "--dpi 300",
        ]
        if folder is not None:
            parts.insert(0, f"--tessdata-dir {shlex.quote(str(folder))}")
        return language, " ".join(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class MrzRead:
    result: MrzResult
    rotation: int  # degrees (0, 90, 180, 270) the image was turned anticlockwise to read
    # Centre x, y and size w, h of the band in the (downscaled, turned) image.
    box: tuple[int, int, int, int]
    variant: str
    ocr_calls: int
    candidates: tuple[str, ...] = field(default=())  # variants tried, for diagnostics

    @property
    def valid(self) -> bool:
        return self.result.valid

    @property
    def fields(self) -> DocumentFields:
        return self.result.fields

    @property
    def format(self) -> MrzFormat:
        return self.result.format

    @property
    def lines(self) -> tuple[str, ...]:
        return self.result.lines

    @property
    def checks(self) -> dict[str, bool]:
        return self.result.checks

    @property
    def failed_checks(self) -> tuple[str, ...]:
        return self.result.failed_checks


def to_gray(image: Image.Image | npt.NDArray[np.uint8]) -> Gray:
    """8-bit grey from a PIL image or an array (grey, RGB or RGBA: arrays are taken as RGB)."""
    if isinstance(image, Image.Image):
        if image.mode in ("RGBA", "LA", "P"):
            background = Image.new("RGBA", image.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, image.convert("RGBA"))
        return np.asarray(image.convert("L"), dtype=np.uint8)
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 4:
        alpha = arr[:, :, 3:4].astype(np.float32) / 255.0
        arr = (arr[:, :, :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    if arr.ndim == 3:
        return np.asarray(cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
    return arr


def _limit(gray: Gray, max_side: int) -> Gray:
    h, w = gray.shape
    scale = max_side / max(h, w)
    if scale >= 1:
        return gray
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


# --- crops ------------------------------------------------------------------------------


def _crop(gray: Gray, box: Box, target_line_px: float) -> Gray:
    line = max(box.line_height, 4.0)
    scale = min(target_line_px / line, 3000 / max(1.0, box.w + 5 * line))
    return _stretch(box.crop(gray, scale=scale, pad_x=2.5 * line, pad_y=1.0 * line))


def _stretch(gray: Gray) -> Gray:
    low, high = np.percentile(gray, (2, 98))
    if high - low < 10:
        return gray
    out: Gray = np.clip((gray.astype(np.float32) - low) * (255.0 / (high - low)), 0, 255).astype(
        np.uint8
    )
    return out


def _flatten(gray: Gray) -> Gray:
    """Background divided out (security prints, shadows), then Otsu."""
    k = max(15, (gray.shape[0] // 3) | 1)
    background = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    norm = cv2.divide(gray, background, scale=255)
    _, binary = cv2.threshold(norm, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return np.asarray(binary, dtype=np.uint8)


def _variants(gray: Gray, box: Box) -> Iterator[tuple[str, Gray | LineImages]]:
    """Preprocessed crops, the usual winner first; made only when asked for. Bands of two
    or three lines are read line by line first, as a block after."""
    grey32 = _crop(gray, box, 32)
    strip = split_lines(grey32, box.lines) if box.lines >= 2 else None
    if strip is not None:
        yield "lines32", strip
        flat = split_lines(_flatten(_crop(gray, box, 40)), box.lines)
        if flat is not None:
            yield "linesflat40", flat
    yield "grey32", grey32
    yield "flat40", _flatten(_crop(gray, box, 40))
    if strip is None:
        yield "grey48", _crop(gray, box, 48)


# --- OCR and choice -----------------------------------------------------------------------


def _clean(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch in _WHITELIST)


def _ocr(image: Gray | LineImages, config: MrzReaderConfig) -> list[str]:
    if isinstance(image, LineImages):
        return _ocr_lines(image, config)
    language, args = config.tesseract_args()
    text: str = pytesseract.image_to_string(
        image, lang=language, config=args, timeout=config.ocr_timeout_s
    )
    lines = [_clean(line) for line in text.splitlines()]
    return [line for line in lines if len(line) >= 20]


def _ocr_lines(lines: LineImages, config: MrzReaderConfig) -> list[str]:
    """Each line read raw (page segmentation mode 13), all in one Tesseract run over a list
    of files: the model was trained on raw lines, and layout analysis, which it would
    otherwise get, now and then drops a line's first character."""
    language, args = config.tesseract_args(psm=13)
    with tempfile.TemporaryDirectory(prefix="aegis-mrz-") as folder:
        paths = []
        for i, image in enumerate(lines.images):
            path = Path(folder) / f"line{i}.png"
            cv2.imwrite(str(path), image)
            paths.append(str(path))
        listing = Path(folder) / "lines.txt"
        listing.write_text("\n".join(paths) + "\n")
        text: str = pytesseract.image_to_string(
            str(listing), lang=language, config=args, timeout=config.ocr_timeout_s
        )
    pages = [_clean(page) for page in text.split("\f")]
    return [page for page in pages if len(page) >= 20]


def _score(result: MrzResult) -> tuple[int, int, int]:
    return (int(result.valid), sum(result.checks.values()), -len(result.corrections))


def best_parse(lines: list[str], today: dt.date | None = None) -> MrzResult | None:
    """The best MRZ among consecutive runs of 2 or 3 OCR lines, or None."""
    best: MrzResult | None = None
    for size in (3, 2):
        for start in range(len(lines) - size + 1):
            try:
                result = parse_mrz(lines[start : start + size], today=today)
            except MrzFormatError:
                continue
            if best is None or _score(result) > _score(best):
                best = result
    return best


def plausible(result: MrzResult) -> bool:
    """Plainly an MRZ even if its check digits fail: lengths close, fillers present, and at
    least two check digits right (one in ten by chance each)."""
    fillers = sum(line.count("<") for line in result.raw_lines)
    length_slips = sum(1 for c in result.corrections if c.reason == "length")
    return sum(result.checks.values()) >= 2 and fillers >= 4 and length_slips <= 1


def _mrz_like(lines: list[str]) -> bool:
    return any("<<" in line for line in lines)


@dataclass(slots=True)
class _Search:
    gray: Gray
    config: MrzReaderConfig
    calls: int = 0
    best: MrzRead | None = None
    last_was_garbage: bool = False
    tried: list[str] = field(default_factory=list)

    def budget_left(self) -> bool:
        return self.calls < self.config.max_ocr_calls

    def read_band(self, gray: Gray, box: Box, rotation: int) -> MrzRead | None:
        """Variants of one band until one validates; None when it is no MRZ at all."""
        pending: list[MrzRead] = []  # valid only thanks to a check-digit swap
        plain: list[MrzResult] = []  # each read with no look-alike swap
        self.last_was_garbage = False
        centre = (round(box.cx), round(box.cy), round(box.w), round(box.h))
        for name, crop in _variants(gray, box):
            if not self.budget_left():
                break
            lines = _ocr(crop, self.config)
            self.calls += 1
            self.tried.append(f"{rotation}:{name}")
            result = best_parse(lines, self.config.today)
            if result is None:
                if not _mrz_like(lines) and not plain:
                    self.last_was_garbage = True
                    return None  # not text of an MRZ: next band
                continue
            read = MrzRead(
                result=result, rotation=rotation, box=centre, variant=name, ocr_calls=self.calls
            )
            swapped = any(c.reason == "check_digit" for c in result.corrections)
            unswapped = (
                parse_mrz(result.raw_lines, today=self.config.today, swap_lookalikes=False)
                if swapped
                else result
            )
            plain.append(unswapped)
            trusted = swapped and _only_o_to_zero(unswapped, result)
            if result.valid and (not swapped or trusted or not self.config.confirm_swaps):
                return read
            if result.valid:
                pending.append(read)
            else:
                self._keep(read)
            for candidate in pending:
                if _swaps_confirmed(candidate.result, plain, self.config.today):
                    return candidate
        voted = _vote(plain, self.config.today)
        if voted is not None and voted.valid:
            return MrzRead(
                result=voted, rotation=rotation, box=centre, variant="vote", ocr_calls=self.calls
            )
        for candidate in pending:
            # Unconfirmed: report what was printed, without the swap, as the failure it is.
            raw = parse_mrz(
                candidate.result.raw_lines, today=self.config.today, swap_lookalikes=False
            )
            self._keep(replace(candidate, result=raw))
        # Upside-down OCR-B often parses (it has the shape) but never checks out: a band no
        # read of which is plainly an MRZ is worth a try the other way up.
        self.last_was_garbage = not pending and not any(plausible(p) for p in plain)
        return None

    def _keep(self, read: MrzRead) -> None:
        result = read.result
        if plausible(result) and (self.best is None or _score(result) > _score(self.best.result)):
            self.best = read


def _only_o_to_zero(before: MrzResult, after: MrzResult) -> bool:
    """Whether every swap turned a letter O among digits into a zero.

    The one confusion OCR makes all the time on OCR-B at low resolution, and the one a forger
    gains nothing from: a printed O inside a run of digits is all but unheard of.
    """
    if [len(x) for x in before.lines] != [len(x) for x in after.lines]:
        return False
    pairs = {
        (a, b)
        for x, y in zip(before.lines, after.lines, strict=True)
        for a, b in zip(x, y, strict=True)
        if a != b
    }
    return pairs == {("O", "0")}


def _swaps_confirmed(result: MrzResult, plain: list[MrzResult], today: dt.date | None) -> bool:
    """Whether another read saw, at every swapped cell, the character the swap put there.

    A swap alone rests on one check equation; another preprocessing that read that very
    character is independent evidence. A forged digit is read alike by every crop, so its
    "repair" is never confirmed.
    """
    own = parse_mrz(result.raw_lines, today=today, swap_lookalikes=False)
    if own.format is not result.format or len(own.lines) != len(result.lines):
        return False
    cells = [
        (r, c)
        for r, (a, b) in enumerate(zip(own.lines, result.lines, strict=True))
        for c in range(min(len(a), len(b)))
        if a[c] != b[c]
    ]
    others = [
        p
        for p in plain
        if p.raw_lines != result.raw_lines
        and p.format is result.format
        and [len(x) for x in p.lines] == [len(x) for x in result.lines]
    ]
    return bool(cells) and all(
        any(other.lines[r][c] == result.lines[r][c] for other in others) for r, c in cells
    )


def _vote(reads: list[MrzResult], today: dt.date | None) -> MrzResult | None:
    """Character by character majority of three or more reads of one zone.

    Each preprocessing errs in its own places; where two of three agree the third is
    outvoted. Every character still comes from a read, and the check digits still judge.
    """
    if len(reads) < 3:
        return None
    shape = Counter((r.format, tuple(len(line) for line in r.lines)) for r in reads)
    (fmt, lengths), count = shape.most_common(1)[0]
    group = [r for r in reads if (r.format, tuple(len(line) for line in r.lines)) == (fmt, lengths)]
    if count < 3:
        return None
    lines = [
        "".join(
            Counter(chars).most_common(1)[0][0]
            for chars in zip(*(r.lines[i] for r in group), strict=True)
        )
        for i in range(len(lengths))
    ]
    if all(tuple(lines) == r.lines for r in group):
        return None  # unanimous: nothing the reads have not said already
    return parse_mrz(lines, today=today, swap_lookalikes=False)


def _turn(gray: Gray, rotation: int) -> Gray:
    if rotation == 0:
        return gray
    out: Gray = np.ascontiguousarray(np.rot90(gray, rotation // 90))
    return out


def read_mrz(
    image: Image.Image | npt.NDArray[np.uint8], *, config: MrzReaderConfig | None = None
) -> MrzRead | None:
    """Find and read the MRZ of a document image.

    Returns the first read whose check digits all validate; else the best read that is
    plainly an MRZ (``valid`` False, ``failed_checks`` naming the failures); else ``None``.
    """
    config = config or MrzReaderConfig()
    gray = _limit(to_gray(image), config.max_side)
    search = _Search(gray=gray, config=config)
    # Bands are looked for upright and on the side; each band, if its text is no MRZ, is
    # read once more upside down. Four turns for the price of two searches.
    turns = (0, 90) if config.try_rotations else (0,)
    candidates: list[tuple[Box, int, Gray]] = []
    for rotation in turns:
        turned = _turn(gray, rotation)
        candidates += [(box, rotation, turned) for box in find_bands(turned, limit=3)]
    candidates.sort(key=lambda item: item[0].score, reverse=True)
    for box, rotation, turned in candidates[:4]:
        read = search.read_band(turned, box, rotation)
        if read is None and search.last_was_garbage and config.try_rotations:
            height, width = turned.shape
            upside_down = _turn(turned, 180)
            read = search.read_band(upside_down, box.turned_half(width, height), rotation + 180)
        if read is not None:
            return _final(read, search)
        if search.best is not None:
            break  # an MRZ was found and read, only its check digits fail
    return _final(search.best, search) if search.best is not None else None


def _final(read: MrzRead, search: _Search) -> MrzRead:
    return MrzRead(
        result=read.result,
        rotation=read.rotation,
        box=read.box,
        variant=read.variant,
        ocr_calls=search.calls,
        candidates=tuple(search.tried),
    )


# --- check result -------------------------------------------------------------------------

CHECK = "document_mrz"
MRZ_UNREADABLE = "MRZ_UNREADABLE"
MRZ_CHECK_DIGIT_FAILED = "MRZ_CHECK_DIGIT_FAILED"
MRZ_DATE_INVALID = "MRZ_DATE_INVALID"


def mrz_check_result(read: MrzRead | None) -> CheckResult:
    """The outcome a KYC flow records for one MRZ read; details carry no personal data.

    No MRZ found or read: review (a person can still look at the document). Check digits
    failing: fail, naming the checks. Check digits right but a date impossible (month 13):
    fail as well, since a genuine issuer never prints one.
    """
    if read is None:
        return CheckResult.review(CHECK, MRZ_UNREADABLE)
    details: dict[str, object] = {
        "format": read.format.value,
        "failed_checks": list(read.failed_checks),
        "corrections": [c.reason for c in read.result.corrections],
        "rotation": read.rotation,
        "name_truncated": read.fields.name_truncated,
    }
    codes = []
    if not read.valid:
        codes.append(MRZ_CHECK_DIGIT_FAILED)
    if read.fields.birth_date is None or read.fields.expiry_date is None:
        # An unknown birth day is printed as fillers and is no error; digits that are no
        # date are.
        dates = [read.result.lines[r][c] for r, c in _date_cells(read.format)]
        if any(ch.isdigit() for ch in dates):
            codes.append(MRZ_DATE_INVALID)
    if codes:
        return CheckResult.failed(CHECK, *codes, **details)
    return CheckResult.passed(CHECK, **details)


def _date_cells(fmt: MrzFormat) -> list[tuple[int, int]]:
    if fmt is MrzFormat.TD1:
        return [(1, c) for c in (*range(0, 6), *range(8, 14))]
    return [(1, c) for c in (*range(13, 19), *range(21, 27))]
