"""A dispute mediated to a settlement with a revised, re-signed agreement: raise → assign → note → propose →
both accept → a new agreement version → both sign it through the normal flow → close settled. The deal's other
moves stay paused throughout; only the mediated revision moves it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.models import AuditEntry, Notification
from negotiations import actions
from negotiations.models import AgreementStatus, DealEvent, DealState, OfferStatus
from tests.conftest import PASSWORD
from tests.negotiations.mediators import mediation as med, proposal_terms  # noqa: F401 - fixture
from tests.negotiations.parties import parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def sign(agreement, user):
    return actions.sign_agreement(agreement, actor=user, typed_name=user.full_name, password=PASSWORD,
                                  confirmed=True, ip_address="203.0.113.9", user_agent="pytest")


def mediate_to_agreement(m, **changes):
    dispute = actions.raise_dispute(m.deal, actor=m.p.licensee_user, category="payment",
                                    statement="The fee is out of line with the scope actually licensed.")
    actions.assign_mediator(dispute, actor=m.staff, mediator=m.mediator)
    actions.post_mediation_note(dispute, actor=m.mediator, body="I propose a lower lump sum.", visibility="both")
    proposal = actions.propose_terms(dispute, actor=m.mediator,
                                     terms=proposal_terms(m.deal, **(changes or {"lump_sum_minor": 6_000_000})))
    actions.accept_proposal(proposal, actor=m.p.licensee_user)
    assert not m.deal.agreements.filter(offer=proposal).exists()  # one side is not enough
    actions.accept_proposal(proposal, actor=m.p.licensor_user)
    proposal.refresh_from_db()
    m.deal.refresh_from_db()
    dispute.refresh_from_db()
    return dispute, proposal


def test_a_signed_deal_is_mediated_to_a_revised_re_signed_agreement(med):  # noqa: F811
    first = med.deal.agreements.get()
    sign(first, med.p.licensee_user)
    sign(first, med.p.licensor_user)
    med.deal.refresh_from_db()
    assert med.deal.state == DealState.AWAITING_PAYMENT
    dispute, proposal = mediate_to_agreement(med)
    assert proposal.status == OfferStatus.ACCEPTED and med.deal.agreed_offer == proposal
    assert proposal.licensor_accepted_at and proposal.licensee_accepted_at
    revised = med.deal.agreements.get(offer=proposal)
    first.refresh_from_db()
    assert (revised.version, revised.status) == (2, AgreementStatus.SIGNING)
    assert first.status == AgreementStatus.SIGNED  # the signed one stands until the revision is signed
    assert revised.content["terms"]["offer_version"] == proposal.version == 2
    client = Client()
    client.force_login(med.p.licensee_user)
    page = client.get(reverse("deal_detail", args=[med.deal.pk])).content.decode()
    assert 'id="proposal-agreed"' in page and reverse("deal_agreement", args=[med.deal.pk]) in page
    # Both sign the revision through the normal flow.
    sign(revised, med.p.licensor_user)
    sign(revised, med.p.licensee_user)
    revised.refresh_from_db()
    first.refresh_from_db()
    assert revised.status == AgreementStatus.SIGNED and first.status == AgreementStatus.SUPERSEDED
    actions.close_dispute(dispute, actor=med.mediator, outcome="settled",
                          summary="Lump sum lowered to ¥60,000; agreement version 2 signed.")
    med.deal.refresh_from_db()
    dispute.refresh_from_db()
    assert (dispute.outcome, med.deal.disputed, med.deal.state) == ("settled", False, DealState.AWAITING_PAYMENT)
    steps = {"dispute.raised", "dispute.mediator_assigned", "dispute.note_posted", "dispute.terms_proposed",
             "dispute.proposal_accepted", "dispute.closed"}
    assert steps <= set(AuditEntry.objects.values_list("action", flat=True))
    for kind in ("deal.mediator_assigned", "deal.mediation_note", "deal.terms_proposed", "deal.dispute_closed"):
        assert Notification.objects.filter(kind=kind, recipient=med.p.licensee_user).exists(), kind
    assert Notification.objects.filter(kind="deal.proposal_accepted", recipient=med.mediator).exists()
    assert not Notification.objects.filter(kind="deal.dispute_closed", recipient=med.mediator).exists()  # the closer
    events = list(DealEvent.objects.filter(deal=med.deal).values_list("type", flat=True))
    for event in ("deal.dispute_raised", "deal.mediator_assigned", "deal.mediation_note", "deal.terms_proposed",
                  "deal.proposal_accepted", "deal.dispute_closed"):
        assert event in events


def test_a_deal_disputed_while_signing_moves_only_on_the_mediated_revision(med):  # noqa: F811
    first = med.deal.agreements.get()
    assert med.deal.state == DealState.SIGNING
    dispute, proposal = mediate_to_agreement(med, fee_model="free", lump_sum_minor=0)
    first.refresh_from_db()
    assert first.status == AgreementStatus.SUPERSEDED  # the unsigned version gives way to the revision
    with pytest.raises(actions.DealPaused):
        actions.end_deal(med.deal, actor=med.p.licensor_user, reason="No.")
    revised = med.deal.agreements.get(offer=proposal)
    sign(revised, med.p.licensor_user)
    sign(revised, med.p.licensee_user)
    med.deal.refresh_from_db()
    # The revision is free: signed, the deal completes although the dispute is still open.
    assert med.deal.disputed and med.deal.state == DealState.COMPLETED
    actions.close_dispute(dispute, actor=med.staff, outcome="settled", summary="Signed.")
    med.deal.refresh_from_db()
    assert not med.deal.disputed
