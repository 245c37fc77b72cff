"""Disputes and mediation.

    Dispute                raised by either party on a deal that is agreed, signing, awaiting payment or
                           completed; while it is unresolved the deal is ``disputed`` and its other transitions
                           pause. Staff assign a mediator (staff, or an accredited member of a verified IP service
                           agency), who should answer by ``respond_by`` (2 working days) and closes it with an
                           outcome and a summary.
    MediationNote          a mediator's note, visible to both sides or to one.
    MediatorAccreditation  staff accredit a member of a verified IP service agency as a mediator.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.models import Organisation
from negotiations.models.deals import Deal, DealState, Side

# Deals a dispute may be raised on.
DISPUTABLE_DEAL_STATES = (DealState.AGREED, DealState.SIGNING, DealState.AWAITING_PAYMENT, DealState.COMPLETED)
RESPONSE_WORKING_DAYS = 2


class DisputeCategory(models.TextChoices):
    TERMS_NOT_HONOURED = "terms_not_honoured", _("Terms not honoured")
    PAYMENT = "payment", _("Payment")
    SCOPE_OF_USE = "scope_of_use", _("Scope of use")
    INFRINGEMENT = "infringement", _("Suspected infringement")
    OTHER = "other", _("Other")


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a mediator")
    MEDIATING = "mediating", _("In mediation")
    CLOSED = "closed", _("Closed")


DisputeStatus.TRANSITIONS = {
    DisputeStatus.OPEN: (DisputeStatus.MEDIATING, DisputeStatus.CLOSED),
    DisputeStatus.MEDIATING: (DisputeStatus.MEDIATING, DisputeStatus.CLOSED),  # re-assigned to another mediator
    DisputeStatus.CLOSED: (),
}
UNRESOLVED_DISPUTE_STATES = (DisputeStatus.OPEN, DisputeStatus.MEDIATING)


class DisputeOutcome(models.TextChoices):
    SETTLED = "settled", _("Settled")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    NOT_RESOLVED = "not_resolved", _("Not resolved: referred to the patent office or a court")


class DisputeQuerySet(models.QuerySet):
    def unresolved(self):
        return self.filter(status__in=UNRESOLVED_DISPUTE_STATES)


class Dispute(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="disputes")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    raised_side = models.CharField(_("raised by"), max_length=10, choices=Side.choices)
    category = models.CharField(_("category"), max_length=24, choices=DisputeCategory.choices)
    statement = models.TextField(_("statement"))
    status = models.CharField(_("status"), max_length=12, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    deal_state_at_raise = models.CharField(max_length=20, choices=DealState.choices)
    created_at = models.DateTimeField(default=timezone.now)
    respond_by = models.DateTimeField(_("first answer due"))
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="mediated_disputes", verbose_name=_("mediator"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=DisputeOutcome.choices, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["deal"], condition=Q(status__in=UNRESOLVED_DISPUTE_STATES),
                                               name="one_unresolved_dispute_per_deal")]

    def __str__(self):
        return f"Dispute {self.pk} on deal {self.deal_id}"

    @property
    def is_unresolved(self) -> bool:
        return self.status in UNRESOLVED_DISPUTE_STATES


class NoteVisibility(models.TextChoices):
    BOTH = "both", _("Both sides")
    LICENSOR = "licensor", _("Licensor only")
    LICENSEE = "licensee", _("Licensee only")


class MediationNote(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    visibility = models.CharField(_("visible to"), max_length=10, choices=NoteVisibility.choices,
                                  default=NoteVisibility.BOTH)
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Note {self.pk} in dispute {self.dispute_id}"

    def visible_to_side(self, side: str | None) -> bool:
        """``side`` None: the mediator or staff, who see every note."""
        return side is None or self.visibility in (NoteVisibility.BOTH, side)


class MediatorAccreditationQuerySet(models.QuerySet):
    def current(self):
        return self.filter(revoked_at__isnull=True)


class MediatorAccreditation(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mediator_accreditations")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="mediator_accreditations")
    accredited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    accredited_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = MediatorAccreditationQuerySet.as_manager()

    class Meta:
        ordering = ["-accredited_at"]
        constraints = [models.UniqueConstraint(fields=["user"], condition=Q(revoked_at__isnull=True),
                                               name="one_current_accreditation_per_user")]

    def __str__(self):
        # No words: the activity log shows this (stored when the entry is written) in every language.
        return f"{self.user} · {self.organisation}"
