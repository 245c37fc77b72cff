"""Template helpers for listings: money, royalty rates, licence terms in plain words, IPC titles.

    {% load listing_tags %}
    {{ listing.lump_sum_minor|money:listing.currency }}      ¥120,000.00
    {{ listing.royalty_rate_bp|royalty }}                    3.5 %
    {% describe_terms listing as terms %}{{ terms.summary }} {{ terms.price }}
    {{ "H01M 10/052"|ipc_title }}
    {{ node.title|ipc_text:70 }}        an ipc.LocalTitle; English shown in a Chinese page is marked lang="en" (英文)
    <a href="{% query_replace page=2 %}">                    the current query string with page=2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django import template
from django.template.defaultfilters import truncatechars
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from listings import ipc, territories
from listings.forms import bp_to_percent, from_minor
from listings.models import FeeModel, LicenceKind, ListingState

register = template.Library()

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€"}
STATE_BADGES = {
    ListingState.DRAFT: "text-bg-secondary",
    ListingState.PUBLISHED: "text-bg-success",
    ListingState.PAUSED: "text-bg-warning",
    ListingState.WITHDRAWN: "text-bg-dark",
    ListingState.LICENSED_OUT: "text-bg-info",
    ListingState.EXPIRED: "text-bg-danger",
}


# --- formatting ---------------------------------------------------------------------------
def format_money(minor: int | None, currency: str = "CNY") -> str:
    """``12000050, "CNY"`` → ``¥120,000.50``; unknown currencies get their code after the amount."""
    if minor is None:
        return ""
    amount: Decimal = from_minor(int(minor), currency)
    text = f"{amount:,}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def format_rate(bp: int | None) -> str:
    """Basis points → ``3.5 %``."""
    if bp is None:
        return ""
    return f"{bp_to_percent(int(bp))} %"


@register.filter
def money(minor, currency="CNY"):
    return format_money(minor, currency or "CNY")


@register.filter
def royalty(bp):
    return format_rate(bp)


@register.filter
def state_badge(state) -> str:
    return STATE_BADGES.get(state, "text-bg-secondary")


@register.filter
def ipc_title(code) -> str:
    """The WIPO title of a code, without parenthesised references (subgroups with their main group)."""
    return ipc.short(ipc.full_title(str(code))) if code else ""


@register.filter
def ipc_text(title, limit=0):
    """An IPC title (``ipc.LocalTitle`` or text), cut to ``limit`` characters. WIPO's English shown on a page
    in another language is wrapped in ``<span lang="en">`` and followed by a small “(in English)” marker, so
    readers (and screen readers) know why it is not translated."""
    text = str(title or "")
    if limit:
        text = truncatechars(text, int(limit))
    language = (translation.get_language() or "en").lower()
    if text and getattr(title, "lang", None) == "en" and not language.startswith("en"):
        return format_html('<span lang="en">{}</span> <small class="text-body-secondary ipc-lang-note">{}</small>',
                           text, _("(in English)"))
    return conditional_escape(text)


@register.filter
def lines(text) -> list[str]:
    """A one-per-line text field (applicants, inventors) as a list."""
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


# --- terms in plain words -----------------------------------------------------------------
def _join_alternatives(items: list[str]) -> str:
    if not items:
        return ""
    items = [items[0]] + [item[:1].lower() + item[1:] for item in items[1:]]
    if len(items) == 1:
        return items[0]
    separator = pgettext("alternatives separator", ", ")
    return _("%(items)s or %(last)s") % {"items": separator.join(items[:-1]), "last": items[-1]}


@dataclass
class TermsDescription:
    summary: str  # "Non-exclusive licence, free of charge, in Mainland China, for 36 months, field of use: ..."
    price: str  # "Free of charge" / "Lump sum ¥120,000.00" / "Entry fee ¥50,000.00 plus 3.5 % royalty on net sales"
    kinds: list[str] = field(default_factory=list)
    open_licence: str = ""
    donation: str = ""
    idle: str = ""

    def __str__(self):
        return self.summary


def price_text(terms) -> str:
    fee = terms.fee_model
    if fee == FeeModel.LUMP_SUM:
        return _("Lump sum %(amount)s") % {"amount": format_money(terms.lump_sum_minor, terms.currency)}
    if fee == FeeModel.ROYALTY:
        return _("%(rate)s royalty on net sales") % {"rate": format_rate(terms.royalty_rate_bp)}
    if fee == FeeModel.ENTRY_FEE_ROYALTY:
        return _("Entry fee %(fee)s plus %(rate)s royalty on net sales") % {
            "fee": format_money(terms.entry_fee_minor, terms.currency),
            "rate": format_rate(terms.royalty_rate_bp),
        }
    return _("Free of charge")


def describe_terms(terms) -> TermsDescription:
    """Licence terms (a Listing or OrganisationTerms) explained in plain words."""
    kinds = [str(LicenceKind(kind).label) for kind in terms.licence_kinds]
    parts = [_join_alternatives(kinds) or _("No licence offered")]
    fee = terms.fee_model
    if fee == FeeModel.FREE:
        parts.append(_("free of charge"))
    elif fee == FeeModel.LUMP_SUM:
        parts.append(_("for a lump sum of %(amount)s") % {"amount": format_money(terms.lump_sum_minor, terms.currency)})
    elif fee == FeeModel.ROYALTY:
        parts.append(_("for a royalty of %(rate)s of net sales") % {"rate": format_rate(terms.royalty_rate_bp)})
    elif fee == FeeModel.ENTRY_FEE_ROYALTY:
        parts.append(
            _("for an entry fee of %(fee)s plus a royalty of %(rate)s of net sales")
            % {"fee": format_money(terms.entry_fee_minor, terms.currency), "rate": format_rate(terms.royalty_rate_bp)}
        )
    if terms.territory:
        parts.append(_("in %(territory)s") % {"territory": territories.display(terms.territory)})
    if terms.term_months:
        parts.append(
            ngettext("for %(months)d month", "for %(months)d months", terms.term_months) % {"months": terms.term_months}
        )
    else:
        parts.append(_("until the patents expire"))
    if terms.field_of_use:
        parts.append(_("field of use: %(field)s") % {"field": terms.field_of_use})
    summary = pgettext("list separator", ", ").join(parts) + pgettext("sentence end", ".")

    description = TermsDescription(summary=summary, price=price_text(terms), kinds=kinds)
    if terms.open_licence:
        description.open_licence = _(
            "Open licence: any eligible enterprise may accept these standard terms at once, without negotiating."
        )
    quota = getattr(terms, "donation_quota", 0) or 0
    if quota:
        description.donation = ngettext(
            "The owner donates %(count)d free licence to an eligible small or micro enterprise.",
            "The owner donates up to %(count)d free licences to eligible small and micro enterprises.",
            quota,
        ) % {"count": quota}
    if getattr(terms, "idle_declared", False):
        description.idle = _("The owner declares these patents idle: they are not being used.")
    return description


@register.simple_tag(name="describe_terms")
def describe_terms_tag(terms):
    return describe_terms(terms)


# --- query strings --------------------------------------------------------------------------
@register.simple_tag(takes_context=True)
def query_replace(context, **changes) -> str:
    """The current query string with some parameters replaced (``None`` removes them)."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else None
    if query is None:
        from django.http import QueryDict

        query = QueryDict(mutable=True)
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None and value != "":
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
