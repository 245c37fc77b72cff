"""HTML to PDF with WeasyPrint, and PDF helpers (hash, text, merge) with pypdf.

    render_pdf(html) -> bytes      A4; the CJK font (Debian fonts-wqy-zenhei, installed by the Makefile) is
                                   named in the style sheet, so Chinese renders as glyphs, not boxes
    sha256(data) -> str            lower-case hex
    merge(*pdfs) -> bytes          the pages of each, in order, unchanged
    text_of(pdf) -> str            the text of every page (what a reader's search finds)

Rendering errors raise ``PdfError`` with the cause; nothing is stored by this module.
"""

from __future__ import annotations

import hashlib
import io
import logging

log = logging.getLogger(__name__)

# Latin text in a serif face; CJK characters fall back to WenQuanYi Zen Hei (or Noto CJK where installed).
FONT_STACK = "'DejaVu Serif', 'Liberation Serif', 'WenQuanYi Zen Hei', 'Noto Sans CJK SC', serif"


class PdfError(Exception):
    """The document could not be rendered (the message says why)."""


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the pango libraries are missing
        raise PdfError(f"WeasyPrint is not usable here: {exc}") from exc
    try:
        return HTML(string=html, base_url=base_url).write_pdf()
    except Exception as exc:  # WeasyPrint raises many kinds; the caller records the message for staff
        log.exception("PDF rendering failed")
        raise PdfError(f"{type(exc).__name__}: {exc}") from exc


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def merge(*pdfs: bytes) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for data in pdfs:
        writer.append(io.BytesIO(data))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def text_of(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)
