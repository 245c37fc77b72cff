"""Limits that keep an uploaded workbook from taking the server's memory (a "zip bomb").

A 1 MiB ``.xlsx`` can hold a 1 GiB cell: zip compresses a repeated character about 1000 times, and
openpyxl keeps every shared string in memory. Before openpyxl sees a workbook, ``check_xlsx``

1. reads the zip's central directory: the number of parts, each part's declared size, their total and
   the compression ratio of each big part are capped (Python's ``zipfile`` never inflates a part past
   its declared size, and checks its CRC, so a lying header cannot get past the caps either);
2. refuses any XML part with a DOCTYPE (entity tricks; a real workbook never has one);
3. streams the shared strings and the first sheet through expat in 64 KiB pieces, counting the
   characters of each cell: a cell longer than Excel's own limit (32,767 characters) or more shared
   strings than the import could ever use stop the check at once.

Each refusal says why, in the user's language (``ImportFileError``). The limits can be lowered from the
environment (``IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES`` and friends, read strictly in settings); with the defaults,
importing an accepted workbook keeps the process under ~300 MB (``bench/import_memory.py`` measures it).
"""

from __future__ import annotations

import logging
import posixpath
import re
import zipfile
from contextlib import contextmanager
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

from listings.import_problems import ImportFileError

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
MAX_PARTS = settings.IMPORT_XLSX_MAX_PARTS
MAX_UNCOMPRESSED = settings.IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES  # all parts together
MAX_PART = settings.IMPORT_XLSX_MAX_PART_BYTES  # one sheet
MAX_SHARED_STRINGS_BYTES = settings.IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES
MAX_RATIO = settings.IMPORT_XLSX_MAX_RATIO  # uncompressed / compressed, for parts > 1 MiB
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_SHARED_STRINGS = settings.IMPORT_XLSX_MAX_SHARED_STRINGS
MAX_SHEET_ROW = 1_048_576  # Excel's last row
CHUNK = 64 * 1024


def _mb(size: int) -> str:
    return f"{size / MiB:,.0f} MB" if size >= MiB else f"{size / 1024:,.0f} KB"


def check_xlsx(archive: zipfile.ZipFile) -> None:
    """Raise ``ImportFileError`` (saying why) for a workbook too big to read safely."""
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise ImportFileError(_("The workbook has %(count)s parts; at most %(max)s are accepted. Save it again "
                                "in Excel as a plain .xlsx workbook.") % {"count": len(infos), "max": MAX_PARTS})
    total = 0
    for info in infos:
        total += info.file_size
        limit = MAX_SHARED_STRINGS_BYTES if info.filename.endswith("sharedStrings.xml") else MAX_PART
        if info.file_size > limit:
            raise _too_big(info.filename, info.file_size, limit)
        if info.file_size > MiB and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ImportFileError(_(
                "The workbook part %(part)s unpacks from %(packed)s to %(size)s (%(ratio)s times): real patent "
                "data does not compress that much, so it was not read. Save the data as a new workbook or as "
                "CSV.") % {"part": info.filename, "packed": _mb(info.compress_size), "size": _mb(info.file_size),
                           "ratio": f"{info.file_size // max(info.compress_size, 1):,}"})
    if total > MAX_UNCOMPRESSED:
        raise ImportFileError(_("The workbook unpacks to %(size)s; at most %(max)s can be read. Split it into "
                                "smaller files.") % {"size": _mb(total), "max": _mb(MAX_UNCOMPRESSED)})
    names = {info.filename for info in infos}
    for info in infos:
        if info.filename.endswith((".xml", ".rels")) and info.filename not in _text_parts(archive, names):
            _scan(archive, info.filename, kind="other")
    for name in _text_parts(archive, names):
        _scan(archive, name, kind="strings" if name.endswith("sharedStrings.xml") else "sheet")


def _too_big(part: str, size: int, limit: int) -> ImportFileError:
    return ImportFileError(_("The workbook part %(part)s unpacks to %(size)s; at most %(max)s can be read. Split "
                             "the data into smaller files.") % {"part": part, "size": _mb(size), "max": _mb(limit)})


def _text_parts(archive: zipfile.ZipFile, names: set[str]) -> list[str]:
    """The shared strings and the first sheet (the only sheet the import reads)."""
    parts = [name for name in names if name.endswith("sharedStrings.xml")]
    sheet = _first_sheet(archive, names)
    if sheet:
        parts.append(sheet)
    return parts


