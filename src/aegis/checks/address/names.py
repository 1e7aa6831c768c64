"""Is the applicant named on the document? A line-by-line fuzzy search, across scripts.

Each applicant name becomes a few variants (the Latin name as given; the native name in
hanzi; its pinyin, surname first, with the given name's syllables joined and apart, and
every reading of a polyphonic surname), and each document line is compared with each
variant. The best score over all lines and variants wins; which variant won is reported
(``latin``, ``native``, ``pinyin``) without the name itself.

A line must carry the name on its own: tokens are never gathered from neighbouring lines,
or "Jane Smith" above "John Street" would read as John Smith.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from pypinyin import Style, lazy_pinyin, pinyin
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from aegis.checks.address._text import cjk_only, fold, has_cjk, words

_HONORIFICS = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "madam", "mme", "mlle", "rev"}
)
# Words that sit next to a Chinese name with no space or punctuation once OCR spaces are
# gone ("户名张伟", "张伟先生"): stripped before a run of hanzi is compared with the name.
_CJK_PREFIXES = (
    "客户名称", "账户名称", "尊敬的", "账户名", "持卡人", "收件人", "联系人", "用户名",
    "户名", "姓名", "客户", "用户", "户主", "名称",
)  # fmt: skip
_CJK_SUFFIXES = (
    "先生", "女士", "小姐", "夫人", "博士", "您好", "地址", "户号", "账号", "电话",
)  # fmt: skip
_COMPOUND_SURNAMES = frozenset({
    "欧阳", "上官", "司马", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "令狐", "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台",
    "万俟", "闻人", "赫连", "申屠", "太史", "钟离", "濮阳", "公冶", "单于",
})  # fmt: skip
# A single letter matches a word starting with it ("J Smith" for John Smith), but on its
# own an initial never reaches a pass: a full word must carry the match.
_INITIAL = 85.0
# Middle names a bill leaves out cost nothing; one it shows must match this well to count.
_OPTIONAL_MATCH = 80.0
# Run-together spellings only count when nearly exact, one edit per this many letters
# ("janesmith" is 78% "johnsmith", "liwei" 91% "linwei": both must fail).
_RUN_LETTERS_PER_EDIT = 8
_NOT_NEAR = 70.0
# Passports spell 吕 LYU, pypinyin spells it lv: one spelling for both.
_SYLLABLE_ALIASES = {"lyu": "lv", "nyu": "nv"}


@dataclass(frozen=True, slots=True)
class NameMatch:
    score: float
    via: str | None  # which variant matched best; None when the name gave no variant


@dataclass(frozen=True, slots=True)
class _Variant:
    via: str  # "latin", "native" or "pinyin"
    tokens: tuple[str, ...]
    # Pinyin syllables of a given name are not middle names: 张晓东 is not "Zhang Dong".
    all_required: bool = False


@dataclass(frozen=True, slots=True)
class _Line:
    latin: tuple[str, ...]  # the line's Latin words
    # Runs of hanzi with labels and honorifics stripped, and each run's pinyin run together.
    hanzi: tuple[str, ...]
    pinyin: tuple[str, ...]


def _canon(token: str) -> str:
    return _SYLLABLE_ALIASES.get(token, token)


def latin_tokens(name: str) -> list[str]:
    return [_canon(w) for w in words(fold(name)) if not has_cjk(w) and w not in _HONORIFICS]


def _strip_cjk_honorifics(name: str) -> str:
    for suffix in ("先生", "女士", "小姐", "夫人", "博士"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def pinyin_variants(hanzi: str, *, limit: int = 6) -> list[tuple[str, ...]]:
    """Surname-first pinyin spellings of a Chinese name, given-name syllables joined and apart.

    pypinyin reads a name like any word, so 单 comes out "dan" although as a surname it is
    "shan": every reading of the surname's characters is tried (capped at ``limit``).
    """
    k = 2 if hanzi[:2] in _COMPOUND_SURNAMES else 1
    surname, given = hanzi[:k], hanzi[k:]
    readings = [pinyin(c, style=Style.NORMAL, heteronym=True)[0] for c in surname]
    given_syllables = [_canon(s) for s in lazy_pinyin(given)] if given else []
    variants: list[tuple[str, ...]] = []
    for combo in product(*readings):
        sur = _canon("".join(combo))
        for variant in ((sur, "".join(given_syllables)), (sur, *given_syllables)):
            clean = tuple(t for t in variant if t)
            if clean and clean not in variants:
                variants.append(clean)
        if len(variants) >= limit:
            break
    return variants


def _token_sim(a: str, b: str) -> float:
    if a == b:
        return 100.0
    if len(a) == 1 or len(b) == 1:
        return _INITIAL if a[0] == b[0] else 0.0
    # Short names differ by one letter from other names (li/lin, wu/wen): exact or nothing.
    if min(len(a), len(b)) <= 3:
        return 0.0
    return fuzz.ratio(a, b)


def _set_score(name: tuple[str, ...], line: tuple[str, ...], *, all_required: bool) -> float:
    """Every name word found in the line, in any order; middle names may be missing."""
    best = [max(_token_sim(t, u) for u in line) for t in name]
    if len(best) > 2 and not all_required:
        best = [best[0], best[-1], *(b for b in best[1:-1] if b >= _OPTIONAL_MATCH)]
    return sum(best) / len(best)


def _concat_score(name: tuple[str, ...], line: tuple[str, ...]) -> float:
    """The name's words run together, against runs of whole line words.

    Catches "Xiaodong Zhang" against ZHANG XIAO DONG and "Zhang Wei" against ZHANGWEI
    without letting "lina" match inside "carolina": windows start and end on word edges.
    """
    if len(name) < 2:
        return 0.0
    targets = {"".join(name), "".join(reversed(name)), "".join((name[-1], *name[:-1]))}
    best = 0.0
    width = len(name) + 1
    for i in range(len(line)):
        for j in range(i + 1, min(len(line), i + width) + 1):
            window = "".join(line[i:j])
            best = max(best, *(_near(target, window) for target in targets))
    return best


def _near(target: str, candidate: str) -> float:
    """Similarity of two run-together spellings, kept below any threshold unless nearly exact."""
    score = fuzz.ratio(target, candidate)
    if Levenshtein.distance(target, candidate) <= len(target) // _RUN_LETTERS_PER_EDIT:
        return score
    return min(score, _NOT_NEAR)


def _core(run: str) -> str:
    """A run of hanzi without the label before it or the honorific after it."""
    for prefix in _CJK_PREFIXES:
        if run.startswith(prefix) and len(run) > len(prefix):
            run = run[len(prefix) :]
            break
    for suffix in _CJK_SUFFIXES:
        if run.endswith(suffix) and len(run) > len(suffix):
            run = run[: -len(suffix)]
            break
    return run


def _hanzi_score(native: str, cores: tuple[str, ...]) -> float:
    """A run of hanzi equal to the name once labels and honorifics around it are gone.

    The name inside a longer run (张伟 in 张伟明) is another person as often as not, so it
    scores at review level, never a pass.
    """
    best = 0.0
    for core in cores:
        if core == native:
            return 100.0
        best = max(best, 80.0 if native in core else fuzz.ratio(native, core))
    return best


def _pinyin_score(name: tuple[str, ...], cores_pinyin: tuple[str, ...]) -> float:
    """A Latin name against the pinyin of whole hanzi runs, surname first or last.

    Whole runs, not syllables: the syllables of 张晓东明 contain zhang xiao dong.
    """
    targets = {"".join(name), "".join((name[-1], *name[:-1]))}
    return max((_near(t, p) for t in targets for p in cores_pinyin), default=0.0)


def _prepare(line: str) -> _Line:
    latin = tuple(_canon(w) for w in words(fold(line)) if not has_cjk(w))
    if not has_cjk(line):
        return _Line(latin, (), ())
    cores = tuple(_core(run) for run in _split_runs(line))
    return _Line(latin, cores, tuple(p for c in cores for p in _run_pinyin(c)))


def _run_pinyin(run: str, *, limit: int = 4) -> list[str]:
    """A run's pinyin, with every reading of its first character: it may be a surname."""
    rest = "".join(_canon(s) for s in lazy_pinyin(run[1:]))
    firsts = pinyin(run[0], style=Style.NORMAL, heteronym=True)[0][:limit]
    return [_canon(f) + rest for f in firsts]


