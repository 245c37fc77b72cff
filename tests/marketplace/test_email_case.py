"""Email addresses are case-insensitive everywhere: log-in, sign-up, invitations, the admin."""

import pytest
from django.urls import reverse

from marketplace.models import Invitation, User
from tests.conftest import PASSWORD


def test_login_ignores_the_case_of_the_email_address(client, make_user):
    make_user("sme@patentbridge.demo")
    response = client.post(reverse("login"), {"username": "SME@PatentBridge.demo", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("profile")).status_code == 200


def test_wrong_password_in_any_case_still_counts_towards_the_lockout(client, make_user, settings):
    make_user("sme@patentbridge.demo")
    spellings = ["SME@PatentBridge.demo", "sme@PATENTBRIDGE.DEMO", "Sme@patentbridge.demo", "sMe@patentbridge.demo",
                 "smE@patentbridge.demo", "SMe@patentbridge.demo"]
    for spelling in spellings[: settings.AXES_FAILURE_LIMIT]:
        client.post(reverse("login"), {"username": spelling, "password": "wrong"})
    response = client.post(reverse("login"), {"username": "sme@patentbridge.demo", "password": PASSWORD})
    assert response.status_code == 429


def test_sign_up_refuses_an_address_that_differs_only_in_case(client, make_user):
    make_user("sme@patentbridge.demo")
    response = client.post(reverse("signup"), {"full_name": "Copy", "email": "SME@PatentBridge.Demo",
                                               "password": PASSWORD, "language": "en"})
    assert "An account with this email address already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="sme@patentbridge.demo").count() == 1


def test_admin_add_user_lowercases_and_refuses_case_duplicates(client, make_user):
    admin_user = make_user("root@example.com", staff=True)
    admin_user.is_superuser = True
    admin_user.save()
    make_user("sme@patentbridge.demo")
    client.force_login(admin_user)
    url = reverse("admin:marketplace_user_add")
    form = {"full_name": "Dup", "password1": "a-long-enough-passphrase", "password2": "a-long-enough-passphrase",
            "usable_password": "true"}
    response = client.post(url, {**form, "email": "SME@PatentBridge.demo"})
    assert response.status_code == 200
    assert "An account with this email address already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="sme@patentbridge.demo").count() == 1
    response = client.post(url, {**form, "email": "New.Person@Example.COM"})
    assert response.status_code == 302
    assert User.objects.filter(email="new.person@example.com").exists()


def test_admin_change_user_refuses_another_users_address_in_other_case(client, make_user):
    admin_user = make_user("root@example.com", staff=True)
    admin_user.is_superuser = True
    admin_user.save()
    make_user("sme@patentbridge.demo")
    other = make_user("other@example.com")
    client.force_login(admin_user)
    page = client.get(reverse("admin:marketplace_user_change", args=[other.pk]))
    assert page.status_code == 200
    response = client.post(reverse("admin:marketplace_user_change", args=[other.pk]), {
        "email": "SME@patentbridge.DEMO", "full_name": "Other", "language": "en", "is_active": "on",
        "notification_emails": "instant",
    })
    assert response.status_code == 200
    assert "An account with this email address already exists." in response.content.decode()
    other.refresh_from_db()
    assert other.email == "other@example.com"


@pytest.mark.django_db
def test_invitation_in_other_case_is_stored_lower_and_accepted(client, owner, institute, make_user):
    client.force_login(owner)
    client.post(reverse("organisation_invite", args=[institute.slug]), {"email": "New.Member@Example.com",
                                                                        "role": "member"})
    invitation = Invitation.objects.get()
    assert invitation.email == "new.member@example.com"
    client.post(reverse("organisation_invite", args=[institute.slug]), {"email": "NEW.MEMBER@example.com",
                                                                        "role": "member"})
    assert Invitation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_second_account_differing_only_in_case(make_user):
    """Every form lower-cases, and the database holds the line for any other way in (shell, scripts)."""
    from django.db import IntegrityError

    from marketplace.models import User

    make_user("sme@example.com")
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="SME@Example.com", full_name="Twin")])
    assert User.objects.filter(email__iexact="sme@example.com").count() == 1


@pytest.mark.django_db
def test_model_validation_names_the_clash(make_user):
    from django.core.exceptions import ValidationError

    from marketplace.models import User

    make_user("sme@example.com")
    with pytest.raises(ValidationError, match="already exists"):
        User(email="SME@example.com", full_name="Twin").validate_constraints()
