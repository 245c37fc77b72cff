"""Licence territories in the reader's language.

A listing's territory is free text (``LicenceTerms.territory``), usually a country, region or grouping.
``listings/data/territories.csv`` names them in English and Simplified Chinese (with aliases), so that a
territory typed in either language is shown in the active one:

    display("United States")           -> "美国" under zh-hans, "United States" under en
    display("美国和加拿大")              -> "United States and Canada" under en
    display("Japan, South Korea and Singapore") -> "日本、韩国和新加坡" (a list of known names)
    display("Zone 7 of our plant")      -> unchanged (unknown text is the owner's own words)
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _

from marketplace import wording

DATA_FILE = Path(__file__).resolve().parent / "data" / "territories.csv"
_SPACES = re.compile(r"\s+")
# "A, B and C" / "A、B和C" / "A and B" / "A; B"
_LIST_SPLIT = re.compile(r"\s*(?:,|;|、|，|；|\band\b|和|及)\s*")


def _key(text: str) -> str:
    return _SPACES.sub(" ", text.replace("-", "–")).strip().casefold()


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, str]]:
    """Every known spelling (casefolded) -> (English name, Chinese name)."""
    table: dict[str, tuple[str, str]] = {}
    with open(DATA_FILE, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            names = (row["en"].strip(), row["zh_hans"].strip())
            for spelling in (*names, *(row.get("aliases") or "").split("|")):
                if spelling.strip():
                    table.setdefault(_key(spelling), names)
    return table


def names(text: str) -> tuple[str, str] | None:
    """(English, Chinese) for a known territory, else ``None``."""
    return _table().get(_key(text or ""))


def _in_language(pair: tuple[str, str]) -> str:
    return pair[1] if wording.chinese_active() else pair[0]


def display(text: str) -> str:
    """The territory in the active language; a list of known names is translated name by name; anything
    else is shown as written."""
    text = (text or "").strip()
    if not text:
        return ""
    known = names(text)
    if known:
        return _in_language(known)
    parts = [part for part in _LIST_SPLIT.split(text) if part]
    pairs = [names(part) for part in parts]
    if len(parts) < 2 or not all(pairs):
        return text
    shown = [_in_language(pair) for pair in pairs]
    return _("%(items)s and %(last)s") % {"items": wording.enumeration(shown[:-1]), "last": shown[-1]}
