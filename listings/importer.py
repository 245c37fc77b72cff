"""Bulk import of patents from CSV, JSON Lines or Excel (.xlsx) for one owner organisation.

``manage.py import_patents`` and the web upload (an ``ImportJob`` run as a background task) share
the same three steps:

1. **read** (``read_file``): the bytes become rows of raw cells keyed by canonical column names.
   Problems with the file as a whole (not UTF-8, not a spreadsheet, no ``number`` column...) raise
   ``ImportFileError``. Row numbers are the ones a user sees: in a spreadsheet or CSV the header is
   row 1 and the first data row is row 2; in JSON Lines they are line numbers.
2. **validate** (``validate_rows``): pure Python, no database. Every row and column is checked and
   every problem is reported (``Problem``: row, column, message), not just the first.
3. **write** (``write_rows``): one transaction that locks the owner, fetches the existing patents by
   (office, number) in chunks and writes everything in bulk: patents, classifications, listings and
   their patent links, audit entries. On commit: ONE search-index task for every affected listing and
   the ``listing_published`` signal for each newly published listing.

``import_file`` runs the three. Modes: ``all-or-nothing`` (the default: if any row fails, nothing is
imported) and ``valid-rows`` (the valid rows are imported, the others reported). Re-importing a file
updates the same patents (unique by office + number) and the listings created for them
(``Listing.import_patent``); it never duplicates.

Progress is reported through a callback ``progress(stage, done, total)``. The web job stores it in
the cache (readable by the polling page while the write transaction is still open, also on SQLite
where another connection could not write) and in the ``ImportJob`` row outside the transaction.

The ``ImportJob`` status changes (queued → running → succeeded/failed) are the action functions at
the end of this module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import re
import time
import zipfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from listings import import_checks, import_safety, import_text, numbers
from listings.import_problems import ImportFileError, Problem, RawRows
from listings.actions import default_terms_for, listing_published
from listings.models import (
    ImportJob,
    ImportMode,
    ImportStatus,
    LegalStatus,
    Listing,
    ListingState,
    Patent,
    PatentClassification,
)
from marketplace import audit
from marketplace.actions import ActionError, NotAllowed, require_can_publish, require_member
from marketplace.models import AuditEntry, Organisation
from marketplace.states import check_transition

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

# --- limits -----------------------------------------------------------------------------
MAX_ROWS = getattr(settings, "IMPORT_MAX_ROWS", 100_000)
MAX_UPLOAD_BYTES = settings.IMPORT_MAX_UPLOAD_BYTES
MAX_STORED_PROBLEMS = 1000  # per ImportJob (the command line prints them all)
CHUNK = 500  # rows per query / bulk statement (well under SQLite's parameter limit)
WRITE_CHUNK = 1000  # rows whose model objects are in memory at once while writing
SQLITE_SPILL_PAGES = 2_500  # ~10 MiB of changed pages kept in memory before SQLite spills them

FORMATS = {  # extension -> format
    ".csv": "csv", ".txt": "csv", ".tsv": "csv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
}
SUPPORTED_EXTENSIONS = (".csv", ".jsonl", ".xlsx")

# Progress stages, in order; the web page shows one bar, so each stage covers a share of it.
STAGES = {
    "reading": (0, 10),
    "validating": (10, 40),
    "patents": (40, 75),
    "listings": (75, 90),
    "recording": (90, 100),
}


def stage_label(stage: str) -> str:
    return {
        "queued": _("Waiting to start"),
        "reading": _("Reading the file"),
        "validating": _("Checking the rows"),
        "patents": _("Saving patents"),
        "listings": _("Publishing listings"),
        "recording": _("Recording"),
        "done": _("Finished"),
    }.get(stage, stage)


def overall_percent(stage: str, done: int, total: int) -> int:
    low, high = STAGES.get(stage, (0, 100))
    fraction = min(1.0, done / total) if total else 0.0
    return int(low + (high - low) * fraction)


# --- columns ----------------------------------------------------------------------------
COLUMNS = (
    "number", "title", "abstract", "claims", "cpc_or_ipc", "assignee", "applicants", "inventors", "country",
    "office", "filing_date", "grant_date", "expiry_date", "legal_status", "lang", "source",
)
ALIASES = {
    "ipc": "cpc_or_ipc", "cpc": "cpc_or_ipc", "ipc_codes": "cpc_or_ipc", "classification": "cpc_or_ipc",
    "language": "lang", "patent_number": "number", "applicant": "applicants", "inventor": "inventors",
}
REQUIRED_COLUMNS = ("number", "title")
TEXT_LIMITS = {"title": 500, "source": 300}  # Patent field max_length
LIST_COLUMNS = ("applicants", "inventors", "assignee")
DATE_COLUMNS = ("filing_date", "grant_date", "expiry_date")

LANGUAGES = {"en": "en", "zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans",
             "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant", "en-us": "en", "en-gb": "en"}
LEGAL_STATUSES = {
    **{value: value for value in LegalStatus.values},
    "application": LegalStatus.PENDING, "pending (application)": LegalStatus.PENDING,
    "active": LegalStatus.GRANTED, "in force": LegalStatus.GRANTED, "valid": LegalStatus.GRANTED,
    "审中": LegalStatus.PENDING, "审查中": LegalStatus.PENDING, "公开": LegalStatus.PENDING,
    "授权": LegalStatus.GRANTED, "有效": LegalStatus.GRANTED,
    "失效": LegalStatus.LAPSED, "未缴年费": LegalStatus.LAPSED, "期限届满": LegalStatus.EXPIRED,
}


def canonical_column(header: Any) -> str:
    """``" Filing Date "`` → ``filing_date``; aliases (``ipc``, ``language``...) → their column."""
    name = str(header if header is not None else "").replace("\ufeff", "").strip().lower()
    name = re.sub(r"[\s\-]+", "_", name)
    return ALIASES.get(name, name)


# --- problems and results ---------------------------------------------------------------
@dataclass
class PatentRow:
    """A valid row, normalised: ready to write."""

    row: int
    office: str
    number: str
    kind: str
    fields: dict[str, Any]  # Patent field -> value, only for the columns the row has
    ipc: list[numbers.IPCCode] | None  # None when the row has no classification column

    @property
    def display_number(self) -> str:
        return " ".join(p for p in (self.office, self.number, self.kind) if p)


@dataclass
class ImportResult:
    format: str = ""
    mode: str = ImportMode.ALL_OR_NOTHING
    publish: bool = False
    dry_run: bool = False
    total_rows: int = 0
    valid_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    published: int = 0
    imported: bool = False  # the write transaction committed
    message: str = ""  # why nothing was imported (file error, errors in all-or-nothing mode)
    problems: list[Problem] = field(default_factory=list)
    listing_ids: list[int] = field(default_factory=list)  # listings sent to the search index

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def error_rows(self) -> int:
        return len({p.row for p in self.errors if p.row is not None})

    @property
    def succeeded(self) -> bool:
        """Something was imported, or there was nothing to import and nothing wrong."""
        return self.imported and (self.valid_rows > 0 or not self.errors)

    def summary(self) -> str:
        values = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                  "published": self.published}
        text = _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % values
        if self.publish:
            text += " " + ngettext("%(published)s listing published.", "%(published)s listings published.",
                                   self.published) % values
        return text


# --- step 1: read -----------------------------------------------------------------------
def detect_format(name: str, head: bytes = b"") -> str:
    ext = os.path.splitext(name or "")[1].lower()
    if ext == ".xls":
        raise ImportFileError(_("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV (UTF-8)."))
    if ext in FORMATS:
        return FORMATS[ext]
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    if ext in ("", ".dat"):
        return "csv"
    raise ImportFileError(
        _('Unknown file type "%(ext)s": upload CSV (UTF-8), JSON Lines (.jsonl) or Excel (.xlsx).') % {"ext": ext}
    )


def read_file(source, name: str | None = None, *, progress: Progress | None = None) -> RawRows:
    """``source`` is a path, bytes or a binary file object; ``name`` gives the format (extension)."""
    if isinstance(source, (str, os.PathLike)):
        name = name or os.fspath(source)
        with open(source, "rb") as fh:
            data = fh.read(MAX_UPLOAD_BYTES + 1)
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            _("The file is larger than %(size)s MB: split it into smaller files.")
            % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    if not data or data.isspace():  # (data.strip() would copy the whole file)
        raise ImportFileError(_("The file is empty."))
    fmt = detect_format(name or "", data[:64])
    if fmt == "xlsx":
        raw = _read_xlsx(data, progress)
        del data
    else:
        text, warnings, odd_lines, odd_encoding = _decode(data, fmt)
        del data  # the bytes are not needed once decoded (the caller passes a path or a file, not bytes)
        tab = (name or "").lower().endswith(".tsv")
        raw = _read_jsonl(text) if fmt == "jsonl" else _read_csv(text, tab=tab)
        del text
        raw.warnings[:0] = warnings
        if odd_lines:
            raw = import_checks.refuse_mixed_encoding(raw, odd_lines, odd_encoding)
    if len(raw.rows) > MAX_ROWS:
        raise ImportFileError(
            _("The file has %(count)s rows; at most %(max)s can be imported at once: split it.")
            % {"count": len(raw.rows), "max": MAX_ROWS}
        )
    if not raw.rows and not raw.row_problems:
        raise ImportFileError(_("The file has no data rows (only a header, or nothing)."))
    return raw


def _looks_chinese(text: str) -> bool:
    """True when almost every non-ASCII character is CJK (so a GB18030 decode is trustworthy)."""
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return False
    cjk = sum(
        1 for ch in non_ascii
        if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
        or "\u3400" <= ch <= "\u4dbf"
    )
    return cjk / len(non_ascii) >= 0.9


def _decode(data: bytes, fmt: str) -> tuple[str, list[Problem], set[int], str]:
    """Text, file warnings, the physical lines saved in another encoding than the rest of the file,
    and the name of that other encoding. A UTF-8 CSV file stays bytes, decoded line by line."""
    if fmt == "csv" and import_text.is_utf8(data):
        return import_text.UTF8Source(data, 3 if data.startswith(b"\xef\xbb\xbf") else 0), [], set(), ""
    try:
        return data.decode("utf-8-sig"), [], set(), ""
    except UnicodeDecodeError as exc:
        bad = exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16 with a byte-order mark
        try:
            return data.decode("utf-16"), [], set(), ""
        except UnicodeDecodeError:
            pass
    decoded = import_text.decode_gb18030_lines(data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
    if decoded.bad_line is None and _looks_chinese(decoded.text):
        if len(decoded.utf8_lines) > len(decoded.gb_lines):  # a UTF-8 file with a few GB18030 lines
            return decoded.text, [], decoded.gb_lines, "GB18030"
        return decoded.text, [Problem(None, "", _("The file is not UTF-8; it was read as GB18030 (Chinese). Check "
                                                  "the text below and save the file as UTF-8 to be sure."),
                                      level="warning")], decoded.utf8_lines, "UTF-8"
    start = bad.start - (3 if data.startswith(b"\xef\xbb\xbf") else 0)
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    row, column = _locate_byte(body, start, fmt)
    byte = body[start:start + 1].hex().upper()
    message = _("The file is not UTF-8 (try saving as UTF-8): byte 0x%(byte)s cannot be read.") % {"byte": byte}
    unit = "line" if fmt == "jsonl" else "row"
    raise ImportFileError(message, [Problem(row, column, message, unit=unit)])


def _locate_byte(data: bytes, start: int, fmt: str) -> tuple[int | None, str]:
    """Row (as the user sees it) and column of the first undecodable byte."""
    prefix = data[:start].decode("utf-8", errors="replace")
    if fmt == "jsonl":
        return prefix.count("\n") + 1, ""
    try:
        delimiter = _sniff_delimiter(prefix)
        records = list(csv.reader(io.StringIO(prefix, newline=""), delimiter=delimiter))
        header = next(csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""),
                                 delimiter=delimiter), [])
    except csv.Error:
        return prefix.count("\n") + 1, ""
    if not records or prefix.endswith(("\n", "\r")):
        return len(records) + 1, (header[0].strip() if header and records else "")
    index = len(records[-1]) - 1
    return len(records), (header[index].strip() if 0 <= index < len(header) else "")


def _map_headers(cells: list[Any], row: int, unit: str) -> tuple[list[str | None], dict[str, str], list[Problem]]:
    """Canonical name per position (None: ignored), canonical -> original name, warnings."""
    names: list[str | None] = []
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for cell in cells:
        original = str(cell if cell is not None else "").replace("\ufeff", "").strip()
        canonical = canonical_column(original)
        if not canonical:
            names.append(None)
            continue
        if canonical not in COLUMNS:
            unknown.append(original)
            names.append(None)
            continue
        if canonical in headers:
            raise ImportFileError(
                _('The columns "%(first)s" and "%(second)s" both mean %(column)s: keep one.')
                % {"first": headers[canonical], "second": original, "column": canonical}
            )
        headers[canonical] = original
        names.append(canonical)
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        found = ", ".join(str(c).strip() for c in cells if c is not None and str(c).strip()) or "—"
        raise ImportFileError(
            _("The file has no %(columns)s column (the first row must name the columns; found: %(found)s).")
            % {"columns": " / ".join(missing), "found": found}
        )
    warnings = []
    if unknown:
        warnings.append(Problem(row, "", _("unknown columns ignored: %(columns)s") % {"columns": ", ".join(unknown)},
                                level="warning", unit=unit))
    return names, headers, warnings


def _sniff_delimiter(text) -> str:
    if isinstance(text, import_text.UTF8Source):
        first = text.first_line()
    else:
        end = text.find("\n")
        first = text[:end] if end >= 0 else text  # not text.split(): that would copy the whole file
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv(text: str, tab: bool = False) -> RawRows:
    delimiter = "\t" if tab else _sniff_delimiter(text)
    rows: list[tuple[int, dict]] = []
    problems: list[Problem] = []
    lines: dict[int, tuple[int, int]] = {}  # row -> its first and last physical line
    header: list[str] = []
    try:
        records = import_text.records(text, delimiter)
        first = next(records, None)
        header = first.cells if first else []
        if not header or not any(c.strip() for c in header):
            raise ImportFileError(_("The first row must name the columns (number, title, ...), but it is empty."))
        names, headers, warnings = _map_headers(header, 1, "row")
        width = len(header)
        for record in records:
            row_no, cells = record.number, record.cells
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                problems.append(Problem(row_no, "", _("this row has %(count)s values but the header names "
                                                      "%(columns)s columns") % {"count": len(cells), "columns": width}))
                continue
            for index, value in enumerate(cells):
                if "\n" in value or "\r" in value:
                    if import_text.suspicious_multiline(value, delimiter, import_checks.looks_like_number):
                        raise import_text.CSVQuoteError(row_no, index, record.first_line
                                                        + sum(c.count("\n") for c in cells[:index]))
            lines[row_no] = (record.first_line, record.last_line)
            rows.append((row_no, {n: v for n, v in zip(names, cells) if n is not None}))
    except import_text.CSVQuoteError as exc:
        raise import_checks.unclosed_quote_error(exc, header) from None
    except import_text.CSVCellTooLong as exc:
        raise import_checks.csv_cell_too_long_error(exc) from None
    return RawRows("csv", rows, headers, "row", warnings, problems, lines)


def _read_jsonl(text: str) -> RawRows:
    rows: list[tuple[int, dict]] = []
    problems: list[Problem] = []
    headers: dict[str, str] = {}
    unknown: dict[str, None] = {}
    first = True
    for line_no, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if first and line.startswith("["):
            raise ImportFileError(_("This is a JSON array: write one JSON object per line (JSON Lines)."))
        first = False
        try:
            obj = json.loads(line)
        except ValueError as exc:
            problems.append(Problem(line_no, "", _("not valid JSON (at character %(column)s)") % {"column": exc.colno}, unit="line"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(line_no, "", _("expected a JSON object {…}"), unit="line"))
            continue
        cells = {}
        for key, value in obj.items():
            canonical = canonical_column(key)
            if canonical in COLUMNS:
                cells[canonical] = value
                headers.setdefault(canonical, str(key))
            else:
                unknown.setdefault(str(key))
        rows.append((line_no, cells))
    warnings = []
    if unknown:
        warnings.append(Problem(None, "", _("unknown fields ignored: %(columns)s") % {"columns": ", ".join(unknown)},
                                level="warning", unit="line"))
    return RawRows("jsonl", rows, headers, "line", warnings, problems)


def _read_xlsx(data: bytes, progress: Progress | None) -> RawRows:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            import_safety.check_xlsx(archive)  # sizes, ratio, cells: before openpyxl inflates anything
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise ImportFileError(
            _("This is not an Excel .xlsx file that can be read (%(error)s).") % {"error": exc}
        ) from None
    try:
        with import_safety.damaged_workbook():
            sheets = workbook.worksheets
            if not sheets:
                raise ImportFileError(_("The workbook has no sheets."))
            sheet = sheets[0]
            estimate = min(sheet.max_row or 0, MAX_ROWS)
            sheet.reset_dimensions()  # a claimed A1:XFD1048576 would pad every row to 16,384 cells
        warnings = []
        if len(sheets) > 1:
            warnings.append(Problem(None, "", _('Only the first sheet, "%(sheet)s", was read.') % {"sheet": sheet.title},
                                    level="warning"))
        rows: list[tuple[int, dict]] = []
        names: list[str | None] | None = None
        headers: dict[str, str] = {}
        for row_no, values in enumerate(import_safety.sheet_rows(sheet), start=1):
            if not any(v is not None and str(v).strip() for v in values):
                continue
            if names is None:
                names, headers, header_warnings = _map_headers(list(values), row_no, "row")
                warnings += header_warnings
                continue
            rows.append((row_no, {n: v for n, v in zip(names, values) if n is not None}))
            if len(rows) > MAX_ROWS:  # stop streaming now: read_file refuses the file anyway
                break
            if progress and row_no % 1000 == 0:
                progress("reading", row_no, estimate)
        if names is None:
            raise ImportFileError(_("The first sheet is empty."))
    finally:
        workbook.close()
    return RawRows("xlsx", rows, headers, "row", warnings, [])


# --- step 2: validate -------------------------------------------------------------------
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _split_names(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        parts = [_text(v) for v in value]
    else:
        parts = re.split(r"[;\n|]+", _text(value))
    return [p.strip() for p in parts if p and p.strip()]


def parse_date(value: Any, *, excel: bool = False) -> dt.date | None:
    """ISO ``YYYY-MM-DD``, also ``YYYY/MM/DD`` and Excel dates. Raises ValueError (message: translated)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if excel and isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()
    text = _text(value)
    match = _DATE.fullmatch(text)
    if match:
        try:
            parsed = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            parsed = None
        if parsed is not None and 1850 <= parsed.year <= 2100:
            return parsed
    raise ValueError(_('"%(value)s" is not a date (expected YYYY-MM-DD)') % {"value": text})


