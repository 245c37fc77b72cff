"""The listing page's panel of one-step licences (registered in ``listings.panels`` by NegotiationsConfig.ready).

For a listing with an open licence and/or donated licences it shows, to everyone, who the offer is for (size,
provinces, industries) and the places claimed; then, for the viewer:
    anonymous                        the button (its page asks them to log in)
    no organisation but the owner    the button (its page explains that a licence is taken for an organisation)
    an organisation holds it         "Your organisation holds this licence — open the deal", linking to the deal
    every organisation refused       why (``negotiations.eligibility``), instead of the button
    otherwise                        the button
The owner's members see the restrictions and the places claimed only.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace import wording
from marketplace.actions import membership_of
from marketplace.models import Organisation
from negotiations import eligibility
from negotiations.models import DealOrigin


def _restrictions(listing, *, donation: bool) -> list[str]:
    sme_only = listing.donation_sme_only if donation else listing.open_licence_sme_only
    provinces = listing.donation_provinces if donation else listing.open_licence_provinces
    found = []
    if sme_only:
        found.append(_("For small and micro enterprises only"))
    if provinces:
        found.append(_("For organisations in: %(provinces)s") % {"provinces": eligibility._province_names(provinces)})
    if donation and listing.donation_industries:
        names = wording.enumeration(eligibility._industry_name(code) for code in listing.donation_industries)
        found.append(_("For the industries: %(industries)s") % {"industries": names})
    return found


def _offer(request, listing, organisations, *, donation: bool, owner_member: bool) -> dict:
    origin = DealOrigin.DONATION if donation else DealOrigin.OPEN_LICENCE
    url = reverse("donation_claim" if donation else "open_licence_accept", args=[listing.pk])
    offer = {"donation": donation, "url": url, "restrictions": _restrictions(listing, donation=donation),
             "state": "button", "refusals": [], "held": None}
    if donation:
        offer["claimed"] = eligibility.places_claimed(listing)
        offer["quota"] = listing.donation_quota
    if owner_member:
        offer["state"] = "owner"
        return offer
    for organisation in organisations:
        held = eligibility.holding_deal(listing, organisation, origin)
        if held is not None:
            offer.update(state="held", held=held)
            return offer
    if donation and offer["claimed"] >= listing.donation_quota:
        offer["state"] = "full"
        return offer
    if not organisations:
        return offer  # anonymous (the page asks to log in) or no organisation (the page explains)
    refusals_of = eligibility.donation_refusals if donation else eligibility.open_licence_refusals
    eligible, refused = [], []
    for organisation in organisations:
        reasons = refusals_of(listing, organisation)
        (refused if reasons else eligible).append((organisation, reasons))
    if eligible:
        if len(organisations) > 1 and len(eligible) == 1:
            offer["url"] = f"{url}?organisation={eligible[0][0].slug}"
        return offer
    offer.update(state="refused", refusals=refused, several=len(refused) > 1)
    return offer


def grant_panel(request, listing) -> str:
    if not listing.is_browsable or not (listing.open_licence or listing.donation_quota):
        return ""
    user = request.user
    owner_member = membership_of(user, listing.owner) is not None
    organisations = list(Organisation.objects.for_member(user).exclude(pk=listing.owner_id)
                         .select_related("sme_profile").order_by("name"))
    offers = []
    if listing.open_licence:
        offers.append(_offer(request, listing, organisations, donation=False, owner_member=owner_member))
    if listing.donation_quota:
        offers.append(_offer(request, listing, organisations, donation=True, owner_member=owner_member))
    return render_to_string("negotiations/includes/grant_panel.html", {"listing": listing, "offers": offers},
                            request=request)
