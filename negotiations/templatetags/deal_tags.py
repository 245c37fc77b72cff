"""Badges of deal states and term-sheet statuses."""

from django import template

register = template.Library()

DEAL_BADGES = {
    "negotiating": "text-bg-primary",
    "agreed": "text-bg-success",
    "signing": "text-bg-info",
    "awaiting_payment": "text-bg-info",
    "completed": "text-bg-success",
    "declined": "text-bg-secondary",
    "withdrawn": "text-bg-secondary",
    "expired": "text-bg-dark",
}
OFFER_BADGES = {
    "open": "text-bg-primary",
    "accepted": "text-bg-success",
    "superseded": "text-bg-light border",
    "withdrawn": "text-bg-secondary",
    "expired": "text-bg-dark",
    "closed": "text-bg-secondary",
}


@register.filter
def deal_badge(state) -> str:
    return DEAL_BADGES.get(str(state), "text-bg-secondary")


@register.filter
def offer_badge(status) -> str:
    return OFFER_BADGES.get(str(status), "text-bg-secondary")


@register.filter
def side_org(deal, side):
    """The organisation on ``side`` of ``deal`` (``{{ deal|side_org:offer.side }}``)."""
    return deal.organisation_of(side)
