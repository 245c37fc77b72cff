"""The import's checks of broken text, as problems a user can act on (row, column, what to do).

* An unclosed CSV quote stops the whole file (``unclosed_quote_error``): every row after it would be
  read into one value, so nothing in the file can be trusted; the message names the row, column and
  line where the quote opened.
* A row saved in another encoding than the rest of the file (UTF-8 lines in a GBK file, or the
  reverse) is refused (``refuse_mixed_encoding``): storing it would store garbled text.
* A value with NUL or another control character is refused (``control_character_problems``).

In "valid rows" mode the other rows are still imported; "all or nothing" imports nothing.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from listings import import_text, numbers
from listings.import_problems import ImportFileError, Problem, RawRows


def looks_like_number(text: str) -> bool:
    if not re.match(r"[A-Za-z]{2}\s?\d|ZL\d", text or ""):
        return False
    try:
        numbers.normalise_number(text)
    except ValueError:
        return False
    return True


def unclosed_quote_error(exc: import_text.CSVQuoteError, header: list[str]) -> ImportFileError:
    column = header[exc.field].strip() if 0 <= exc.field < len(header) and exc.record > 1 else ""
    message = _('The quote (") that opens this value on line %(line)s of the file is not closed where the value '
                'ends, so the rows after it would be read into this one value. Close the quote, or write a quote '
                'inside a value as two quotes (""). Nothing was imported.') % {"line": exc.line}
    summary = _("The file is not valid CSV: row %(row)s has a quote that is not closed.") % {"row": exc.record}
    return ImportFileError(summary, [Problem(exc.record, column, message)])


def csv_cell_too_long_error(exc: import_text.CSVCellTooLong) -> ImportFileError:
    message = _("A value in row %(row)s (line %(line)s) is longer than %(limit)s characters: this is not a patent "
                "record (is a quote left open?). Nothing was imported.") % {
        "row": exc.record, "line": exc.line, "limit": f"{import_text.MAX_CSV_CELL_CHARS:,}"}
    return ImportFileError(message, [Problem(exc.record, "", message)])


def refuse_mixed_encoding(raw: RawRows, odd_lines: set[int], odd_encoding: str) -> RawRows:
    """Move the rows that touch ``odd_lines`` from ``raw.rows`` to ``raw.row_problems``."""
    if odd_encoding == "UTF-8":
        message = _("this row is saved as UTF-8 while the rest of the file is GB18030 (GBK); the row was not "
                    "imported, so that its text is not stored garbled. Save the whole file as UTF-8 and import "
                    "it again.")
    else:
        message = _("this row is saved as GB18030 (GBK) while the rest of the file is UTF-8; the row was not "
                    "imported, so that its text is not stored garbled. Save the whole file as UTF-8 and import "
                    "it again.")
    kept = []
    for row_no, cells in raw.rows:
        first, last = raw.lines.get(row_no, (row_no, row_no))
        if any(line in odd_lines for line in range(first, last + 1)):
            column = next((name for name, value in cells.items() if isinstance(value, str) and not value.isascii()),
                          "")
            raw.row_problems.append(Problem(row_no, raw.headers.get(column, column), message))
        else:
            kept.append((row_no, cells))
    raw.rows = kept
    if 1 in odd_lines:  # the header itself
        raw.row_problems.insert(0, Problem(1, "", message, level="warning"))
    return raw


def control_character_problems(cells: dict[str, Any], headers: dict[str, str], row: int, unit: str) -> list[Problem]:
    problems = []
    for name, value in cells.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if not isinstance(item, str):
                continue
            found = import_text.control_character(item)
            if found:
                position, char = found
                problems.append(Problem(row, headers.get(name, name), _(
                    "contains the control character %(char)s at character %(position)s; the row was not imported "
                    "(such characters come from a damaged or binary file: remove them)") % {
                    "char": char, "position": position}, unit=unit))
                break
    return problems
