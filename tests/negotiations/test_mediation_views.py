"""Mediation as people use the pages: a party raises a dispute from the deal page, staff assign a mediator
from the queue, the mediator reads the room and writes notes, proposes terms and closes; who sees which note;
who may open each new URL (everyone else: 404); the staff queue and the mediators page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from negotiations import actions
from negotiations.models import Dispute, MediationNote, Offer
from negotiations.views.dispute_context import proposal_initial
from negotiations.forms import OfferForm
from tests.negotiations.dealroom import form_data
from tests.negotiations.mediators import assigned, mediation as med, raised  # noqa: F401 - fixture
from tests.negotiations.parties import parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def room(deal) -> str:
    return reverse("deal_detail", args=[deal.pk])


def test_a_party_raises_a_dispute_from_the_deal_page(med):  # noqa: F811
    licensee = client_of(med.p.licensee_user)
    page = licensee.get(room(med.deal)).content.decode()
    assert 'id="raise-dispute"' in page and "Raise a dispute" in page
    response = licensee.post(reverse("deal_dispute_raise", args=[med.deal.pk]),
                             {"category": "scope_of_use", "statement": "They use it outside the field."})
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    page = licensee.get(room(med.deal)).content.decode()
    assert 'id="dispute-panel"' in page and "They use it outside the field." in page
    assert 'id="deal-disputed"' in page and 'id="raise-dispute"' not in page
    assert 'id="withdraw-dispute"' in page  # the raising side may withdraw
    licensor_page = client_of(med.p.licensor_user).get(room(med.deal)).content.decode()
    assert "They use it outside the field." in licensor_page and 'id="withdraw-dispute"' not in licensor_page
    assert 'id="end-deal"' not in licensor_page  # paused
    assert dispute.category == "scope_of_use"


def test_a_statement_is_required(med):  # noqa: F811
    response = client_of(med.p.licensee_user).post(reverse("deal_dispute_raise", args=[med.deal.pk]),
                                                   {"category": "other", "statement": ""})
    assert response.status_code == 200 and 'id="dispute-form"' in response.content.decode()
    assert not Dispute.objects.exists()


def test_no_raise_button_on_a_negotiating_deal(med):  # noqa: F811
    from tests.negotiations.parties import open_deal_for

    deal = open_deal_for(med.p, licensee=med.p.rival)
    assert 'id="raise-dispute"' not in client_of(med.p.rival_user).get(room(deal)).content.decode()


def test_staff_queue_lists_unresolved_disputes_oldest_first_and_assigns(med):  # noqa: F811
    dispute = raised(med)
    staff = client_of(med.staff)
    page = staff.get(reverse("dispute_queue")).content.decode()
    assert f'id="dispute-{dispute.pk}"' in page and "Payment" in page and "Tiny Cells Ltd" in page
    assert 'data-target="due"' in page and "Mia Mediator" in page and "Adam Agency" not in page
    response = staff.post(reverse("dispute_assign", args=[dispute.pk]), {f"d{dispute.pk}-mediator": med.mediator.pk})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.mediator == med.mediator
    # An unaccredited agency member is not offered, and is refused if posted anyway.
    response = staff.post(reverse("dispute_assign", args=[dispute.pk]),
                          {f"d{dispute.pk}-mediator": med.agency_member.pk}, follow=True)
    assert "Choose a mediator" in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.mediator == med.mediator
    assert "Disputes" in staff.get("/").content.decode()  # the staff navigation links the queue


def test_the_queue_shows_an_overdue_first_answer(med):  # noqa: F811
    import datetime

    dispute = raised(med)
    Dispute.objects.filter(pk=dispute.pk).update(respond_by=dispute.created_at - datetime.timedelta(hours=1))
    page = client_of(med.staff).get(reverse("dispute_queue")).content.decode()
    assert 'data-target="overdue"' in page and 'id="overdue-count"' in page


def test_the_mediator_reads_the_room_writes_notes_proposes_and_closes(med):  # noqa: F811
    dispute = assigned(med)
    actions.post_message(med.deal, actor=med.p.licensor_user, body="We invoiced the agreed amount.")
    mediator = client_of(med.mediator)
    page = mediator.get(room(med.deal)).content.decode()
    assert "you are the mediator" in page and "We invoiced the agreed amount." in page
    assert 'id="mediator-tools"' in page and 'id="message-form"' not in page and 'id="offer-form"' not in page
    assert 'id="accept-form"' not in page and 'id="end-deal"' not in page and 'id="raise-dispute"' not in page
    assert mediator.get(reverse("deal_live", args=[med.deal.pk])).status_code == 200
    mediator.post(reverse("deal_dispute_note", args=[med.deal.pk, dispute.pk]),
                  {"visibility": "licensor", "body": "Licensor: please send the invoice."})
    mediator.post(reverse("deal_dispute_note", args=[med.deal.pk, dispute.pk]),
                  {"visibility": "both", "body": "I have read both statements."})
    assert MediationNote.objects.count() == 2
    # The mediator cannot act for a party.
    assert mediator.post(reverse("deal_message_post", args=[med.deal.pk]), {"body": "Hi"}).status_code == 404
    assert mediator.post(reverse("deal_end", args=[med.deal.pk]), {"reason": "x"}).status_code == 404
    data = form_data(OfferForm(initial=proposal_initial(med.deal)), lump_sum="80000.00")
    response = mediator.post(reverse("deal_dispute_propose", args=[med.deal.pk, dispute.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    proposal = Offer.objects.get(proposed_in=dispute)
    assert proposal.lump_sum_minor == 8_000_000
    licensee_page = client_of(med.p.licensee_user).get(room(med.deal)).content.decode()
    assert 'id="accept-proposal-form"' in licensee_page and "Proposed by the mediator" in licensee_page
    client_of(med.p.licensee_user).post(reverse("deal_dispute_accept", args=[med.deal.pk, dispute.pk, proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.licensee_accepted_at is not None and proposal.licensor_accepted_at is None
    assert "Your side accepted" in client_of(med.p.licensee_user).get(room(med.deal)).content.decode()
    mediator.post(reverse("deal_dispute_close", args=[med.deal.pk, dispute.pk]),
                  {"outcome": "not_resolved", "summary": "Referred to the patent office."})
    dispute.refresh_from_db()
    assert dispute.outcome == "not_resolved"
    page = client_of(med.p.licensor_user).get(room(med.deal)).content.decode()
    assert 'id="dispute-outcome"' in page and "Referred to the patent office." in page
    assert "you are the mediator" in mediator.get(room(med.deal)).content.decode()  # the latest dispute's mediator


def test_the_licensee_never_sees_a_licensor_only_note(med):  # noqa: F811
    dispute = assigned(med)
    actions.post_mediation_note(dispute, actor=med.mediator, body="For the licensor only", visibility="licensor")
    actions.post_mediation_note(dispute, actor=med.mediator, body="For the licensee only", visibility="licensee")
    actions.post_mediation_note(dispute, actor=med.mediator, body="For both", visibility="both")
    for user, sees, hidden in ((med.p.licensee_user, "For the licensee only", "For the licensor only"),
                               (med.p.licensor_user, "For the licensor only", "For the licensee only")):
        client = client_of(user)
        for url in (room(med.deal), reverse("deal_live", args=[med.deal.pk])):
            page = client.get(url).content.decode()
            assert sees in page and "For both" in page and hidden not in page
    page = client_of(med.mediator).get(room(med.deal)).content.decode()
    assert "For the licensor only" in page and "For the licensee only" in page


def test_mediators_page_accredits_and_revokes_members_of_verified_agencies(med):  # noqa: F811
    staff = client_of(med.staff)
    page = staff.get(reverse("mediator_list")).content.decode()
    assert "Mia Mediator" in page and "Adam Agency" in page and "Sam Smallfirm" not in page
    staff.post(reverse("mediator_list"), {"user": med.agency_member.pk})
    from negotiations import mediation
    assert mediation.may_mediate(med.agency_member)
    staff.post(reverse("mediator_revoke", args=[med.agency_member.pk]))
    assert not mediation.may_mediate(med.agency_member)
    response = staff.post(reverse("mediator_list"), {"user": med.p.licensee_user.pk})
    assert "Choose a member of a verified IP service agency" in response.content.decode()


def test_my_disputes_lists_what_is_assigned_to_me(med):  # noqa: F811
    dispute = assigned(med)
    page = client_of(med.mediator).get(reverse("my_disputes")).content.decode()
    assert f'id="dispute-{dispute.pk}"' in page and 'id="nav-my-disputes"' in page
    assert 'id="nav-my-disputes"' not in client_of(med.p.licensee_user).get("/").content.decode()
    assert f'id="dispute-{dispute.pk}"' not in client_of(med.other_mediator).get(reverse("my_disputes")).content.decode()


# --- access -----------------------------------------------------------------------------------------
def _room_urls(deal, dispute, proposal):
    pk, did = deal.pk, dispute.pk
    return [
        ("get", reverse("deal_detail", args=[pk]), {}),
        ("get", reverse("deal_live", args=[pk]), {}),
        ("post", reverse("deal_dispute_raise", args=[pk]), {"category": "other", "statement": "x"}),
        ("post", reverse("deal_dispute_withdraw", args=[pk, did]), {}),
        ("post", reverse("deal_dispute_note", args=[pk, did]), {"visibility": "both", "body": "x"}),
        ("post", reverse("deal_dispute_propose", args=[pk, did]), {}),
        ("post", reverse("deal_dispute_accept", args=[pk, did, proposal.pk]), {}),
        ("post", reverse("deal_dispute_close", args=[pk, did]), {"outcome": "settled", "summary": "x"}),
    ]


def _staff_urls(dispute, med):  # noqa: F811
    return [
        ("get", reverse("dispute_queue"), {}),
        ("post", reverse("dispute_assign", args=[dispute.pk]), {f"d{dispute.pk}-mediator": med.other_mediator.pk}),
        ("post", reverse("dispute_staff_close", args=[dispute.pk]),
         {f"c{dispute.pk}-outcome": "settled", f"c{dispute.pk}-summary": "x"}),
        ("get", reverse("mediator_list"), {}),
        ("post", reverse("mediator_list"), {"user": med.agency_member.pk}),
        ("post", reverse("mediator_revoke", args=[med.mediator.pk]), {}),
    ]


def test_outsiders_an_unassigned_mediator_and_staff_get_404_on_the_room_urls(med):  # noqa: F811
    dispute = assigned(med)
    proposal = actions.propose_terms(dispute, actor=med.mediator, terms=__import__(
        "tests.negotiations.mediators", fromlist=["proposal_terms"]).proposal_terms(med.deal))
    before = (Dispute.objects.get().status, MediationNote.objects.count(), Offer.objects.count())
    for user in (med.p.outsider_user, med.other_mediator, med.staff, med.agency_member):
        client = client_of(user)
        for method, url, data in _room_urls(med.deal, dispute, proposal):
            assert getattr(client, method)(url, data).status_code == 404, (user.email, url)
    assert (Dispute.objects.get().status, MediationNote.objects.count(), Offer.objects.count()) == before
    anonymous = Client()
    assert anonymous.get(room(med.deal)).status_code == 302
    # The mediator may not use the parties' dispute URLs, nor a party the mediator's.
    mediator = client_of(med.mediator)
    assert mediator.post(reverse("deal_dispute_raise", args=[med.deal.pk]), {}).status_code == 404
    assert mediator.post(reverse("deal_dispute_accept", args=[med.deal.pk, dispute.pk, proposal.pk])).status_code == 404
    licensee = client_of(med.p.licensee_user)
    assert licensee.post(reverse("deal_dispute_note", args=[med.deal.pk, dispute.pk]),
                         {"visibility": "both", "body": "x"}).status_code == 404
    assert licensee.post(reverse("deal_dispute_close", args=[med.deal.pk, dispute.pk]),
                         {"outcome": "settled", "summary": "x"}).status_code == 404


def test_a_revoked_mediator_loses_the_room(med):  # noqa: F811
    assigned(med)
    actions.revoke_mediator(med.mediator, actor=med.staff)
    assert client_of(med.mediator).get(room(med.deal)).status_code == 404


def test_staff_pages_are_for_staff_only(med):  # noqa: F811
    dispute = raised(med)
    for user in (med.p.licensee_user, med.p.licensor_user, med.mediator, med.p.outsider_user):
        client = client_of(user)
        for method, url, data in _staff_urls(dispute, med):
            assert getattr(client, method)(url, data).status_code == 404, (user.email, url)
    dispute.refresh_from_db()
    assert dispute.mediator is None and dispute.is_unresolved
    assert client_of(med.p.outsider_user).get(reverse("my_disputes")).status_code == 404
    assert client_of(med.mediator).get(reverse("my_disputes")).status_code == 200


def test_staff_close_a_dispute_from_the_queue(med):  # noqa: F811
    dispute = raised(med)
    staff = client_of(med.staff)
    staff.post(reverse("dispute_staff_close", args=[dispute.pk]),
               {f"c{dispute.pk}-outcome": "withdrawn", f"c{dispute.pk}-summary": "Settled by phone."})
    dispute.refresh_from_db()
    med.deal.refresh_from_db()
    assert (dispute.outcome, dispute.closed_by, med.deal.disputed) == ("withdrawn", med.staff, False)
    assert f'id="dispute-{dispute.pk}"' not in staff.get(reverse("dispute_queue")).content.decode()


def test_the_queue_links_the_listing_or_the_room_of_the_staff_mediator(med):  # noqa: F811
    dispute = raised(med)
    staff = client_of(med.staff)
    page = staff.get(reverse("dispute_queue")).content.decode()
    listing_url = med.deal.listing.get_absolute_url()
    assert f'<a href="{listing_url}" class="dispute-deal-link">#{med.deal.pk} ' in page
    assert f'href="{room(med.deal)}"' not in page  # staff do not open the room unless they mediate
    actions.assign_mediator(dispute, actor=med.staff, mediator=med.staff)
    page = staff.get(reverse("dispute_queue")).content.decode()
    assert f'<a href="{room(med.deal)}" class="dispute-deal-link">#{med.deal.pk} ' in page


def test_the_staff_menu_counts_disputes_waiting_for_a_mediator_or_overdue(med):  # noqa: F811
    import datetime
    import re

    staff = client_of(med.staff)
    assert 'id="nav-dispute-badge"' not in staff.get("/").content.decode()
    dispute = raised(med)
    page = staff.get("/").content.decode()
    assert re.search(r'id="nav-dispute-badge"[^>]*>1<', page)
    staff_badge = int(re.search(r'id="nav-staff-badge"[^>]*>(\d+)<', page).group(1))
    assert staff_badge >= 1  # verifications waiting, plus the dispute
    actions.assign_mediator(dispute, actor=med.staff, mediator=med.mediator)
    assert 'id="nav-dispute-badge"' not in staff.get("/").content.decode()  # assigned, answer not yet due
    Dispute.objects.filter(pk=dispute.pk).update(respond_by=dispute.created_at - datetime.timedelta(hours=1))
    assert re.search(r'id="nav-dispute-badge"[^>]*>1<', staff.get("/").content.decode())  # overdue
    assert 'id="nav-dispute-badge"' not in client_of(med.mediator).get("/").content.decode()


def test_the_closed_view_lists_closed_disputes_with_outcome_summary_and_dates(med):  # noqa: F811
    dispute = assigned(med)
    staff = client_of(med.staff)
    assert 'id="queue-closed-link"' in staff.get(reverse("dispute_queue")).content.decode()
    actions.close_dispute(dispute, actor=med.mediator, outcome="settled", summary="Lump sum lowered by phone.")
    dispute.refresh_from_db()
    page = staff.get(reverse("dispute_queue") + "?status=closed").content.decode()
    assert "Closed disputes" in page and f'id="dispute-{dispute.pk}"' in page
    assert "Settled" in page and "Lump sum lowered by phone." in page and "Mia Mediator" in page
    from django.utils.formats import date_format
    from django.utils import timezone
    assert date_format(timezone.localtime(dispute.closed_at), "DATETIME_FORMAT") in page
    assert 'class="assign-form' not in page  # nothing to assign any more
    assert f'id="dispute-{dispute.pk}"' not in staff.get(reverse("dispute_queue")).content.decode()
    assert client_of(med.p.licensee_user).get(reverse("dispute_queue") + "?status=closed").status_code == 404