def _number_problem(raw: str) -> str:
    compact = re.sub(r"[\s,/]", "", raw).upper()
    if not compact:
        return _("the patent number is empty")
    if compact[:2].isalpha() and compact[:2] not in numbers.OFFICES and not compact.startswith("ZL"):
        return _('unknown patent office "%(office)s" in "%(value)s"') % {"office": compact[:2], "value": raw}
    return _('"%(value)s" is not a patent number (expected e.g. CN 112345678 B or US 10,123,456 B2)') % {"value": raw}


def _guess_language(title: str, office: str) -> str:
    if not _CJK.search(title or ""):
        return "en"
    return "zh-Hant" if office in ("TW", "HK") else "zh-Hans"


def validate_rows(raw: RawRows, *, progress: Progress | None = None,
                  consume: bool = False) -> tuple[list[PatentRow], list[Problem]]:
    """Check every row (no database). Returns the valid rows and every problem found. ``consume``
    empties ``raw.rows`` as it goes (so that a big file is not held twice in memory)."""
    problems: list[Problem] = list(raw.warnings) + list(raw.row_problems)
    valid: list[PatentRow] = []
    seen: dict[tuple[str, str], int] = {}
    unit = raw.unit
    excel = raw.format == "xlsx"
    total = len(raw.rows)
    col = raw.headers.get
    status_labels = {str(label).lower(): value for value, label in LegalStatus.choices}

    for index in range(1, total + 1):
        row_no, cells = raw.rows[index - 1]
        if consume:
            raw.rows[index - 1] = None
        row_errors: list[Problem] = []

        def error(column: str, message: str, _row=row_no, _errors=row_errors):
            _errors.append(Problem(_row, col(column, column) if column else "", message, unit=unit))

        for name, value in cells.items():
            if isinstance(value, dict) or (isinstance(value, (list, tuple)) and name not in (*LIST_COLUMNS, "cpc_or_ipc")):
                error(name, _("expected a single value, not a list or object"))
        row_errors += import_checks.control_character_problems(cells, raw.headers, row_no, unit)
        if row_errors:
            problems += row_errors
            continue

        # number and office
        raw_number = _text(cells.get("number"))
        office_cell = _text(cells.get("office")).upper()
        country_cell = _text(cells.get("country")).upper()
        parsed = None
        if office_cell and office_cell not in numbers.OFFICES:
            error("office", _('"%(value)s" is not a patent office code (WIPO Standard ST.3, e.g. CN, US, EP)')
                  % {"value": _text(cells.get("office"))})
        else:
            default_office = office_cell or country_cell or None
            needs_default = bool(re.match(r"\s*\d", raw_number))
            if needs_default and not office_cell and country_cell and country_cell not in numbers.OFFICES:
                error("country", _('"%(value)s" is not a patent office code, and the number "%(number)s" has none')
                      % {"value": _text(cells.get("country")), "number": raw_number})
            else:
                try:
                    parsed = numbers.normalise_number(raw_number, default_office=default_office)
                except ValueError:
                    error("number", _number_problem(raw_number))
                else:
                    if len(parsed.number) > 64:
                        error("number", _("the patent number is longer than 64 characters"))
                        parsed = None
                    elif office_cell and parsed.office != office_cell:
                        error("office", _('the number "%(number)s" belongs to office %(number_office)s, not %(office)s')
                              % {"number": raw_number, "number_office": parsed.office, "office": office_cell})
        if parsed is not None:
            key = (parsed.office, parsed.number)
            if key in seen:
                first = seen[key]
                if unit == "line":
                    message = _("%(number)s is already on line %(first)s of this file") % {
                        "number": str(parsed), "first": first}
                else:
                    message = _("%(number)s is already in row %(first)s of this file") % {
                        "number": str(parsed), "first": first}
                error("number", message)
            else:
                seen[key] = row_no

        fields: dict[str, Any] = {}
        # title and other text
        title = _text(cells.get("title"))
        if not title:
            error("title", _("the title is missing"))
        fields["title"] = title
        for name in ("abstract", "claims", "source"):
            if name in cells:
                fields[name] = _text(cells[name])
        for name, limit in TEXT_LIMITS.items():
            if len(fields.get(name, "")) > limit:
                error(name, _("longer than %(limit)s characters (%(length)s)")
                      % {"limit": limit, "length": len(fields[name])})
        # people
        if "applicants" in cells or "assignee" in cells:
            names = _split_names(cells.get("applicants")) + _split_names(cells.get("assignee"))
            fields["applicants"] = "\n".join(dict.fromkeys(names))
        if "inventors" in cells:
            fields["inventors"] = "\n".join(dict.fromkeys(_split_names(cells["inventors"])))
        # dates
        for name in DATE_COLUMNS:
            if name in cells:
                try:
                    fields[name] = parse_date(cells[name], excel=excel)
                except ValueError as exc:
                    error(name, str(exc))
        filing = fields.get("filing_date")
        for name in ("grant_date", "expiry_date"):
            if filing and isinstance(fields.get(name), dt.date) and fields[name] < filing:
                error(name, _("%(date)s is before the filing date %(filing)s")
                      % {"date": fields[name].isoformat(), "filing": filing.isoformat()})
        # vocabularies
        if _text(cells.get("legal_status")):
            value = _text(cells["legal_status"])
            status = LEGAL_STATUSES.get(value.lower()) or status_labels.get(value.lower())
            if status is None:
                error("legal_status", _('"%(value)s" is not a legal status (expected one of: %(values)s)')
                      % {"value": value, "values": ", ".join(LegalStatus.values)})
            else:
                fields["legal_status"] = str(status)
        if _text(cells.get("lang")):
            value = _text(cells["lang"])
            language = LANGUAGES.get(value.lower().replace("_", "-"))
            if language is None:
                error("lang", _('"%(value)s" is not a supported language (expected en, zh-Hans or zh-Hant)')
                      % {"value": value})
            else:
                fields["language"] = language
        # classification
        ipc = None
        if "cpc_or_ipc" in cells:
            value = cells["cpc_or_ipc"]
            codes = ([c for item in value for c in numbers.split_ipc_list(_text(item))]
                     if isinstance(value, (list, tuple)) else numbers.split_ipc_list(_text(value)))
            ipc, seen_codes = [], set()
            for code in codes:
                try:
                    parsed_code = numbers.normalise_ipc(code)
                except ValueError:
                    error("cpc_or_ipc", _('unknown IPC format "%(value)s" (expected e.g. H01M 10/052 or H01M)')
                          % {"value": code})
                    continue
                if str(parsed_code) not in seen_codes:
                    seen_codes.add(str(parsed_code))
                    ipc.append(parsed_code)

        if row_errors:
            problems += row_errors
        else:
            valid.append(PatentRow(row_no, parsed.office, parsed.number, parsed.kind, fields, ipc))
        if progress and (index % 250 == 0 or index == total):
            progress("validating", index, total)
    return valid, problems


