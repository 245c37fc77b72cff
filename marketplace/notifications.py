"""The notification centre: every change to ``Notification`` rows goes through here.

    notify(user, kind, title, body="", url="", organisation=None, data=None) -> Notification
    build(user, kind, title, ..., emailed_separately=False) -> Notification   unsaved, for ``deliver``
    deliver(notifications)          bulk: create many rows at once (fan-outs), same side effects as ``notify``
    mark_read(notification, user) -> Notification
    mark_all_read(user) -> int
    send_emails(notification_ids)   the instant-email task (on commit, through ``marketplace.tasks.enqueue``)
    send_digest(user, dry_run=False) -> int   one email with the user's not-yet-emailed notifications

Side effects of a new notification, all on commit: a ``notification.created`` live event to ``user.<id>``
(shape in ``marketplace.events``), and when the recipient's ``notification_emails`` preference is
``instant`` an email (task ``marketplace.send_notification_emails``). Users on ``daily`` get them in the
digest (``manage.py send_digests``); ``none``: site only. A notification built with ``emailed_separately`` is
never emailed by this module (its sender emails the recipient itself).

Language: a kind whose texts can be rebuilt from ``data`` registers a renderer (``register_renderer``, from
the sending app's ``AppConfig.ready``); its notifications are then shown in the *reader's* language at display
time (``localise``: the notification centre in the page's language, emails and digests in the recipient's),
and ``build`` stores them rendered in the recipient's language (never the sender's). Kinds without a
renderer keep the title and text their caller wrote (wrap the call in ``wording.in_language_of(user)``).
An email of kind ``a.b`` uses ``templates/email/a_b.txt`` and ``a_b_subject.txt`` when they exist (context:
``notification``, ``user``, ``link``, ``data`` and ``data``'s keys), else a plain title + text + link.

Emailing is at-most-once: a notification is claimed (``emailed_at`` set, in a short transaction of its own)
before its email is sent, and the email goes out after that commit, so two senders never both send it and no
lock is held while talking to the mail server. A failed instant email is logged, not retried. A failed digest
un-claims its notifications (``emailed_at`` back to NULL), so the next digest run carries them, and raises.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import events, wording
from marketplace.actions import ActionError, NotAllowed
from marketplace.models import Notification, NotificationPreference, User
from marketplace.tasks import enqueue_on_commit

log = logging.getLogger(__name__)

MAX_TITLE = 300
MAX_URL = 500
EMAIL_BATCH = 200  # notifications per email task


# kind -> renderer(data) -> {"title": ..., "body": ..., and any data keys to show localised (e.g. "reasons")}
_RENDERERS: dict = {}


def register_renderer(kind: str, renderer) -> None:
    """``renderer(data)`` returns the notification's texts in the active language, as a dict with ``title``,
    ``body`` and optionally localised values of ``data`` keys the email templates use."""
    _RENDERERS[kind] = renderer


def _rendered(kind: str, data: dict) -> dict | None:
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        return None
    try:
        return renderer(data or {})
    except (KeyError, TypeError, ValueError):
        log.exception("could not render a %s notification from its data", kind)
        return None


def localise(notification: Notification) -> Notification:
    """Rebuild the notification's title, text and data in the active language (in memory; never saved)."""
    texts = _rendered(notification.kind, notification.data)
    if texts:
        notification.title = str(texts.get("title") or notification.title)[:MAX_TITLE]
        notification.body = str(texts.get("body", notification.body) or "")
        extra = {k: v for k, v in texts.items() if k not in ("title", "body")}
        if extra:
            notification.data = {**(notification.data or {}), **extra}
    return notification


def open_url(notification: Notification) -> str:
    """The site path that marks the notification read and redirects to its link."""
    return reverse("notification_open", args=[notification.pk])


def _clean(kind: str, title: str, url: str) -> None:
    if "." not in kind or len(kind) > 64:
        raise ValueError(f"notification kinds are dotted (e.g. 'match.new_listing'), got {kind!r}")
    if not (title or "").strip():
        raise ActionError(_("A notification needs a title."))
    if url and not url.startswith("/"):
        raise ValueError(f"notification links are site paths starting with '/', got {url!r}")


def build(user, kind: str, title: str, body: str = "", url: str = "", *, organisation=None,
          data: dict | None = None, emailed_separately: bool = False) -> Notification:
    """An unsaved notification (validated), for ``deliver``.

    ``emailed_separately``: the caller sends its own email about the same thing (e.g. a licence request to a
    listing's owner), so the notification is stored as already emailed: no instant email, not in the digest."""
    if kind in _RENDERERS:  # stored in the recipient's language, whoever triggered it
        with wording.in_language_of(user):
            texts = _rendered(kind, data or {})
        if texts:
            title, body = str(texts.get("title") or title), str(texts.get("body", body) or "")
    _clean(kind, title, url)
    now = timezone.now()
    return Notification(recipient=user, organisation=organisation, kind=kind, title=title.strip()[:MAX_TITLE],
                        body=body or "", url=(url or "")[:MAX_URL], data=data or {}, created_at=now,
                        emailed_at=now if emailed_separately else None)


