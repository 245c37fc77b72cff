"""The patent offices a number may belong to: every two-letter code of WIPO Standard ST.3.

The table is data (``listings/data/st3_offices.csv``, see the ``.md`` beside it), read once.
``is_office("UA")`` → True; ``office_name("EP")`` → "European Patent Office (EPO)".
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "st3_offices.csv"


@cache
def _table() -> dict[str, tuple[str, str]]:
    with open(DATA_FILE, newline="", encoding="utf-8") as handle:
        return {row["code"]: (row["name"], row["status"]) for row in csv.DictReader(handle)}


def codes() -> frozenset[str]:
    return frozenset(_table())


def is_office(code: str | None) -> bool:
    return bool(code) and str(code).strip().upper() in _table()


def office_name(code: str) -> str:
    """WIPO's English name (user data, like a title: not translated), or '' for an unknown code."""
    return _table().get(str(code).strip().upper(), ("", ""))[0]