# --- step 3: write ----------------------------------------------------------------------
def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _jsonable(data: dict) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _require_owner_can_publish(owner: Organisation, actor) -> None:
    if actor is not None:
        require_can_publish(actor, owner)
        return
    if not owner.is_verified:
        raise NotAllowed(
            _("%(org)s is not verified yet: only verified organisations can publish listings.") % {"org": owner.name}
        )
    if not owner.is_patent_holder:
        raise NotAllowed(
            _("%(kind)s organisations cannot publish patent listings.") % {"kind": owner.get_kind_display()}
        )


@contextmanager
def _sqlite_pages_in_memory():
    """On SQLite, a big transaction spills changed pages to the database file before the commit,
    which takes the EXCLUSIVE lock: from then on every reader (the polling status page, in fact the
    whole site) waits until the commit. Keeping the pages in memory until the commit leaves readers
    free for all but the commit itself, up to ``SQLITE_SPILL_PAGES`` (a bound on the memory an import
    may take; bigger imports block readers for their last part). PostgreSQL needs nothing of the sort."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        # not OFF: with OFF, SQLite keeps every changed page of a 50,000-row import in this process's
        # memory (+250 MB measured); past this many pages (x 4 KiB) it spills and readers wait
        cursor.execute(f"PRAGMA cache_spill = {SQLITE_SPILL_PAGES}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_spill = ON")


def _by_office(rows: list[PatentRow]):
    """The rows' numbers as (office, chunk of numbers), for lookups on the (office, number) index."""
    by_office: dict[str, list[str]] = {}
    for r in rows:
        by_office.setdefault(r.office, []).append(r.number)
    for office, office_numbers in by_office.items():
        for chunk in _chunks(office_numbers):
            yield office, chunk


