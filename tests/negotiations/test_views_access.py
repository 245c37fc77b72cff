"""Who may use each deal URL: the parties' members; an outsider (a member of an unrelated verified organisation)
gets 404 on every one, staff too; anonymous visitors are sent to the login page. Nothing changes for a refused
request."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from negotiations import actions
from negotiations.models import Attachment, Deal, Message, Offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(deal_parties):
    return actions.post_message(deal_parties.deal, actor=deal_parties.licensee_user, body="Hello there")


@pytest.fixture
def attachment(deal_parties, message):
    stored = Attachment(deal=deal_parties.deal, message=message, uploaded_by=deal_parties.licensee_user,
                        original_name="terms.pdf", content_type="application/pdf", extension="pdf", size=8,
                        sha256="0" * 64)
    stored.file.save("terms.pdf", ContentFile(b"%PDF-1.4"), save=False)
    stored.save()
    return stored


def _urls(deal, message, attachment, contact_id):
    pk = deal.pk
    return {
        "room": ("get", reverse("deal_detail", args=[pk]), {}),
        "live": ("get", reverse("deal_live", args=[pk]), {}),
        "accept": ("post", reverse("deal_accept", args=[pk]), {"version": 1}),
        "withdraw": ("post", reverse("deal_withdraw_offer", args=[pk]), {"version": 1}),
        "offers": ("post", reverse("deal_offer", args=[pk]), {"expected_version": 1, "licence_kind": "sole"}),
        "end": ("post", reverse("deal_end", args=[pk]), {"reason": "no"}),
        "message post": ("post", reverse("deal_message_post", args=[pk]), {"body": "Hi"}),
        "message edit": ("post", reverse("deal_message_edit", args=[pk, message.pk]), {"body": "Changed"}),
        "message delete": ("post", reverse("deal_message_delete", args=[pk, message.pk]), {}),
        "attachment": ("get", reverse("deal_attachment", args=[pk, attachment.pk]), {}),
        "open from request": ("post", reverse("deal_open_from_request", args=[contact_id]), {}),
        "api detail": ("get", reverse("api-deal-detail", args=[pk]), {}),
    }


NAMES = ["room", "live", "accept", "withdraw", "offers", "end", "message post", "message edit", "message delete",
         "attachment", "open from request", "api detail"]


def _snapshot(deal):
    deal.refresh_from_db()
    return (deal.state, deal.current_version, deal.last_seq, Offer.objects.filter(deal=deal).count(),
            list(Message.objects.filter(deal=deal).values_list("body", "deleted_at")))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("who", ["outsider", "staff"])
def test_non_parties_get_404_and_change_nothing(client, deal_parties, message, attachment, contact_request,
                                                make_user, name, who):
    user = deal_parties.outsider if who == "outsider" else make_user("staff-deals@example.com", staff=True)
    method, url, data = _urls(deal_parties.deal, message, attachment, contact_request.pk)[name]
    before = _snapshot(deal_parties.deal)
    client.force_login(user)
    response = getattr(client, method)(url, data)
    assert response.status_code == 404
    assert _snapshot(deal_parties.deal) == before
    contact_request.refresh_from_db()
    assert not contact_request.follow_up_url


@pytest.mark.parametrize("name", [n for n in NAMES if not n.startswith("api")])
def test_anonymous_visitors_are_sent_to_the_login_page(client, deal_parties, message, attachment, contact_request,
                                                       name):
    method, url, data = _urls(deal_parties.deal, message, attachment, contact_request.pk)[name]
    before = _snapshot(deal_parties.deal)
    response = getattr(client, method)(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert _snapshot(deal_parties.deal) == before


@pytest.mark.parametrize("url_name", ["api-deal-list", "api-deal-detail"])
def test_the_api_refuses_anonymous_callers(client, deal_parties, url_name):
    args = [deal_parties.deal.pk] if url_name == "api-deal-detail" else []
    response = client.get(reverse(url_name, args=args))
    assert response.status_code in (401, 403)
    assert "results" not in response.json() and "offers" not in response.json()


def test_the_api_list_of_an_outsider_has_no_deal_of_others(client, deal_parties):
    client.force_login(deal_parties.outsider)
    response = client.get(reverse("api-deal-list"))
    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize("who", ["licensor_user", "licensee_user", "licensee_colleague"])
@pytest.mark.parametrize("name", ["room", "live", "attachment", "api detail"])
def test_members_of_both_parties_can_read(client, deal_parties, message, attachment, contact_request, who, name):
    method, url, data = _urls(deal_parties.deal, message, attachment, contact_request.pk)[name]
    client.force_login(getattr(deal_parties, who))
    assert getattr(client, method)(url, data).status_code == 200


@pytest.mark.parametrize("name, who", [
    ("accept", "licensor_user"), ("offers", "licensor_user"), ("end", "licensor_user"),
    ("withdraw", "licensee_user"), ("message post", "licensor_user"), ("message edit", "licensee_user"),
    ("message delete", "licensee_user"),
])
def test_parties_posts_redirect_back_to_the_room(client, deal_parties, message, attachment, contact_request,
                                                 name, who):
    method, url, data = _urls(deal_parties.deal, message, attachment, contact_request.pk)[name]
    if name == "offers":
        from tests.negotiations.dealroom import offer_data

        data = offer_data(deal_parties.deal, licence_kind="sole")
    client.force_login(getattr(deal_parties, who))
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].split("#")[0] == deal_parties.deal.get_absolute_url()


def test_the_open_from_request_view_is_for_the_licensor_only(client, room_parties, contact_request):
    client.force_login(room_parties.licensee_user)  # the requesting SME is not the listing's owner
    assert client.post(reverse("deal_open_from_request", args=[contact_request.pk])).status_code == 404
    assert not Deal.objects.exists()
