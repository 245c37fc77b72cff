"""Stop words of English and Chinese, with patent boilerplate: one list shared by search and matching.

Public interface:

    is_stop_word(word) -> bool      a word as written (English: lower case; Chinese: Simplified) carries no
                                    technology: a function word or boilerplate ("wherein", "more", "一种", "及其制备方法")
    EN_STOP_WORDS, ZH_STOP_WORDS    the lists (frozensets)

Where they apply: the key terms a need's or a listing's text is reduced to (``matching.scoring`` key terms and
the "matches: …" reasons built from them, ``listings.search.more_like_this``). The index itself keeps every word
(its analyzers are unchanged, so no rebuild is needed and the search box still finds a title by any of its
words); these words are simply never chosen as evidence that two texts are about the same thing.

English words are compared as written (lower case), never by stem: a stem shared with a technical word
(``generally`` → ``gener`` ← ``generator``) must not drop that word, so inflections are listed one by one. A
Chinese word is a stop word when it is listed or made only of listed words of two or more characters and of the
particles in ``_ZH_PARTICLES`` (及其制备方法 = 及其 + 制备 + 方法; jieba keeps such runs as one word), with at
least one piece of two characters (so 之和 "the sum" stays).

The lists (``listings/data/stopwords/``, each file names its source and licence):
  * ``en-snowball.txt``  Snowball's English list (BSD), as PostgreSQL and Whoosh ship it;
  * ``en-uspto.txt``     the USPTO full-text database's patent stop words (public domain);
  * ``en-patent.txt``    PatentBridge's own: method, apparatus, device, system, comprising, plurality, keeps …;
  * ``zh-stopwords-iso.txt``  stopwords-iso's Chinese list (MIT; from the Baidu list and others);
  * ``zh-patent.txt``    PatentBridge's own: 一种, 及其, 方法, 装置, 制备, 系统, 用于, 所述, 包括, 基于 …
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data" / "stopwords"
EN_FILES = ("en-snowball.txt", "en-uspto.txt", "en-patent.txt")
ZH_FILES = ("zh-stopwords-iso.txt", "zh-patent.txt")
_ZH_PARTICLES = frozenset("其及之的和与或等用并")  # one-character pieces a boilerplate compound may contain
_MAX_COMPOUND = 16  # longer Chinese words are never checked piece by piece


def _read(names) -> frozenset:
    words = set()
    for name in names:
        for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                words.add(line.lower())
    return frozenset(words)


EN_STOP_WORDS = _read(EN_FILES)
ZH_STOP_WORDS = _read(ZH_FILES)
_ZH_PIECES = frozenset(w for w in ZH_STOP_WORDS if len(w) >= 2)
_ZH_LONGEST = max(map(len, _ZH_PIECES))


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


@lru_cache(maxsize=50_000)
def _zh_compound(word: str) -> bool:
    """Whether ``word`` splits wholly into stop words (≥ 2 characters) and particles, one piece of ≥ 2 at least."""
    n = len(word)
    if n < 3 or n > _MAX_COMPOUND:
        return False
    # reach[i]: (reachable, with a long piece) for the prefix word[:i]
    reach = [(False, False)] * (n + 1)
    reach[0] = (True, False)
    for i in range(n):
        ok, long_seen = reach[i]
        if not ok:
            continue
        if word[i] in _ZH_PARTICLES and not reach[i + 1][1]:
            reach[i + 1] = (True, long_seen or reach[i + 1][1])
        for j in range(i + 2, min(n, i + _ZH_LONGEST) + 1):
            if word[i:j] in _ZH_PIECES:
                reach[j] = (True, True)
    return reach[n] == (True, True)


def is_stop_word(word: str) -> bool:
    """``word`` as written (English in any case; Chinese in Simplified characters) is a stop word."""
    if not word:
        return True
    lower = word.lower()
    if _is_han(lower[0]):
        return lower in ZH_STOP_WORDS or _zh_compound(lower)
    return lower in EN_STOP_WORDS
