"""Small pieces of wording shared by every app's messages, in the active language."""

from __future__ import annotations

from django.utils.translation import pgettext


def enumeration(items) -> str:
    """``a, b, c`` in English, ``a、b、c`` in Chinese: the active language's list separator (the catalogue's
    ``enumeration separator``), for lists in running text (changed fields, search words, territories)."""
    return pgettext("enumeration separator", ", ").join(str(item) for item in items)
