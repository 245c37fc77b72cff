"""Outgoing mail. Each message is rendered in the recipient's language from templates/email/."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

EMAIL_VERIFICATION_SALT = "marketplace.email-verification"


def _send(template: str, context: dict, to: list[str], language: str) -> None:
    with translation.override(language):
        context = {**context, "site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
        subject = " ".join(render_to_string(f"email/{template}_subject.txt", context).split())
        body = render_to_string(f"email/{template}.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


def email_verification_token(user) -> str:
    return signing.dumps({"user": user.pk, "email": user.email}, salt=EMAIL_VERIFICATION_SALT)


def read_email_verification_token(token: str) -> dict:
    """Returns the payload; raises ``signing.BadSignature`` (or ``SignatureExpired``)."""
    return signing.loads(token, salt=EMAIL_VERIFICATION_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)


def send_email_verification(user) -> None:
    link = settings.SITE_URL + reverse("verify_email", args=[email_verification_token(user)])
    _send("verify_email", {"user": user, "link": link}, [user.email], user.language)


def send_invitation(invitation) -> None:
    link = settings.SITE_URL + reverse("accept_invitation", args=[invitation.token])
    # The recipient's language when they already have an account; else the inviter's best guess.
    from marketplace.models import User

    invitee = User.objects.filter(email__iexact=invitation.email).only("language").first()
    if invitee is not None:
        language = invitee.language
    else:
        language = invitation.invited_by.language if invitation.invited_by else settings.LANGUAGE_CODE
    _send("invitation", {"invitation": invitation, "link": link}, [invitation.email], language)


def send_verification_decision(organisation) -> None:
    link = settings.SITE_URL + organisation.get_absolute_url()
    for membership in organisation.memberships.select_related("user"):
        user = membership.user
        _send("verification_decision", {"organisation": organisation, "user": user, "link": link},
              [user.email], user.language)
