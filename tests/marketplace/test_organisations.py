"""Organisations, members and invitations, through the pages a user clicks."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from marketplace import actions
from marketplace.models import AuditEntry, Membership, Organisation, OrganisationKind, VerificationStatus


def test_registering_an_organisation_makes_the_user_owner(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("organisation_create"),
        {"name": "Beijing Battery Institute", "kind": "research_institute", "province": "BJ",
         "website": "bbi.example.cn", "registration_number": "", "description": ""},
        follow=True,
    )
    organisation = Organisation.objects.get(name="Beijing Battery Institute")
    assert organisation.verification_status == VerificationStatus.PENDING
    assert organisation.website == "https://bbi.example.cn"
    assert Membership.objects.get(organisation=organisation).user == owner
    assert "Platform staff will verify it" in response.content.decode()
    assert AuditEntry.objects.filter(action="organisation.created", actor=owner, organisation=organisation).exists()


def test_unconfirmed_email_cannot_register_an_organisation(client, make_user):
    user = make_user("new@example.com", email_verified=False)
    client.force_login(user)
    response = client.post(reverse("organisation_create"), {"name": "X", "kind": "sme"}, follow=True)
    assert "Confirm your email address first" in response.content.decode()
    assert not Organisation.objects.exists()


@pytest.mark.parametrize(
    "url_name, method",
    [
        ("organisation_detail", "get"),
        ("organisation_edit", "get"),
        ("organisation_edit", "post"),
        ("sme_profile_edit", "get"),
        ("organisation_invite", "post"),
        ("organisation_resubmit", "post"),
    ],
)
def test_non_members_get_404_on_every_organisation_page(client, outsider, institute, url_name, method):
    client.force_login(outsider)
    response = getattr(client, method)(reverse(url_name, args=[institute.slug]), {"email": "x@example.com"})
    assert response.status_code == 404
    assert not institute.invitations.exists()


@pytest.mark.parametrize("url_name", ["revoke_invitation", "remove_member", "change_role"])
def test_non_members_get_404_on_member_actions(client, outsider, owner, institute, member, url_name):
    invitation = actions.invite_member(institute, actor=owner, email="new@example.com")
    target = invitation.pk if url_name == "revoke_invitation" else Membership.objects.get(user=member).pk
    client.force_login(outsider)
    assert client.post(reverse(url_name, args=[institute.slug, target]), {"role": "owner"}).status_code == 404
    assert Membership.objects.get(user=member).role == "member"
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_plain_member_sees_the_page_but_cannot_edit_or_invite(client, member, institute):
    client.force_login(member)
    assert client.get(reverse("organisation_detail", args=[institute.slug])).status_code == 200
    assert client.get(reverse("organisation_edit", args=[institute.slug])).status_code == 404
    response = client.post(reverse("organisation_invite", args=[institute.slug]), {"email": "x@example.com",
                                                                                   "role": "member"}, follow=True)
    assert "Only owners of Acme Institute can do this." in response.content.decode()
    assert not institute.invitations.exists()


def test_staff_can_see_any_organisation(client, staff, institute):
    client.force_login(staff)
    page = client.get(reverse("organisation_detail", args=[institute.slug])).content.decode()
    assert "Acme Institute" in page
    assert reverse("verify_organisation", args=[institute.slug]) in page


def test_owner_edit_is_audited_with_before_and_after(client, owner, institute):
    client.force_login(owner)
    client.post(reverse("organisation_edit", args=[institute.slug]),
                {"name": "Acme Research Institute", "kind": "research_institute", "province": "SH", "website": "",
                 "registration_number": "",
                 "description": "Batteries"})
    entry = AuditEntry.objects.get(action="organisation.updated")
    assert entry.before["name"] == "Acme Institute"
    assert entry.after["name"] == "Acme Research Institute"
    assert entry.actor == owner


class TestInvitations:
    def test_invite_accept_flow(self, client, owner, institute, make_user, django_capture_on_commit_callbacks):
        client.force_login(owner)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("organisation_invite", args=[institute.slug]),
                        {"email": "Colleague@Example.com", "role": "member"})
        assert mail.outbox[0].to == ["colleague@example.com"]
        assert "Acme Institute" in mail.outbox[0].subject
        link = re.search(r"https?://[^/\s]+(/invitations/\S+)", mail.outbox[0].body).group(1)

        colleague = make_user("colleague@example.com")
        client.force_login(colleague)
        assert client.get(link).status_code == 200
        response = client.post(link, follow=True)
        assert "you are now a member of Acme Institute, with the role" in response.content.decode()
        assert Membership.objects.get(user=colleague, organisation=institute).role == "member"
        # the link works once
        response = client.post(link, follow=True)
        assert "expired or was already used" in response.content.decode()

    def test_invitation_for_someone_else_is_404(self, client, owner, institute, outsider):
        invitation = actions.invite_member(institute, actor=owner, email="intended@example.com")
        client.force_login(outsider)
        url = reverse("accept_invitation", args=[invitation.token])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
        assert not Membership.objects.filter(user=outsider).exists()

    def test_anonymous_visitor_is_asked_to_log_in(self, client, owner, institute):
        invitation = actions.invite_member(institute, actor=owner, email="intended@example.com")
        response = client.get(reverse("accept_invitation", args=[invitation.token]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_duplicate_and_existing_member_invitations_are_refused(self, owner, institute, member):
        actions.invite_member(institute, actor=owner, email="a@example.com")
        with pytest.raises(actions.ActionError, match="already has an open invitation"):
            actions.invite_member(institute, actor=owner, email="A@example.com")
        with pytest.raises(actions.ActionError, match="already a member"):
            actions.invite_member(institute, actor=owner, email=member.email)

    def test_revoked_invitation_cannot_be_accepted(self, owner, institute, make_user):
        invitation = actions.invite_member(institute, actor=owner, email="late@example.com")
        actions.revoke_invitation(invitation, actor=owner)
        with pytest.raises(actions.ActionError, match="expired or was already used"):
            actions.accept_invitation(invitation, user=make_user("late@example.com"))


class TestMembers:
    def test_last_owner_cannot_leave_or_be_demoted(self, owner, institute):
        membership = Membership.objects.get(user=owner)
        with pytest.raises(actions.ActionError, match="at least one owner"):
            actions.remove_member(membership, actor=owner)
        with pytest.raises(actions.ActionError, match="at least one owner"):
            actions.change_member_role(membership, actor=owner, role="member")

    def test_owner_promotes_then_removes(self, owner, institute, member):
        membership = Membership.objects.get(user=member)
        actions.change_member_role(membership, actor=owner, role="owner")
        actions.remove_member(Membership.objects.get(user=member), actor=owner)
        assert not Membership.objects.filter(user=member).exists()
        assert [e.action for e in AuditEntry.objects.filter(organisation=institute).order_by("id")][-2:] == [
            "member.role_changed", "member.removed"
        ]

    def test_member_may_leave(self, client, member, institute):
        client.force_login(member)
        membership = Membership.objects.get(user=member)
        client.post(reverse("remove_member", args=[institute.slug, membership.pk]))
        assert not Membership.objects.filter(user=member).exists()


class TestSMEProfilePage:
    @pytest.fixture
    def sme_org(self, make_org, owner):
        return make_org("Lingxi Battery", kind=OrganisationKind.SME, owner=owner)

    def test_profile_shows_class_and_why(self, client, owner, sme_org):
        client.force_login(owner)
        response = client.post(
            reverse("sme_profile_edit", args=[sme_org.slug]),
            {"industry": "02", "employees": "45", "annual_revenue_cny": "8000000", "total_assets_cny": ""},
            follow=True,
        )
        page = response.content.decode()
        assert "Small: 45 employees ≥ 20 and revenue ¥8M ≥ ¥3M, industry: Industry" in page
        assert "Eligible for donated licences" in page
        sme_org.sme_profile.refresh_from_db()
        assert sme_org.sme_profile.size_class == "small"
        entry = AuditEntry.objects.get(action="organisation.sme_profile_saved")
        assert entry.after["size_class"] == "small"

    def test_missing_indicator_names_the_field(self, client, owner, sme_org):
        client.force_login(owner)
        response = client.post(
            reverse("sme_profile_edit", args=[sme_org.slug]),
            {"industry": "02", "employees": "45", "annual_revenue_cny": "", "total_assets_cny": ""},
        )
        form = response.context["form"]
        assert form.errors["annual_revenue_cny"] == ["Required for this industry."]

    def test_non_smes_have_no_size_page(self, client, owner, institute):
        client.force_login(owner)
        assert client.get(reverse("sme_profile_edit", args=[institute.slug])).status_code == 404

    def test_large_enterprise_is_not_eligible(self, owner, sme_org):
        profile = actions.save_sme_profile(sme_org, actor=owner, industry="02", employees=1500,
                                           annual_revenue_cny=500_000_000, total_assets_cny=None)
        assert profile.size_class == "large"
        assert not profile.is_eligible


class TestCreateOrganizationCommand:
    def test_prints_slug_and_verifies(self, db, capsys):
        call_command("create_organization", "Tsinghua Demo Lab", "--kind", "university", "--verified",
                     "--slug", "thu-lab")
        assert capsys.readouterr().out.strip() == "thu-lab"
        organisation = Organisation.objects.get(slug="thu-lab")
        assert organisation.is_verified
        assert AuditEntry.objects.filter(action="organisation.verified", organisation=organisation).exists()

    def test_generates_slug_from_name(self, db, capsys):
        call_command("create_organization", "Small Widget Co", "--kind", "sme")
        assert capsys.readouterr().out.strip() == "small-widget-co"
        assert not Organisation.objects.get(slug="small-widget-co").is_verified

    def test_taken_slug_is_a_clear_error_and_writes_nothing(self, db):
        call_command("create_organization", "First", "--kind", "sme", "--slug", "same")
        with pytest.raises(CommandError, match="short name “same” is taken"):
            call_command("create_organization", "Second", "--kind", "sme", "--slug", "same")
        assert Organisation.objects.count() == 1

    def test_demonstration_needs_an_enterprise_and_rolls_back(self, db):
        with pytest.raises(CommandError, match="Only enterprises"):
            call_command("create_organization", "Uni", "--kind", "university", "--demonstration")
        assert not Organisation.objects.exists()


def test_load_demo_twice_gives_one_login_per_role(db, capsys):
    call_command("load_demo")
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "sme@patentbridge.demo" in out and "staff@patentbridge.demo" in out
    assert Organisation.objects.filter(slug="lingxi-battery").get().sme_profile.size_class == "small"
    assert Organisation.objects.get(slug="northern-power-group").is_demonstration
    assert Membership.objects.filter(user__email="sme@patentbridge.demo").count() == 1
