"""A small, safe Markdown renderer for the texts we write ourselves (API descriptions, help texts).

Supports what those texts use: ``#`` headings, paragraphs, ``*``/``-`` lists, `` `code` ``,
``**bold**`` and ``[links](/path)`` (relative or http(s) only). Everything is HTML-escaped first,
so a description can never inject markup. Not a general Markdown implementation.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*[*-]\s+(.*)$")
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\(((?:/|https?://|#)[^)\s]*)\)")


def inline(text: str) -> str:
    """Escaped HTML of one line's inline markup (code spans are taken first, so their content stays literal)."""
    parts = []
    last = 0
    for match in _CODE.finditer(text):
        parts.append(_emphasis(escape(text[last:match.start()])))
        parts.append(f"<code>{escape(match.group(1))}</code>")
        last = match.end()
    parts.append(_emphasis(escape(text[last:])))
    return "".join(parts)


def _emphasis(escaped: str) -> str:
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return _LINK.sub(r'<a href="\2">\1</a>', escaped)


def render(text: str, *, heading_offset: int = 0) -> SafeString:
    """``heading_offset`` shifts heading levels (``##`` with offset 1 is ``<h3>``), capped at ``<h6>``."""
    html: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush():
        if paragraph:
            html.append("<p>" + " ".join(inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            html.append("<ul>" + "".join(f"<li>{inline(item)}</li>" for item in items) + "</ul>")
            items.clear()

    for line in str(text or "").replace("\r\n", "\n").split("\n"):
        if not line.strip():
            flush()
            continue
        heading = _HEADING.match(line)
        item = _ITEM.match(line)
        if heading:
            flush()
            level = min(6, len(heading.group(1)) + heading_offset)
            html.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif item:
            if paragraph:
                flush()
            items.append(item.group(1))
        elif items and line.startswith(("  ", "\t")):
            items[-1] += " " + line.strip()  # continuation of a list item
        else:
            if items:
                flush()
            paragraph.append(line.strip())
    flush()
    return mark_safe("\n".join(html))  # noqa: S308 - every piece of text was escaped above
