"""Text clean-up shared by the name, address and date matchers.

Documents arrive from OCR or a PDF's text layer with full-width forms, accents, and
Tesseract's habit of putting a space between every Chinese character. Everything is folded
here once, so the matchers compare like with like.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

# CJK Unified Ideographs with extension A, compatibility ideographs and the supplementary
# planes' extensions (rare surnames live there), plus 〇 which dates use as a zero.
CJK_CHARS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
_HAS_CJK = re.compile(f"[{CJK_CHARS}]")
# Spaces between two CJK characters, or between one and a digit (路 1 号): OCR puts them
# there, Chinese text has none.
_CJK_GAP = re.compile(
    f"(?<=[{CJK_CHARS}])[ \\t\u3000]+(?=[{CJK_CHARS}0-9])|(?<=[0-9])[ \\t\u3000]+(?=[{CJK_CHARS}])"
)
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_LATIN_WORD = re.compile(f"[a-z0-9]+|[{CJK_CHARS}]+")


def has_cjk(text: str) -> bool:
    return _HAS_CJK.search(text) is not None


def clean_text(text: str) -> str:
    """NFKC, spaces between CJK characters removed, runs of spaces collapsed, lines trimmed.

    NFKC folds full-width digits and colons (２０２６年１０月３日) into ASCII, which every
    pattern downstream expects. Line structure is kept: names and addresses are looked for
    line by line.
    """
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for line in text.split("\n"):
        line = _SPACES.sub(" ", _CJK_GAP.sub("", line)).strip()
        if line:
            out.append(line)
    return "\n".join(out)


def fold(text: str) -> str:
    """Lower-case ASCII for every non-CJK character; CJK characters are kept as they are.

    anyascii strips accents (José -> Jose) and transliterates other scripts (Иван -> Ivan),
    but it would also turn 张伟 into "ZhangWei", which the hanzi comparisons must not see.
    """
    parts: list[str] = []
    last = 0
    for run in _CJK_RUN.finditer(text):
        parts.append(anyascii(text[last : run.start()]))
        parts.append(f" {run.group()} ")
        last = run.end()
    parts.append(anyascii(text[last:]))
    return "".join(parts).lower()


def words(folded: str) -> list[str]:
    """Latin words (letters and digits) and CJK runs of a folded string; punctuation drops."""
    return _LATIN_WORD.findall(folded)


def cjk_only(text: str) -> str:
    return "".join(_CJK_RUN.findall(text))
