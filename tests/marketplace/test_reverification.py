"""A verified organisation that changes its name, kind or registration code goes back to pending verification:
its published listings stay public, marked "re-verification pending", and staff are told. The members get the
staff's decisions in the app (in their language), not only by email."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from listings.models import Listing
from marketplace import actions
from marketplace.models import AuditEntry, MemberRole, Notification, OrganisationKind, VerificationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(make_org, owner):
    return make_org("Zhongguancun Institute of Advanced Materials", owner=owner, verified=True, province="BJ",
                    credit_code="121101084000031207")


@pytest.fixture
def chinese_staff(make_user):
    user = make_user("staff-zh@example.com", staff=True, full_name="李审核")
    return actions.update_profile(user, full_name=user.full_name, language="zh-hans")


@pytest.fixture
def listing(holder, owner, django_capture_on_commit_callbacks):
    from listings import actions as listing_actions

    with django_capture_on_commit_callbacks(execute=True):
        patent, _ = listing_actions.save_patent(holder, actor=owner, number="CN112345678B",
                                                title="Lithium iron phosphate cathode coating",
                                                abstract="A carbon coating for cathode particles.")
        listing = listing_actions.create_listing(holder, actor=owner, patents=[patent])
        listing_actions.publish_listing(listing, actor=owner)
    listing.refresh_from_db()
    return listing


def _rename(holder, owner, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        org = actions.update_organisation(holder, actor=owner, **(fields or {"name": "Tsinghua University"}))
    org.refresh_from_db()
    return org


class TestBackToPending:
    @pytest.mark.parametrize("fields", [
        {"name": "Tsinghua University"},
        {"kind": OrganisationKind.UNIVERSITY},
        {"credit_code": "12100000400000624D"},
        {"registration_number": "HRB 12345"},
    ])
    def test_change_of_identity_sends_it_back_to_pending(self, holder, owner, staff, fields,
                                                         django_capture_on_commit_callbacks):
        org = _rename(holder, owner, django_capture_on_commit_callbacks, **fields)
        assert org.verification_status == VerificationStatus.PENDING
        assert org.is_reverification_pending and not org.is_verified and not org.can_publish
        field = next(iter(fields))
        assert org.reverification_changes[field][1] == fields[field]
        entry = AuditEntry.objects.get(action="organisation.reverification_requested")
        assert entry.before["status"] == "verified" and entry.after["status"] == "pending"

    def test_other_changes_keep_the_verification(self, holder, owner, django_capture_on_commit_callbacks):
        org = _rename(holder, owner, django_capture_on_commit_callbacks, website="https://zgc.example.cn",
                      description="Materials research", province="TJ")
        assert org.is_verified
        org = _rename(holder, owner, django_capture_on_commit_callbacks, name=holder.name)  # the same name
        assert org.is_verified

    def test_unverified_organisation_changes_freely(self, make_org, owner, django_capture_on_commit_callbacks):
        org = make_org("Pending Institute", owner=owner)
        org = _rename(org, owner, django_capture_on_commit_callbacks, name="Renamed Institute")
        assert org.verification_status == VerificationStatus.PENDING and not org.is_reverification_pending
        assert Notification.objects.filter(kind="organisation.reverification_requested").count() == 0

    def test_through_the_edit_page(self, client, holder, owner, staff, django_capture_on_commit_callbacks):
        client.force_login(owner)
        page = client.get(reverse("organisation_edit", args=[holder.slug])).content.decode()
        assert "reverification-warning" in page
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("organisation_edit", args=[holder.slug]), {
                "name": "Tsinghua University", "kind": "research_institute", "province": "BJ", "website": "",
                "credit_code": "121101084000031207", "registration_number": "", "description": ""})
        holder.refresh_from_db()
        assert holder.name == "Tsinghua University" and holder.is_reverification_pending


class TestListingsStayMarked:
    def test_published_listings_stay_public_marked(self, client, holder, owner, listing,
                                                   django_capture_on_commit_callbacks):
        _rename(holder, owner, django_capture_on_commit_callbacks)
        assert Listing.objects.browsable().filter(pk=listing.pk).exists()
        listing.refresh_from_db()
        assert listing.is_browsable
        detail = client.get(listing.get_absolute_url())
        assert detail.status_code == 200
        assert "Re-verification pending" in detail.content.decode()
        browse = client.get(reverse("listing_browse")).content.decode()
        assert listing.title in browse and "Re-verification pending" in browse

    def test_verified_listing_pages_show_no_such_mark(self, client, listing):
        assert "Re-verification pending" not in client.get(listing.get_absolute_url()).content.decode()

    def test_staff_verify_again_clears_the_mark(self, holder, owner, staff, listing,
                                                django_capture_on_commit_callbacks):
        _rename(holder, owner, django_capture_on_commit_callbacks)
        org = actions.verify_organisation(holder, actor=staff)
        assert org.is_verified and not org.is_reverification_pending and org.reverification_changes == {}

    def test_staff_reject_hides_the_listings(self, holder, owner, staff, listing, django_capture_on_commit_callbacks):
        _rename(holder, owner, django_capture_on_commit_callbacks)
        actions.reject_organisation(holder, actor=staff, reason="This is not Tsinghua University")
        assert not Listing.objects.browsable().filter(pk=listing.pk).exists()

    def test_cannot_publish_new_listings_meanwhile(self, holder, owner, django_capture_on_commit_callbacks):
        _rename(holder, owner, django_capture_on_commit_callbacks)
        holder.refresh_from_db()
        with pytest.raises(actions.NotAllowed, match="not verified yet"):
            actions.require_can_publish(owner, holder)


class TestStaffAreTold:
    def test_every_staff_member_gets_a_notification_in_their_language(self, holder, owner, staff, chinese_staff,
                                                                      django_capture_on_commit_callbacks):
        _rename(holder, owner, django_capture_on_commit_callbacks)
        english = Notification.objects.get(recipient=staff, kind="organisation.reverification_requested")
        assert english.title == "Tsinghua University needs verifying again"
        assert "name" in english.body
        assert english.url == reverse("organisation_verification", args=[holder.slug])
        chinese = Notification.objects.get(recipient=chinese_staff, kind="organisation.reverification_requested")
        assert chinese.title == "Tsinghua University 需要重新认证"
        assert english.data["changes"]["name"] == ["Zhongguancun Institute of Advanced Materials",
                                                   "Tsinghua University"]

    def test_changed_fields_are_listed_with_each_languages_separator(self, holder, owner, staff, chinese_staff,
                                                                     django_capture_on_commit_callbacks):
        _rename(holder, owner, django_capture_on_commit_callbacks, name="Tsinghua University",
                kind=OrganisationKind.UNIVERSITY)
        english = Notification.objects.get(recipient=staff, kind="organisation.reverification_requested")
        chinese = Notification.objects.get(recipient=chinese_staff, kind="organisation.reverification_requested")
        assert "changed its name, kind." in english.body
        assert "名称、机构类型" in chinese.body

    def test_the_queue_shows_what_changed(self, client, holder, owner, staff, django_capture_on_commit_callbacks):
        _rename(holder, owner, django_capture_on_commit_callbacks)
        client.force_login(staff)
        text = client.get(reverse("verification_queue")).content.decode()
        assert "Re-verification" in text
        assert "Zhongguancun Institute of Advanced Materials</del> → Tsinghua University" in text

    def test_members_are_told_why(self, holder, owner, django_capture_on_commit_callbacks):
        _rename(holder, owner, django_capture_on_commit_callbacks)
        note = Notification.objects.get(recipient=owner, kind="organisation.reverification_requested")
        assert "waiting to be verified again" in note.title


class TestDecisionNotifications:
    def test_members_get_the_decision_in_the_app_in_their_language(self, make_org, owner, staff, make_user,
                                                                   django_capture_on_commit_callbacks):
        org = make_org("Qingshan Agritech", kind=OrganisationKind.SME, owner=owner)
        colleague = make_user("colleague@example.com")
        colleague = actions.update_profile(colleague, full_name="Chen", language="zh-hans")
        actions.add_member(org, user=colleague, role=MemberRole.MEMBER, actor=None, operator=True)
        with django_capture_on_commit_callbacks(execute=True):
            actions.verify_organisation(org, actor=staff)
        english = Notification.objects.get(recipient=owner, kind="organisation.verification_decided")
        assert english.title == "Qingshan Agritech is verified"
        assert english.url == reverse("organisation_verification", args=[org.slug])
        chinese = Notification.objects.get(recipient=colleague, kind="organisation.verification_decided")
        assert chinese.title == "Qingshan Agritech 已通过认证"
        assert len(mail.outbox) == 2  # one decision email each; the notification is not emailed again

    def test_rejection_reason_is_in_the_notification(self, make_org, owner, staff, django_capture_on_commit_callbacks):
        org = make_org("Fake Co", kind=OrganisationKind.SME, owner=owner)
        with django_capture_on_commit_callbacks(execute=True):
            actions.reject_organisation(org, actor=staff, reason="The licence number belongs to another company")
        note = Notification.objects.get(recipient=owner, kind="organisation.verification_decided")
        assert note.title == "Verification of Fake Co was refused"
        assert "The licence number belongs to another company" in note.body

    def test_notification_page_lists_it(self, client, make_org, owner, staff, django_capture_on_commit_callbacks):
        org = make_org("Qingshan Agritech", kind=OrganisationKind.SME, owner=owner)
        with django_capture_on_commit_callbacks(execute=True):
            actions.verify_organisation(org, actor=staff)
        client.force_login(owner)
        assert "Qingshan Agritech is verified" in client.get(reverse("notifications")).content.decode()


@pytest.mark.parametrize("decide", ["verify", "reject"])
def test_decision_texts_about_a_co_ltd_have_no_double_full_stop(decide, make_org, owner, staff,
                                                                 django_capture_on_commit_callbacks):
    """The demo's pending SME read "Platform staff verified Hangzhou … Co., Ltd.." (notification and email)."""
    org = make_org("Hangzhou Qingshan Smart Agriculture Co., Ltd.", kind=OrganisationKind.SME, owner=owner)
    with django_capture_on_commit_callbacks(execute=True):
        if decide == "verify":
            actions.verify_organisation(org, actor=staff, note="Documents complete.")
        else:
            actions.reject_organisation(org, actor=staff, reason="The code belongs to another company.")
    note = Notification.objects.get(recipient=owner, kind="organisation.verification_decided")
    texts = [note.title, note.body] + [m.body for m in mail.outbox] + [m.subject for m in mail.outbox]
    assert texts and all("Ltd.." not in text for text in texts), texts
    org.refresh_from_db()
    from marketplace import verification
    assert "Ltd.." not in (verification.blocked_reason(org, "request_licence") or "")
