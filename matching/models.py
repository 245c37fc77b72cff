"""What SMEs need, and the listings suggested to them.

A ``Need`` is stated by a small or micro enterprise (an ``Organisation`` of kind ``sme``): free text in
English or Chinese, keywords, IPC interests, a budget ceiling and licence preferences. ``matching.scoring``
turns a need into ranked ``Match`` objects; ``matching.actions.record_suggestions`` stores them as
``Suggestion`` rows, whose ``status`` walks the funnel pushed → viewed → contacted → licensed (or ends
dismissed). Every stage keeps its own timestamp so the funnel can be counted later without an event table.
Only ``matching.actions`` changes these models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from listings.models import Currency, Listing
from marketplace.models import Organisation, Province


class NeedQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def of_member(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(organisation__memberships__user=user)


class Need(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="needs")
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True,
                                   help_text=_("What you want to make or improve, in English or Chinese."))
    keywords = models.TextField(_("keywords"), blank=True, help_text=_("Comma- or space-separated."))
    ipc_codes = models.JSONField(_("IPC interests"), default=list, blank=True)  # normalised, e.g. ["H01M 10/052", "H01M"]
    budget_minor = models.BigIntegerField(_("budget ceiling (minor units)"), null=True, blank=True,
                                          help_text=_("The most you would pay upfront; empty: no ceiling."))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    licence_kinds = models.JSONField(_("preferred licence kinds"), default=list, blank=True)  # LicenceKind values
    province = models.CharField(_("province"), max_length=2, choices=Province.choices, blank=True,
                                help_text=_("Prefer owners in this province; empty: anywhere."))
    free_or_donated_only = models.BooleanField(
        _("free or donated licences only"), default=False,
        help_text=_("Only suggest free listings and listings with donated licences for small enterprises."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    last_matched_at = models.DateTimeField(null=True, blank=True)  # for digests: when suggestions were refreshed
    # For needs without IPC codes: the fields of the need's best text matches at its last refresh
    # (``matching.scoring``, step 3b), [{"code": "H01M 10/00", "level": "main_group", "support": 0.62}, ...],
    # so that the fan-out of a new listing scores the need as its own search would.
    ipc_feedback = models.JSONField(default=list, blank=True, editable=False)

    objects = NeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "active"])]

    def __str__(self):
        return self.title

    @property
    def text(self) -> str:
        """The free text matched against listings (keywords twice: they are what the SME insists on)."""
        return "\n".join(part for part in (self.title, self.description, self.keywords, self.keywords) if part)


class SuggestionStatus(models.TextChoices):
    PUSHED = "pushed", _("Suggested")
    VIEWED = "viewed", _("Viewed")
    CONTACTED = "contacted", _("Contacted")
    LICENSED = "licensed", _("Licensed")
    DISMISSED = "dismissed", _("Dismissed")


SuggestionStatus.TRANSITIONS = {
    SuggestionStatus.PUSHED: (SuggestionStatus.VIEWED, SuggestionStatus.DISMISSED),
    SuggestionStatus.VIEWED: (SuggestionStatus.CONTACTED, SuggestionStatus.DISMISSED),
    SuggestionStatus.CONTACTED: (SuggestionStatus.LICENSED, SuggestionStatus.DISMISSED),
    SuggestionStatus.LICENSED: (),
    SuggestionStatus.DISMISSED: (),
}
# The funnel, in order (dismissed is off the funnel).
FUNNEL = (SuggestionStatus.PUSHED, SuggestionStatus.VIEWED, SuggestionStatus.CONTACTED, SuggestionStatus.LICENSED)
STAGE_TIMESTAMP = {
    SuggestionStatus.PUSHED: "pushed_at",
    SuggestionStatus.VIEWED: "viewed_at",
    SuggestionStatus.CONTACTED: "contacted_at",
    SuggestionStatus.LICENSED: "licensed_at",
    SuggestionStatus.DISMISSED: "dismissed_at",
}


class SuggestionQuerySet(models.QuerySet):
    def open(self):
        """Shown to the SME: not dismissed."""
        return self.exclude(status=SuggestionStatus.DISMISSED)


class Suggestion(models.Model):
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="suggestions")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="suggestions")
    score = models.FloatField(_("score"))  # a ranking score (see matching.scoring), not money
    # Rendered reasons (strings, in the site language when computed) and their structured form
    # ([{"code": "ipc_subgroup", "params": {"code": "H01M 10/052"}}, ...]) to render in the reader's language.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    reason_codes = models.JSONField(default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=SuggestionStatus.choices,
                              default=SuggestionStatus.PUSHED)
    saved = models.BooleanField(_("saved"), default=False)
    pushed_at = models.DateTimeField(_("suggested at"))
    viewed_at = models.DateTimeField(null=True, blank=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    licensed_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)  # set by the (future) push/digest sender
    updated_at = models.DateTimeField(auto_now=True)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["need", "-score", "id"]
        constraints = [models.UniqueConstraint(fields=["need", "listing"], name="unique_need_listing")]
        indexes = [models.Index(fields=["need", "status"]), models.Index(fields=["status", "pushed_at"])]

    def __str__(self):
        return f"{self.need} → {self.listing} ({self.status})"

    def reasons_display(self) -> list[str]:
        """The reasons in the active language (falls back to the stored strings)."""
        from matching.scoring import render_reasons

        return render_reasons(self.reason_codes) if self.reason_codes else list(self.reasons)


class ContactRequestStatus(models.TextChoices):
    """Where a licence request stands (``ContactRequestStatus.TRANSITIONS`` below is the only way it moves).

    open       sent by the SME, waiting for the owner
    replied    the owner answered on the site (the conversation may go on by email)
    declined   the owner said no (optionally with a reason) — final
    withdrawn  the SME took the request back — final
    closed     done: the owner marked a replied request done, or negotiations took over — final
    """

    OPEN = "open", _("Open")
    REPLIED = "replied", _("Replied")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed")


ContactRequestStatus.TRANSITIONS = {
    # The owner answers or declines; the SME may withdraw; negotiations (operator) may close it when a deal opens.
    ContactRequestStatus.OPEN: (ContactRequestStatus.REPLIED, ContactRequestStatus.DECLINED,
                                ContactRequestStatus.WITHDRAWN, ContactRequestStatus.CLOSED),
    # After a reply the owner may still decline (e.g. having heard more) or mark it done; the SME may withdraw.
    # One answer per request: a reply is not edited or replaced (the conversation goes on by email).
    ContactRequestStatus.REPLIED: (ContactRequestStatus.DECLINED, ContactRequestStatus.WITHDRAWN,
                                   ContactRequestStatus.CLOSED),
    ContactRequestStatus.DECLINED: (),
    ContactRequestStatus.WITHDRAWN: (),
    ContactRequestStatus.CLOSED: (),
}
# Requests still waiting for someone: an SME cannot ask again about the same listing for the same need while
# one of these exists.
ACTIVE_CONTACT_STATUSES = (ContactRequestStatus.OPEN, ContactRequestStatus.REPLIED)
MAX_REPLY_CHARS = 3000


class ContactRequestQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_CONTACT_STATUSES)

    def for_owner(self, organisation):
        """Requests about the organisation's listings (its inbox)."""
        return self.filter(listing__owner=organisation)


class ContactRequest(models.Model):
    """An SME asks a listing's owner for a licence, from a suggestion of one of its needs.

    A stop-gap until negotiations exist: the owner's members get an email and a notification with the message
    and answer in their inbox (``/owner/<slug>/requests/``): a reply or a decline, which the SME's members see
    on the need's page and get as a notification. Negotiation will take over (and close these) later.
    Only ``matching.actions`` changes these rows."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="contact_requests")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="contact_requests")
    message = models.TextField(_("message"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=ContactRequestStatus.choices,
                              default=ContactRequestStatus.OPEN)
    # The owner's answer (``reply_to_request``).
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # Why the owner declined (``decline_request``; may be empty).
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    # When and by whom it reached a final state (declined, withdrawn or closed).
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    # Where the conversation went on when a higher app took the request over (negotiations: the deal room).
    # Set by ``actions.hand_over_request``; the inbox and the need's page link there.
    follow_up_url = models.CharField(_("continued at"), max_length=300, blank=True)

    objects = ContactRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact request")
        verbose_name_plural = _("contact requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["listing", "status"]), models.Index(fields=["need", "listing"])]

    def __str__(self):
        return f"{self.need} → {self.listing} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_CONTACT_STATUSES
