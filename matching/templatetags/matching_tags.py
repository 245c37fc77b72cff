"""Matching on other apps' pages (listings must not import matching, so its templates load these tags)."""

from __future__ import annotations

import logging

from django import template

from marketplace.actions import membership_of

register = template.Library()
log = logging.getLogger(__name__)


@register.simple_tag
def reverse_matches(listing, user, limit=10):
    """Active SME needs this listing matches well (``matching.reverse.needs_for_listing``), for members of the
    listing's owner only; ``[]`` for everyone else, and when matching fails (the listing page must still show)."""
    from matching.reverse import needs_for_listing

    if listing is None or membership_of(user, listing.owner) is None:
        return []
    try:
        return needs_for_listing(listing, limit=int(limit))
    except Exception:  # noqa: BLE001 - a side panel; never break the listing page
        log.exception("reverse matching failed for listing %s", listing.pk)
        return []
