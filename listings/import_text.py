"""Text checks of the bulk import: CSV quoting, mixed encodings, control characters.

Pure functions (no Django models); ``listings.importer`` turns what they find into ``Problem``s.

* ``records(text, delimiter)`` reads CSV records strictly and knows the physical lines of each. A
  quote that is never closed (``CN201710000001B,"Unclosed title,abs`` then more rows) would swallow
  every following row into one value: ``CSVQuoteError`` says the record, field and line where that
  quote opened. A quoted value that spans lines and holds what looks like the start of the next row
  (a patent number and a delimiter at the start of a line) is the same mistake closed by a later
  quote, and is reported the same way (``suspicious_multiline``).
* ``decode_lines(data)`` decodes a file that is not UTF-8 line by line: a GB18030 (GBK) file may hold
  lines saved as UTF-8 (pasted from elsewhere); those lines are decoded as UTF-8 and their numbers
  returned so that their rows are refused instead of being stored as mojibake.
* ``control_character(text)`` finds NUL and other control characters (tab and line breaks allowed).
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

MAX_CSV_CELL_CHARS = 1_000_000  # far above any abstract or claims; a cell above it is a broken file


@dataclass
class CSVQuoteError(Exception):
    """A quote opened in ``record`` (1 = header), field ``field`` (0-based), on physical ``line``."""

    record: int
    field: int
    line: int


@dataclass
class CSVCellTooLong(Exception):
    record: int
    line: int


@dataclass
class Record:
    number: int  # 1 = the header row, as a spreadsheet numbers rows
    first_line: int  # physical lines of the file this record spans
    last_line: int
    cells: list[str]


class UTF8Source:
    """A file already checked to be UTF-8, decoded one line at a time: a 50 MB file never becomes one
    ``str`` (which takes 2 or 4 bytes per character as soon as it holds one Chinese character)."""

    _LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")

    def __init__(self, data: bytes, start: int = 0):
        self.data, self.start = data, start

    def lines(self) -> Iterator[str]:
        for match in self._LINE.finditer(self.data, self.start):
            yield match.group().decode("utf-8")

    def first_line(self) -> str:
        end = self.data.find(b"\n", self.start)
        return self.data[self.start:end if end >= 0 else len(self.data)].decode("utf-8", "replace")

    def text(self) -> str:
        return self.data[self.start:].decode("utf-8")


def is_utf8(data: bytes) -> bool:
    """Whether ``data`` is UTF-8, checked in 1 MiB pieces (without keeping the decoded text)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), 1 << 20):
            decoder.decode(data[start:start + (1 << 20)])
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def records(text: str | UTF8Source, delimiter: str) -> Iterator[Record]:
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CSV_CELL_CHARS))
    # an iterator of lines, not io.StringIO(text): StringIO copies the whole text into a 4-bytes-per-
    # character buffer (a 50 MB file took 200 MB more)
    lines = text.lines() if isinstance(text, UTF8Source) else _lines(text)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    number, last_line = 0, 0
    while True:
        first_line = last_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise CSVCellTooLong(number + 1, first_line) from None
            full = text.text() if isinstance(text, UTF8Source) else text
            field, line = open_quote(full, first_line, delimiter)
            raise CSVQuoteError(number + 1, field, line) from None
        number += 1
        last_line = reader.line_num
        if len(cells) and any(len(c) > MAX_CSV_CELL_CHARS for c in cells):
            raise CSVCellTooLong(number, first_line)
        yield Record(number, first_line, last_line, cells)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _lines(text: str) -> Iterator[str]:
    """The physical lines of ``text`` with their line breaks, one at a time."""
    for match in _LINE.finditer(text):
        yield match.group()


def _line_start(text: str, line: int) -> int:
    position = 0
    for _ in range(line - 1):
        match = re.compile(r"\r\n|\r|\n").search(text, position)
        if match is None:
            return len(text)
        position = match.end()
    return position


def open_quote(text: str, first_line: int, delimiter: str) -> tuple[int, int]:
    """(field index, physical line) of the last quote opened in the record starting at
    ``first_line``, the one that a strict reader could not match."""
    i, n = _line_start(text, first_line), len(text)
    field, line, at_start, quoted = 0, first_line, True, False
    opened = (0, first_line)
    while i < n:
        ch = text[i]
        if quoted:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 2
                    continue
                quoted = False
                following = text[i + 1:i + 2]
                if following not in ("", delimiter, "\r", "\n"):
                    return opened
            elif ch == "\n" or (ch == "\r" and text[i + 1:i + 2] != "\n"):
                line += 1
        elif ch == '"' and at_start:
            quoted, opened = True, (field, line)
        elif ch == delimiter:
            field, at_start = field + 1, True
            i += 1
            continue
        elif ch in "\r\n":
            break  # the record ended cleanly: not where the reader failed
        at_start = False
        i += 1
    return opened


def suspicious_multiline(value: str, delimiter: str, looks_like_number) -> bool:
    """A value spanning lines whose later line starts like a row of the file (a patent number then
    the delimiter): the quote before it was meant to be closed on its first line."""
    lines = re.split(r"\r\n|\r|\n", value)
    for later in lines[1:]:
        head, sep, _rest = later.partition(delimiter)
        if sep and looks_like_number(head.strip()):
            return True
    return False


# --- encodings ----------------------------------------------------------------------------
@dataclass
class Decoded:
    text: str
    utf8_lines: set[int]  # physical line numbers (1-based) that were UTF-8
    gb_lines: set[int]  # ... and those that were GB18030
    bad_line: int | None = None  # first line that is neither (None: every line decoded)
    bad_offset: int = 0  # its first undecodable byte, counted from the start of the data


def decode_gb18030_lines(data: bytes) -> Decoded:
    """Decode ``data`` (not valid UTF-8 as a whole) line by line: a line that is valid UTF-8 and not
    pure ASCII is UTF-8 (a GB18030 line is almost never valid UTF-8), the others are GB18030.
    0x0A never occurs inside a GB18030 character, so splitting on it is safe."""
    parts: list[str] = []
    utf8_lines: set[int] = set()
    gb_lines: set[int] = set()
    offset = 0
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw.isascii():
            parts.append(raw.decode("ascii"))
        else:
            try:
                parts.append(raw.decode("utf-8"))
                utf8_lines.add(number)
            except UnicodeDecodeError:
                try:
                    parts.append(raw.decode("gb18030"))
                    gb_lines.add(number)
                except UnicodeDecodeError as exc:
                    return Decoded("", utf8_lines, gb_lines, number, offset + exc.start)
        offset += len(raw) + 1
    return Decoded("\n".join(parts), utf8_lines, gb_lines)


# --- control characters -------------------------------------------------------------------
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def control_character(text: str) -> tuple[int, str] | None:
    """(1-based position, name) of the first control character, e.g. (5, "U+0000 NUL"), or None."""
    for position, ch in enumerate(text, start=1):
        if ch in _ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if category == "Cc" or ch in ("\ufffe", "\uffff") or category == "Cs":
            return position, _char_name(ch)
    return None


_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 11: "VT", 12: "FF", 27: "ESC", 127: "DEL"}


def _char_name(ch: str) -> str:
    code = ord(ch)
    name = _CONTROL_NAMES.get(code) or unicodedata.name(ch, "")
    return f"U+{code:04X} {name}".strip()
