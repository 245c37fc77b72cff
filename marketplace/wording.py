"""Small pieces of wording shared by every app's messages, in the active language."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import pgettext


def enumeration(items) -> str:
    """``a, b, c`` in English, ``a、b、c`` in Chinese: the active language's list separator (the catalogue's
    ``enumeration separator``), for lists in running text (changed fields, search words, territories)."""
    return pgettext("enumeration separator", ", ").join(str(item) for item in items)


def in_language_of(user):
    """``with in_language_of(user):`` texts written for that person — notifications and emails speak the
    recipient's language, not the sender's or the page's (``settings.LANGUAGE_CODE`` without a preference)."""
    return translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE)


def chinese_active() -> bool:
    """The active language is Chinese (``zh-hans``): for the choices a catalogue cannot make (which of two stored
    names to show, the units of an amount)."""
    return (translation.get_language() or "").lower().startswith("zh")