def _first_sheet(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    try:
        workbook = archive.read("xl/workbook.xml") if "xl/workbook.xml" in names else b""
        rels = archive.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return None
    if len(workbook) > MiB or len(rels) > MiB:
        raise _too_big("xl/workbook.xml", max(len(workbook), len(rels)), MiB)
    match = re.search(rb"<(?:\w+:)?sheet\b[^>]*?\br(?:elationships)?:id=\"([^\"]+)\"", workbook)
    if match:
        rel = re.search(rb"<Relationship\b[^>]*\bId=\"" + re.escape(match[1]) + rb"\"[^>]*>", rels)
        target = re.search(rb"\bTarget=\"([^\"]+)\"", rel[0]) if rel else None
        if target:
            path = target[1].decode("utf-8", "replace")
            path = path.lstrip("/") if path.startswith("/") else posixpath.normpath(posixpath.join("xl", path))
            if path in names:
                return path
    sheets = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    return sheets[0] if sheets else None


class _Stop(Exception):
    def __init__(self, error: ImportFileError):
        self.error = error


def _scan(archive: zipfile.ZipFile, name: str, *, kind: str) -> None:
    parser = expat.ParserCreate()
    state = {"chars": 0, "cell": "", "strings": 0, "text": False}
    text_tags = {"t", "v"} if kind != "other" else set()

    def local(tag: str) -> str:
        return tag.rsplit(":", 1)[-1]

    def start(tag, attrs):
        tag = local(tag)
        if tag == "c":
            state["cell"] = attrs.get("r", "")
            state["chars"] = 0
        elif tag == "si":
            state["strings"] += 1
            state["chars"] = 0
            if state["strings"] > MAX_SHARED_STRINGS:
                raise _Stop(ImportFileError(_("The workbook holds more than %(max)s different texts; split it into "
                                              "smaller files.") % {"max": f"{MAX_SHARED_STRINGS:,}"}))
        elif tag == "row":
            number = attrs.get("r", "")
            if number.isascii() and number.isdigit() and int(number) > MAX_SHEET_ROW:
                raise _Stop(ImportFileError(_("The sheet names row %(row)s, past Excel's last row.") % {"row": number}))
        if tag in text_tags:
            state["text"] = True

    def end(tag):
        if local(tag) in text_tags:
            state["text"] = False

    def characters(text):
        if state["text"]:
            state["chars"] += len(text)
            if state["chars"] > MAX_CELL_CHARS:
                if kind == "sheet" and state["cell"]:
                    message = _("Cell %(cell)s holds more than %(max)s characters, more than Excel itself allows "
                                "in a cell; the workbook was not read.") % {"cell": state["cell"],
                                                                            "max": f"{MAX_CELL_CHARS:,}"}
                else:
                    message = _("A text in the workbook (shared string %(index)s) holds more than %(max)s "
                                "characters, more than Excel itself allows in a cell; the workbook was not read.") % {
                        "index": state["strings"], "max": f"{MAX_CELL_CHARS:,}"}
                raise _Stop(ImportFileError(message))

    def doctype(*_args):
        raise _Stop(ImportFileError(_("The workbook part %(part)s declares a DOCTYPE, which no Excel workbook "
                                      "does; it was not read.") % {"part": name}))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop as stop:
        raise stop.error from None
    except expat.ExpatError as exc:
        raise ImportFileError(_("The workbook part %(part)s is not valid XML (%(error)s).")
                              % {"part": name, "error": expat.ErrorString(exc.code)}) from None
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
        raise ImportFileError(_("This is not an Excel .xlsx file that can be read (%(error)s).")
                              % {"error": exc}) from None


# --- reading with openpyxl ---------------------------------------------------------------
# What openpyxl raises for a damaged workbook (e.g. a shared-string index past the shared strings). Caught around
# openpyxl's own calls only, so that a bug in the importer (the header mapping, the progress callback) is not
# reported as a damaged file.
DAMAGED = (IndexError, KeyError, ValueError, TypeError, AttributeError, zipfile.BadZipFile, OSError)


@contextmanager
def damaged_workbook():
    """Around a call into openpyxl: its errors for a damaged workbook become a clear ``ImportFileError``."""
    try:
        yield
    except DAMAGED as exc:
        logger.info("unreadable workbook: %r", exc)
        raise ImportFileError(
            _("This is not an Excel .xlsx file that can be read (%(error)s).") % {"error": type(exc).__name__}
        ) from None


def sheet_rows(sheet):
    """The sheet's rows (values only), openpyxl's errors for a damaged workbook as ``ImportFileError``."""
    rows = sheet.iter_rows(values_only=True)
    while True:
        with damaged_workbook():
            values = next(rows, None)
        if values is None:
            return
        yield values
