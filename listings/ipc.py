"""WIPO's IPC scheme titles (IPC 2020.01, English), for showing what a code means and browsing.

The scheme (``listings/data/ipc_scheme.csv.gz``: code,title,level,main_group_title; ~75,000 rows) is
read once, lazily, on first use, and kept in memory (a few MB). Codes are in the project's canonical
form (``listings.numbers``): section ``H``, class ``H01``, subclass ``H01M``, main group
``H01M 10/00``, subgroup ``H01M 10/052``.

    title("H01M")            -> "PROCESSES OR MEANS, e.g. BATTERIES, ..."
    short_title("H01M")      -> the same without WIPO's parenthesised references
    level("H01M 10/00")      -> "main_group"
    parent("H01M 10/00")     -> "H01M"
    children("H01")          -> ["H01B", "H01C", ...]   (next browsing level; subgroups are not browsed)
    path("H01M 10/00")       -> ["H", "H01", "H01M", "H01M 10/00"]
    local_title("H01")       -> LocalTitle("基本电气元件", "zh-Hans") under zh-hans, else the English short title

Chinese titles exist for the 8 sections and every class (``listings/data/ipc_titles_zh.csv``); subclasses
and finer levels keep WIPO's English title, and ``local_title`` says so (``lang="en"``) so that pages can
mark them (``listing_tags.ipc_text``).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from listings import numbers
from marketplace import wording

SCHEME_FILE = Path(__file__).resolve().parent / "data" / "ipc_scheme.csv.gz"
ZH_TITLES_FILE = Path(__file__).resolve().parent / "data" / "ipc_titles_zh.csv"
ZH = "zh-Hans"  # the BCP 47 tag pages put in lang=""

SECTION, CLASS, SUBCLASS, MAIN_GROUP, SUBGROUP = "section", "class", "subclass", "main_group", "subgroup"
# The levels a browser walks down, with the search facet that counts each of them.
BROWSE_LEVELS = (SECTION, CLASS, SUBCLASS, MAIN_GROUP)
FACET_FOR_LEVEL = {
    SECTION: "ipc_section",
    CLASS: "ipc_class",
    SUBCLASS: "ipc_subclass",
    MAIN_GROUP: "ipc_main_group",
}

_SECTION_RE = re.compile(r"[A-HY]")
_CLASS_RE = re.compile(r"[A-HY]\d\d")
_SUBCLASS_RE = re.compile(r"[A-HY]\d\d[A-Z]")
_GROUP_RE = re.compile(r"(?P<sub>[A-HY]\d\d[A-Z]) (?P<group>\d{1,4})/(?P<subgroup>\d{2,6})")
# WIPO's titles carry references such as "(making furrows A01C0005000000; ...)"; drop them for lists.
_PARENTHESES = re.compile(r"\s*\([^()]*\)")


@dataclass(frozen=True)
class Entry:
    code: str
    title: str
    level: str
    main_group_title: str = ""


class LocalTitle(str):
    """A title that knows the language it is written in: ``lang`` is ``"en"`` (WIPO's English) or
    ``"zh-Hans"``. It is a ``str``, so code and templates that do not care use it as plain text."""

    lang: str

    def __new__(cls, text: str, lang: str = "en"):
        title = super().__new__(cls, text)
        title.lang = lang
        return title


class _Scheme:
    def __init__(self):
        self.entries: dict[str, Entry] = {}
        self.children: dict[str, list[str]] = {}
        self.zh: dict[str, str] = {}


_scheme: _Scheme | None = None
_lock = threading.Lock()


def _load() -> _Scheme:
    global _scheme
    if _scheme is not None:
        return _scheme
    with _lock:
        if _scheme is not None:
            return _scheme
        scheme = _Scheme()
        with gzip.open(SCHEME_FILE, "rb") as raw:
            reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))
            for row in reader:
                code = row["code"].strip()
                entry = Entry(code, row["title"].strip(), row["level"].strip(), row["main_group_title"].strip())
                scheme.entries[code] = entry
                if entry.level in (CLASS, SUBCLASS, MAIN_GROUP):
                    scheme.children.setdefault(_parent_code(code, entry.level), []).append(code)
                elif entry.level == SECTION:
                    scheme.children.setdefault("", []).append(code)
        for codes in scheme.children.values():
            codes.sort(key=sort_key)
        scheme.zh = _load_zh()
        _scheme = scheme
    return _scheme


def _load_zh() -> dict[str, str]:
    """``code -> Chinese title`` from ``ipc_titles_zh.csv`` (``#`` lines are its header comment)."""
    with open(ZH_TITLES_FILE, encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {row["code"].strip(): row["title_zh"].strip() for row in rows if row["title_zh"].strip()}


def zh_title(code: str) -> str:
    """The Chinese title of a section or class; ``""`` for other codes."""
    return _load().zh.get(code, "")


def local_title(code: str, *, full: bool = False) -> LocalTitle:
    """The title to show in the active language: Chinese for sections and classes under a Chinese UI, else
    WIPO's English short title (``full``: a subgroup with its main group's title), tagged ``lang="en"``."""
    if wording.chinese_active():
        text = zh_title(code)
        if text:
            return LocalTitle(text, ZH)
    return LocalTitle(short(full_title(code)) if full else short_title(code), "en")


def _parent_code(code: str, level_name: str) -> str:
    if level_name == CLASS:
        return code[:1]
    if level_name == SUBCLASS:
        return code[:3]
    if level_name == MAIN_GROUP:
        return code[:4]
    if level_name == SUBGROUP:
        return numbers.normalise_ipc(code).main_group
    return ""


def sort_key(code: str):
    """Scheme order: ``H01M 2/00`` before ``H01M 10/00``."""
    match = _GROUP_RE.fullmatch(code)
    if match:
        return (match["sub"], int(match["group"]), match["subgroup"])
    return (code, -1, "")


def normalise(code: str) -> str:
    """A browsable node code from user input (``h01m10/00`` → ``H01M 10/00``); a subgroup becomes its
    main group. Raises ``ValueError`` for anything that is not an IPC section/class/subclass/group."""
    text = (code or "").strip().upper()
    if _SECTION_RE.fullmatch(text) or _CLASS_RE.fullmatch(text):
        return text
    parsed = numbers.normalise_ipc(text)  # raises ValueError
    return parsed.main_group or parsed.subclass


def level(code: str) -> str:
    """The level of a well-formed code, from its shape (the scheme need not know it)."""
    if _SECTION_RE.fullmatch(code):
        return SECTION
    if _CLASS_RE.fullmatch(code):
        return CLASS
    if _SUBCLASS_RE.fullmatch(code):
        return SUBCLASS
    match = _GROUP_RE.fullmatch(code)
    if match:
        return MAIN_GROUP if match["subgroup"] == "00" else SUBGROUP
    raise ValueError(f"not an IPC code: {code!r}")


def parent(code: str) -> str:
    """The node above (``""`` above a section)."""
    return _parent_code(code, level(code))


def path(code: str) -> list[str]:
    """From the section down to ``code`` (a subgroup's path ends at its main group, then itself)."""
    trail = []
    current = code
    while current:
        trail.append(current)
        current = parent(current)
    return list(reversed(trail))


def children(code: str = "") -> list[str]:
    """The codes one browsing level below ``code`` (sections for ``""``), in scheme order."""
    return list(_load().children.get(code, ()))


def title(code: str) -> str:
    """WIPO's title of the code; for an unknown subgroup its main group's title; ``""`` if unknown."""
    scheme = _load()
    entry = scheme.entries.get(code)
    if entry is not None:
        return entry.title
    try:
        if level(code) == SUBGROUP:
            group = numbers.normalise_ipc(code).main_group
            return scheme.entries[group].title if group in scheme.entries else ""
    except ValueError:
        pass
    return ""


def full_title(code: str) -> str:
    """A subgroup's title is a fragment ("with teeth"): prefix its main group's title."""
    entry = _load().entries.get(code)
    if entry is not None and entry.level == SUBGROUP and entry.main_group_title:
        return f"{short(entry.main_group_title)} — {short(entry.title)}"
    return title(code)


def short(text: str) -> str:
    """A title without its parenthesised references, with WIPO's capitals calmed down."""
    previous = None
    while previous != text:  # nested parentheses
        previous, text = text, _PARENTHESES.sub("", text)
    text = text.strip(" ;")
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.8 * len(letters):
        text = text[:1] + text[1:].lower()
    return text


def short_title(code: str) -> str:
    return short(title(code))


def is_known(code: str) -> bool:
    return code in _load().entries
