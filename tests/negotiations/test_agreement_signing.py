"""Signing a licence agreement: who may sign which side, re-authentication (typed name, box, password), refusals
audited and changing nothing, and what the second signature does to the deal."""

from __future__ import annotations

import pytest

from marketplace import actions as marketplace_actions
from marketplace.models import AuditEntry, MemberRole
from negotiations import actions
from negotiations.models import AgreementStatus, DealState, Side
from tests.negotiations.parties import open_deal_for, parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def agreed(parties, **terms):
    deal = open_deal_for(parties, **terms)
    actions.accept_offer(deal, actor=parties.licensor_user, version=1)
    deal.refresh_from_db()
    return deal, deal.agreements.get()


def sign(agreement, user, **changes):
    kwargs = {"typed_name": user.full_name, "password": PASSWORD, "confirmed": True, "ip_address": "203.0.113.7",
              "user_agent": "Mozilla/5.0 test", **changes}
    return actions.sign_agreement(agreement, actor=user, **kwargs)


@pytest.fixture(autouse=True)
def _passwords(parties):
    for user in (parties.licensor_user, parties.colleague, parties.licensee_user, parties.outsider_user):
        user.set_password(PASSWORD)
        user.save()


def test_acceptance_puts_the_agreement_out_for_signature(parties):
    deal, agreement = agreed(parties)
    assert deal.state == DealState.SIGNING
    assert agreement.status == AgreementStatus.SIGNING and agreement.version == 1
    assert agreement.reference == f"PB-{deal.pk}-1" and len(agreement.pdf_sha256) == 64
    assert agreement.template_version == "v1"


def test_both_signatures_complete_a_paid_deal_to_awaiting_payment(parties):
    deal, agreement = agreed(parties)
    first = sign(agreement, parties.licensee_user, typed_name="  sam   SMALLFIRM ")
    assert first.side == Side.LICENSEE and first.ip_address == "203.0.113.7"
    assert first.pdf_sha256 == agreement.pdf_sha256 and first.user_agent == "Mozilla/5.0 test"
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SIGNING
    sign(agreement, parties.licensor_user)
    agreement.refresh_from_db()
    deal.refresh_from_db()
    assert agreement.status == AgreementStatus.SIGNED and len(agreement.final_sha256) == 64
    assert agreement.final_sha256 != agreement.pdf_sha256 and agreement.signed_at is not None
    assert deal.state == DealState.AWAITING_PAYMENT


@pytest.mark.parametrize("changes, code", [
    ({"password": "wrong"}, "wrong_password"),
    ({"typed_name": "Somebody Else"}, "name_mismatch"),
    ({"typed_name": ""}, "name_mismatch"),
    ({"confirmed": False}, "unconfirmed"),
])
def test_bad_re_authentication_is_refused_audited_and_changes_nothing(parties, changes, code):
    deal, agreement = agreed(parties)
    with pytest.raises(actions.SignatureRefused) as refused:
        sign(agreement, parties.licensee_user, **changes)
    assert refused.value.code == code and str(refused.value)
    assert agreement.signatures.count() == 0
    entry = AuditEntry.objects.filter(action="agreement.signature_refused").get()
    assert entry.after["reason"] == code and entry.actor == parties.licensee_user


def test_a_plain_member_is_not_a_signatory_until_an_owner_marks_them(parties):
    deal, agreement = agreed(parties)
    with pytest.raises(actions.SignatureRefused, match="authorised signatory"):
        sign(agreement, parties.colleague)
    membership = parties.licensor.memberships.get(user=parties.colleague)
    marketplace_actions.set_signatory(membership, actor=parties.licensor_user, value=True)
    assert sign(agreement, parties.colleague).side == Side.LICENSOR


def test_a_signatory_signs_only_their_own_side_and_only_once(parties):
    deal, agreement = agreed(parties)
    sign(agreement, parties.licensee_user)
    with pytest.raises(actions.SignatureRefused, match="already signed") as refused:
        sign(agreement, parties.licensee_user)
    assert refused.value.code == "already_signed"
    with pytest.raises(actions.SignatureRefused):
        sign(agreement, parties.outsider_user)
    assert agreement.signatures.get().side == Side.LICENSEE


def test_only_an_owner_marks_signatories(parties):
    membership = parties.licensor.memberships.get(user=parties.colleague)
    with pytest.raises(marketplace_actions.NotAllowed):
        marketplace_actions.set_signatory(membership, actor=parties.colleague, value=True)
    marketplace_actions.set_signatory(membership, actor=parties.licensor_user, value=True)
    membership.refresh_from_db()
    assert membership.is_signatory and membership.may_sign
    assert AuditEntry.objects.filter(action="member.signatory_changed").exists()
    assert membership.role == MemberRole.MEMBER


@pytest.mark.parametrize("kind", ["deal.agreement_ready", "deal.agreement_signed", "deal.agreement_completed",
                                  "deal.completed"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_agreement_notices_render_in_each_language(kind, language):
    from django.utils import translation

    from negotiations.notices import render

    data = {"deal_id": 1, "listing_id": 2, "listing_title": "Cathode coating", "licensor_name": "Battery Institute",
            "licensee_name": "Tiny Cells Ltd", "actor_org": "Tiny Cells Ltd", "side": "licensee",
            "state": "awaiting_payment", "version": 1, "reference": "PB-1-1"}
    with translation.override(language):
        text = render(kind, data)
    assert "Cathode coating" in text["title"]
    assert kind == "deal.completed" or "PB-1-1" in text["body"]
