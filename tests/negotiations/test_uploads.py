"""Deal-room attachments are judged by their content: type, matching name, size."""

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from negotiations.uploads import DOCX, JPEG, PDF, PNG, XLSX, check_attachment

PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# A real 1x1 PNG.
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e2d1e7770000000049454e44ae426082"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def zipped(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return zipped({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w:document/>"})


def upload(name, content):
    return SimpleUploadedFile(name, content)


def reason(name, content) -> str:
    with pytest.raises(ValidationError) as caught:
        check_attachment(upload(name, content))
    return caught.value.messages[0]


@pytest.mark.parametrize("name, content, kind, extension", [
    ("offer.pdf", PDF_BYTES, PDF, "pdf"),
    ("Plan.PNG", PNG_BYTES, PNG, "png"),
    ("photo.jpeg", JPEG_BYTES, JPEG, "jpg"),
    ("photo.jpg", JPEG_BYTES, JPEG, "jpg"),
    ("draft.docx", docx_bytes(), DOCX, "docx"),
])
def test_accepted_files(name, content, kind, extension):
    checked = check_attachment(upload(name, content))
    assert checked.content_type == kind and checked.extension == extension
    assert checked.size == len(content) and checked.sha256 == hashlib.sha256(content).hexdigest()


def test_a_real_workbook_is_accepted():
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Royalty forecast"
    buffer = io.BytesIO()
    workbook.save(buffer)
    checked = check_attachment(upload("forecast.xlsx", buffer.getvalue()))
    assert checked.content_type == XLSX and checked.extension == "xlsx"


def test_a_file_named_as_another_type_is_refused_and_told_what_it_is():
    message = reason("scan.pdf", PNG_BYTES)
    assert "“scan.pdf” is really a PNG image" in message and ".png" in message
    assert "Word document" in reason("terms.xlsx", docx_bytes())
    assert "PDF document" in reason("offer", PDF_BYTES)  # no extension at all


@pytest.mark.parametrize("name, content, words", [
    ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "is a program"),
    ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "is a program"),
    ("bundle.zip", zipped({"readme.txt": b"hello"}), "ZIP archive, not a Word (.docx) or Excel (.xlsx)"),
    ("fake.docx", zipped({"word/document.xml": b"<w:document/>"}), "ZIP archive"),
    ("broken.docx", docx_bytes()[:40], "damaged"),
    ("notes.txt", b"just some text", "not a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16, "old-format or password-protected"),
    ("empty.pdf", b"", "is empty"),
])
def test_refused_files(name, content, words):
    assert words in reason(name, content)


def test_an_encrypted_zip_is_refused():
    content = bytearray(docx_bytes())
    # Set the "encrypted" flag of every entry, in the local headers and the central directory.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := content.find(signature, start)) != -1:
            content[start + offset] |= 0x1
            start += 4
    assert "password-protected" in reason("locked.docx", bytes(content))


def test_a_file_above_the_limit_is_refused(settings):
    settings.DEAL_ATTACHMENT_MAX_BYTES = 1024
    message = reason("big.pdf", PDF_BYTES + b"\x00" * 2000)
    assert "an attachment may be at most 1 KiB" in message
    assert check_attachment(upload("small.pdf", PDF_BYTES)).content_type == PDF


def test_the_default_limit_is_ten_mebibytes(settings):
    assert settings.DEAL_ATTACHMENT_MAX_BYTES == 10 * 1024 ** 2
    assert settings.DEAL_MESSAGE_MAX_CHARS == 5000
