from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace import sme
from marketplace.uscc import validate_uscc


# --- Accounts ---------------------------------------------------------------------------
def normalise_email(value: str | None) -> str:
    """Email addresses are compared and stored in lower case everywhere (sign-up, log-in, invitations, admin)."""
    return BaseUserManager.normalize_email((value or "").strip()).lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalise_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, email):
        """Log-in looks the address up case-insensitively (one account per address whatever its case: the
        ``user_email_unique_ignoring_case`` constraint)."""
        return self.get(email__iexact=email)

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("email_verified", True)
        return self._create_user(email, password, **extra)


class NotificationPreference(models.TextChoices):
    INSTANT = "instant", _("An email for each notification")
    DAILY = "daily", _("One daily digest email")
    NONE = "none", _("No emails (notifications on the site only)")


class User(AbstractUser):
    """A person. Logs in with an email address; belongs to organisations through memberships.

    Platform staff are users with ``is_staff``: they verify organisations and mediate.
    """

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    email_verified = models.BooleanField(_("email verified"), default=False)
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    notification_emails = models.CharField(
        _("notification emails"), max_length=8, choices=NotificationPreference.choices,
        default=NotificationPreference.INSTANT,
        help_text=_("How we email you about new matches and other notifications."),
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # one account per address whatever its case (every way in also lower-cases: normalise_email)
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case",
                                    violation_error_message=_("An account with this email address already exists.")),
        ]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


# --- Organisations ----------------------------------------------------------------------
class OrganisationKind(models.TextChoices):
    UNIVERSITY = "university", _("University")
    RESEARCH_INSTITUTE = "research_institute", _("Research institute")
    STATE_ENTERPRISE = "state_enterprise", _("State-owned enterprise")
    ENTERPRISE = "enterprise", _("Enterprise")
    SME = "sme", _("Small or medium enterprise")
    IP_AGENCY = "ip_agency", _("IP service agency")


# Kinds that own patents and may list them; kinds that may be designated demonstration enterprises.
PATENT_HOLDER_KINDS = {
    OrganisationKind.UNIVERSITY,
    OrganisationKind.RESEARCH_INSTITUTE,
    OrganisationKind.STATE_ENTERPRISE,
    OrganisationKind.ENTERPRISE,
}
DEMONSTRATION_KINDS = {OrganisationKind.ENTERPRISE, OrganisationKind.STATE_ENTERPRISE}


class VerificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


VerificationStatus.TRANSITIONS = {
    VerificationStatus.PENDING: (VerificationStatus.VERIFIED, VerificationStatus.REJECTED),
    # A rejected organisation may correct its details and ask again.
    VerificationStatus.REJECTED: (VerificationStatus.PENDING,),
    # Staff may revoke a verification (with a reason), e.g. after a dispute; a verified organisation that changes
    # its name, kind or registration codes goes back to pending (``marketplace.verification``).
    VerificationStatus.VERIFIED: (VerificationStatus.REJECTED, VerificationStatus.PENDING),
}


class Province(models.TextChoices):
    BEIJING = "BJ", _("Beijing")
    TIANJIN = "TJ", _("Tianjin")
    HEBEI = "HE", _("Hebei")
    SHANXI = "SX", _("Shanxi")
    INNER_MONGOLIA = "NM", _("Inner Mongolia")
    LIAONING = "LN", _("Liaoning")
    JILIN = "JL", _("Jilin")
    HEILONGJIANG = "HL", _("Heilongjiang")
    SHANGHAI = "SH", _("Shanghai")
    JIANGSU = "JS", _("Jiangsu")
    ZHEJIANG = "ZJ", _("Zhejiang")
    ANHUI = "AH", _("Anhui")
    FUJIAN = "FJ", _("Fujian")
    JIANGXI = "JX", _("Jiangxi")
    SHANDONG = "SD", _("Shandong")
    HENAN = "HA", _("Henan")
    HUBEI = "HB", _("Hubei")
    HUNAN = "HN", _("Hunan")
    GUANGDONG = "GD", _("Guangdong")
    GUANGXI = "GX", _("Guangxi")
    HAINAN = "HI", _("Hainan")
    CHONGQING = "CQ", _("Chongqing")
    SICHUAN = "SC", _("Sichuan")
    GUIZHOU = "GZ", _("Guizhou")
    YUNNAN = "YN", _("Yunnan")
    TIBET = "XZ", _("Tibet")
    SHAANXI = "SN", _("Shaanxi")
    GANSU = "GS", _("Gansu")
    QINGHAI = "QH", _("Qinghai")
    NINGXIA = "NX", _("Ningxia")
    XINJIANG = "XJ", _("Xinjiang")
    HONG_KONG = "HK", _("Hong Kong")
    MACAO = "MO", _("Macao")
    TAIWAN = "TW", _("Taiwan")
    OUTSIDE_CHINA = "XX", _("Outside mainland China")


def listings_public_q(prefix: str = "") -> models.Q:
    """Organisations whose published listings are public: verified, or pending re-verification after a change."""
    return models.Q(**{f"{prefix}verification_status": VerificationStatus.VERIFIED}) | models.Q(
        **{f"{prefix}verification_status": VerificationStatus.PENDING,
           f"{prefix}reverification_requested_at__isnull": False})


class OrganisationQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(verification_status=VerificationStatus.VERIFIED)

    def listings_public(self):
        """Verified, or verified before and waiting for re-verification (their listings stay public)."""
        return self.filter(listings_public_q())

    def pending(self):
        return self.filter(verification_status=VerificationStatus.PENDING)

    def for_member(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    is_demonstration = models.BooleanField(
        _("demonstration enterprise"),
        default=False,
        help_text=_("Designated to license patents to small and micro enterprises at low cost or free."),
    )
    province = models.CharField(_("province"), max_length=2, choices=Province.choices, blank=True)
    address = models.CharField(_("registered address"), max_length=300, blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_uscc],
        help_text=_("统一社会信用代码: the 18-character code on the business licence or registration certificate "
                    "(GB 32100-2015). Staff check it to verify the organisation."),
    )
    registration_number = models.CharField(
        _("other registration number"),
        max_length=64,
        blank=True,
        help_text=_("Only for organisations without a unified social credit code, e.g. outside mainland China."),
    )
    verification_status = models.CharField(
        _("verification"), max_length=16, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    verification_note = models.TextField(_("verification note"), blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when a verified organisation changed its name, kind or registration codes and went back to pending:
    # its published listings stay public, marked "re-verification pending", until staff decide.
    reverification_requested_at = models.DateTimeField(_("re-verification requested at"), null=True, blank=True)
    # What changed, for the staff card: {"name": ["old", "new"], ...}.
    reverification_changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["credit_code"], condition=~models.Q(credit_code=""),
                                    name="unique_credit_code"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organisation_detail", args=[self.slug])

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED

    @property
    def is_reverification_pending(self) -> bool:
        """Verified before, changed its identity, waiting for staff: listings stay public, marked as such."""
        return self.verification_status == VerificationStatus.PENDING and self.reverification_requested_at is not None

    def reverification_changes_display(self) -> list[tuple[str, str, str]]:
        """(field label, before, after) of what changed since the last verification, choices as labels."""
        rows = []
        for field, (old, new) in (self.reverification_changes or {}).items():
            model_field = self._meta.get_field(field)
            labels = dict(model_field.choices or ())
            rows.append((str(model_field.verbose_name), str(labels.get(old, old)), str(labels.get(new, new))))
        return rows

    @property
    def listings_public(self) -> bool:
        """Its published listings are shown to the public (``Listing.objects.browsable``)."""
        return self.is_verified or self.is_reverification_pending

    @property
    def is_patent_holder(self) -> bool:
        return self.kind in PATENT_HOLDER_KINDS

    @property
    def can_publish(self) -> bool:
        """Only verified patent holders may publish listings."""
        return self.is_verified and self.is_patent_holder

    @property
    def size_class(self) -> str | None:
        profile = getattr(self, "sme_profile", None)
        return profile.size_class if profile else None


class MemberRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)
    # An owner may sign agreements for the organisation; so may a member the owner marked as signatory.
    is_signatory = models.BooleanField(_("authorised signatory"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership")]
        ordering = ["organisation__name", "user__email"]

    def __str__(self):
        return f"{self.user} @ {self.organisation} ({self.role})"

    @property
    def is_owner(self) -> bool:
        return self.role == MemberRole.OWNER

    @property
    def may_sign(self) -> bool:
        return self.is_owner or self.is_signatory


class InvitationQuerySet(models.QuerySet):
    def open(self):
        cutoff = timezone.now() - timezone.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, created_at__gte=cutoff)


class Invitation(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.organisation}"

    @property
    def expires_at(self):
        return self.created_at + timezone.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and timezone.now() < self.expires_at


# --- SME profile ------------------------------------------------------------------------
class SMEProfile(models.Model):
    """Size data of an SME, classified per the 2011 standard (see ``marketplace.sme``)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="sme_profile")
    industry = models.CharField(_("industry"), max_length=2, choices=sme.industry_choices())
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue_cny = models.BigIntegerField(
        _("annual operating revenue (yuan)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    total_assets_cny = models.BigIntegerField(
        _("total assets (yuan)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    size_class = models.CharField(_("size class"), max_length=8, choices=sme.SizeClass.choices, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SME profile")

    def __str__(self):
        return f"{self.organisation}: {self.size_class}"

    def classification(self) -> sme.Classification:
        return sme.classify_explained(self.industry, self.employees, self.annual_revenue_cny, self.total_assets_cny)

    @property
    def is_eligible(self) -> bool:
        """Small and micro enterprises are eligible for donated licences and service coupons."""
        return self.size_class in sme.ELIGIBLE_SIZES


# --- Audit log --------------------------------------------------------------------------
class AuditEntryQuerySet(models.QuerySet):
    def for_target(self, obj):
        return self.filter(target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk))


class AuditEntry(models.Model):
    """One row per state change, written by the action that made it (``marketplace.audit.record``)."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"


# --- Notifications ----------------------------------------------------------------------
class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)

    def not_emailed(self):
        return self.filter(emailed_at__isnull=True)


class Notification(models.Model):
    """Something one person should know about: shown in the notification centre, optionally emailed.

    Written only by ``marketplace.notifications`` (``notify``, ``mark_read``, ``mark_all_read``) and by
    bulk senders of higher layers through ``notifications.build``/``notifications.deliver_on_commit``.
    ``kind`` is dotted (``match.new_listing``); ``emailed_at`` is set when an instant email or a digest
    carried it, so the daily digest never sends a notification twice.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="notifications")
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # What the email templates of this kind need (e.g. need/listing titles, reasons), in the recipient's language.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "emailed_at"]),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


# Verification documents live in their own module; imported here so that Django registers the model with this
# app and migration 0003's references (marketplace.models.verification_storage, .verification_upload_to) resolve.
from marketplace.document_models import (  # noqa: E402, F401
    DocumentType,
    VerificationDocument,
    verification_storage,
    verification_upload_to,
)
