"""Renderings of Latin names in other scripts, for the transliterated labelled pairs.

Only where it can be done faithfully: Russian-style Cyrillic for Slavic names (the BGN/PCGN
conventions reversed), and Chinese characters for names whose every part is pinyin (a
common name character per syllable; which characters a person really uses is unknowable,
so this tests the pinyin path, not character knowledge).
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from aegis.screening.matching._translit import latin_tokens


def display_order(name: str) -> str:
    """``SURNAME, Given Middle`` -> ``Given Middle SURNAME`` (as a customer record has it)."""
    if name.count(",") == 1:
        surname, given = (p.strip() for p in name.split(","))
        if surname and given:
            return f"{given} {surname}"
    return name


def _words(text: str) -> list[str]:
    return text.split()


_CYRILLIC_RULES = [
    ("shch", "щ"), ("yo", "ё"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"),
    ("sh", "ш"), ("yu", "ю"), ("ya", "я"), ("ye", "е"), ("iy", "ий"), ("yy", "ый"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"),
    ("i", "и"), ("y", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"),
    ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("x", "кс"),
    ("w", "в"), ("h", "х"), ("c", "к"), ("j", "дж"), ("q", "к"),
]  # fmt: skip
SLAVIC = re.compile(r"(ov|ev|in|ova|eva|ina|sky|skiy|enko|vich|ovna|evna)$", re.IGNORECASE)
SLAVIC_COUNTRIES = frozenset({"RU", "UA", "BY", "KZ", "KG", "MD"})


def to_cyrillic(name: str) -> str:
    """A Russian-style Cyrillic rendering of a Latin name (BGN/PCGN conventions reversed)."""
    words = []
    for word in latin_tokens(display_order(name)):
        out, i = [], 0
        while i < len(word):
            for latin, cyr in _CYRILLIC_RULES:
                if word.startswith(latin, i):
                    out.append(cyr)
                    i += len(latin)
                    break
            else:
                out.append(word[i])
                i += 1
        rendered = "".join(out)
        words.append(rendered[:1].upper() + rendered[1:])
    return " ".join(words)


# Common name characters by pinyin syllable; other syllables get the first character
# pypinyin reads that way.
_HAN_CHOICE = dict(
    pair.split(":")
    for pair in _words(
        "zhang:张 wang:王 li:李 liu:刘 chen:陈 yang:杨 huang:黄 zhao:赵 wu:吴 zhou:周 xu:徐 "
        "sun:孙 ma:马 zhu:朱 hu:胡 guo:郭 he:何 gao:高 lin:林 luo:罗 zheng:郑 liang:梁 "
        "xie:谢 song:宋 tang:唐 han:韩 feng:冯 deng:邓 cao:曹 peng:彭 xiao:肖 tian:田 "
        "dong:董 pan:潘 yuan:袁 cai:蔡 jiang:江 yu:余 du:杜 ye:叶 cheng:成 wei:伟 su:苏 "
        "ding:丁 ren:任 shen:沈 yao:姚 lu:陆 cui:崔 zhong:钟 tan:谭 fan:范 jin:金 shi:石 "
        "jia:贾 xia:夏 fu:付 fang:方 bai:白 meng:孟 qin:秦 qiu:邱 lei:雷 hou:侯 long:龙 "
        "min:敏 jing:静 qiang:强 jun:军 yong:勇 yan:艳 jie:杰 tao:涛 ming:明 chao:超 "
        "xiu:秀 ping:平 gang:刚 hua:华 hong:红 hui:辉 bin:斌 feng:峰 jian:建 hai:海 "
        "xin:新 zhi:志 guang:光 bo:波 fei:飞 kai:凯 yi:毅 lan:兰 na:娜 ning:宁 an:安 "
        "qing:清 rong:荣 wen:文 xiang:祥 xue:雪 yun:云 zhen:振 ze:泽 hao:浩"
    )
)


@lru_cache(maxsize=1)
def _han_by_syllable() -> dict[str, str]:
    table: dict[str, str] = {}
    for cp in range(0x4E00, 0x9FA6):
        ch = chr(cp)
        reading = lazy_pinyin(ch, style=Style.NORMAL)[0]
        if reading.isalpha() and reading.isascii():
            table.setdefault(reading, ch)
    for syllable, ch in _HAN_CHOICE.items():
        if lazy_pinyin(ch, style=Style.NORMAL)[0] == syllable:
            table[syllable] = ch
    return table


def _segment(word: str, syllables: dict[str, str]) -> list[str] | None:
    # Longest-first segmentation into pinyin syllables ("xiaohong" -> xiao hong).
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            head = best[start]
            if head is not None and word[start:end] in syllables:
                candidate = [*head, word[start:end]]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[len(word)]


def to_han(name: str) -> str | None:
    """``ZHANG, Weiming`` -> ``张伟明``, when every part is pinyin."""
    if name.count(",") != 1:
        return None
    surname, given = (latin_tokens(p) for p in name.split(","))
    table = _han_by_syllable()
    parts: list[str] = []
    for word in (*surname, *given):
        segments = _segment(word, table)
        if segments is None:
            return None
        parts.extend(table[s] for s in segments)
    return "".join(parts) if 2 <= len(parts) <= 4 else None
