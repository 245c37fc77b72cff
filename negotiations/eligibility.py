"""Who may accept a listing's open licence or claim one of its donated licences, in sentences.

    open_licence_refusals(listing, organisation) -> [str]   empty: eligible
    donation_refusals(listing, organisation) -> [str]       empty: eligible (a place is left, too)
    places_claimed(listing) -> int                          donated licences claimed so far
    places_left(listing) -> int
    holding_deal(listing, organisation, origin) -> Deal | None   the deal by which it holds this one-step licence
    needs_sme_profile(listing, organisation, *, donation) -> bool   a rule needs the SME profile it has not filled

Each refusal says which rule fails and the organisation's own value, in the active language ("This donated
licence is for small and micro enterprises; Acme Ltd is classed as a medium enterprise (2011 SME
classification)."). The actions in ``negotiations.actions.grants`` apply the same rules on the locked listing.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from listings.models import Listing
from marketplace import sme, wording
from marketplace.models import Organisation, Province
from marketplace.verification import _status_sentence
from negotiations import territories


def _province_names(codes) -> str:
    return wording.enumeration(str(Province(code).label) if code in Province.values else code for code in codes)


def _industry_name(code: str) -> str:
    found = sme.industries().get(code)
    return found.name if found else code


def _profile(organisation: Organisation):
    return getattr(organisation, "sme_profile", None)


def places_claimed(listing: Listing) -> int:
    from negotiations.models import DonationClaim

    return DonationClaim.objects.filter(listing_id=listing.pk).count()


def places_left(listing: Listing) -> int:
    return max(0, (listing.donation_quota or 0) - places_claimed(listing))


def holding_deal(listing: Listing, organisation: Organisation | None, origin: str):
    """The deal by which ``organisation`` holds ``listing``'s open licence / its donated licence (or None)."""
    from negotiations.models import HOLDING_DEAL_STATES, Deal, DealOrigin, DonationClaim

    if organisation is None:
        return None
    if origin == DealOrigin.DONATION:
        claim = DonationClaim.objects.filter(listing=listing, organisation=organisation).select_related("deal").first()
        return claim.deal if claim else None
    return (Deal.objects.filter(listing=listing, licensee=organisation, origin=origin, state__in=HOLDING_DEAL_STATES)
            .order_by("-pk").first())


def needs_sme_profile(listing: Listing, organisation: Organisation, *, donation: bool) -> bool:
    if _profile(organisation) is not None:
        return False
    if donation:
        return bool(listing.donation_sme_only or listing.donation_industries)
    return bool(listing.open_licence_sme_only)


def _common(listing: Listing, organisation: Organisation, what: str) -> list[str]:
    reasons = []
    if not organisation.is_verified:
        reasons.append(_("%(status)s Only verified organisations can accept %(what)s.")
                       % {"status": _status_sentence(organisation), "what": what})
    if organisation.pk == listing.owner_id:
        reasons.append(_("%(org)s owns this listing; it cannot license it to itself.") % {"org": organisation.name})
    if not listing.is_browsable:
        reasons.append(_("“%(title)s” is not open for licensing right now.") % {"title": listing.title})
    if listing.territory.strip() and not territories.from_listing_text(listing.territory):
        reasons.append(_("The territory of “%(title)s” (“%(territory)s”) is not one PatentBridge can read; the owner "
                         "needs to correct it first.") % {"title": listing.title, "territory": listing.territory})
    return reasons


def _size(organisation: Organisation, rule: str) -> list[str]:
    """The small-and-micro rule: ``rule`` is the sentence's first half ("This open licence is for …")."""
    size = organisation.size_class
    if size is None:
        return [_("%(rule)s; %(org)s has no SME profile, so its size class cannot be checked. Fill in its SME profile "
                  "(employees, revenue, assets) first.") % {"rule": rule, "org": organisation.name}]
    if size not in sme.ELIGIBLE_SIZES:
        return [_("%(rule)s; %(org)s is classed as a %(size)s enterprise (2011 SME classification).")
                % {"rule": rule, "org": organisation.name, "size": str(sme.SizeClass(size).label).lower()}]
    return []


def _province(organisation: Organisation, provinces, rule: str) -> list[str]:
    if not provinces or organisation.province in provinces:
        return []
    names = _province_names(provinces)
    if not organisation.province:
        return [_("%(rule)s %(provinces)s; %(org)s has no province on its profile.")
                % {"rule": rule, "provinces": names, "org": organisation.name}]
    return [_("%(rule)s %(provinces)s; %(org)s is in %(province)s.")
            % {"rule": rule, "provinces": names, "org": organisation.name,
               "province": organisation.get_province_display()}]


def open_licence_refusals(listing: Listing, organisation: Organisation) -> list[str]:
    """Why ``organisation`` may not accept ``listing``'s open licence now (``[]``: it may)."""
    reasons = _common(listing, organisation, _("an open licence"))
    if not listing.open_licence:
        reasons.append(_("“%(title)s” has no open licence.") % {"title": listing.title})
        return reasons
    if not listing.offers_non_exclusive:
        reasons.append(_("The open licence of “%(title)s” offers no non-exclusive licence.") % {"title": listing.title})
    if listing.open_licence_sme_only:
        reasons += _size(organisation, _("This open licence is for small and micro enterprises"))
    reasons += _province(organisation, listing.open_licence_provinces,
                         _("This open licence is for organisations in"))
    return reasons


def donation_refusals(listing: Listing, organisation: Organisation) -> list[str]:
    """Why ``organisation`` may not claim a donated licence of ``listing`` now (``[]``: it may)."""
    reasons = _common(listing, organisation, _("a donated licence"))
    if not listing.donation_quota:
        reasons.append(_("“%(title)s” offers no donated licences.") % {"title": listing.title})
        return reasons
    if places_left(listing) <= 0:
        reasons.append(ngettext("The %(n)s donated licence of “%(title)s” has been claimed.",
                                "All %(n)s donated licences of “%(title)s” have been claimed.", listing.donation_quota)
                       % {"n": listing.donation_quota, "title": listing.title})
    if listing.donation_sme_only:
        reasons += _size(organisation, _("This donated licence is for small and micro enterprises"))
    reasons += _province(organisation, listing.donation_provinces,
                         _("This donated licence is for organisations in"))
    if listing.donation_industries:
        names = wording.enumeration(_industry_name(code) for code in listing.donation_industries)
        profile = _profile(organisation)
        if profile is None:
            if not listing.donation_sme_only:  # the size rule already asked for the profile
                reasons.append(_("This donated licence is for the industries %(industries)s; %(org)s has no SME "
                                 "profile, so its industry cannot be checked. Fill in its SME profile first.")
                               % {"industries": names, "org": organisation.name})
        elif profile.industry not in listing.donation_industries:
            reasons.append(_("This donated licence is for the industries %(industries)s; %(org)s is in %(industry)s.")
                           % {"industries": names, "org": organisation.name,
                              "industry": _industry_name(profile.industry)})
    return reasons
