"""Turning a name written in any script into lower-case Latin tokens.

Most scripts go through ``anyascii``. Four get their own treatment because a generic
transliterator loses what name matching needs:

* Arabic is written without short vowels, so no romanisation can tell ``Mohammed`` from
  ``Muhammad``; each Arabic word also carries a consonant skeleton (``MHMD``) built from the
  letters themselves, which the matcher compares with the skeleton of a Latin spelling.
* Chinese is romanised with pypinyin (no tones). A personal name of two to four characters
  becomes surname + given name, the given name's syllables joined as in passports
  (``毛泽东`` -> ``mao zedong``); surnames read differently as names get their name reading.
* Korean names are split into surname and given name; the surname gets its customary
  spellings (``김`` -> ``kim``/``gim``) and the given name a McCune-Reischauer-like variant.
* Japanese kana are romanised by syllable so that ``きょう`` reads ``kyo``, not ``kiyou``.

Cyrillic gets a second rendering under the ICAO passport table next to anyascii's
BGN-like one, since both are common on documents.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from anyascii import anyascii
from pypinyin import Style, lazy_pinyin

# (token text, consonant classes when the token came from an abjad script, and the long
# vowels that script wrote)
RawToken = tuple[str, str | None, str]

MAX_FORMS = 6

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HANGUL = "\uac00-\ud7a3"
_KANA = "\u3040-\u30ff\u31f0-\u31ff"
_ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff"
_CYRILLIC = "\u0400-\u052f"

_CHUNK = re.compile(
    rf"(?P<han>[{_HAN}]+)|(?P<hangul>[{_HANGUL}]+)|(?P<kana>[{_KANA}]+)"
    rf"|(?P<arabic>[{_ARABIC}]+(?:\s+[{_ARABIC}]+)*)|(?P<cyrillic>[{_CYRILLIC}]+)"
    rf"|(?P<other>[^\s{_HAN}{_HANGUL}{_KANA}{_ARABIC}{_CYRILLIC}]+)"
)
_ACRONYM = re.compile(r"\b(?:[a-z]\.){2,}")
_SPLIT = re.compile(r"[^a-z0-9]+")

# --- Arabic ---------------------------------------------------------------------------------

# Romanisation shown to reviewers and fed to the Latin measures (it keeps long vowels as
# w/y, so it is a weak rendering on purpose: the skeleton does the real work).
_AR_ROMAN = {
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ء": "", "ئ": "", "ؤ": "",
    "ب": "b", "پ": "p", "ت": "t", "ث": "th", "ج": "j", "چ": "ch", "ح": "h", "خ": "kh",
    "د": "d", "ذ": "dh", "ر": "r", "ز": "z", "ژ": "zh", "س": "s", "ش": "sh", "ص": "s",
    "ض": "d", "ط": "t", "ظ": "z", "ع": "", "غ": "gh", "ف": "f", "ڤ": "v", "ق": "q",
    "ك": "k", "ک": "k", "گ": "g", "ل": "l", "م": "m", "ن": "n", "ه": "h", "ة": "a",
    "ھ": "h", "ہ": "h", "و": "w", "ي": "y", "ی": "y", "ى": "a", "ے": "e",
    "ٹ": "t", "ڈ": "d", "ڑ": "r", "ں": "n",
}  # fmt: skip
# Consonant classes, the alphabet :func:`latin_skeleton` produces, plus Q for the letters Latin
# spells as d, z, dh or th (ذ ض ظ). Vowel carriers
# (alif, waw, ya), hamza and ayn have no class: Latin spellings render them as vowels,
# apostrophes or nothing.
_AR_SKELETON = {
    "ب": "B", "پ": "B", "ت": "T", "ث": "T", "ط": "T", "ج": "J", "چ": "S", "ح": "H",
    "ه": "H", "ھ": "H", "ہ": "H", "خ": "K", "د": "D", "ذ": "Q", "ض": "Q", "ڈ": "D",
    "ظ": "Q", "ز": "Z", "ژ": "Z", "ر": "R", "ڑ": "R", "س": "S", "ص": "S", "ش": "S",
    "غ": "G", "گ": "G", "ف": "F", "ڤ": "F", "ق": "K", "ك": "K", "ک": "K", "ل": "L",
    "م": "M", "ن": "N", "ں": "N", "ٹ": "T",
}  # fmt: skip
_AR_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")


# Written long vowels, as marks the Latin spelling must show in the same order: A, U, I,
# V (alif maqsura, also a Persian final "i"), and ayn, which Latin spells as a vowel when
# it starts a word (E: Omar, Ali) and as a vowel, an apostrophe or nothing elsewhere (e).
_AR_VOWEL = {
    "ا": "A", "آ": "A", "ى": "V", "و": "U", "ي": "I", "ی": "I", "ے": "I", "ع": "e",
}  # fmt: skip
# A final ya is as often a long a (Persian عیسی is Isa, موسی Musa) as an i.
_AR_FINAL_VOWEL = {"ی": "V", "ى": "V"}


def _arabic_word(word: str) -> RawToken:
    roman = "".join(_AR_ROMAN.get(ch, "") for ch in word)
    classes = "".join(_AR_SKELETON.get(ch, "") for ch in word)
    # A word-initial alif only carries a short vowel (احمد is Ahmad, ابراهيم Ibrahim), and
    # the article's alif is not a long vowel (عبدالرحمن is Abdul Rahman).
    body = word[1:] if word[:1] in "اأإ" else word
    body = body.replace("عبدال", "عبدل")
    vowels = "".join(_AR_VOWEL.get(ch, "") for ch in body[:-1])
    vowels += _AR_FINAL_VOWEL.get(body[-1:], _AR_VOWEL.get(body[-1:], "")) if body else ""
    # Word-initial ayn, waw and ya (E, W, Y): spelt first in Latin.
    initial = {"ع": "E", "و": "W", "ي": "Y", "ی": "Y"}.get(word[:1])
    if initial and vowels:
        vowels = initial + vowels[1:]
    return roman or "_", classes, vowels


# Kinship words,
# and titles, in the spelling the Latin side's lists know.
_AR_PARTICLES = {
    "ابو": "abu", "أبو": "abu", "بن": "bin", "ابن": "ibn", "بنت": "bint", "حاجى": "haji",
    "حاجي": "haji", "الحاج": "alhaj", "ملا": "mullah", "مولوی": "mawlawi", "مولوي": "mawlawi",
    "شيخ": "sheikh", "الشيخ": "sheikh",
}  # fmt: skip


def _arabic(chunk: str) -> list[RawToken]:
    words = _AR_MARKS.sub("", chunk).split()
    # "عبد" (servant of) is joined to the next word in nearly every Latin spelling.
    merged: list[str] = []
    for word in words:
        # "عبد" (servant of) joins the next word and "الله" the previous one in nearly every
        # Latin spelling (Abdulrahman, Najibullah).
        if merged and (merged[-1] == "عبد" or word == "الله") and len(word) > 1:
            merged[-1] += word
        else:
            merged.append(word)
    out: list[RawToken] = []
    for word in merged:
        if word in _AR_PARTICLES:
            out.append((_AR_PARTICLES[word], None, ""))
            continue
        if word.startswith("ال") and len(word) > 3:
            out.append(("al", None, ""))
            word = word[2:]
        out.append(_arabic_word(word))
    return [tok for tok in out if tok[0] != "_"]


# --- Cyrillic -------------------------------------------------------------------------------

# ICAO Doc 9303 (2015) table, used on Russian passports since 2013.
_ICAO_CYR = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia", "і": "i", "ї": "i", "є": "ie", "ґ": "g", "ў": "u",
}  # fmt: skip


def _cyrillic(chunk: str) -> list[list[str]]:
    lower = chunk.lower()
    bgn = anyascii(lower).lower()
    icao = "".join(_ICAO_CYR.get(ch, anyascii(ch).lower()) for ch in lower)
    # "Дж" renders a foreign j (Джавад is Javad, Джесус Jesus).
    spellings = dict.fromkeys((bgn, icao, bgn.replace("dzh", "j")))
    return [[spelling] for spelling in spellings]


# --- Chinese --------------------------------------------------------------------------------

# Two-character surnames (the rest have one character).
_CN_COMPOUND_SURNAMES = frozenset(
    re.findall(
        "..",
        "欧阳司马诸葛上官东方皇甫尉迟公孙慕容长孙宇文司徒夏侯轩辕令狐端木澹台万俟闻人南宫呼延"
        "独孤西门歐陽司馬諸葛長孫",
    )
)
# Characters whose reading as a surname differs from their most common reading.
_CN_SURNAME_READING = {
    "单": "shan", "單": "shan", "曾": "zeng", "区": "ou", "區": "ou", "仇": "qiu",
    "解": "xie", "朴": "piao", "查": "zha", "盖": "ge", "乐": "yue", "樂": "yue",
    "种": "chong", "繁": "po", "员": "yun", "翟": "zhai", "秘": "bi", "宿": "su",
    "缪": "miao", "覃": "qin", "折": "she", "召": "shao", "冼": "xian", "长孙": "zhangsun",
    "尉迟": "yuchi", "万俟": "moqi", "澹台": "tantai", "重": "chong", "石": "shi",
}  # fmt: skip
_CN_LEGAL = re.compile(
    "(股份有限公司|有限责任公司|有限責任公司|有限公司|集团公司|集團公司|公司|集团|集團)$"
)


def _pinyin(text: str) -> list[str]:
    return [p.lower() for p in lazy_pinyin(text, style=Style.NORMAL, errors="ignore") if p]


def _han(chunk: str, *, organisation: bool) -> list[str]:
    if organisation or not 2 <= len(chunk) <= 4:
        chunk = _CN_LEGAL.sub("", chunk) or chunk
        return _pinyin(chunk)
    split = 2 if len(chunk) > 2 and chunk[:2] in _CN_COMPOUND_SURNAMES else 1
    surname, given = chunk[:split], chunk[split:]
    surname_py = _CN_SURNAME_READING.get(surname) or "".join(_pinyin(surname))
    return [surname_py, "".join(_pinyin(given))]


# --- Korean ---------------------------------------------------------------------------------

_KO_SURNAMES = {
    "김": ("kim", "gim"), "이": ("lee", "yi", "rhee"), "리": ("ri", "li", "lee"),
    "박": ("park", "pak", "bak"), "최": ("choi", "choe"), "정": ("jung", "jeong", "chung"),
    "강": ("kang", "gang"), "조": ("cho", "jo"), "윤": ("yoon", "yun"), "장": ("jang", "chang"),
    "임": ("lim", "im", "rim"), "한": ("han",), "오": ("oh", "o"), "서": ("seo", "suh"),
    "신": ("shin", "sin"), "권": ("kwon", "gwon"), "황": ("hwang",), "안": ("ahn", "an"),
    "송": ("song",), "류": ("ryu", "yoo", "yu"), "유": ("yoo", "yu"), "홍": ("hong",),
    "전": ("jeon", "jun", "chon"), "고": ("ko", "go"), "문": ("moon", "mun"), "양": ("yang",),
    "손": ("son", "sohn"), "배": ("bae", "pae"), "백": ("baek", "paek"), "허": ("heo", "hur"),
    "남": ("nam",), "노": ("noh", "roh"), "심": ("shim", "sim"), "하": ("ha",),
    "곽": ("kwak", "gwak"), "성": ("sung", "seong"), "차": ("cha",), "주": ("joo", "ju", "chu"),
    "우": ("woo", "u"), "구": ("koo", "gu"), "민": ("min",), "현": ("hyun", "hyeon"),
}  # fmt: skip
_KO_COMPOUND_SURNAMES = frozenset({"남궁", "황보", "제갈", "선우", "독고"})


_FINAL_CONSONANT = {"g": "k", "d": "t", "b": "p"}


def _hangul_syllables(chunk: str) -> list[str]:
    out = []
    for ch in chunk:
        roman = anyascii(ch).lower()
        # Revised Romanisation writes a syllable-final ㄱ ㄷ ㅂ as k t p (택 is taek).
        if roman[-1:] in _FINAL_CONSONANT and not roman.endswith("ng"):
            roman = roman[:-1] + _FINAL_CONSONANT[roman[-1]]
        out.append(roman)
    return out


def _mr_variant(roman: str) -> str:
    # Revised Romanisation -> the spellings found on older and North Korean documents.
    return roman.replace("eo", "o").replace("eu", "u")


def _hangul(chunk: str, *, whole_name: bool) -> list[list[str]]:
    syllables = _hangul_syllables(chunk)
    if len(chunk) == 1 and chunk in _KO_SURNAMES:
        return [[s] for s in _KO_SURNAMES[chunk]]
    # Only a name written in one piece starts with its surname; in "김 정은" the second
    # piece is the given name.
    if not whole_name or not 2 <= len(chunk) <= 4:
        return [["".join(syllables)]]
    split = 2 if chunk[:2] in _KO_COMPOUND_SURNAMES else 1
    surnames = _KO_SURNAMES.get(chunk[:split], ("".join(syllables[:split]),))
    given = "".join(syllables[split:])
    givens = dict.fromkeys((given, _mr_variant(given)))
    return [[s, g] for s in surnames for g in givens]


# --- Japanese kana --------------------------------------------------------------------------

_SMALL_Y = {"ゃ": "a", "ゅ": "u", "ょ": "o", "ャ": "a", "ュ": "u", "ョ": "o"}
_SOKUON = {"っ", "ッ"}


def _kana(chunk: str) -> list[list[str]]:
    out: list[str] = []
    double_next = False
    for ch in chunk:
        if ch in _SMALL_Y and out:
            prev = out.pop()
            stem = prev[:-1] if prev.endswith("i") else prev
            if stem.endswith(("sh", "ch", "j")):
                out.append(stem + _SMALL_Y[ch])
            else:
                out.append(stem + "y" + _SMALL_Y[ch])
            continue
        if ch in _SOKUON:
            double_next = True
            continue
        if ch == "ー":
            continue
        roman = anyascii(ch).lower()
        if double_next and roman:
            roman = ("t" if roman.startswith("ch") else roman[0]) + roman
            double_next = False
        out.append(roman)
    hepburn = "".join(out)
    # Passports drop the long vowel of おう/うう (Satou -> Sato, Yuuko -> Yuko).
    short = hepburn.replace("ou", "o").replace("uu", "u").replace("oo", "o")
    return [[hepburn]] if short == hepburn else [[short], [hepburn]]


# --- Latin and the rest -------------------------------------------------------------------


def latin_tokens(text: str) -> list[str]:
    """Split an ASCII-able string into lower-case alphanumeric tokens; dotted acronyms
    (``S.A.``, ``L.L.C.``) become one token, apostrophes join (``O'Brien`` -> ``obrien``)."""
    if not text.isascii():
        text = anyascii(text)
    text = text.lower()
    if "." in text:
        text = _ACRONYM.sub(lambda m: m.group(0).replace(".", "") + " ", text)
    text = text.replace("'", "").replace("`", "").replace("\u2019", "")
    return [t for t in _SPLIT.split(text) if t]


@dataclass(frozen=True, slots=True)
class Romanized:
    """A name as one or more candidate token sequences ("forms") plus the scripts seen."""

    forms: tuple[tuple[RawToken, ...], ...]
    scripts: frozenset[str]


def romanize(name: str, *, organisation: bool = False) -> Romanized:
    """Every way this module spells ``name`` in Latin tokens, most likely first."""
    if name.isascii():
        return Romanized(
            forms=(tuple((t, None, "") for t in latin_tokens(name)),),
            scripts=frozenset({"latin"}),
        )
    text = unicodedata.normalize("NFKC", name)
    chunks: list[list[list[RawToken]]] = []  # per chunk, its alternatives
    latin_chunk: list[bool] = []
    scripts: set[str] = set()
    matches = list(_CHUNK.finditer(text))
    hangul_chunks = sum(1 for m in matches if m.lastgroup == "hangul")
    for match in matches:
        kind = match.lastgroup or "other"
        chunk = match.group(0)
        scripts.add("latin" if kind == "other" else kind)
        alternatives: list[list[str]]
        latin_chunk.append(kind == "other")
        if kind == "arabic":
            chunks.append([_arabic(chunk)])
            continue
        if kind == "han":
            alternatives = [_han(chunk, organisation=organisation)]
        elif kind == "hangul":
            alternatives = _hangul(chunk, whole_name=hangul_chunks == 1)
        elif kind == "kana":
            alternatives = _kana(chunk)
        elif kind == "cyrillic":
            alternatives = _cyrillic(chunk)
        else:
            alternatives = [[chunk]]
        chunks.append(
            [[(t, None, "") for part in alt for t in latin_tokens(part)] for alt in alternatives]
        )
    forms = _zip(chunks)
    native = [c for c, latin in zip(chunks, latin_chunk, strict=True) if not latin]
    latin = [c for c, is_latin in zip(chunks, latin_chunk, strict=True) if is_latin and c[0]]
    if native and latin:
        # Both scripts in one name ("حسن غول (Hassan Ghul)"): usually one name twice.
        forms = [*_zip(native), *_zip(latin), *forms][:MAX_FORMS]
    return Romanized(forms=tuple(dict.fromkeys(forms)) or ((),), scripts=frozenset(scripts))


def _zip(chunks: list[list[list[RawToken]]]) -> list[tuple[RawToken, ...]]:
    # Alternatives are zipped, not multiplied: a Cyrillic name is spelled all-BGN or
    # all-ICAO, not a mixture, and the forms stay few.
    width = min(MAX_FORMS, max((len(c) for c in chunks), default=1))
    return [
        tuple(tok for alts in chunks for tok in alts[min(i, len(alts) - 1)]) for i in range(width)
    ]
