"""Date and time formats, one per language across the whole site (``FORMAT_MODULE_PATH``).

Both languages show ISO 8601 dates and 24-hour times — ``2026-12-03`` and ``2026-12-03 04:34`` — as most
pages did before, and as Chinese forms and documents commonly write them. Templates use the named formats
(``|date`` for a date, ``|date:"DATETIME_FORMAT"`` for a moment), never literal format strings, so a
language's choice lives only here. ``tests/listings/test_date_formats.py`` checks the pages.
"""
