"""Attachments of deal-room messages: what a file really is, judged by its content.

    check_attachment(uploaded) -> Checked(content_type, size, sha256, extension)

Accepted: PDF (``%PDF-``), PNG (its 8-byte signature), JPEG (``FF D8 FF``), Word ``.docx`` and Excel ``.xlsx``
(a readable, unencrypted ZIP holding ``[Content_Types].xml`` and ``word/document.xml`` resp. ``xl/workbook.xml``;
the archive's directory is read, nothing is extracted), up to ``settings.DEAL_ATTACHMENT_MAX_BYTES``. The file's
name must end in the extension of what it is: a PNG named ``scan.pdf`` is refused, and the message says it is a
PNG image. Every refusal is a ``ValidationError`` whose message can be shown to the person who uploaded the file.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.documents import size_text

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# content type -> (canonical extension, the extensions a name may end in, what it is called)
TYPES = {
    PDF: ("pdf", ("pdf",), gettext_lazy("a PDF document")),
    PNG: ("png", ("png",), gettext_lazy("a PNG image")),
    JPEG: ("jpg", ("jpg", "jpeg"), gettext_lazy("a JPEG image")),
    DOCX: ("docx", ("docx",), gettext_lazy("a Word document (.docx)")),
    XLSX: ("xlsx", ("xlsx",), gettext_lazy("an Excel workbook (.xlsx)")),
}
MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .doc/.xls, and password-protected .docx/.xlsx
EXE_MAGIC = b"MZ"
OFFICE_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX))
CONTENT_TYPES_PART = "[Content_Types].xml"
HEAD_BYTES = 16


@dataclass(frozen=True)
class Checked:
    content_type: str  # e.g. "application/pdf"
    size: int  # bytes
    sha256: str  # hex digest of the whole file
    extension: str  # canonical, without the dot: pdf, png, jpg, docx, xlsx




def _refuse(message: str, code: str):
    raise ValidationError(message, code=code)


def _office_type(uploaded, name: str) -> str:
    """DOCX or XLSX from the archive's directory; refuses damaged, encrypted and other archives."""
    uploaded.seek(0)
    try:
        with zipfile.ZipFile(uploaded) as archive:
            entries = archive.infolist()
            if any(entry.flag_bits & 0x1 for entry in entries):
                _refuse(_("“%(name)s” is password-protected: attach it without a password.") % {"name": name},
                        "encrypted")
            names = {entry.filename for entry in entries}
            kind = next((kind for part, kind in OFFICE_PARTS if part in names), None)
            if CONTENT_TYPES_PART not in names or kind is None:
                _refuse(_("“%(name)s” is a ZIP archive, not a Word (.docx) or Excel (.xlsx) document; archives "
                          "cannot be attached.") % {"name": name}, "archive")
            with archive.open(CONTENT_TYPES_PART) as part:  # readable, not only listed
                if b"<Types" not in part.read(64 * 1024):
                    raise zipfile.BadZipFile("no content types")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError):
        _refuse(_("“%(name)s” is a damaged document: save it again and attach the new copy.") % {"name": name},
                "corrupt")
    finally:
        uploaded.seek(0)
    return kind


def _sniff(uploaded, name: str) -> str:
    uploaded.seek(0)
    head = uploaded.read(HEAD_BYTES)
    uploaded.seek(0)
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(ZIP_MAGIC):
        return _office_type(uploaded, name)
    if head.startswith(OLE_MAGIC):
        _refuse(_("“%(name)s” is an old-format or password-protected Office file: save it as .docx or .xlsx "
                  "without a password.") % {"name": name}, "old_office")
    if head.startswith(EXE_MAGIC):
        _refuse(_("“%(name)s” is a program; programs cannot be attached.") % {"name": name}, "program")
    _refuse(_("“%(name)s” is not a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file (judged by its content, "
              "not its name).") % {"name": name}, "unsupported")


def check_attachment(uploaded) -> Checked:
    """What an uploaded file (a Django ``UploadedFile``) really is, or ``ValidationError`` saying why it cannot
    be attached. Leaves the file at position 0."""
    name = os.path.basename(uploaded.name or "") or _("the file")
    size = uploaded.size
    limit = settings.DEAL_ATTACHMENT_MAX_BYTES
    if not size:
        _refuse(_("“%(name)s” is empty.") % {"name": name}, "empty")
    if size > limit:
        _refuse(_("“%(name)s” is %(size)s; an attachment may be at most %(limit)s.")
                % {"name": name, "size": size_text(size), "limit": size_text(limit)}, "too_large")
    kind = _sniff(uploaded, name)
    extension, allowed, called = TYPES[kind]
    claimed = os.path.splitext(name)[1].lower().lstrip(".")
    if claimed not in allowed:
        _refuse(_("“%(name)s” is really %(kind)s: rename it to end in .%(ext)s.")
                % {"name": name, "kind": called, "ext": extension}, "wrong_extension")
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return Checked(content_type=kind, size=size, sha256=digest.hexdigest(), extension=extension)
