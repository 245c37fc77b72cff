"""Patent and application numbers in what people type: one piece of code for the browse page's search box
(``/listings/?q=US 8088512 B2``) and the API's ``/api/v1/patents/by-number/<number>/``.

``split_query(text)`` finds the numbers in a query — whole (``US 8088512 B2``, ``CN201810793986``,
``ZL201810793986.0``, ``EP0473-8766.7``) or bare (``8088512``: any office) — and hands back the rest of the
words for the full-text search. Spelling is ``listings.numbers``' business (``normalise_number``); this module
only decides which pieces of a query are numbers and how a number finds stored patents:

* the kind code is ignored (``US 8088512`` finds ``US 8088512 B2``), as are leading zeros (``EP 604560`` and
  ``EP 0604560`` are one number, whichever way the importer stores it);
* an application number finds its record with or without the check digit (``CN 201810793986`` →
  ``CN 201810793986.0``);
* a bare number (at least ``MIN_BARE_DIGITS`` digits, so years and quantities stay words) matches every
  office; one with its office only that office.

A number is looked for only in what the caller passes in (browse: browsable listings only).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat

from listings import numbers

MIN_DIGITS = 5  # a number with an office has at least this many digits ("US 2020" is words)
MIN_BARE_DIGITS = 6  # a bare number has at least this many ("2019", "1000" are words)
MAX_NUMBERS = 5  # numbers taken from one query
MAX_ZEROS = 2  # leading zeros a stored number may have that the query has not (and the other way round)
CHECK_DIGITS = "0123456789X"  # of application numbers: CN 201810793986.0, EP 04738766.7
# Offices also accepted as a separate lower-case word before the number ("us 8088512"); other two-letter
# codes are English words too often ("in", "at", "be", "it") and must be written in capitals or joined.
LOWER_CASE_OFFICES = {"US", "CN", "EP", "WO", "JP", "KR", "TW", "ZL", "DE", "GB", "FR", "RU", "CA", "AU"}

_BARE = re.compile(r"\d[\d,]*(?:\.[\dX])?", re.IGNORECASE)  # 8088512, 8,088,512, 201810793986.0
_OFFICE_WORD = re.compile(r"[A-Za-z]{2}")
_KIND_WORD = re.compile(r"[A-Za-z]\d?")
# what a number with its office starts with: two letters, then digits or a series prefix (US RE/PP/D/H/T,
# WO PCT-…, the TW KG-… identifiers of the demo); "cathode123" is a word, not office CA + "THODE123"
_OFFICE_START = re.compile(r"[A-Za-z]{2}-?(?:RE|PP|PCT-?(?:[A-Z]{2})?|KG-|[DHT])?\d", re.IGNORECASE)
_DIGIT_BODY = re.compile(r"(?P<digits>\d+)(?:\.(?P<check>[\dX]))?")
_TRIM = ".,;:()[]{}\"'“”‘’"


@dataclass(frozen=True)
class NumberQuery:
    """A number found in a query: ``office`` is "" for a bare number (any office)."""

    text: str  # as typed
    office: str
    number: str  # normalised by listings.numbers (kind code apart)
    kind: str = ""

    def __str__(self):
        return " ".join(part for part in (self.office, self.number, self.kind) if part)

    @property
    def variants(self) -> frozenset[str]:
        """The stored spellings this number may have: with or without leading zeros (up to ``MAX_ZEROS`` more,
        or up to 8 digits: EP keeps 7, EP applications 8) and with or without a check digit. Empty when the
        number has letters in it (USRE…, USD…, TW KG-…, WO PCT-…): those are matched exactly. A list of
        values, not a pattern, so that the database uses its (office, number) index."""
        match = _DIGIT_BODY.fullmatch(self.number)
        if not match:
            return frozenset()
        digits = match["digits"].lstrip("0") or "0"
        checks = [match["check"]] if match["check"] else list(CHECK_DIGITS)
        out = set()
        for zeros in range(max(MAX_ZEROS, 8 - len(digits)) + 1):
            body = "0" * zeros + digits
            out.add(body)
            out.update(f"{body}.{check}" for check in checks)
        return frozenset(out)

    def patent_condition(self, prefix: str = "") -> Q:
        """The stored patents this number means (``prefix``: the path to Patent, e.g. ``patents__``)."""
        variants = self.variants
        if variants:
            condition = Q(**{f"{prefix}number__in": sorted(variants)})
        else:
            condition = Q(**{f"{prefix}number__iexact": self.number})
        if self.office:
            condition &= Q(**{f"{prefix}office": self.office})
        return condition

    def names(self, patent) -> bool:
        """Whether this number means ``patent`` (``patent_condition`` in Python)."""
        if self.office and patent.office != self.office:
            return False
        variants = self.variants
        return patent.number in variants if variants else patent.number.upper() == self.number.upper()


@dataclass
class SplitQuery:
    numbers: list[NumberQuery] = field(default_factory=list)
    rest: str = ""  # the query without its numbers, for the full-text search

    @property
    def only_numbers(self) -> bool:
        """The query is just one or more numbers (nothing left for the full-text search)."""
        return bool(self.numbers) and not self.rest


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _with_office(tokens: list[str]) -> NumberQuery | None:
    """``["US", "8088512", "B2"]``, ``["US8088512", "B2"]``, ``["US8088512B2"]``, ``["CN", "201810793986.0"]``
    → a number, or None."""
    if not tokens or not any(ch.isdigit() for ch in "".join(tokens)):
        return None
    first = tokens[0]
    if len(tokens) > 1 and _OFFICE_WORD.fullmatch(first):  # "US 8088512", "US 8088512 B2"
        if not (first.isupper() or first.upper() in LOWER_CASE_OFFICES):
            return None
        if len(tokens) == 3 and not _KIND_WORD.fullmatch(tokens[2]):
            return None
    elif len(tokens) == 2:  # "US8088512 B2"
        if not _KIND_WORD.fullmatch(tokens[1]):
            return None
    elif len(tokens) > 2:
        return None
    text = " ".join(tokens)
    compact = "".join(tokens)
    if not _OFFICE_START.match(compact):
        return None
    try:
        parsed = numbers.normalise_number(compact)
    except ValueError:
        return None
    if _digit_count(parsed.number) < MIN_DIGITS:
        return None
    return NumberQuery(text, parsed.office, parsed.number, parsed.kind)


def _bare(token: str) -> NumberQuery | None:
    if not _BARE.fullmatch(token) or _digit_count(token.split(".")[0]) < MIN_BARE_DIGITS:
        return None
    return NumberQuery(token, "", token.replace(",", "").upper())


def split_query(text: str) -> SplitQuery:
    """The patent numbers in ``text`` (longest spelling first: ``US 8088512 B2`` before ``US 8088512``) and
    the words left over. Words, IPC codes (``H01M 10/052``) and short numbers (``2019``) stay words."""
    tokens = unicodedata.normalize("NFKC", text or "").split()  # full-width ＵＳ８０８８５１２ from Chinese IMEs
    found = SplitQuery()
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        number = None
        if len(found.numbers) < MAX_NUMBERS:
            for width in (3, 2, 1):
                window = [t.strip(_TRIM) if k in (0, width - 1) else t for k, t in enumerate(tokens[i:i + width])]
                if len(window) == width and all(window):
                    number = _with_office(window) or (_bare(window[0]) if width == 1 else None)
                    if number is not None:
                        break
        if number is None:
            rest.append(tokens[i])
            i += 1
        else:
            if number not in found.numbers:
                found.numbers.append(number)
            i += width
    found.rest = " ".join(rest)
    return found


def patents_matching(patents: QuerySet, raw: str) -> QuerySet:
    """The patents of ``patents`` that ``raw`` (one number, in any usual spelling) names, by office and number.
    Raises ``ValueError`` (saying what is wrong) when ``raw`` is no number; a spelling outside the usual
    offices (e.g. the NASA demo's case numbers ``NASA GSC-TOPS-35``) is matched as office + number exactly."""
    found = split_query(raw)
    if len(found.numbers) == 1 and not found.rest:
        return patents.filter(found.numbers[0].patent_condition()).order_by("office", "number")
    compact = re.sub(r"\s", "", raw or "").upper()
    exact = patents.annotate(_compact=Concat("office", Value(""), "number")).filter(_compact=compact)
    if not exact.exists():
        numbers.normalise_number(raw)  # raises the reason it is not a number
    return exact.order_by("office", "number")


def display(raw: str) -> str:
    """``raw`` in the canonical form when it is one number (``us8088512b2`` → ``US 8088512 B2``)."""
    found = split_query(raw)
    return str(found.numbers[0]) if len(found.numbers) == 1 and not found.rest else (raw or "").strip()


def find_listings(listings: QuerySet, found: list[NumberQuery], limit: int = 50) -> list[tuple[NumberQuery, list[int]]]:
    """For each number, the ids of the listings of ``listings`` holding a patent with it (newest first).

    Two steps — the patents by number (the (office, number) index), then their listings — rather than one join,
    which SQLite planned as listings × patents of the office (47 s for ``US8088512`` on the demo with a
    pattern match)."""
    from listings.models import Listing, Patent

    out = []
    for number in found:
        patent_ids = list(Patent.objects.filter(number.patent_condition()).values_list("pk", flat=True)[:limit])
        holding = set(Listing.patents.through.objects.filter(patent_id__in=patent_ids)
                      .values_list("listing_id", flat=True)) if patent_ids else set()
        ids = list(listings.filter(pk__in=holding).order_by("-published_at", "-pk")
                   .values_list("pk", flat=True)[:limit]) if holding else []
        out.append((number, ids))
    return out
