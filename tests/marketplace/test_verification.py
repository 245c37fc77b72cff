"""The verification workflow: pending → verified / rejected, run by platform staff only."""

import pytest
from django.core import mail
from django.urls import reverse

from marketplace import actions
from marketplace.models import AuditEntry, OrganisationKind, VerificationStatus
from marketplace.states import IllegalTransition


def login(client, user):
    client.force_login(user)


def test_new_organisation_is_pending_and_cannot_publish_or_sign(institute, owner):
    assert institute.verification_status == VerificationStatus.PENDING
    assert not institute.can_publish
    with pytest.raises(actions.NotAllowed, match="not verified yet: only verified organisations can publish"):
        actions.require_can_publish(owner, institute)
    with pytest.raises(actions.NotAllowed, match="Only verified organisations can sign deals"):
        actions.require_can_sign(owner, institute)


def test_verified_member_can_publish_and_sign(institute, owner, staff):
    actions.verify_organisation(institute, actor=staff)
    institute.refresh_from_db()
    assert actions.require_can_publish(owner, institute).user == owner
    assert actions.require_can_sign(owner, institute).user == owner


def test_verified_sme_can_sign_but_not_publish(make_org, owner, staff):
    sme = make_org("Tiny Co", kind=OrganisationKind.SME, owner=owner, verified=True)
    assert actions.require_can_sign(owner, sme)
    with pytest.raises(actions.NotAllowed, match="cannot publish patent listings"):
        actions.require_can_publish(owner, sme)


def test_non_member_of_verified_organisation_cannot_publish(make_org, owner, outsider):
    verified = make_org("Verified Institute", owner=owner, verified=True)
    with pytest.raises(actions.NotAllowed, match="not a member"):
        actions.require_can_publish(outsider, verified)


def test_only_staff_can_verify(institute, owner, outsider):
    for user in (owner, outsider):
        with pytest.raises(actions.NotAllowed, match="Only platform staff"):
            actions.verify_organisation(institute, actor=user)
    institute.refresh_from_db()
    assert institute.verification_status == VerificationStatus.PENDING
    assert not AuditEntry.objects.filter(action="organisation.verified").exists()


def test_staff_verify_writes_audit_and_mails_members(institute, staff, owner, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.verify_organisation(institute, actor=staff, note="Registration code checked")
    institute.refresh_from_db()
    assert institute.is_verified
    assert institute.verified_by == staff
    entry = AuditEntry.objects.get(action="organisation.verified")
    assert entry.actor == staff
    assert entry.organisation == institute
    assert entry.before["status"] == "pending"
    assert entry.after == {"status": "verified", "note": "Registration code checked"}
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert "Acme Institute: Verified" in mail.outbox[0].subject
    assert "You can now publish listings" in mail.outbox[0].body


def test_reject_needs_a_reason_and_tells_members(institute, staff, owner, django_capture_on_commit_callbacks):
    with pytest.raises(actions.ActionError, match="Give a reason"):
        actions.reject_organisation(institute, actor=staff, reason="  ")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.reject_organisation(institute, actor=staff, reason="Registration code does not match the name")
    institute.refresh_from_db()
    assert institute.verification_status == VerificationStatus.REJECTED
    assert "Registration code does not match the name" in mail.outbox[0].body
    assert AuditEntry.objects.get(action="organisation.rejected").after["note"] == (
        "Registration code does not match the name"
    )


def test_rejected_owner_resubmits_then_staff_verify(institute, staff, owner):
    actions.reject_organisation(institute, actor=staff, reason="Missing code")
    actions.resubmit_organisation(institute, actor=owner)
    institute.refresh_from_db()
    assert institute.verification_status == VerificationStatus.PENDING
    actions.verify_organisation(institute, actor=staff)
    assert [e.action for e in AuditEntry.objects.for_target(institute).order_by("id")] == [
        "organisation.created",
        "organisation.rejected",
        "organisation.resubmitted",
        "organisation.verified",
    ]


def test_illegal_transitions_raise(institute, staff, owner):
    actions.verify_organisation(institute, actor=staff)
    with pytest.raises(IllegalTransition, match="cannot change from “verified” to “verified”"):
        actions.verify_organisation(institute, actor=staff)
    with pytest.raises(IllegalTransition):
        actions.resubmit_organisation(institute, actor=owner)  # verified → pending is not a move


def test_staff_can_revoke_verification(make_org, staff, owner):
    org = make_org("Once Good", owner=owner, verified=True)
    actions.reject_organisation(org, actor=staff, reason="Licence dispute found fraud")
    org.refresh_from_db()
    assert not org.can_publish


class TestStaffPages:
    def test_queue_is_404_for_non_staff(self, client, owner, institute):
        login(client, owner)
        assert client.get(reverse("verification_queue")).status_code == 404
        response = client.post(reverse("verify_organisation", args=[institute.slug]))
        assert response.status_code == 404
        institute.refresh_from_db()
        assert institute.verification_status == VerificationStatus.PENDING

    def test_anonymous_is_sent_to_login(self, client, institute):
        response = client.get(reverse("verification_queue"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_staff_sees_pending_and_verifies(self, client, staff, institute):
        login(client, staff)
        page = client.get(reverse("verification_queue"))
        assert "Acme Institute" in page.content.decode()
        response = client.post(reverse("verify_organisation", args=[institute.slug]), {"note": "ok"}, follow=True)
        assert "Acme Institute is verified." in response.content.decode()
        institute.refresh_from_db()
        assert institute.is_verified

    def test_staff_reject_without_reason_shows_error(self, client, staff, institute):
        login(client, staff)
        response = client.post(reverse("reject_organisation", args=[institute.slug]), {"reason": ""}, follow=True)
        assert "Give a reason" in response.content.decode()
        institute.refresh_from_db()
        assert institute.verification_status == VerificationStatus.PENDING

    def test_next_parameter_cannot_redirect_off_site(self, client, staff, institute):
        login(client, staff)
        response = client.post(
            reverse("verify_organisation", args=[institute.slug]), {"next": "https://evil.example/"}
        )
        assert response["Location"] == reverse("verification_queue")

    def test_demonstration_designation_is_staff_only_and_audited(self, client, staff, owner, make_org):
        enterprise = make_org("Big SOE", kind=OrganisationKind.STATE_ENTERPRISE, owner=owner, verified=True)
        login(client, owner)
        assert client.post(reverse("toggle_demonstration", args=[enterprise.slug]), {"value": "1"}).status_code == 404
        client.logout()
        login(client, staff)
        client.post(reverse("toggle_demonstration", args=[enterprise.slug]), {"value": "1"})
        enterprise.refresh_from_db()
        assert enterprise.is_demonstration
        assert AuditEntry.objects.filter(action="organisation.demonstration_changed", actor=staff).exists()

    def test_a_university_cannot_be_a_demonstration_enterprise(self, staff, make_org):
        university = make_org("Uni", kind=OrganisationKind.UNIVERSITY)
        with pytest.raises(actions.ActionError, match="Only enterprises"):
            actions.set_demonstration(university, actor=staff, value=True)
