"""Licence agreements and their signatures.

    Agreement   one version of a deal's licence agreement (1, 2 … per deal: a mediated revision makes the next),
                generated from an accepted term sheet with the template version of its day. ``content`` is the
                snapshot the templates rendered (parties, signatories, patents, terms), ``html_en``/``html_zh``
                the rendered texts and ``pdf`` the exact bilingual PDF the parties sign (``pdf_sha256``). When
                both sides have signed, ``final_pdf`` is that PDF plus the signature page and the certificate
                of completion (``final_sha256``). Files are written once (``negotiations.storage``) and the
                model refuses a second write of a signed or final document (``ImmutableAgreement``).
    Signature   one side's signature of one version: who, the name they typed, when, from where, and the
                SHA-256 of the PDF they signed; or, for open licences and donations, the licensor's consent
                given by publishing the standing offer (``SignatureMethod.STANDING_OFFER``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.models import Organisation
from negotiations.models.deals import Deal, Offer, Side
from negotiations.storage import agreement_storage


class AgreementStatus(models.TextChoices):
    FAILED = "failed", _("Could not be produced")  # the PDF failed to render: staff see the error and retry
    SIGNING = "signing", _("Out for signature")
    SIGNED = "signed", _("Signed")
    SUPERSEDED = "superseded", _("Superseded")  # a later version (a mediated revision) replaced it
    VOID = "void", _("Void")  # the deal ended before both signed


AgreementStatus.TRANSITIONS = {
    AgreementStatus.FAILED: (AgreementStatus.SIGNING, AgreementStatus.VOID),
    AgreementStatus.SIGNING: (AgreementStatus.SIGNED, AgreementStatus.SUPERSEDED, AgreementStatus.VOID),
    AgreementStatus.SIGNED: (AgreementStatus.SUPERSEDED,),
    AgreementStatus.SUPERSEDED: (),
    AgreementStatus.VOID: (),
}
# An agreement in one of these is the deal's current one (at most one per deal).
LIVE_AGREEMENT_STATES = (AgreementStatus.FAILED, AgreementStatus.SIGNING)


class ImmutableAgreement(Exception):
    """A stored agreement document (or its hash) was about to change after it was produced or signed."""


# Fields frozen once the PDF is produced (``pdf_sha256`` set), and those frozen once the final PDF exists.
_FROZEN_WHEN_PRODUCED = ("offer_id", "version", "template_version", "content", "html_en", "html_zh", "pdf",
                         "pdf_sha256")
_FROZEN_WHEN_FINAL = _FROZEN_WHEN_PRODUCED + ("final_pdf", "final_sha256", "signed_at")


def _agreement_path(instance, filename):
    return f"deal-{instance.deal_id}/{filename}"


class AgreementQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status__in=LIVE_AGREEMENT_STATES)

    def by_hash(self, sha256: str):
        """Agreements whose signed PDF or final PDF has this SHA-256 (lower-case hex)."""
        return self.filter(Q(pdf_sha256=sha256) | Q(final_sha256=sha256))


class Agreement(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="agreements")
    version = models.PositiveIntegerField(_("version"))
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="agreements")
    status = models.CharField(_("status"), max_length=12, choices=AgreementStatus.choices,
                              default=AgreementStatus.SIGNING)
    status_changed_at = models.DateTimeField(default=timezone.now)
    template_version = models.CharField(max_length=16)
    content = models.JSONField(default=dict)
    html_en = models.TextField(blank=True)
    html_zh = models.TextField(blank=True)
    pdf = models.FileField(storage=agreement_storage, upload_to=_agreement_path, max_length=300, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    final_pdf = models.FileField(storage=agreement_storage, upload_to=_agreement_path, max_length=300, blank=True)
    final_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    render_error = models.TextField(blank=True)
    render_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)  # when the last side signed

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["deal", "version"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "version"], name="one_agreement_per_deal_version"),
            models.UniqueConstraint(fields=["deal"], condition=Q(status__in=LIVE_AGREEMENT_STATES),
                                    name="one_live_agreement_per_deal"),
        ]

    def __str__(self):
        return f"Agreement {self.deal_id}-{self.version}"

    @property
    def reference(self) -> str:
        """The reference printed on every page: PB-<deal>-<version>."""
        return f"PB-{self.deal_id}-{self.version}"

    def save(self, *args, **kwargs):
        # Compared with the row as stored (not with what this instance loaded: a stale or refreshed instance
        # must not slip a change through).
        if not self._state.adding and self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values(*_FROZEN_WHEN_FINAL).first()
            if stored is not None:
                frozen = (_FROZEN_WHEN_FINAL if stored.get("final_sha256")
                          else _FROZEN_WHEN_PRODUCED if stored.get("pdf_sha256") else ())
                for name in frozen:
                    now = str(getattr(self, name)) if name in ("pdf", "final_pdf") else getattr(self, name)
                    if (now or None) != (stored[name] or None):
                        raise ImmutableAgreement(
                            f"agreement {self.pk}: {name} is fixed once the document is produced")
        super().save(*args, **kwargs)

    def signature_of(self, side: str):
        return next((s for s in self.signatures.all() if s.side == side), None)


class SignatureMethod(models.TextChoices):
    TYPED = "typed", _("Signed on PatentBridge")  # re-typed name, confirmation box, password
    STANDING_OFFER = "standing_offer", _("Consent by published offer")  # open licence or donation


class Signature(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="signatures")
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=16, choices=SignatureMethod.choices, default=SignatureMethod.TYPED)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(_("name typed"), max_length=150, blank=True)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=400, blank=True)
    pdf_sha256 = models.CharField(_("SHA-256 of the signed PDF"), max_length=64)
    consent_note = models.TextField(blank=True)  # a standing offer: what was published, by whom, when

    class Meta:
        ordering = ["agreement", "signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["agreement", "side"], name="one_signature_per_side")]

    def __str__(self):
        return f"{self.side} signature of {self.agreement}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableAgreement(f"signature {self.pk} is stored once and never changes")
        super().save(*args, **kwargs)