def _existing_owners(rows: list[PatentRow]) -> dict[tuple[str, str], int]:
    """(office, number) → owner id of the patents that exist already (ids only: cheap for 100,000 rows)."""
    found: dict[tuple[str, str], int] = {}
    for office, chunk in _by_office(rows):
        for number, owner_id in Patent.objects.filter(office=office, number__in=chunk).values_list(
                "number", "owner_id"):
            found[(office, number)] = owner_id
    return found


def _existing_patents(rows: list[PatentRow]) -> dict[tuple[str, str], Patent]:
    existing: dict[tuple[str, str], Patent] = {}
    for office, chunk in _by_office(rows):
        for patent in Patent.objects.filter(office=office, number__in=chunk):
            existing[(patent.office, patent.number)] = patent
    return existing


class _Abort(Exception):
    """Leave the write transaction (rolling it back) with these problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems


def write_rows(owner: Organisation, rows: list[PatentRow], *, actor=None, publish: bool = False,
               mode: str = ImportMode.ALL_OR_NOTHING, unit: str = "row", number_column: str = "number",
               progress: Progress | None = None, context: dict | None = None,
               release: bool = False) -> ImportResult:
    """Write valid rows in one transaction. Rows of numbers owned by another organisation are
    problems: in all-or-nothing mode they abort the whole write. ``release``: the list is the
    callee's, emptied part by part as it is written (a big import's rows are not kept twice)."""
    result = ImportResult(mode=mode, publish=publish)
    report = progress or (lambda stage, done, total: None)
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    try:
        with _sqlite_pages_in_memory(), transaction.atomic():
            owner = Organisation.objects.select_for_update().get(pk=owner.pk)
            if actor is not None:
                require_member(actor, owner)
            if publish:
                _require_owner_can_publish(owner, actor)

            # numbers owned by another organisation: all of them first (only ids, not whole patents)
            owners = _existing_owners(rows)
            conflicts = []
            for r in rows:
                owner_id = owners.get((r.office, r.number))
                if owner_id is not None and owner_id != owner.pk:
                    conflicts.append(Problem(r.row, number_column, _("%(number)s is already listed by another "
                                                                     "organisation") % {"number": r.display_number},
                                             unit=unit))
            if conflicts:
                if mode == ImportMode.ALL_OR_NOTHING:
                    raise _Abort(conflicts)
                result.problems += conflicts
                bad = {p.row for p in conflicts}
                rows = [r for r in rows if r.row not in bad]

            # written in parts of WRITE_CHUNK rows, so that the model objects and audit entries of a big
            # file are never all in memory at once (one transaction all the same)
            terms = default_terms_for(owner) if publish else {}
            index_ids: set[int] = set()
            published_ids: list[int] = []
            processed = 0
            total_rows = len(rows)
            for start in range(0, total_rows, WRITE_CHUNK):
                part = rows[start:start + WRITE_CHUNK]
                if release:  # the caller gave the rows away: drop each part once written
                    rows[start:start + WRITE_CHUNK] = [None] * len(part)
                existing = _existing_patents(part)
                # patents: create and update
                to_create: list[tuple[PatentRow, Patent]] = []
                to_update: list[tuple[PatentRow, Patent, dict, dict]] = []  # row, patent, before, after
                unchanged: list[tuple[PatentRow, Patent]] = []
                update_fields: set[str] = set()
                for r in part:
                    patent = existing.get((r.office, r.number))
                    codes = [str(c) for c in r.ipc] if r.ipc is not None else None
                    if patent is None:
                        patent = Patent(owner=owner, office=r.office, number=r.number, kind=r.kind, **r.fields)
                        if "language" not in r.fields:
                            patent.language = _guess_language(patent.title, r.office)
                        patent.ipc_codes = codes or []
                        to_create.append((r, patent))
                        continue
                    wanted = dict(r.fields)
                    if r.kind:
                        wanted["kind"] = r.kind
                    if codes is not None:
                        wanted["ipc_codes"] = codes
                    before = {k: getattr(patent, k) for k, v in wanted.items() if getattr(patent, k) != v}
                    if not before:
                        unchanged.append((r, patent))
                        continue
                    after = {k: wanted[k] for k in before}
                    for key, value in after.items():
                        setattr(patent, key, value)
                    patent.updated_at = now
                    update_fields.update(after)
                    to_update.append((r, patent, before, after))
                written = 0
                total_patents = len(to_create) + len(to_update)
                for chunk in _chunks(to_create, 2000):
                    Patent.objects.bulk_create([p for _r, p in chunk], batch_size=CHUNK)
                    written += len(chunk)
                if to_update:
                    for chunk in _chunks(to_update, 2000):
                        Patent.objects.bulk_update([p for _r, p, _b, _a in chunk], sorted(update_fields | {"updated_at"}),
                                                   batch_size=CHUNK)
                        written += len(chunk)
                # classifications: all codes of new patents, and the new codes of patents whose codes changed
                recode = [(r, p) for r, p, _b, after in to_update if "ipc_codes" in after]
                for chunk in _chunks([p.pk for _r, p in recode]):
                    PatentClassification.objects.filter(patent_id__in=chunk).delete()
                PatentClassification.objects.bulk_create(
                    (
                        PatentClassification(patent_id=p.pk, code=str(c), section=c.section, ipc_class=c.ipc_class,
                                             subclass=c.subclass, main_group=c.main_group, position=i)
                        for r, p in [*to_create, *recode] if r.ipc
                        for i, c in enumerate(r.ipc)
                    ),
                    batch_size=1000,
                )

                # listings created by earlier imports of these patents
                row_of = {p.pk: r for r, p in to_create} | {p.pk: r for r, p, _b, _a in to_update} | {
                    p.pk: r for r, p in unchanged}
                old_ids = [p.pk for _r, p, _b, _a in to_update] + [p.pk for _r, p in unchanged]
                all_patents = sorted([p for _r, p in to_create] + [p for _r, p, _b, _a in to_update]
                                     + [p for _r, p in unchanged], key=lambda p: row_of[p.pk].row)
                old_titles = {p.pk: before["title"] for _r, p, before, _a in to_update if "title" in before}
                linked: dict[int, Listing] = {}
                if old_ids:
                    for chunk in _chunks(old_ids):
                        for listing in Listing.objects.filter(import_patent_id__in=chunk):
                            linked[listing.import_patent_id] = listing
                listing_updates: list[Listing] = []
                listing_audit: list[tuple[str, Listing, dict, dict]] = []
                republished: list[Listing] = []
                for patent_id, title in old_titles.items():  # the imported listing follows its patent's title
                    listing = linked.get(patent_id)
                    if listing is not None and listing.title == title and listing.state in (
                            ListingState.DRAFT, ListingState.PUBLISHED, ListingState.PAUSED):
                        listing_audit.append(("listing.updated", listing, {"title": listing.title},
                                              {"title": row_of[patent_id].fields["title"]}))
                        listing.title = row_of[patent_id].fields["title"]
                        listing.updated_at = now
                        listing_updates.append(listing)

                new_listings: list[Listing] = []
                if publish:
                    upfront = Listing(**terms).upfront_minor
                    for patent in all_patents:
                        r = row_of[patent.pk]
                        listing = linked.get(patent.pk)
                        if listing is not None and listing.state in (ListingState.PUBLISHED, ListingState.PAUSED):
                            continue  # already listed; a paused listing stays paused (the owner paused it)
                        if not patent.is_alive:
                            result.problems.append(Problem(r.row, "", _("%(number)s was imported but not published: "
                                                                        "it is expired or lapsed")
                                                           % {"number": patent.display_number},
                                                           level="warning", unit=unit))
                            continue
                        if listing is None:
                            new_listings.append(Listing(
                                owner=owner, title=patent.title, import_patent=patent, state=ListingState.PUBLISHED,
                                published_at=now, state_changed_at=now, created_by_id=actor_id,
                                upfront_price_minor=upfront, **terms,
                            ))
                        elif listing.state == ListingState.DRAFT:
                            listing_audit.append(("listing.published", listing, {"state": listing.state},
                                                  {"state": ListingState.PUBLISHED}))
                            listing.state = ListingState.PUBLISHED
                            listing.published_at = listing.published_at or now
                            listing.state_changed_at = now
                            listing.updated_at = now
                            if listing not in listing_updates:
                                listing_updates.append(listing)
                            republished.append(listing)
                        else:  # withdrawn, licensed out or expired: final states
                            result.problems.append(Problem(r.row, "", _("%(number)s was imported but not published: "
                                                                        "its listing is %(state)s")
                                                           % {"number": patent.display_number,
                                                              "state": listing.get_state_display()},
                                                           level="warning", unit=unit))
                    done = 0
                    for chunk in _chunks(new_listings, 2000):
                        Listing.objects.bulk_create(chunk, batch_size=CHUNK)
                        done += len(chunk)
                    Through = Listing.patents.through
                    Through.objects.bulk_create(
                        (Through(listing_id=listing.pk, patent_id=listing.import_patent_id) for listing in new_listings),
                        batch_size=1000,
                    )
                if listing_updates:
                    Listing.objects.bulk_update(
                        listing_updates, ["title", "state", "published_at", "state_changed_at", "updated_at"],
                        batch_size=CHUNK,
                    )

                # every listing that shows a changed patent goes back to the search index
                changed_ids = [p.pk for _r, p, _b, _a in to_update]
                index_ids |= {listing.pk for listing in new_listings} | {listing.pk for listing in listing_updates}
                for chunk in _chunks(changed_ids):
                    index_ids.update(Listing.patents.through.objects.filter(patent_id__in=chunk)
                                     .values_list("listing_id", flat=True))

                # audit log, in bulk (the fields audit.record fills)
                patent_type = ContentType.objects.get_for_model(Patent)
                listing_type = ContentType.objects.get_for_model(Listing)
                entries = []

                def entry(action, target, target_type, before, after):
                    entries.append(AuditEntry(
                        action=action, actor_id=actor_id, organisation=owner, target_type=target_type,
                        target_id=str(target.pk), target_repr=str(target)[:200], before=_jsonable(before),
                        after=_jsonable(after), created_at=now,
                    ))

                for r, patent in to_create:
                    entry("patent.created", patent, patent_type, {},
                          {**r.fields, "number": patent.display_number, "ipc_codes": patent.ipc_codes, "import": True})
                for _r, patent, before, after in to_update:
                    entry("patent.updated", patent, patent_type, before, {**after, "import": True})
                for listing in new_listings:  # created and published at once: one entry says both
                    entry("listing.published", listing, listing_type, {},
                          {"state": ListingState.PUBLISHED, "created": True, "title": listing.title, **terms,
                           "patents": [listing.import_patent.display_number], "import": True})
                for action, listing, before, after in listing_audit:
                    entry(action, listing, listing_type, before, {**after, "import": True})
                AuditEntry.objects.bulk_create(entries, batch_size=CHUNK)
                result.created += len(to_create)
                result.updated += len(to_update)
                result.unchanged += len(unchanged)
                result.published += len(new_listings) + len(republished)
                published_ids += [listing.pk for listing in new_listings] + [listing.pk for listing in republished]
                processed += len(part)
                report("patents", processed, total_rows)
                del to_create, to_update, unchanged, new_listings, republished, entries, existing, linked
            report("listings", 1, 1)
            counts = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                      "published": result.published, "mode": mode, "publish": publish, **(context or {})}
            AuditEntry.objects.create(
                action="import.completed", actor_id=actor_id, organisation=owner,
                target_type=ContentType.objects.get_for_model(Organisation), target_id=str(owner.pk),
                target_repr=str(owner)[:200], before={}, after=_jsonable(counts), created_at=now)
            report("recording", 1, 1)

            # on commit: the matching fan-out per newly published listing, ONE index task for all
            # robust: a failing receiver or index task is logged; it cannot undo the committed import
            if published_ids:
                transaction.on_commit(_send_published(published_ids), robust=True)
            if index_ids:
                transaction.on_commit(_enqueue_index(sorted(index_ids)), robust=True)
            result.listing_ids = sorted(index_ids)
    except _Abort as abort:
        result.problems += abort.problems
        result.message = _nothing_imported(len({p.row for p in abort.problems}))
        return result
    except IntegrityError:
        logger.exception("bulk import for %s failed", owner.slug)
        result.message = _("Nothing was imported: another import or edit changed the same patents at the same time. "
                           "Try again.")
        result.problems.append(Problem(None, "", result.message))
        return result
    result.valid_rows = total_rows
    result.imported = True
    return result


def _nothing_imported(rows: int) -> str:
    return ngettext("Nothing was imported: %(count)s row has errors.", "Nothing was imported: %(count)s rows have errors.",
                    rows) % {"count": rows}


def _send_published(listing_ids: list[int]) -> Callable[[], None]:
    def send_listing_published():
        for listing_id in listing_ids:
            for receiver, response in listing_published.send_robust(sender=Listing, listing_id=listing_id):
                if isinstance(response, Exception):
                    logger.error("listing_published receiver %r failed for listing %s", receiver, listing_id,
                                 exc_info=response)

    return send_listing_published


def _enqueue_index(listing_ids: list[int]) -> Callable[[], None]:
    def enqueue_index_update():
        from listings import tasks
        from marketplace.tasks import enqueue

        enqueue(tasks.update_index, listing_ids)

    return enqueue_index_update


# --- the three steps together -----------------------------------------------------------
def import_file(source, *, owner: Organisation, name: str | None = None, actor=None, publish: bool = False,
                mode: str = ImportMode.ALL_OR_NOTHING, dry_run: bool = False, progress: Progress | None = None,
                context: dict | None = None) -> ImportResult:
    """Read, validate and (unless ``dry_run``) write. Never raises for bad data: the result says.

    Raises ``NotAllowed`` when ``publish`` is asked for an owner (or actor) that may not publish.
    """
    if mode not in ImportMode.values:
        raise ValueError(f"unknown import mode {mode!r}")
    if publish:
        _require_owner_can_publish(owner, actor)
    elif actor is not None:
        require_member(actor, owner)
    result = ImportResult(mode=mode, publish=publish, dry_run=dry_run)
    report = progress or (lambda stage, done, total: None)
    try:
        raw = read_file(source, name, progress=progress)
    except ImportFileError as exc:
        result.message = exc.message
        result.problems = exc.problems
        return result
    result.format = raw.format
    result.total_rows = len(raw.rows) + len(raw.row_problems)
    report("reading", 1, 1)
    rows, problems = validate_rows(raw, progress=progress, consume=True)
    raw.rows = []
    result.problems = problems
    result.valid_rows = len(rows)
    if result.errors and mode == ImportMode.ALL_OR_NOTHING:
        result.message = _nothing_imported(result.error_rows)
        return result
    if dry_run:
        return result
    holder = [rows]
    del rows  # write_rows empties the list as it writes
    written = write_rows(owner, holder.pop(), release=True, actor=actor, publish=publish, mode=mode,
                         unit=raw.unit, number_column=raw.headers.get("number", "number"), progress=progress,
                         context=context)
    written.problems = problems + written.problems
    written.format, written.total_rows, written.dry_run = raw.format, result.total_rows, dry_run
    if written.imported and written.created + written.updated + written.unchanged == 0 and written.errors:
        written.message = _("Nothing was imported: every row has errors.")
    return written


# --- import jobs (web uploads) ----------------------------------------------------------
def progress_cache_key(job_id: int) -> str:
    return f"listings:import-job:{job_id}:progress"


class JobProgress:
    """Progress callback for a job: the cache (always; visible while the write transaction is
    open), and the ``ImportJob`` row while reading and validating (outside the transaction)."""

    def __init__(self, job: ImportJob, db_every: float = 1.0):
        self.job_id = job.pk
        self.key = progress_cache_key(job.pk)
        self.db_every = db_every
        self._last_db = 0.0
        self._last_cache = 0.0
        self._stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == self._stage and now - self._last_cache < 0.2 and done < total:
            return
        self._stage, self._last_cache = stage, now
        cache.set(self.key, {"stage": stage, "done": done, "total": total,
                             "percent": overall_percent(stage, done, total)}, 3600)
        if stage in ("reading", "validating") and (now - self._last_db >= self.db_every or done >= total):
            self._last_db = now
            fields = {"processed_rows": done} if stage == "validating" else {}
            if stage == "validating":
                fields["total_rows"] = total
            if fields:
                ImportJob.objects.filter(pk=self.job_id).update(**fields)


def job_progress(job: ImportJob) -> dict:
    """Stage and percent for the status page."""
    if job.status == ImportStatus.QUEUED:
        return {"stage": "queued", "percent": 0}
    if job.status == ImportStatus.RUNNING:
        cached = cache.get(progress_cache_key(job.pk)) or {"stage": "reading", "percent": 0}
        return {"stage": cached["stage"], "percent": cached["percent"]}
    return {"stage": "done", "percent": 100}


def _set_job_status(job: ImportJob, target: str, action: str, *, actor=None, **fields) -> ImportJob:
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        check_transition(ImportStatus, locked.status, target, "import")
        before = {"status": locked.status}
        locked.status = target
        for key, value in fields.items():
            setattr(locked, key, value)
        locked.save(update_fields=["status", *fields])
        audit.record(action, actor=actor, target=locked, organisation=locked.owner, before=before,
                     after={"status": target, **{k: v for k, v in fields.items() if k != "errors"}})
    job.status = locked.status
    for key, value in fields.items():
        setattr(job, key, value)
    return job


def create_import_job(owner: Organisation, *, actor, upload, mode: str = ImportMode.ALL_OR_NOTHING,
                      publish: bool = False) -> ImportJob:
    """A member uploads a file: the job is queued and runs in the background once committed."""
    from listings import import_tasks
    from marketplace.tasks import enqueue_on_commit

    if mode not in ImportMode.values:
        raise ActionError(_('Unknown import mode "%(mode)s".') % {"mode": mode})
    name = os.path.basename(getattr(upload, "name", "") or "upload")
    try:
        detect_format(name)
    except ImportFileError as exc:
        raise ActionError(exc.message) from None
    if getattr(upload, "size", 0) and upload.size > MAX_UPLOAD_BYTES:
        raise ActionError(_("The file is larger than %(size)s MB: split it into smaller files.")
                          % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)})
    with transaction.atomic():
        if publish:
            require_can_publish(actor, owner)
        else:
            require_member(actor, owner)
        job = ImportJob(owner=owner, created_by=actor, original_name=name[:255], mode=mode, publish=publish)
        job.file.save(name, upload, save=False)
        job.save()
        audit.record("import_job.queued", actor=actor, target=job, organisation=owner,
                     after={"file": name, "mode": mode, "publish": publish})
        enqueue_on_commit(import_tasks.run_import_job, job.pk)
    return job


def start_import_job(job: ImportJob) -> ImportJob:
    """queued → running."""
    return _set_job_status(job, ImportStatus.RUNNING, "import_job.started", started_at=timezone.now())


def finish_import_job(job: ImportJob, result: ImportResult) -> ImportJob:
    """running → succeeded (something imported) or failed (nothing imported), with the report."""
    problems = [p.as_dict() for p in result.problems]
    fields = {
        "finished_at": timezone.now(),
        "total_rows": result.total_rows,
        "processed_rows": result.total_rows,
        "created_count": result.created,
        "updated_count": result.updated,
        "published_count": result.published,
        "error_count": result.error_rows or (1 if result.message and not result.imported else 0),
        "errors": problems[:MAX_STORED_PROBLEMS],
        "message": result.message,
    }
    target, action = ImportStatus.SUCCEEDED, "import_job.succeeded"
    if not result.succeeded:
        target, action = ImportStatus.FAILED, "import_job.failed"
    job = _set_job_status(job, target, action, **fields)
    cache.delete(progress_cache_key(job.pk))
    return job


def fail_import_job(job: ImportJob, message: str) -> ImportJob:
    """queued/running → failed, for a crash or a refused job."""
    job = _set_job_status(job, ImportStatus.FAILED, "import_job.failed", finished_at=timezone.now(), message=message,
                          errors=[Problem(None, "", message).as_dict()])
    cache.delete(progress_cache_key(job.pk))
    return job


def job_language(job: ImportJob) -> str:
    """The job's messages and report are in the language of the member who ran it."""
    return getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE


def run_import_job(job_id: int) -> ImportJob | None:
    """The background task's body: run a queued job once (a second delivery does nothing)."""
    job = ImportJob.objects.select_related("owner", "created_by").filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.QUEUED:
        logger.warning("import job %s is not queued (status %s): not run", job_id, job and job.status)
        return job
    actor = job.created_by
    with translation.override(job_language(job)):
        job = start_import_job(job)
        try:
            with job.file.open("rb") as fh:  # read_file reads it (at most MAX_UPLOAD_BYTES + 1)
                result = import_file(
                    fh, name=job.original_name, owner=job.owner, actor=actor, publish=job.publish,
                    mode=job.mode, progress=JobProgress(job), context={"file": job.original_name, "job": job.pk},
                )
        except ActionError as exc:  # e.g. the uploader left the organisation, or it lost its verification
            return fail_import_job(job, str(exc))
        except Exception:
            logger.exception("import job %s crashed", job_id)
            return fail_import_job(job, _("The import stopped because of an unexpected error; nothing was "
                                          "imported. Try again later; if it happens again, tell the platform staff."))
        return finish_import_job(job, result)
