"""The deal room through its pages: a three-version negotiation with the diffs on the page, stale forms, who may
accept, ending the deal, the SME class for the licensor only, the exclusivity banner and the live sections."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from negotiations import actions
from negotiations.models import Deal, DealState, Offer, OfferStatus
from tests.negotiations.dealroom import offer_data, room

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _version_block(page: str, n: int) -> str:
    start = page.index(f'id="version-{n}"')
    end = page.find('<article class="card mb-3 offer', start + 1)
    return page[start:end if end > 0 else len(page)]


def _counter(client, deal, **changes):
    deal.refresh_from_db()
    return client.post(reverse("deal_offer", args=[deal.pk]), offer_data(deal, **changes))


def test_three_versions_through_the_pages_and_agreement(client, deal_parties):
    p, deal = deal_parties, deal_parties.deal
    licensor, licensee = client, type(client)()
    licensor.force_login(p.licensor_user)
    licensee.force_login(p.licensee_user)

    # version 2: the licensor asks for more money and a sole licence
    response = _counter(licensor, deal, lump_sum="250000", licence_kind="sole")
    assert response.status_code == 302
    # version 3: the licensee meets in the middle and asks for sublicensing
    response = _counter(licensee, deal, lump_sum="225000", licence_kind="sole", sublicensing_allowed=True)
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.current_version == 3 and deal.waiting_for == "licensor"

    page = _text(licensor.get(room(deal)))
    v2, v3 = _version_block(page, 2), _version_block(page, 3)
    assert page.index('id="version-3"') < page.index('id="version-2"') < page.index('id="version-1"')  # newest first
    assert "¥200,000.00</del> → <ins" in v2 and "¥250,000.00" in v2
    assert "Exclusive licence</del> → <ins" in v2 and "Sole licence" in v2
    assert "¥250,000.00</del> → <ins" in v3 and "¥225,000.00" in v3
    assert 'data-field="sublicensing_allowed"' in v3 and 'data-field="licence_kind"' not in v3
    assert "Changed from version 2" in v3 and "Superseded" in v2
    assert "It is your move: accept version 3" in page

    response = licensor.post(reverse("deal_accept", args=[deal.pk]), {"version": 3}, follow=True)
    assert "You accepted version 3" in _text(response)
    deal.refresh_from_db()
    assert deal.state == DealState.SIGNING and deal.agreed_offer.version == 3  # agreed; the agreement is out
    page = _text(licensee.get(room(deal)))
    assert "Agreed on version 3" in page and 'id="offer-form"' not in page and 'id="accept-form"' not in page


def test_the_side_that_made_a_version_cannot_accept_it(client, deal_parties):
    client.force_login(deal_parties.licensee_user)  # the licensee made version 1
    page = _text(client.get(room(deal_parties.deal)))
    assert 'id="accept-form"' not in page and 'id="withdraw-form"' in page
    response = client.post(reverse("deal_accept", args=[deal_parties.deal.pk]), {"version": 1}, follow=True)
    assert "You made version 1" in _text(response)
    deal_parties.deal.refresh_from_db()
    assert deal_parties.deal.state == DealState.NEGOTIATING


def test_accepting_a_superseded_version_names_the_current_one(client, deal_parties, django_capture_on_commit_callbacks):
    deal = deal_parties.deal
    actions.make_offer(deal, actor=deal_parties.licensee_user, expected_version=1,
                       terms={**Offer.objects.get(deal=deal, version=1).terms(), "lump_sum_minor": 19_000_000})
    client.force_login(deal_parties.licensor_user)
    response = client.post(reverse("deal_accept", args=[deal.pk]), {"version": 1}, follow=True)
    assert "Version 1 is superseded; version 2 is the current one." in _text(response)
    assert Deal.objects.get(pk=deal.pk).state == DealState.NEGOTIATING


def test_a_stale_counter_offer_says_the_other_side_moved_and_shows_that_version(client, deal_parties):
    deal = deal_parties.deal
    licensee = type(client)()
    licensee.force_login(deal_parties.licensee_user)
    client.force_login(deal_parties.licensor_user)
    stale = offer_data(deal, lump_sum="300000")  # the licensor's form, made against version 1
    assert _counter(licensee, deal, lump_sum="180000").status_code == 302  # the licensee moves first: version 2

    response = client.post(reverse("deal_offer", args=[deal.pk]), stale)
    page = _text(response)
    assert response.status_code == 200
    assert "The other side has just made version 2" in page
    assert 'id="version-2"' in page and "¥180,000.00" in _version_block(page, 2)
    assert 'value="300000' in page  # what the licensor typed is still in the form
    assert re.search(r'name="expected_version" value="2"', page)
    assert Offer.objects.filter(deal=deal).count() == 2


def test_bad_offer_fields_show_a_message_per_field(client, deal_parties):
    client.force_login(deal_parties.licensor_user)
    deal = deal_parties.deal
    response = client.post(reverse("deal_offer", args=[deal.pk]),
                           offer_data(deal, lump_sum="-5", territory=[]))
    page = _text(response)
    assert response.status_code == 200
    assert "Choose at least one territory." in page
    assert re.search(r'data-field="lump_sum">.*?invalid-feedback', page)
    assert Offer.objects.filter(deal=deal).count() == 1


def test_withdraw_then_either_side_may_propose(client, deal_parties):
    client.force_login(deal_parties.licensee_user)
    deal = deal_parties.deal
    response = client.post(reverse("deal_withdraw_offer", args=[deal.pk]), {"version": 1}, follow=True)
    page = _text(response)
    assert "You withdrew version 1" in page
    assert "No version is open: either side may propose new terms." in page
    assert Offer.objects.get(deal=deal, version=1).status == OfferStatus.WITHDRAWN


@pytest.mark.parametrize("who, state, button", [("licensor_user", DealState.DECLINED, "Decline the deal"),
                                                 ("licensee_user", DealState.WITHDRAWN, "Withdraw from the deal")])
def test_ending_the_deal(client, deal_parties, who, state, button):
    client.force_login(getattr(deal_parties, who))
    deal = deal_parties.deal
    assert button in _text(client.get(room(deal)))
    response = client.post(reverse("deal_end", args=[deal.pk]), {"reason": "Our budget moved elsewhere."},
                           follow=True)
    page = _text(response)
    deal.refresh_from_db()
    assert deal.state == state
    assert "Our budget moved elsewhere." in page and 'id="offer-form"' not in page and 'id="message-form"' not in page


def test_the_licensee_size_class_is_shown_to_the_licensor_only(client, deal_parties):
    client.force_login(deal_parties.licensor_user)
    assert 'id="sme-size">Small<' in _text(client.get(room(deal_parties.deal)))
    client.force_login(deal_parties.licensee_user)
    assert 'id="sme-size"' not in _text(client.get(room(deal_parties.deal)))


def test_the_room_shows_the_listing_its_patents_and_the_parties(client, deal_parties):
    client.force_login(deal_parties.licensee_user)
    page = _text(client.get(room(deal_parties.deal)))
    assert deal_parties.listing.get_absolute_url() in page
    for patent in deal_parties.listing.patents.all():
        assert patent.display_number in page
    assert "Expires 2038-05-01" in page
    assert page.count("Verified</span>") >= 2
    assert 'data-live-url="/deals/%d/live/"' % deal_parties.deal.pk in page
    for section in ("status", "banners", "offers", "thread", "next"):
        assert f'data-live-section="{section}"' in page
    assert "js/dealroom.js" in page


def test_the_licensor_sees_the_distinct_field_confirmation(client, deal_parties):
    client.force_login(deal_parties.licensor_user)
    deal = deal_parties.deal
    assert 'name="distinct_field_confirmed"' in _text(client.get(room(deal)))
    data = offer_data(deal, field_of_use="E-bike batteries")
    data["distinct_field_confirmed"] = "1"
    assert client.post(reverse("deal_offer", args=[deal.pk]), data).status_code == 302
    assert Offer.objects.get(deal=deal, version=2).distinct_field_confirmed
    client.force_login(deal_parties.licensee_user)
    assert 'name="distinct_field_confirmed"' not in _text(client.get(room(deal)))


def test_exclusivity_banner_when_another_deal_holds_the_territory(client, deal_parties, make_user, make_org,
                                                                    django_capture_on_commit_callbacks):
    from marketplace.models import OrganisationKind

    p = deal_parties
    rival_user = make_user("rival@example.com", full_name="Rita Rival")
    rival = make_org("Rival Cells Ltd", kind=OrganisationKind.SME, owner=rival_user, verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        other = actions.open_deal(p.listing, rival, actor=rival_user)  # exclusive, Mainland China
        actions.accept_offer(other, actor=p.licensor_user, version=1)
    client.force_login(p.licensee_user)
    page = _text(client.get(room(p.deal)))
    assert 'id="exclusivity-banner"' in page and "already licensed exclusively in Mainland China" in page
    assert "Rival Cells" not in page  # the other licensee is not named
    client.force_login(p.licensor_user)
    response = client.post(reverse("deal_accept", args=[p.deal.pk]), {"version": 1}, follow=True)
    assert "already licensed exclusively in Mainland China" in _text(response)
    assert Deal.objects.get(pk=p.deal.pk).state == DealState.NEGOTIATING


def test_a_too_long_reason_is_shown_on_the_end_form(client, deal_parties):
    client.force_login(deal_parties.licensor_user)
    response = client.post(reverse("deal_end", args=[deal_parties.deal.pk]), {"reason": "x" * 1001})
    page = _text(response)
    assert response.status_code == 200
    assert re.search(r'data-field="reason">.*?invalid-feedback', page)
    assert re.search(r'id="end-deal"><div class="card-body"> <details open>', page)
    assert Deal.objects.get(pk=deal_parties.deal.pk).state == DealState.NEGOTIATING


def test_live_endpoint_returns_the_sections_for_the_user(client, deal_parties):
    client.force_login(deal_parties.licensor_user)
    data = client.get(reverse("deal_live", args=[deal_parties.deal.pk])).json()
    deal_parties.deal.refresh_from_db()
    assert data["seq"] == deal_parties.deal.last_seq
    assert set(data["sections"]) == {"status", "banners", "offers", "thread", "next"}
    assert "It is your move: accept version 1" in data["sections"]["next"]
    assert 'id="version-1"' in data["sections"]["offers"]
    client.force_login(deal_parties.licensee_user)
    data = client.get(reverse("deal_live", args=[deal_parties.deal.pk])).json()
    assert "Waiting for South Battery Institute to answer version 1." in data["sections"]["next"]


def test_the_room_expires_a_lapsed_offer_when_read(client, deal_parties):
    from django.utils import timezone

    deal = deal_parties.deal
    Offer.objects.filter(deal=deal).update(valid_until=timezone.now() - timezone.timedelta(minutes=1))
    client.force_login(deal_parties.licensor_user)
    page = _text(client.get(room(deal)))
    assert Offer.objects.get(deal=deal, version=1).status == OfferStatus.EXPIRED
    assert 'id="accept-form"' not in page and "No version is open" in page


def test_live_endpoint_gives_a_fresh_counter_offer_form_on_request(client, deal_parties):
    deal = deal_parties.deal
    client.force_login(deal_parties.licensee_user)
    assert "forms" not in client.get(reverse("deal_live", args=[deal.pk])).json()
    licensor = type(client)()
    licensor.force_login(deal_parties.licensor_user)
    assert _counter(licensor, deal, lump_sum="150000").status_code == 302
    form = client.get(reverse("deal_live", args=[deal.pk]) + "?form=offer").json()["forms"]["offer"]
    assert 'id="offer-form"' in form and 'name="expected_version" value="2"' in form
    assert 'value="150000.00"' in form and "Send as version 3" in form
    # once the deal is agreed there is no counter-offer form to swap in
    client.post(reverse("deal_accept", args=[deal.pk]), {"version": 2})
    assert 'id="offer-form"' not in client.get(reverse("deal_live", args=[deal.pk]) + "?form=offer").json()[
        "forms"]["offer"]


def test_the_counter_offer_form_never_carries_the_other_sides_note(client, deal_parties):
    p, deal = deal_parties, deal_parties.deal
    client.force_login(p.licensor_user)
    _counter(client, deal, lump_sum="250000", note="We can go lower for a longer term.")
    client.force_login(p.licensee_user)
    page = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    form = page[page.index('id="offer-form"'):]
    form = form[:form.index("</form>")]
    assert "We can go lower" in page and "We can go lower" not in form  # shown in version 2, not prefilled
    note_box = re.search(r'<textarea[^>]*name="note"[^>]*>(.*?)</textarea>', form, re.S)
    assert note_box is not None and note_box.group(1).strip() == ""