def _split_runs(line: str) -> list[str]:
    """Pieces of a line between non-CJK characters (punctuation, digits, Latin)."""
    pieces: list[str] = []
    current: list[str] = []
    for ch in line:
        if has_cjk(ch):
            current.append(ch)
        elif current:
            pieces.append("".join(current))
            current = []
    if current:
        pieces.append("".join(current))
    return pieces


def match_name(lines: list[str], *, name: str, native_name: str | None) -> NameMatch:
    """The best score of any applicant-name variant on any single document line."""
    latin: list[_Variant] = []
    hanzi: list[str] = []
    for given, via in ((name, "latin"), (native_name, "native")):
        if not given:
            continue
        if has_cjk(given):
            han = _strip_cjk_honorifics(cjk_only(given))
            hanzi.append(han)
            latin.extend(_Variant("pinyin", v, all_required=True) for v in pinyin_variants(han))
        elif parts := latin_tokens(given):
            latin.append(_Variant(via, tuple(parts)))
    if not latin and not hanzi:
        return NameMatch(0.0, None)

    best, best_via = 0.0, latin[0].via if latin else "native"
    for raw in lines:
        line = _prepare(raw)
        for han in hanzi:
            if line.hanzi and (s := _hanzi_score(han, line.hanzi)) > best:
                best, best_via = s, "native"
        for variant in latin:
            if line.latin and (s := _score(variant, line.latin)) > best:
                best, best_via = s, variant.via
            # A Latin name found in the pinyin of the document's hanzi is a cross-script match.
            if line.pinyin and (s := _pinyin_score(variant.tokens, line.pinyin)) > best:
                best, best_via = s, "pinyin"
        if best >= 100.0:
            break
    return NameMatch(round(best, 1), best_via)


def _score(variant: _Variant, line: tuple[str, ...]) -> float:
    return max(
        _set_score(variant.tokens, line, all_required=variant.all_required),
        _concat_score(variant.tokens, line),
    )
