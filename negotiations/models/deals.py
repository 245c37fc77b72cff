"""Deals: one licensor's listing, one licensee organisation, and the term sheets, messages and attachments
between them.

    Deal        state in ``DealState`` (``DealState.TRANSITIONS`` is the only way it moves); ``last_seq`` is the
                per-deal event counter the live room uses to replay what a reconnecting client missed
    Offer       one immutable term-sheet version (``version`` 1, 2, 3 … per deal); only its ``status`` moves,
                through ``OfferStatus.TRANSITIONS``; saving changed terms of a stored offer raises
    Message     a text message of one party (editable by its author for 5 minutes; deleting leaves a marker)
    Attachment  a file sent with a message, in the private ``deal_attachments`` storage (no public URL)
    DealEvent   every live event of a deal with its sequence number, the source of the catch-up

Money is integer minor units plus currency, royalty rates basis points (350 = 3.50 %). Every change goes
through ``negotiations.actions``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from listings.models import Currency, FeeModel, LicenceKind, Listing
from marketplace.models import Organisation
from negotiations.storage import LookupStorage
from negotiations.terms import TERM_FIELDS, GoverningLaw, RoyaltyBase  # the term-sheet fields, in the order a reader sees them


class Side(models.TextChoices):
    LICENSOR = "licensor", _("Licensor")
    LICENSEE = "licensee", _("Licensee")

    @property
    def other(self) -> "Side":
        return Side.LICENSEE if self == Side.LICENSOR else Side.LICENSOR


class DealState(models.TextChoices):
    """Where a deal stands.

    negotiating       term sheets go back and forth
    agreed            one side accepted the other's latest version (the agreement comes next)
    signing           the agreement is out for signature (issue: agreements)
    awaiting_payment  signed; the licence fee is due (issue: payments)
    completed         the licence is granted — final
    declined          the licensor ended the negotiation — final
    withdrawn         the licensee ended it, or either side backed out before signing — final
    expired           nobody moved for ``DEAL_IDLE_EXPIRY_DAYS`` — final
    """

    NEGOTIATING = "negotiating", _("Negotiating")
    AGREED = "agreed", _("Agreed")
    SIGNING = "signing", _("Signing")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


DealState.TRANSITIONS = {
    DealState.NEGOTIATING: (DealState.AGREED, DealState.DECLINED, DealState.WITHDRAWN, DealState.EXPIRED),
    # Before anything is signed either side may still back out (the licensee withdraws, the licensor declines).
    DealState.AGREED: (DealState.SIGNING, DealState.DECLINED, DealState.WITHDRAWN),
    DealState.SIGNING: (DealState.AWAITING_PAYMENT, DealState.COMPLETED, DealState.DECLINED, DealState.WITHDRAWN),
    DealState.AWAITING_PAYMENT: (DealState.COMPLETED,),
    DealState.COMPLETED: (),
    DealState.DECLINED: (),
    DealState.WITHDRAWN: (),
    DealState.EXPIRED: (),
}
# A deal in one of these holds its place: one per listing and licensee at a time.
ACTIVE_DEAL_STATES = (DealState.NEGOTIATING, DealState.AGREED, DealState.SIGNING, DealState.AWAITING_PAYMENT)
# An agreed deal (and everything after it, short of ending) holds its licence: exclusivity counts these.
HOLDING_DEAL_STATES = (DealState.AGREED, DealState.SIGNING, DealState.AWAITING_PAYMENT, DealState.COMPLETED)
FINAL_DEAL_STATES = (DealState.COMPLETED, DealState.DECLINED, DealState.WITHDRAWN, DealState.EXPIRED)
# Licence kinds that promise the territory to one licensee.
EXCLUSIVE_KINDS = (LicenceKind.EXCLUSIVE, LicenceKind.SOLE, LicenceKind.ASSIGNMENT)


class DealOrigin(models.TextChoices):
    """How the deal came about: negotiated in a deal room, or granted at once on a standing offer."""

    NEGOTIATED = "negotiated", _("Negotiated")
    OPEN_LICENCE = "open_licence", _("Open licence")
    DONATION = "donation", _("Donated licence")


class DealQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state__in=ACTIVE_DEAL_STATES)

    def for_organisations(self, organisations):
        return self.filter(Q(licensor__in=organisations) | Q(licensee__in=organisations))

    def waiting_for_move_of(self, organisations):
        """Negotiations where it is the move of one of ``organisations`` (its side must answer the open version)."""
        return self.filter(Q(state=DealState.NEGOTIATING) & (
            Q(waiting_for=Side.LICENSOR, licensor__in=organisations)
            | Q(waiting_for=Side.LICENSEE, licensee__in=organisations)))

    def for_user(self, user):
        """Deals of any organisation the user is a member of (the only deals a user may see)."""
        if not user or not user.is_authenticated:
            return self.none()
        orgs = Organisation.objects.filter(memberships__user=user)
        return self.for_organisations(orgs)


class Deal(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="deals", verbose_name=_("listing"))
    licensor = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="deals_as_licensor",
                                 verbose_name=_("licensor"))
    licensee = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="deals_as_licensee",
                                 verbose_name=_("licensee"))
    state = models.CharField(_("state"), max_length=20, choices=DealState.choices, default=DealState.NEGOTIATING)
    state_changed_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_side = models.CharField(max_length=10, choices=Side.choices)
    # The licence request the deal grew out of (its inbox entry then links here).
    contact_request = models.ForeignKey("matching.ContactRequest", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="deals")
    agreed_offer = models.ForeignKey("Offer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agreed_at = models.DateTimeField(null=True, blank=True)
    # Whose move it is: the side that did not make the current open offer (empty when nobody has to move).
    waiting_for = models.CharField(max_length=10, choices=Side.choices, blank=True)
    current_version = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_activity_at = models.DateTimeField(default=timezone.now)
    closed_reason = models.TextField(blank=True)
    origin = models.CharField(_("origin"), max_length=16, choices=DealOrigin.choices, default=DealOrigin.NEGOTIATED)
    # Set while a dispute is unresolved: the deal's other transitions pause (negotiations.actions.disputes).
    disputed = models.BooleanField(_("disputed"), default=False)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DealQuerySet.as_manager()

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "licensee"], condition=Q(state__in=ACTIVE_DEAL_STATES),
                                    name="one_active_deal_per_listing_and_licensee"),
            models.CheckConstraint(condition=~Q(licensor=models.F("licensee")), name="deal_parties_differ"),
        ]
        indexes = [models.Index(fields=["listing", "state"]), models.Index(fields=["state", "last_activity_at"])]

    def __str__(self):
        # No words: the activity log shows this (stored when the entry is written) in every language.
        return f"#{self.pk} {self.licensee} ← {self.listing}"

    def get_absolute_url(self):
        return reverse("deal_detail", args=[self.pk])

    def organisation_of(self, side: str) -> Organisation:
        return self.licensor if side == Side.LICENSOR else self.licensee

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_DEAL_STATES


class OfferStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("term sheet status", "Open")  # waiting for the other side's answer
    ACCEPTED = "accepted", _("Accepted")
    SUPERSEDED = "superseded", _("Superseded")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")
    CLOSED = "closed", _("Closed")  # the deal ended while it was open


OfferStatus.TRANSITIONS = {
    OfferStatus.OPEN: (OfferStatus.ACCEPTED, OfferStatus.SUPERSEDED, OfferStatus.WITHDRAWN, OfferStatus.EXPIRED,
                       OfferStatus.CLOSED),
    OfferStatus.ACCEPTED: (),
    OfferStatus.SUPERSEDED: (),
    OfferStatus.WITHDRAWN: (),
    OfferStatus.EXPIRED: (),
    OfferStatus.CLOSED: (),
}


_MUTABLE_OFFER_FIELDS = {"status", "status_changed_at", "licensor_accepted_at", "licensee_accepted_at"}


class ImmutableOffer(Exception):
    """A stored term-sheet version was about to be changed (only its status may move)."""


class Offer(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="offers")
    version = models.PositiveIntegerField(_("version"))
    side = models.CharField(_("made by side"), max_length=10, choices=Side.choices)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    status_changed_at = models.DateTimeField(default=timezone.now)

    licence_kind = models.CharField(_("licence kind"), max_length=20, choices=LicenceKind.choices)
    territory = models.JSONField(_("territory"), default=list)  # place keys, see negotiations.territories
    field_of_use = models.CharField(_("field of use"), max_length=300, blank=True)
    term_months = models.PositiveIntegerField(_("term (months)"), null=True, blank=True)  # None: until last expiry
    fee_model = models.CharField(_("fee model"), max_length=20, choices=FeeModel.choices)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    lump_sum_minor = models.BigIntegerField(_("lump sum"), default=0)
    entry_fee_minor = models.BigIntegerField(_("entry fee"), default=0)
    royalty_rate_bp = models.PositiveIntegerField(_("royalty rate"), default=0)
    royalty_base = models.CharField(_("royalty base"), max_length=20, choices=RoyaltyBase.choices,
                                    default=RoyaltyBase.NET_SALES)
    minimum_annual_royalty_minor = models.BigIntegerField(_("minimum annual royalty"), default=0)
    sublicensing_allowed = models.BooleanField(_("sublicensing allowed"), default=False)
    governing_law = models.CharField(_("governing law"), max_length=16, choices=GoverningLaw.choices,
                                     default=GoverningLaw.PRC)
    valid_until = models.DateTimeField(_("valid until"))
    note = models.TextField(_("note"), blank=True)
    # The licensor's explicit confirmation that this field of use is distinct from fields already licensed
    # exclusively in an overlapping territory (the only way two exclusive licences may share a territory).
    distinct_field_confirmed = models.BooleanField(default=False)
    # A mediator's proposal of revised terms in a dispute: both sides must accept it (each acceptance recorded).
    proposed_in = models.ForeignKey("negotiations.Dispute", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="proposals")
    licensor_accepted_at = models.DateTimeField(null=True, blank=True)
    licensee_accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["deal", "version"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "version"], name="one_offer_per_deal_version"),
            models.CheckConstraint(condition=Q(royalty_rate_bp__lte=10000), name="offer_royalty_at_most_100_percent"),
            models.CheckConstraint(condition=Q(lump_sum_minor__gte=0) & Q(entry_fee_minor__gte=0)
                                   & Q(minimum_annual_royalty_minor__gte=0), name="offer_amounts_not_negative"),
        ]

    def __str__(self):
        return f"Deal {self.deal_id} v{self.version} ({self.status})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= _MUTABLE_OFFER_FIELDS:
                raise ImmutableOffer(f"offer {self.pk} is an immutable version; only its status may change")
        super().save(*args, **kwargs)

    def terms(self) -> dict:
        return {name: getattr(self, name) for name in TERM_FIELDS}

    @property
    def is_exclusive(self) -> bool:
        return self.licence_kind in EXCLUSIVE_KINDS

    def is_past_validity(self, now=None) -> bool:
        return (now or timezone.now()) >= self.valid_until


class MessageQuerySet(models.QuerySet):
    def visible(self):
        return self.order_by("created_at", "id")


EDIT_WINDOW_SECONDS = 5 * 60


class Message(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["deal", "created_at"])]

    def __str__(self):
        return f"Message {self.pk} in deal {self.deal_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def editable_until(self):
        return self.created_at + timezone.timedelta(seconds=EDIT_WINDOW_SECONDS)


# Looked up at each call (a FileField fixes its storage when the model loads; this way a changed setting —
# another location, object storage, a test's directory — applies).
_DEAL_ATTACHMENT_STORAGE = LookupStorage("deal_attachments")


def _attachment_storage():
    return _DEAL_ATTACHMENT_STORAGE


def _attachment_path(instance, filename):
    # The stored name never uses the uploader's file name (it is kept in ``original_name``).
    return f"deal-{instance.deal_id}/{instance.sha256[:16]}-{timezone.now():%Y%m%d%H%M%S%f}.{instance.extension}"


class Attachment(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(storage=_attachment_storage, upload_to=_attachment_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=8)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.original_name


class DealEvent(models.Model):
    """One live event of a deal, stored in the action's transaction with the next sequence number."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["deal", "seq"]
        constraints = [models.UniqueConstraint(fields=["deal", "seq"], name="one_event_per_deal_seq")]

    def __str__(self):
        return f"{self.type} #{self.seq} of deal {self.deal_id}"

    def message(self) -> dict:
        """The JSON a socket receives."""
        return {"event": self.type, "seq": self.seq, "deal": self.deal_id, "payload": self.payload}
