"""Matching on other apps' pages (listings must not import matching, so its templates load these tags): reverse
matches on a listing page, the licence-request inbox badge (navigation, owner dashboard), request status badges."""

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


CONTACT_BADGES = {
    "open": "text-bg-warning",
    "replied": "text-bg-success",
    "declined": "text-bg-danger",
    "withdrawn": "text-bg-secondary",
    "closed": "text-bg-secondary",
}


@register.filter
def contact_badge(status) -> str:
    """The Bootstrap badge class of a licence request status."""
    return CONTACT_BADGES.get(str(status), "text-bg-secondary")


@register.simple_tag
def open_request_count(organisation, user) -> int:
    """Open licence requests about the organisation's listings, for its members (0 for everyone else): the
    badge of the inbox links in the navigation and on the owner dashboard."""
    from matching.models import ContactRequest, ContactRequestStatus

    if organisation is None or not getattr(user, "is_authenticated", False):
        return 0
    return (ContactRequest.objects.for_owner(organisation)
            .filter(status=ContactRequestStatus.OPEN, listing__owner__memberships__user=user).count())
