"""What the import reports: ``Problem`` (row, column, message), ``ImportFileError`` (the file as a
whole), ``RawRows`` (what reading a file gives). Shared by ``listings.importer`` and its helper
modules (``import_checks``, ``import_safety``), re-exported by ``listings.importer``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _


@dataclass
class Problem:
    """One problem: ``row`` as the user sees it (None for the whole file), ``column`` as the file
    names it ('' for the whole row), a specific translated ``message``."""

    row: int | None
    column: str
    message: str
    level: str = "error"  # or "warning"
    unit: str = "row"  # "row" (CSV/Excel) or "line" (JSON Lines)

    def __str__(self) -> str:
        values = {"row": self.row, "column": self.column, "message": self.message}
        if self.row is None:
            return self.message if not self.column else _("column %(column)s: %(message)s") % values
        if self.unit == "line":
            if self.column:
                return _("line %(row)s, field %(column)s: %(message)s") % values
            return _("line %(row)s: %(message)s") % values
        if self.column:
            return _("row %(row)s, column %(column)s: %(message)s") % values
        return _("row %(row)s: %(message)s") % values

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "level": self.level,
                "unit": self.unit}


class ImportFileError(Exception):
    """The file as a whole cannot be imported (encoding, format, missing columns)."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or [Problem(None, "", message)]


@dataclass
class RawRows:
    """What ``read_file`` returns: rows of raw cells keyed by canonical column."""

    format: str
    rows: list[tuple[int, dict[str, Any]]]  # (row number as the user sees it, {column: raw value})
    headers: dict[str, str]  # canonical column -> the name the file uses (for messages)
    unit: str = "row"
    warnings: list[Problem] = field(default_factory=list)
    row_problems: list[Problem] = field(default_factory=list)  # rows that could not even be read
    lines: dict[int, tuple[int, int]] = field(default_factory=dict)  # CSV: row -> first and last physical line
