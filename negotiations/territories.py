"""Structured licence territories of term sheets: stable place keys instead of free text.

Keys (``negotiations/data/places.csv``): ``"WORLD"``; ISO 3166-1 alpha-2 codes of countries (``"FR"``), where
``"CN"`` is mainland China, made of its provincial-level divisions ``"CN-BJ"`` … ``"CN-XJ"`` (ISO 3166-2:CN);
``"HK"``, ``"MO"``, ``"TW"``; groupings made of those places (``"EU"``, ``"EPC"``, ``"EUROPE"``, ``"NORTH_AMERICA"``,
``"ASEAN"``, ``"GBA"``, ``"YRD"``, ``"JJJ"``, ``"NE_CHINA"``).

    choices()                      -> grouped choices for a multiple select, in the active language
    normalise(["FR", "EU", "FR"])  -> ["EU", "FR"]           (ValueError naming unknown keys)
    expand(["GBA"])                -> frozenset({"CN-GD", "HK", "MO"}); expand(["WORLD"]) -> {EVERYWHERE}
    overlaps(["CN"], ["GBA"])      -> True
    overlap(["CN"], ["GBA"])       -> ["CN-GD"]              (for "overlaps in Guangdong Province")
    display(["CN-GD", "HK"])       -> "Hong Kong, Guangdong Province" / "中国香港、广东省"
    from_listing_text("中国大陆")   -> ["CN"]                 (a listing's free-text territory; unknown -> [])
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from listings import territories as listing_territories
from marketplace import wording

DATA_FILE = Path(__file__).resolve().parent / "data" / "places.csv"
WORLD = "WORLD"
EVERYWHERE = "*"  # what WORLD expands to: overlaps every place
KIND_ORDER = ("world", "group", "country", "region", "province")
# Listing texts naming several places at once that are no grouping of their own.
COMPOSITE = {"greater china": ("CN", "HK", "MO", "TW")}
_SPACES = re.compile(r"\s+")
_LIST_SPLIT = re.compile(r"\s*(?:,|;|、|，|；|\band\b|和|及)\s*")


@dataclass(frozen=True)
class Place:
    key: str
    kind: str  # world | group | country | region | province
    en: str
    zh_hans: str
    members: tuple[str, ...]
    order: int

    @property
    def name(self) -> str:
        """The name in the active language."""
        return self.zh_hans if wording.chinese_active() else self.en


def _spelling(text: str) -> str:
    return _SPACES.sub(" ", str(text).replace("-", "–")).strip().casefold()


@lru_cache(maxsize=1)
def places() -> dict[str, Place]:
    """Every place by key, in the order of the data file."""
    table: dict[str, Place] = {}
    with open(DATA_FILE, encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for order, row in enumerate(rows):
            members = tuple(key for key in row["members"].split("|") if key)
            table[row["key"]] = Place(row["key"], row["kind"], row["en"], row["zh_hans"], members, order)
    return table


@lru_cache(maxsize=1)
def _spellings() -> dict[str, str]:
    """Every known spelling (casefolded, any language) -> key."""
    table: dict[str, str] = {}
    for place in places().values():
        for spelling in (place.en, place.zh_hans):
            table.setdefault(_spelling(spelling), place.key)
    with open(DATA_FILE, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            for spelling in (row["aliases"] or "").split("|"):
                if spelling.strip():
                    table.setdefault(_spelling(spelling), row["key"])
    return table


def choices() -> list:
    """Choices for a ``MultipleChoiceField``: Worldwide first, then groupings, countries and regions, provinces of
    mainland China (names in the active language; call it per request, not at import)."""
    table = places()
    world = table[WORLD]

    def of(*kinds):
        return [(place.key, place.name) for place in table.values() if place.kind in kinds]

    return [
        (world.key, world.name),
        (str(_("Groupings")), of("group")),
        (str(_("Countries and regions")), of("country", "region")),
        (str(_("Provinces of mainland China")), of("province")),
    ]


def normalise(keys) -> list[str]:
    """Sorted, de-duplicated keys. ``ValueError`` names every unknown key."""
    if isinstance(keys, str):
        keys = [keys]
    cleaned = {str(key).strip() for key in keys or () if str(key).strip()}
    unknown = sorted(key for key in cleaned if key not in places())
    if unknown:
        raise ValueError(f"unknown territory: {', '.join(unknown)}")
    return sorted(cleaned)


def _leaves(key: str, seen: frozenset = frozenset()) -> set[str]:
    place = places()[key]
    if place.kind == "world":
        return {EVERYWHERE}
    if not place.members or key in seen:
        return {key}
    found: set[str] = set()
    for member in place.members:
        found |= _leaves(member, seen | {key})
    return found


def expand(keys) -> frozenset[str]:
    """The leaf places the keys cover: a grouping its members, CN its provinces, WORLD ``{EVERYWHERE}``."""
    found: set[str] = set()
    for key in normalise(keys):
        found |= _leaves(key)
    return frozenset(found)


def overlaps(a, b) -> bool:
    """Whether two territories share any place (WORLD overlaps every non-empty territory)."""
    first, second = expand(a), expand(b)
    if not first or not second:
        return False
    return EVERYWHERE in first or EVERYWHERE in second or bool(first & second)


def _compress(leaves: set[str]) -> set[str]:
    """All 31 provinces -> CN (so an overlap reads "Mainland China", not 31 names)."""
    provinces = set(places()["CN"].members)
    if provinces <= leaves:
        leaves = (leaves - provinces) | {"CN"}
    return leaves


def overlap(a, b) -> list[str]:
    """The places both territories cover, as keys in display order (``[]`` when none)."""
    first, second = expand(a), expand(b)
    if not first or not second:
        return []
    if EVERYWHERE in first and EVERYWHERE in second:
        common = {WORLD}
    elif EVERYWHERE in first:
        common = set(second)
    elif EVERYWHERE in second:
        common = set(first)
    else:
        common = set(first & second)
    return _ordered(_compress(common))


def _ordered(keys) -> list[str]:
    table = places()
    return sorted(keys, key=lambda key: table[key].order)


def name(key: str) -> str:
    """One place's name in the active language."""
    return places()[key].name


def display(keys) -> str:
    """The territory in the active language: ``"France, Germany"`` / ``"法国、德国"`` (Worldwide first, then
    groupings, countries and regions, provinces)."""
    return wording.enumeration(name(key) for key in _ordered(normalise(keys)))


def _lookup(text: str) -> list[str] | None:
    key = _spellings().get(_spelling(text))
    if key:
        return [key]
    composite = COMPOSITE.get(_spelling(text))
    return list(composite) if composite else None


def from_listing_text(text: str) -> list[str]:
    """Keys for a listing's free-text territory (English or Chinese, a known name or a list of them:
    ``"United States and Canada"`` -> ``["CA", "US"]``); anything not understood in full -> ``[]``."""
    text = (text or "").strip()
    if not text:
        return []
    known = listing_territories.names(text)
    candidates = [known[0]] if known else []
    candidates.append(text)
    for candidate in candidates:
        found = _lookup(candidate)
        if found:
            return normalise(found)
    parts = [part for part in _LIST_SPLIT.split(text) if part]
    if len(parts) < 2:
        return []
    keys: list[str] = []
    for part in parts:
        pair = listing_territories.names(part)
        found = _lookup(pair[0]) if pair else None
        found = found or _lookup(part)
        if not found:
            return []
        keys.extend(found)
    return normalise(keys)
