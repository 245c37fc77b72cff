"""Formats of en: the site-wide ISO formats (see ``marketplace.formats``)."""

from marketplace.formats.iso import *  # noqa: F401,F403
