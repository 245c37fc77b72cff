"""Reading disputes (the changes are in ``negotiations.actions.disputes``): working days and the first-response
target, who may mediate, the dispute a deal room shows, and the notes one reader may see.

    working_days_after(start, days) -> datetime   ``days`` working days (Monday–Friday) after ``start``
    response_target(dispute, now=None) -> Target  the first mediator answer: met, missed, overdue or due
    may_mediate(user) -> bool                      staff, or accredited by staff as a member of a verified IP agency
    room_dispute(deal) -> Dispute | None           the deal's unresolved dispute, else its latest one
    mediated_by(user, deal) -> Dispute | None      that dispute if ``user`` is its assigned mediator
    visible_notes(dispute, side)                   the notes a side sees (``side`` None: the mediator, all of them)
    needing_attention()                            unresolved disputes without a mediator or with an overdue answer
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.models import Membership, OrganisationKind
from negotiations.models import Deal, Dispute, MediationNote, MediatorAccreditation, NoteVisibility
from negotiations.models.disputes import RESPONSE_WORKING_DAYS


def working_days_after(start: datetime.datetime, days: int = RESPONSE_WORKING_DAYS) -> datetime.datetime:
    """The same time of day ``days`` working days later, Saturdays and Sundays skipped (in the site's time
    zone): raised on Friday 15:00 → Tuesday 15:00; on Saturday 10:00 → Tuesday 10:00."""
    moment = timezone.localtime(start)
    counted = 0
    while counted < days:
        moment += datetime.timedelta(days=1)
        if moment.weekday() < 5:
            counted += 1
    return moment


@dataclass(frozen=True)
class Target:
    state: str  # met | missed | overdue | due
    label: str

    @property
    def late(self) -> bool:
        return self.state in ("missed", "overdue")


def response_target(dispute: Dispute, now=None) -> Target:
    """Whether the first mediator note came (or is still due) within ``respond_by``."""
    now = now or timezone.now()
    if dispute.first_response_at is not None:
        if dispute.first_response_at <= dispute.respond_by:
            return Target("met", _("Answered in time"))
        return Target("missed", _("Answered late"))
    if now > dispute.respond_by:
        return Target("overdue", _("Overdue"))
    return Target("due", _("Due"))


def mediator_agencies(user):
    """The verified IP service agencies ``user`` is a member of (where a mediator may be accredited)."""
    from marketplace.models import Organisation

    return Organisation.objects.verified().filter(kind=OrganisationKind.IP_AGENCY, memberships__user=user).distinct()


def current_accreditation(user) -> MediatorAccreditation | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return MediatorAccreditation.objects.current().filter(user=user).select_related("organisation").first()


def may_mediate(user) -> bool:
    """Staff, or a currently accredited member of a (still) verified IP service agency."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    accreditation = current_accreditation(user)
    return (accreditation is not None and accreditation.organisation.is_verified
            and Membership.objects.filter(user=user, organisation=accreditation.organisation).exists())


def room_dispute(deal: Deal) -> Dispute | None:
    return (deal.disputes.unresolved().select_related("mediator").first()
            or deal.disputes.select_related("mediator").order_by("-created_at", "-id").first())


def mediated_by(user, deal: Deal) -> Dispute | None:
    """The dispute the deal room shows, if ``user`` is its assigned mediator (and may still mediate)."""
    if user is None or not user.is_authenticated:
        return None
    dispute = room_dispute(deal)
    if dispute is None or dispute.mediator_id != user.pk or not may_mediate(user):
        return None
    return dispute


def needing_attention():
    """Unresolved disputes waiting for a mediator or whose first answer is overdue (the staff menu counts them)."""
    return Dispute.objects.unresolved().filter(
        Q(mediator__isnull=True) | Q(first_response_at__isnull=True, respond_by__lt=timezone.now()))


def visible_notes(dispute: Dispute, side: str | None):
    notes = MediationNote.objects.filter(dispute=dispute).select_related("author")
    if side is not None:
        notes = notes.filter(visibility__in=(NoteVisibility.BOTH, side))
    return notes.order_by("created_at", "id")


def event_visible_to(event: dict, side: str | None) -> bool:
    """A live event a reader of ``side`` may receive (``side`` None: the mediator): a mediation note meant for
    one side only never reaches the other one."""
    if event.get("event") != "deal.mediation_note" or side is None:
        return True
    return event.get("payload", {}).get("visibility") in (NoteVisibility.BOTH, side)
