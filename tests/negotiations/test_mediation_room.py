"""The deal room while and after a deal is mediated, as its people see it: messages stay as written (the
mediator's evidence), both parties can still post to answer the mediator (even on a completed deal), the
"next step" texts follow the dispute's state, and the names of who proposed or raised what are one sentence each
(so a translation can use its own punctuation)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.actions import ActionError
from negotiations import actions
from negotiations.models import DealState, Message
from tests.conftest import PASSWORD
from tests.negotiations.mediators import assigned, mediation as med, proposal_terms  # noqa: F401 - fixture
from tests.negotiations.parties import open_deal_for, parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def room(deal) -> str:
    return reverse("deal_detail", args=[deal.pk])


def sign(agreement, user):
    return actions.sign_agreement(agreement, actor=user, typed_name=user.full_name, password=PASSWORD,
                                  confirmed=True, ip_address="203.0.113.9", user_agent="pytest")


def completed(m):
    agreement = m.deal.agreements.get()
    sign(agreement, m.p.licensee_user)
    sign(agreement, m.p.licensor_user)
    m.deal.refresh_from_db()
    if m.deal.state == DealState.AWAITING_PAYMENT:
        actions.complete_deal(m.deal)
    m.deal.refresh_from_db()
    assert m.deal.state == DealState.COMPLETED
    return m.deal


# --- 1. messages are evidence: no editing, no deleting once there is a dispute ------------------------------
def test_messages_cannot_be_deleted_or_edited_during_or_after_mediation(med):  # noqa: F811
    deal = open_deal_for(med.p, licensee=med.p.rival)
    early = actions.post_message(deal, actor=med.p.rival_user, body="Still negotiating")
    page = client_of(med.p.rival_user).get(room(deal)).content.decode()
    assert reverse("deal_message_delete", args=[deal.pk, early.pk]) in page  # negotiating: the author may

    message = actions.post_message(med.deal, actor=med.p.licensee_user, body="The invoice says ¥120,000.")
    dispute = assigned(med)
    licensee = client_of(med.p.licensee_user)
    delete_url = reverse("deal_message_delete", args=[med.deal.pk, message.pk])
    edit_url = reverse("deal_message_edit", args=[med.deal.pk, message.pk])
    page = licensee.get(room(med.deal)).content.decode()
    assert "The invoice says ¥120,000." in page and delete_url not in page and edit_url not in page
    page = licensee.post(delete_url, follow=True).content.decode()
    assert "Your message is deleted." not in page and "can no longer be edited or deleted" in page
    with pytest.raises(ActionError, match="dispute"):
        actions.edit_message(message, actor=med.p.licensee_user, body="Changed")
    assert Message.objects.get(pk=message.pk).body == "The invoice says ¥120,000."

    actions.close_dispute(dispute, actor=med.mediator, outcome="settled", summary="Settled.")
    page = licensee.get(room(med.deal)).content.decode()
    assert delete_url not in page
    with pytest.raises(ActionError, match="dispute"):
        actions.delete_message(message, actor=med.p.licensee_user)
    assert not Message.objects.get(pk=message.pk).is_deleted


def test_messages_cannot_be_deleted_once_the_negotiation_is_over(med):  # noqa: F811
    message = Message.objects.create(deal=med.deal, author=med.p.licensee_user, side="licensee", body="Agreed!")
    with pytest.raises(ActionError, match="negotiation is over"):
        actions.delete_message(message, actor=med.p.licensee_user)
    assert reverse("deal_message_delete", args=[med.deal.pk, message.pk]) not in (
        client_of(med.p.licensee_user).get(room(med.deal)).content.decode())


# --- 2. both parties answer the mediator in the room, even on a completed deal -----------------------------
def test_parties_post_messages_on_a_completed_deal_in_mediation(med):  # noqa: F811
    deal = completed(med)
    assert "This deal is closed: its room is read-only." in (
        client_of(med.p.licensee_user).get(room(deal)).content.decode())
    dispute = assigned(med)
    licensee = client_of(med.p.licensee_user)
    page = licensee.get(room(deal)).content.decode()
    assert 'id="message-form"' in page and 'id="mediation-messages"' in page
    assert "read-only" not in page
    licensee.post(reverse("deal_message_post", args=[deal.pk]), {"body": "Here is our answer to the mediator."})
    assert "Here is our answer to the mediator." in client_of(med.p.licensor_user).get(room(deal)).content.decode()
    assert "Here is our answer to the mediator." in client_of(med.mediator).get(room(deal)).content.decode()
    actions.post_message(deal, actor=med.p.licensor_user, body="And ours.")
    actions.close_dispute(dispute, actor=med.mediator, outcome="settled", summary="Settled.")
    page = licensee.get(room(deal)).content.decode()
    assert 'id="message-form"' not in page and "read-only" in page
    with pytest.raises(ActionError, match="read-only"):
        actions.post_message(deal, actor=med.p.licensee_user, body="Too late")


# --- 4. texts that follow the state ------------------------------------------------------------------------
def test_the_mediators_next_step_says_when_the_dispute_is_closed(med):  # noqa: F811
    dispute = assigned(med)
    mediator = client_of(med.mediator)
    assert "You mediate the dispute on this deal" in mediator.get(room(med.deal)).content.decode()
    actions.close_dispute(dispute, actor=med.mediator, outcome="settled", summary="Settled.")
    page = mediator.get(room(med.deal)).content.decode()
    assert "You mediate the dispute on this deal" not in page
    assert "The dispute you mediated on this deal is closed" in page


def test_parties_read_sign_the_revised_agreement_not_wait_for_the_dispute(med):  # noqa: F811
    dispute = assigned(med)
    licensee = client_of(med.p.licensee_user)
    assert "its other steps wait until the dispute is closed" in licensee.get(room(med.deal)).content.decode()
    proposal = actions.propose_terms(dispute, actor=med.mediator,
                                     terms=proposal_terms(med.deal, lump_sum_minor=6_000_000))
    actions.accept_proposal(proposal, actor=med.p.licensee_user)
    actions.accept_proposal(proposal, actor=med.p.licensor_user)
    med.deal.refresh_from_db()
    assert med.deal.state == DealState.SIGNING
    page = licensee.get(room(med.deal)).content.decode()
    assert "its other steps wait until the dispute is closed" not in page
    assert "signs the revised agreement" in page


def test_the_close_confirmation_on_a_completed_deal_does_not_say_the_deal_continues(med):  # noqa: F811
    assigned(med)
    assert "and the deal continues" in client_of(med.mediator).get(room(med.deal)).content.decode()
    other = completed_and_disputed(med)
    page = client_of(med.mediator).get(room(other)).content.decode()
    assert "and the deal continues" not in page and "the deal stays completed" in page


def completed_and_disputed(m):
    actions.close_dispute(m.deal.disputes.get(), actor=m.mediator, outcome="withdrawn", summary="Later.")
    deal = completed(m)
    assigned(m)
    return deal


# --- 6. who proposed / raised: one sentence each -------------------------------------------------------------
def test_the_proposer_and_the_raising_side_read_as_one_sentence(med):  # noqa: F811
    from django.template import engines

    dispute = assigned(med)
    actions.propose_terms(dispute, actor=med.mediator, terms=proposal_terms(med.deal, lump_sum_minor=6_000_000))
    page = client_of(med.p.licensee_user).get(room(med.deal)).content.decode()
    assert "Proposed by the mediator, Mia Mediator" in page
    assert "Tiny Cells Ltd (Licensee)" in page  # raised by
    source = engines["django"].engine.get_template("negotiations/includes/offers.html").source
    assert "{% blocktranslate trimmed with person=offer.made_by.get_full_name %}Proposed by the mediator, " in source
