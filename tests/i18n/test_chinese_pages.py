"""With the demo data, every main page rendered in Chinese, for every demo role, has no English interface
text beyond user data (titles, abstracts, names…) and the IPC titles marked as English (``lang="en"``).

How the check works is in ``tests/i18n/english_check.py``. A finding reads
``<words> in '<text>' (<page> <element path>)``: translate the string (or mark true user data).
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from listings import actions as listing_actions
from listings.demo import PUSH_DEMO_PATENT
from listings.models import Listing, ListingState
from marketplace.models import Membership, OrganisationKind, User
from matching import actions as matching_actions
from matching.models import ContactRequest, Need, Suggestion
from negotiations.models import Deal
from tests.i18n.english_check import UserData, english_ui_text

QUERY = "lithium cathode"
ROLES = ("staff", "institute", "university", "donor", "sme", "pending-sme", "agency")


def _demo_activity(django_capture_on_commit_callbacks):
    """What a demo session produces: a push alert (the staged draft published), a licence request, a reply."""
    office, number = PUSH_DEMO_PATENT
    draft = Listing.objects.get(patents__office=office, patents__number=number)
    publisher = Membership.objects.filter(organisation=draft.owner).first().user
    with django_capture_on_commit_callbacks(execute=True):
        listing_actions.publish_listing(draft, actor=publisher)
    sme = User.objects.get(email="sme@patentbridge.demo")
    suggestion = Suggestion.objects.filter(listing=draft, need__organisation__slug="lingxi-battery").first()
    with django_capture_on_commit_callbacks(execute=True):
        contact = matching_actions.request_licence(suggestion, actor=sme, message="We would like a licence.")
        matching_actions.reply_to_request(contact, actor=publisher, message="Happy to talk: call us.")
    return draft


def _pages(user, draft) -> list[tuple[str, str]]:
    us_listing = Listing.objects.filter(state=ListingState.PUBLISHED, patents__office="US",
                                        patents__classifications__isnull=False).order_by("pk").first()
    pages = [
        ("home", reverse("home")),
        ("browse", reverse("listing_browse")),
        ("search", reverse("listing_browse") + "?q=" + QUERY.replace(" ", "+")),
        ("ipc subclass", reverse("listing_browse") + "?ipc=H01M"),
        ("listing", draft.get_absolute_url()),
        ("US listing", us_listing.get_absolute_url()),
        ("notifications", reverse("notifications")),
        ("profile", reverse("profile")),
        ("quick match", reverse("quick_match") + "?q=" + QUERY.replace(" ", "+")),
    ]
    membership = Membership.objects.filter(user=user).select_related("organisation").first()
    if membership is None:  # platform staff
        return pages + [("verification", reverse("verification_queue")), ("staff funnel", reverse("staff_funnel"))]
    org = membership.organisation
    pages += [("organisation", org.get_absolute_url()),
              ("organisation form", reverse("organisation_edit", args=[org.slug])),
              ("deals", reverse("deal_list")),
              ("deals waiting", reverse("deal_list") + "?waiting=1")]
    pages += [(f"deal {deal.pk}", deal.get_absolute_url()) for deal in Deal.objects.for_user(user).order_by("pk")]
    if org.kind == OrganisationKind.SME:
        pages += [("needs", reverse("need_list", args=[org.slug])),
                  ("new need", reverse("need_create", args=[org.slug])),
                  ("size data", reverse("sme_profile_edit", args=[org.slug]))]
        pages += [(f"need {need.pk}", reverse("need_detail", args=[org.slug, need.pk]))
                  for need in Need.objects.filter(organisation=org)]
    else:
        pages += [("owner listings", reverse("owner_listings", args=[org.slug])),
                  ("import", reverse("import_new", args=[org.slug])),
                  ("requests", reverse("owner_requests", args=[org.slug])),
                  ("funnel", reverse("owner_funnel", args=[org.slug])),
                  ("default terms", reverse("owner_default_terms", args=[org.slug])),
                  ("new listing", reverse("owner_listing_create", args=[org.slug]))]
        pages += [(f"request {c.pk}", reverse("owner_request_detail", args=[org.slug, c.pk]))
                  for c in ContactRequest.objects.filter(listing__owner=org)]
    return pages


@pytest.mark.django_db(transaction=True)
def test_demo_pages_in_chinese_have_no_english_interface_text(django_capture_on_commit_callbacks):
    call_command("load_demo")  # organisations, logins, then (on commit) the listings and needs
    draft = _demo_activity(django_capture_on_commit_callbacks)
    user_data = UserData()
    findings, checked = [], 0
    for role in ROLES:
        user = User.objects.get(email=f"{role}@patentbridge.demo")
        client = Client()
        client.force_login(user)
        client.cookies["django_language"] = "zh-hans"  # the demo users prefer English: the page language wins
        for name, url in _pages(user, draft):
            response = client.get(url)
            assert response.status_code == 200, (role, url, response.status_code)
            page = response.content.decode()
            assert '<html lang="zh-Hans">' in page, (role, url)
            findings += english_ui_text(page, user_data, where=f"{role}: {name} {url}", typed=(QUERY,))
            checked += 1
    assert checked >= 60
    report = "\n".join(str(f) for f in findings[:60])
    assert not findings, f"{len(findings)} English interface texts on Chinese pages:\n{report}"
