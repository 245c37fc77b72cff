"""Only verified organisations may request licences: an unverified SME (or one waiting for re-verification) is
refused with a message and nothing is created, and every page offering the action shows a notice linking to the
verification page instead of a button that fails. A verified SME may request."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace import actions as org_actions
from marketplace.actions import NotAllowed
from marketplace.models import AuditEntry, Notification, OrganisationKind, VerificationStatus
from marketplace.verification import VerifiedOnly, blocked_reason, require_verified
from matching import actions
from matching.models import ContactRequest, Need, Suggestion, SuggestionStatus

pytestmark = pytest.mark.django_db

MESSAGE = "We grow vegetables in greenhouses and would like a licence."


@pytest.fixture
def listing(publish):
    return publish("Lithium iron phosphate cathode coating",
                   abstract="A carbon coating for lithium iron phosphate cathode particles.", ipc_codes=["H01M 4/136"])


@pytest.fixture
def pending_user(make_user):
    return make_user("pending-sme@example.com", full_name="Sun Hao")


@pytest.fixture
def pending_sme(make_org, pending_user):
    """An SME that registered but is not verified yet (like the demo's qingshan-agritech)."""
    return make_org("Qingshan Agritech", kind=OrganisationKind.SME, owner=pending_user)


def _suggestion(organisation, user, listing):
    need = actions.create_need(organisation, actor=user, title="Cathode coating for e-bike batteries",
                               description="Our cells lose capacity after a year; we look for a better cathode.")
    Need.objects.filter(pk=need.pk).update(last_matched_at=timezone.now())
    suggestion, _created = Suggestion.objects.get_or_create(
        need=need, listing=listing, defaults={"score": 0.8, "pushed_at": timezone.now()})
    return suggestion


def _contact_url(suggestion):
    return reverse("suggestion_contact", args=[suggestion.need.organisation.slug, suggestion.need_id, suggestion.pk])


def _need_url(suggestion):
    return reverse("need_detail", args=[suggestion.need.organisation.slug, suggestion.need_id])


class TestUnverifiedSME:
    def test_post_is_refused_with_a_message_and_nothing_is_created(self, client, pending_sme, pending_user, listing,
                                                                   owner):
        suggestion = _suggestion(pending_sme, pending_user, listing)
        client.force_login(pending_user)
        notifications_before = Notification.objects.count()
        response = client.post(_contact_url(suggestion), {"message": MESSAGE}, follow=True)
        assert response.status_code == 200
        text = response.content.decode()
        assert "Qingshan Agritech is not verified yet. Only verified organisations can request licences." in text
        assert ContactRequest.objects.count() == 0
        assert not AuditEntry.objects.filter(action="contact_request.created").exists()
        assert Notification.objects.count() == notifications_before  # the listing's owner hears nothing
        suggestion.refresh_from_db()
        assert suggestion.status != SuggestionStatus.CONTACTED

    def test_the_action_refuses_too(self, pending_sme, pending_user, listing):
        suggestion = _suggestion(pending_sme, pending_user, listing)
        with pytest.raises(NotAllowed, match="Only verified organisations can request licences"):
            actions.request_licence(suggestion, actor=pending_user, message=MESSAGE)
        assert ContactRequest.objects.count() == 0

    def test_need_page_shows_a_notice_with_a_link_instead_of_the_request_form(self, client, pending_sme,
                                                                               pending_user, listing):
        suggestion = _suggestion(pending_sme, pending_user, listing)
        client.force_login(pending_user)
        text = client.get(_need_url(suggestion)).content.decode()
        assert "verification-notice" in text
        assert reverse("organisation_verification", args=[pending_sme.slug]) in text
        assert _contact_url(suggestion) not in text  # no form that would fail
        assert "Send the request" not in text
        assert "Requesting a licence needs a verified organisation." in text

    def test_request_form_page_shows_the_notice_and_no_form(self, client, pending_sme, pending_user, listing):
        suggestion = _suggestion(pending_sme, pending_user, listing)
        client.force_login(pending_user)
        text = client.get(_contact_url(suggestion)).content.decode()
        assert "verification-notice" in text
        assert "Send the request" not in text

    def test_notice_in_chinese(self, client, pending_sme, pending_user, listing):
        suggestion = _suggestion(pending_sme, pending_user, listing)
        client.force_login(pending_user)
        client.cookies["django_language"] = "zh-hans"
        text = client.get(_need_url(suggestion), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "只有通过认证的机构才能申请许可。" in text


class TestVerifiedSME:
    def test_verified_sme_may_request(self, client, sme, sme_user, listing):
        suggestion = _suggestion(sme, sme_user, listing)
        client.force_login(sme_user)
        page = client.get(_need_url(suggestion)).content.decode()
        assert "verification-notice" not in page and "Send the request" in page
        client.post(_contact_url(suggestion), {"message": MESSAGE})
        assert ContactRequest.objects.filter(need=suggestion.need, listing=listing).count() == 1

    def test_revoked_sme_is_refused_again(self, sme, sme_user, staff, listing):
        suggestion = _suggestion(sme, sme_user, listing)
        org_actions.reject_organisation(sme, actor=staff, reason="The licence photo belongs to another company")
        with pytest.raises(NotAllowed, match="Tiny Cells Ltd was refused verification by platform staff."):
            actions.request_licence(suggestion, actor=sme_user, message=MESSAGE)

    def test_sme_waiting_for_reverification_is_refused(self, sme, sme_user, listing):
        suggestion = _suggestion(sme, sme_user, listing)
        org_actions.update_organisation(sme, actor=sme_user, name="Tsinghua University")
        sme.refresh_from_db()
        assert sme.verification_status == VerificationStatus.PENDING
        with pytest.raises(NotAllowed, match="waiting to be verified again"):
            actions.request_licence(suggestion, actor=sme_user, message=MESSAGE)
        assert ContactRequest.objects.count() == 0


def test_require_verified_is_one_reusable_check_for_every_capability(make_org, sme):
    pending = make_org("Pending Co", kind=OrganisationKind.SME)
    for capability in VerifiedOnly:
        assert blocked_reason(sme, capability) is None
        require_verified(sme, capability)
        with pytest.raises(NotAllowed, match=str(capability.label)):
            require_verified(pending, capability)
    with pytest.raises(ValueError):
        blocked_reason(sme, "fly_to_the_moon")
