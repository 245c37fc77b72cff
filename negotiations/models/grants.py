"""Donated licences: one claim per organisation and listing, under the listing's ``donation_quota``.

The claim keeps what the impact report counts as it was when the licence was donated (the SME's size class,
province and industry, and the value forgone: the listing's list price), so later edits never rewrite it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from listings.models import Currency, Listing
from marketplace.models import Organisation
from negotiations.models.deals import Deal

STATEMENT_MAX_CHARS = 1000
STATEMENT_MIN_CHARS = 20  # "ab" says nothing about the intended use


class DonationClaim(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="donation_claims")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="donation_claims")
    deal = models.OneToOneField(Deal, on_delete=models.PROTECT, related_name="donation_claim")
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    statement = models.TextField(_("intended use"), max_length=STATEMENT_MAX_CHARS)
    size_class = models.CharField(max_length=8)
    province = models.CharField(max_length=2, blank=True)
    industry = models.CharField(max_length=2, blank=True)
    value_forgone_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.CNY)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["listing", "organisation"], name="one_claim_per_listing")]

    def __str__(self):
        return f"{self.organisation} ← {self.listing}"
