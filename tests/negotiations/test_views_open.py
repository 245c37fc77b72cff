"""Opening a deal room: from the listing page (the licensee), from a suggestion, and from a licence request in
the owner's inbox (the licensor), which then links to the room instead of its reply forms."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from negotiations.models import Deal, DealState, Offer, Side
from tests.negotiations.dealroom import listing_terms_data

pytestmark = pytest.mark.django_db


def _open_form(page: str) -> dict:
    form = re.search(r'<form method="get" action="/deals/open/" class="mb-2 deal-open-form">(.*?)</form>', page,
                     re.S)
    assert form, "no deal-room button on the page"
    return dict(re.findall(r'name="(listing|organisation)" value="([^"]+)"', form.group(1)))


def test_the_listing_page_button_shows_version_1_before_the_deal_room_opens(client, room_parties,
                                                                           django_capture_on_commit_callbacks):
    client.force_login(room_parties.licensee_user)
    page = client.get(room_parties.listing.get_absolute_url()).content.decode()
    data = _open_form(page)
    assert data == {"listing": str(room_parties.listing.pk), "organisation": room_parties.licensee.slug}
    review = client.get(reverse("deal_open"), data)  # the button: nothing is sent yet
    assert review.status_code == 200 and 'id="open-form"' in review.content.decode()
    assert not Deal.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("deal_open"), {**data, **listing_terms_data(room_parties.listing)})
    deal = Deal.objects.get()
    assert response.status_code == 302 and response["Location"] == deal.get_absolute_url()
    assert (deal.licensee, deal.licensor, deal.opened_side) == (room_parties.licensee, room_parties.licensor,
                                                                Side.LICENSEE)
    offer = Offer.objects.get(deal=deal)
    assert offer.version == 1 and offer.lump_sum_minor == 20_000_000 and offer.territory == ["CN"]
    # a second click on the button goes to the open room
    response = client.get(reverse("deal_open"), data, follow=True)
    assert response.redirect_chain[-1][0] == deal.get_absolute_url()
    assert "Your deal room for this listing is already open." in response.content.decode()
    # and a stale open form posted again finds it too
    response = client.post(reverse("deal_open"), data, follow=True)
    assert "already has an open deal room for this listing" in response.content.decode()
    assert Deal.objects.count() == 1


def test_no_button_for_the_owner_or_anonymous_visitors(client, room_parties):
    assert "/deals/open/" not in client.get(room_parties.listing.get_absolute_url()).content.decode()
    client.force_login(room_parties.licensor_user)
    assert "/deals/open/" not in client.get(room_parties.listing.get_absolute_url()).content.decode()


def test_no_button_for_an_unverified_organisation(client, room_parties, make_user, make_org):
    from marketplace.models import OrganisationKind

    user = make_user("pending@example.com")
    make_org("Pending Firm Ltd", kind=OrganisationKind.SME, owner=user, verified=False)
    client.force_login(user)
    assert "/deals/open/" not in client.get(room_parties.listing.get_absolute_url()).content.decode()


def test_opening_for_another_organisation_is_404(client, room_parties):
    client.force_login(room_parties.outsider)
    response = client.post(reverse("deal_open"), {"listing": room_parties.listing.pk,
                                                  "organisation": room_parties.licensee.slug})
    assert response.status_code == 404 and not Deal.objects.exists()


def test_a_listing_territory_the_site_cannot_read_is_asked_for(client, room_parties, make_listing,
                                                                django_capture_on_commit_callbacks):
    listing = make_listing(room_parties.licensor, room_parties.licensor_user, title="Odd place",
                           territory="Atlantis", offers_non_exclusive=True)
    client.force_login(room_parties.licensee_user)
    response = client.post(reverse("deal_open"), {"listing": listing.pk, "organisation": room_parties.licensee.slug})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="open-form"' in page
    assert "Territory: Choose at least one territory." in page
    assert not Deal.objects.exists()
    # choosing one on the open page opens the room
    data = {**listing_terms_data(listing, territory=["CN", "HK"]), "listing": listing.pk,
            "organisation": room_parties.licensee.slug}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("deal_open"), data)
    assert response.status_code == 302
    assert Offer.objects.get(deal__listing=listing).territory == ["CN", "HK"]


def test_the_open_page_shows_errors_of_adjusted_terms(client, room_parties):
    client.force_login(room_parties.licensee_user)
    page = client.get(reverse("deal_open") + f"?listing={room_parties.listing.pk}").content.decode()
    assert 'id="open-form"' in page and 'name="territory"' in page
    data = {**listing_terms_data(room_parties.listing, royalty_rate="120"), "listing": room_parties.listing.pk,
            "organisation": room_parties.licensee.slug, "message": "Our first idea"}
    response = client.post(reverse("deal_open"), data)
    page = response.content.decode()
    assert response.status_code == 200 and "above 100" in page and "Our first idea" in page
    assert not Deal.objects.exists()


def test_a_suggestion_offers_the_deal_room(client, room_parties, contact_request):
    client.force_login(room_parties.licensee_user)
    need = contact_request.need
    page = client.get(reverse("need_detail", args=[room_parties.licensee.slug, need.pk])).content.decode()
    assert 'action="/deals/open/" class="deal-open-form"' in page


def test_the_licensor_answers_a_request_with_a_deal_room(client, room_parties, contact_request,
                                                         django_capture_on_commit_callbacks):
    detail = reverse("owner_request_detail", args=[room_parties.licensor.slug, contact_request.pk])
    client.force_login(room_parties.licensor_user)
    page = client.get(detail).content.decode()
    assert reverse("deal_open_from_request", args=[contact_request.pk]) in page and 'id="reply-form"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("deal_open_from_request", args=[contact_request.pk]))
    deal = Deal.objects.get()
    assert response["Location"] == deal.get_absolute_url()
    assert (deal.opened_side, deal.licensee, deal.contact_request) == (Side.LICENSOR, room_parties.licensee,
                                                                        contact_request)
    assert deal.state == DealState.NEGOTIATING and deal.waiting_for == Side.LICENSEE

    # the request now leads to the room: on its page, in the inbox and on the need's page
    page = client.get(detail).content.decode()
    assert "Continue in the deal room" in page and deal.get_absolute_url() in page
    assert 'id="reply-form"' not in page and 'id="decline-form"' not in page
    inbox = client.get(reverse("owner_requests", args=[room_parties.licensor.slug])).content.decode()
    assert f'href="{deal.get_absolute_url()}" class="follow-up"' in inbox
    client.force_login(room_parties.licensee_user)
    need_page = client.get(reverse("need_detail", args=[room_parties.licensee.slug,
                                                        contact_request.need.pk])).content.decode()
    assert "Continue in the deal room" in need_page and deal.get_absolute_url() in need_page
    # a second click goes to the same room
    client.force_login(room_parties.licensor_user)
    response = client.post(reverse("deal_open_from_request", args=[contact_request.pk]))
    assert response["Location"] == deal.get_absolute_url() and Deal.objects.count() == 1


def test_a_member_of_several_organisations_chooses_which_one(client, room_parties, make_org,
                                                             django_capture_on_commit_callbacks):
    from marketplace.models import OrganisationKind

    second = make_org("Tiny Cells Two Ltd", kind=OrganisationKind.SME, owner=room_parties.licensee_user, verified=True)
    client.force_login(room_parties.licensee_user)
    listing_page = client.get(room_parties.listing.get_absolute_url()).content.decode()
    # two organisations, each with a button on phones (under the terms) and on desktops (the sidebar)
    assert listing_page.count('class="mb-2 deal-open-form"') == 2 * 2 and "for Tiny Cells Two Ltd" in listing_page
    response = client.post(reverse("deal_open"), {"listing": room_parties.listing.pk})
    page = response.content.decode()
    assert response.status_code == 200 and "Choose the organisation the deal is for." in page
    assert f'value="{second.slug}"' in page and f'value="{room_parties.licensee.slug}"' in page
    assert not Deal.objects.exists()
    assert client.get(reverse("deal_open") + f"?listing={room_parties.listing.pk}").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("deal_open"), {"listing": room_parties.listing.pk, "organisation": second.slug})
    assert Deal.objects.get().licensee == second
