"""Find English interface text on a page rendered in Chinese, leaving out user data.

What counts as interface text: every text node a reader sees (not <script>/<style>), and the attributes
that are read out or shown as text: ``placeholder``, ``aria-label``, ``alt`` and the label of submit/button
inputs. Tooltips (``title``) are not checked.

What is left out:
- elements marked as being in another language (``lang="en"``, ``lang="zh-Hant"``…) and what is inside them:
  that is how pages mark WIPO's English subclass titles and patent texts in their own language;
- user data: the text values stored in the database (titles, abstracts, names, needs, e-mail addresses…),
  found on the page whole (a text node that is such a value, or contains such values), or as a longer
  excerpt of one (highlighted or truncated search results);
- a short list of names and codes that are the same in every language (``PatentBridge``, ``IPC``, ``CSV``…).

What remains and has an English word of three letters or more is reported, with the place it was found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from django.apps import apps
from django.db import models

ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]")
SPACES = re.compile(r"\s+")
# Names, file formats and codes written the same way in Chinese text.
SAME_IN_EVERY_LANGUAGE = {
    "patentbridge", "ipc", "wipo", "cpc", "csv", "xlsx", "xls", "pdf", "png", "jpeg", "jpg", "json", "api",
    "openapi", "utf", "gbk", "gb", "cnipa", "uspto", "epo", "nasa", "django", "admin", "email", "www", "http",
    "https", "usd", "eur", "cny", "rmb", "ict", "epc", "wo", "zl", "iso", "excel", "jsonl", "ctrl", "mac", "word",
    "docx",
}
# Phrases that are names in every language (formats), taken out before looking for English words.
SAME_PHRASES = ("JSON Lines", "YYYY-MM-DD")
INLINE = {"a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q", "s",
          "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr", "label"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SKIP_CONTENT = {"script", "style", "template", "noscript"}
TEXT_ATTRIBUTES = ("placeholder", "aria-label", "alt")
# Stored text that is not user data: it is what the pages must translate, or a code behind a label.
NOT_USER_DATA = {
    ("marketplace", "notification"): {"title", "body"},
    ("marketplace", "auditentry"): "*",
    ("listings", "listing"): {"territory"},
    ("listings", "organisationterms"): {"territory"},
}
# JSON values holding user words: the parameters of a suggestion's reasons (key terms from the texts).
JSON_USER_DATA = {("matching", "suggestion"): "reason_codes"}
MIN_EXCERPT = 20  # a piece of text this long that is part of a stored value is user data (search snippets)
PIECES = re.compile(r"\s*(?:\u2026|\s\u2014\s|\s·\s)\s*")  # "…", " — ", " · " join pieces of values


@dataclass
class Finding:
    words: list[str]
    text: str
    where: str

    def __str__(self):
        return f"{', '.join(self.words)} in {self.text!r} ({self.where})"


class _Chunks(HTMLParser):
    """(text, path) for each block of visible text (inline elements such as ``<mark>`` or ``<a>`` do not cut
    it, so a highlighted excerpt stays one piece) and each text attribute, leaving out elements marked with
    another language or ``translate="no"`` (identifiers the reader types as they are, e.g. file columns)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.chunks: list[tuple[str, str]] = []
        self.buffer: list[str] = []
        self.buffer_path = ""

    def _skipped(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def _path(self) -> str:
        return " > ".join(tag for tag, _ in self.stack[-4:])

    def _flush(self):
        text = "".join(self.buffer)
        if text.strip():
            self.chunks.append((text, self.buffer_path))
        self.buffer = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in INLINE:
            self._flush()
        lang = (attrs.get("lang") or "").lower()
        skipped = (self._skipped() or tag in SKIP_CONTENT or (attrs.get("translate") or "").lower() == "no"
                   or (bool(lang) and not lang.startswith("zh-hans") and tag != "html"))
        if not skipped:
            texts = [attrs.get(name) for name in TEXT_ATTRIBUTES]
            if tag == "input" and (attrs.get("type") or "").lower() in ("submit", "button", "reset"):
                texts.append(attrs.get("value"))
            for text in texts:
                if text:
                    self.chunks.append((text, f"{self._path()} > {tag}[attribute]"))
        if tag in INLINE:
            self.buffer.append(" " if tag == "br" else "")
        if tag not in VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag not in INLINE:
            self._flush()
        for i in range(len(self.stack) - 1, -1, -1):  # tolerate unclosed tags
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self._skipped():
            if not self.buffer or not "".join(self.buffer).strip():
                self.buffer_path = self._path()
            self.buffer.append(data)

    def close(self):
        super().close()
        self._flush()


class UserData:
    """The text values stored in the database: what a page may show as it is, in any language."""

    def __init__(self):
        values = set()
        for model in apps.get_models():
            label = (model._meta.app_label, model._meta.model_name)
            if model._meta.app_label in ("auth", "contenttypes", "sessions", "admin"):
                continue
            excluded = NOT_USER_DATA.get(label, set())
            if excluded == "*":
                continue
            fields = [f.name for f in model._meta.get_fields()
                      if isinstance(f, (models.CharField, models.TextField)) and not f.choices
                      and f.name not in excluded and not f.primary_key]
            if label in JSON_USER_DATA:
                for data in model._default_manager.values_list(JSON_USER_DATA[label], flat=True):
                    for item in data or ():
                        values.update(_leaves((item or {}).get("params")))
            if not fields:
                continue
            for row in model._default_manager.values_list(*fields):
                for value in row:
                    if value and ENGLISH_WORD.search(value):
                        values.add(SPACES.sub(" ", value).strip())
                        for line in str(value).splitlines():  # one per line fields (applicants), shown as lists
                            if line.strip():
                                values.add(SPACES.sub(" ", line).strip())
        # A person's first name alone (the navigation shows it).
        for name in apps.get_model("marketplace", "User")._default_manager.values_list("full_name", flat=True):
            values.update(part for part in (name or "").split() if len(part) >= 3)
        self.values = {v for v in values if len(v) >= 3 and ENGLISH_WORD.search(v)}
        self.patterns = {}
        self.joined = "\n".join(sorted(values))

    def strip(self, text: str, page_values: list[str]) -> str:
        """``text`` without the stored values it contains as whole words (longest first)."""
        for value in page_values:
            if value in text:
                pattern = self.patterns.get(value)
                if pattern is None:
                    pattern = self.patterns[value] = re.compile(
                        r"(?<![A-Za-z])" + re.escape(value) + r"(?![A-Za-z])")
                text = pattern.sub(" ", text)
        return text

    def on_page(self, page_text: str) -> list[str]:
        """The stored values that occur on this page, longest first."""
        return sorted((v for v in self.values if v in page_text), key=len, reverse=True)

    def is_excerpt(self, text: str) -> bool:
        text = text.strip(" …." + "\u2026")
        return len(text) >= MIN_EXCERPT and text in self.joined


def _leaves(data):
    if isinstance(data, str):
        yield SPACES.sub(" ", data).strip()
    elif isinstance(data, dict):
        for value in data.values():
            yield from _leaves(value)
    elif isinstance(data, (list, tuple)):
        for value in data:
            yield from _leaves(value)


def english_ui_text(html: str, user_data: UserData, *, where: str = "", typed: tuple[str, ...] = ()) -> list[Finding]:
    """The English interface text on a page; ``typed``: what the user typed into this request (a query)."""
    parser = _Chunks()
    parser.feed(html)
    parser.close()
    chunks = [(SPACES.sub(" ", text).strip(), path) for text, path in parser.chunks]
    page_values = user_data.on_page("\n".join(text for text, _ in chunks))
    typed = {*typed, *(word for text in typed for word in text.split())}
    page_values = sorted({*page_values, *typed}, key=len, reverse=True)
    findings = []
    for text, path in chunks:
        if not ENGLISH_WORD.search(text) or text in user_data.values:
            continue
        # An excerpt ("description … abstract…") or a choice ("US 6359587 — title cut short") is made of
        # (cut) pieces of stored values.
        pieces = [piece for piece in PIECES.split(text)
                  if piece not in user_data.values and not user_data.is_excerpt(piece)]
        words = []
        for piece in pieces:
            rest = user_data.strip(piece, page_values)
            for phrase in SAME_PHRASES:
                rest = rest.replace(phrase, " ")
            words += [w for w in ENGLISH_WORD.findall(rest) if w.lower() not in SAME_IN_EVERY_LANGUAGE and len(w) >= 3]
        if words:
            findings.append(Finding(words, text, f"{where} {path}".strip()))
    return findings