def deliver(notifications: list[Notification]) -> list[Notification]:
    """Store many notifications at once and schedule their live events and instant emails on commit.

    Each ``recipient`` must be a loaded ``User`` (its preference decides the email)."""
    if not notifications:
        return []
    with transaction.atomic():
        created = Notification.objects.bulk_create(notifications, batch_size=500)
        if any(n.pk is None for n in created):  # backends without RETURNING: read the ids back
            raise RuntimeError("bulk_create did not return primary keys")
        users = {n.recipient_id for n in created}
        unread = _unread_counts(users)
        for n in created:
            events.send_on_commit([events.user_group(n.recipient_id)], "notification.created",
                                  id=n.pk, kind=n.kind, title=n.title, body=n.body, url=open_url(n),
                                  unread=unread.get(n.recipient_id, 0))
        instant = [n.pk for n in created
                   if n.emailed_at is None and n.recipient.notification_emails == NotificationPreference.INSTANT]
        for start in range(0, len(instant), EMAIL_BATCH):
            enqueue_on_commit(send_notification_emails, instant[start:start + EMAIL_BATCH])
    return created


def _unread_counts(user_ids) -> dict[int, int]:
    from django.db.models import Count

    rows = (Notification.objects.filter(recipient_id__in=list(user_ids), read_at__isnull=True)
            .values("recipient_id").annotate(n=Count("id")))
    return {row["recipient_id"]: row["n"] for row in rows}


def notify(user, kind: str, title: str, body: str = "", url: str = "", *, organisation=None,
           data: dict | None = None) -> Notification:
    """Tell one person something. Returns the stored notification (events/emails go out on commit)."""
    return deliver([build(user, kind, title, body, url, organisation=organisation, data=data)])[0]


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(notification: Notification, user) -> Notification:
    """The recipient has seen it (idempotent). Anyone else: ``NotAllowed``."""
    if notification.recipient_id != getattr(user, "pk", None):
        raise NotAllowed(_("This is not your notification."))
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def mark_all_read(user) -> int:
    """Mark every unread notification of the user read. Returns how many changed."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- email -----------------------------------------------------------------------------------
def _template_base(kind: str) -> str:
    return "email/" + kind.replace(".", "_")


def _render_one(notification: Notification, user) -> tuple[str, str]:
    link = settings.SITE_URL + open_url(notification)
    with wording.in_language_of(user):
        localise(notification)  # the recipient's language of today, whatever it was when it was stored
        context = {**(notification.data or {}), "data": notification.data or {}, "notification": notification,
                   "user": user, "link": link, "site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
        base = _template_base(notification.kind)
        try:
            subject = render_to_string(f"{base}_subject.txt", context)
            body = render_to_string(f"{base}.txt", context)
        except TemplateDoesNotExist:
            subject = notification.title
            body = "\n\n".join(part for part in (
                _("Hello %(name)s,") % {"name": user.full_name or user.email},
                notification.title, notification.body, link) if part) + "\n"
    return " ".join(subject.split()), body


@shared_task(name="marketplace.send_notification_emails")
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email these notifications one by one (instant preference). Returns how many were sent."""
    sent = 0
    for notification in Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True) \
            .select_related("recipient"):
        user = notification.recipient
        if user.notification_emails != NotificationPreference.INSTANT or not user.is_active:
            continue
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True) \
            .update(emailed_at=timezone.now())
        if not claimed:
            continue
        try:
            subject, body = _render_one(notification, user)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            sent += 1
        except Exception:
            log.exception("could not email notification %s to user %s", notification.pk, user.pk)
    return sent


def digest_users():
    """Users on the daily digest having notifications not yet emailed."""
    return (User.objects.filter(is_active=True, notification_emails=NotificationPreference.DAILY,
                                notifications__emailed_at__isnull=True).distinct().order_by("pk"))


def send_digest(user, *, dry_run: bool = False, now=None) -> int:
    """One email with all of the user's not-yet-emailed notifications, sent after they are claimed.

    Returns how many notifications it carried (0: no email). ``dry_run``: how many it would carry; nothing is
    claimed or sent. The notifications are claimed (``emailed_at``) and the email rendered in a short
    transaction; the email is sent after its commit (no row or database lock held during SMTP). If sending
    fails, exactly the claimed notifications are un-claimed, so the next run sends them, and the error is raised.
    Safe to run again: what was sent stays claimed. Call it outside any transaction (as ``send_digests`` does),
    or the claim is not committed before the email goes out."""
    now = now or timezone.now()
    with transaction.atomic():
        items = list(Notification.objects.select_for_update()
                     .filter(recipient=user, emailed_at__isnull=True, created_at__lte=now)
                     .order_by("created_at", "id"))
        if not items or dry_run:
            return len(items)
        context = {"user": user, "notifications": items, "count": len(items),
                   "links": [settings.SITE_URL + open_url(n) for n in items],
                   "items": [(n, settings.SITE_URL + open_url(n)) for n in items],
                   "notifications_url": settings.SITE_URL + reverse("notifications"),
                   "site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
        with wording.in_language_of(user):
            for n in items:
                localise(n)
            subject = " ".join(render_to_string("email/digest_subject.txt", context).split())
            body = render_to_string("email/digest.txt", context)
        claimed = [n.pk for n in items]
        Notification.objects.filter(pk__in=claimed, emailed_at__isnull=True).update(emailed_at=now)
    # After the commit: at most once. A failure hands the notifications back to the next run.
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    except Exception:
        with transaction.atomic():  # handed back: the next run carries them
            Notification.objects.filter(pk__in=claimed, emailed_at=now).update(emailed_at=None)
        raise
    return len(claimed)
