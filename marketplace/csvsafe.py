"""CSV files the project writes, safe to open in a spreadsheet (no formula injection).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula
by Excel, LibreOffice and Google Sheets (``=cmd|' /C calc'!A0``, ``=HYPERLINK(...)``): OWASP's
"CSV injection". Such a cell gets a leading apostrophe, which spreadsheets show as text and do not
print. Numbers (int, float) are left alone, so ``-3`` stays a number; a text ``"-3"`` is quoted too,
since the writer cannot know where it came from.

Every CSV the project writes goes through ``writer(...)`` (or ``safe_cell`` / ``safe_row``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# full-width forms that some spreadsheets also accept as the start of a formula
FORMULA_STARTS += ("＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


class SafeWriter:
    """``csv.writer`` whose rows are neutralised before they are written."""

    def __init__(self, fileobj, *args, **kwargs):
        self._writer = csv.writer(fileobj, *args, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]):
        for row in rows:
            self.writerow(row)

    @property
    def dialect(self):
        return self._writer.dialect


def writer(fileobj, *args, **kwargs) -> SafeWriter:
    return SafeWriter(fileobj, *args, **kwargs)
