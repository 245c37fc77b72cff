"""Patents, listings and their licence terms, and bulk-import jobs.

Money is integer minor units (fen for CNY, cents for USD) plus a currency code; royalty rates are
integer basis points (350 = 3.50 %). Status fields are TextChoices with a TRANSITIONS table checked
by ``marketplace.states.check_transition``; only ``listings.actions`` changes them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.models import Organisation, listings_public_q


# --- vocabularies -----------------------------------------------------------------------
class LegalStatus(models.TextChoices):
    PENDING = "pending", _("Pending (application)")
    GRANTED = "granted", _("Granted")
    LAPSED = "lapsed", _("Lapsed")
    EXPIRED = "expired", _("Expired")


DEAD_LEGAL_STATUSES = (LegalStatus.LAPSED, LegalStatus.EXPIRED)


class LicenceKind(models.TextChoices):
    EXCLUSIVE = "exclusive", _("Exclusive licence")
    SOLE = "sole", _("Sole licence")
    NON_EXCLUSIVE = "non_exclusive", _("Non-exclusive licence")
    ASSIGNMENT = "assignment", _("Assignment")


class FeeModel(models.TextChoices):
    FREE = "free", _("Free")
    LUMP_SUM = "lump_sum", _("Lump sum")
    ROYALTY = "royalty", _("Royalty")
    ENTRY_FEE_ROYALTY = "entry_fee_royalty", _("Entry fee + royalty")


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("Euro (EUR)")


# Minor units per major unit; all three currencies have two decimals.
CURRENCY_EXPONENT = {Currency.CNY: 2, Currency.USD: 2, Currency.EUR: 2}


# Upfront price bands (in major units of the listing's currency) used as a search facet.
PRICE_BANDS = [
    ("none", 0, 0),
    ("under_10k", 1, 10_000_00 - 1),
    ("10k_100k", 10_000_00, 100_000_00 - 1),
    ("100k_1m", 100_000_00, 1_000_000_00 - 1),
    ("over_1m", 1_000_000_00, None),
]
PRICE_BAND_LABELS = {
    "none": _("No upfront fee"),
    "under_10k": _("Under 10,000"),
    "10k_100k": _("10,000 – 100,000"),
    "100k_1m": _("100,000 – 1,000,000"),
    "over_1m": _("Over 1,000,000"),
}


def price_band(upfront_minor: int) -> str:
    for name, low, high in PRICE_BANDS:
        if upfront_minor >= low and (high is None or upfront_minor <= high):
            return name
    raise ValueError(f"negative price {upfront_minor}")


class ListingState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    PAUSED = "paused", _("Paused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    LICENSED_OUT = "licensed_out", _("Licensed out")
    EXPIRED = "expired", _("Expired")


ListingState.TRANSITIONS = {
    ListingState.DRAFT: (ListingState.PUBLISHED, ListingState.WITHDRAWN, ListingState.EXPIRED),
    ListingState.PUBLISHED: (
        ListingState.PAUSED,
        ListingState.WITHDRAWN,
        ListingState.LICENSED_OUT,  # an exclusive deal or an assignment closed
        ListingState.EXPIRED,
    ),
    ListingState.PAUSED: (ListingState.PUBLISHED, ListingState.WITHDRAWN, ListingState.EXPIRED),
    ListingState.WITHDRAWN: (),
    ListingState.LICENSED_OUT: (),
    ListingState.EXPIRED: (),
}


# --- patents ----------------------------------------------------------------------------
class PatentQuerySet(models.QuerySet):
    def alive(self):
        return self.exclude(legal_status__in=DEAD_LEGAL_STATUSES)


class Patent(models.Model):
    """A patent (or application) owned by an organisation. ``office`` + ``number`` are the
    normalised identity (see ``listings.numbers``); ``kind`` is the publication kind code."""

    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="patents")
    office = models.CharField(_("office"), max_length=4)
    number = models.CharField(_("number"), max_length=64)
    kind = models.CharField(_("kind code"), max_length=4, blank=True)
    title = models.CharField(_("title"), max_length=500)
    abstract = models.TextField(_("abstract"), blank=True)
    claims = models.TextField(_("claims"), blank=True)
    ipc_codes = models.JSONField(_("IPC/CPC codes"), default=list, blank=True)  # normalised, in order
    applicants = models.TextField(_("applicants"), blank=True)  # one per line
    inventors = models.TextField(_("inventors"), blank=True)  # one per line
    filing_date = models.DateField(_("filing date"), null=True, blank=True)
    grant_date = models.DateField(_("grant date"), null=True, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    legal_status = models.CharField(
        _("legal status"), max_length=16, choices=LegalStatus.choices, default=LegalStatus.GRANTED
    )
    language = models.CharField(_("language"), max_length=10, default="en")  # en, zh-Hans, zh-Hant
    source = models.CharField(_("source"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatentQuerySet.as_manager()

    class Meta:
        verbose_name = _("patent")
        verbose_name_plural = _("patents")
        constraints = [models.UniqueConstraint(fields=["office", "number"], name="unique_patent_number")]
        ordering = ["office", "number"]

    def __str__(self):
        return f"{self.display_number} {self.title[:80]}"

    @property
    def display_number(self) -> str:
        """The canonical form, e.g. ``CN 112345678 B`` or ``US 10123456 B2``."""
        return " ".join(part for part in (self.office, self.number, self.kind) if part)

    @property
    def is_alive(self) -> bool:
        if self.legal_status in DEAD_LEGAL_STATUSES:
            return False
        return not (self.expiry_date and self.expiry_date < timezone.localdate())


class PatentClassification(models.Model):
    """One IPC/CPC code of a patent, split into its levels for browsing and counting."""

    patent = models.ForeignKey(Patent, on_delete=models.CASCADE, related_name="classifications")
    code = models.CharField(max_length=24)  # "H01M 10/052" or "C12N"
    section = models.CharField(max_length=1)  # "H"
    ipc_class = models.CharField(max_length=3)  # "H01"
    subclass = models.CharField(max_length=4)  # "H01M"
    main_group = models.CharField(max_length=16, blank=True)  # "H01M 10/00"
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["patent", "position"]
        indexes = [models.Index(fields=["subclass"]), models.Index(fields=["main_group"])]
        constraints = [models.UniqueConstraint(fields=["patent", "code"], name="unique_patent_code")]

    def __str__(self):
        return self.code


# --- licence terms ----------------------------------------------------------------------
class LicenceTerms(models.Model):
    """Terms offered for a listing (and an organisation's defaults for bulk-published patents)."""

    offers_exclusive = models.BooleanField(_("exclusive licence"), default=False)
    offers_sole = models.BooleanField(_("sole licence"), default=False)
    offers_non_exclusive = models.BooleanField(_("non-exclusive licence"), default=True)
    offers_assignment = models.BooleanField(_("assignment"), default=False)
    fee_model = models.CharField(_("fee model"), max_length=20, choices=FeeModel.choices, default=FeeModel.FREE)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    lump_sum_minor = models.BigIntegerField(
        _("lump sum (minor units)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    entry_fee_minor = models.BigIntegerField(
        _("entry fee (minor units)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    royalty_rate_bp = models.PositiveIntegerField(
        _("royalty rate (basis points)"), null=True, blank=True, validators=[MaxValueValidator(10_000)],
        help_text=_("Per cent of net sales × 100, e.g. 350 for 3.5 %."),
    )
    territory = models.CharField(_("territory"), max_length=200, default="Mainland China", blank=True)
    term_months = models.PositiveIntegerField(
        _("term (months)"), null=True, blank=True, help_text=_("Empty: until the patents expire.")
    )
    field_of_use = models.CharField(_("field of use"), max_length=300, blank=True)
    open_licence = models.BooleanField(
        _("open licence"), default=False,
        help_text=_("Anyone eligible may accept these standard terms at once, without negotiation."),
    )

    class Meta:
        abstract = True

    TERM_FIELDS = (
        "offers_exclusive", "offers_sole", "offers_non_exclusive", "offers_assignment", "fee_model", "currency",
        "lump_sum_minor", "entry_fee_minor", "royalty_rate_bp", "territory", "term_months", "field_of_use",
        "open_licence",
    )

    @property
    def licence_kinds(self) -> list[str]:
        flags = {
            LicenceKind.EXCLUSIVE: self.offers_exclusive,
            LicenceKind.SOLE: self.offers_sole,
            LicenceKind.NON_EXCLUSIVE: self.offers_non_exclusive,
            LicenceKind.ASSIGNMENT: self.offers_assignment,
        }
        return [str(kind) for kind, offered in flags.items() if offered]

    @property
    def upfront_minor(self) -> int:
        """What a licensee pays before any royalty: the lump sum or the entry fee (0 when free)."""
        if self.fee_model == FeeModel.LUMP_SUM:
            return self.lump_sum_minor or 0
        if self.fee_model == FeeModel.ENTRY_FEE_ROYALTY:
            return self.entry_fee_minor or 0
        return 0

    @property
    def is_free(self) -> bool:
        return self.fee_model == FeeModel.FREE

    def terms_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.TERM_FIELDS}


class OrganisationTerms(LicenceTerms):
    """An owner's default terms, used when a bulk import publishes each patent as its own listing."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="default_terms")

    class Meta:
        verbose_name = _("default licence terms")
        verbose_name_plural = _("default licence terms")


# --- listings ---------------------------------------------------------------------------
class ListingQuerySet(models.QuerySet):
    def browsable(self):
        """What the public may see: published listings of verified owners (and of owners verified before that wait
        for re-verification after changing their name, kind or registration code: shown marked as such)."""
        return self.filter(listings_public_q("owner__"), state=ListingState.PUBLISHED)

    def of_member(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner__memberships__user=user)

    def visible_to(self, user):
        """Browsable listings plus every listing of the user's own organisations (and all for staff)."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        if not user.is_authenticated:
            return self.browsable()
        own = self.filter(owner__memberships__user=user).values("pk")
        return self.filter(models.Q(pk__in=self.browsable().values("pk")) | models.Q(pk__in=own))


class Listing(LicenceTerms):
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="listings")
    patents = models.ManyToManyField(Patent, related_name="listings", verbose_name=_("patents"))
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(
        _("description"), blank=True, help_text=_("What the licensee gets: know-how, services, samples, support.")
    )
    idle_declared = models.BooleanField(
        _("idle patent"), default=False,
        help_text=_("The owner declares the patents are not being used (idle patents policy)."),
    )
    donation_quota = models.PositiveIntegerField(
        _("donation quota"), default=0,
        help_text=_("How many free licences a demonstration enterprise donates to eligible small and micro enterprises."),
    )
    # Who may accept the open licence (when ``open_licence``) and claim a donated licence (when
    # ``donation_quota``): empty lists mean every province / industry. negotiations.eligibility applies them.
    open_licence_since = models.DateTimeField(_("open licence published at"), null=True, blank=True, editable=False)
    open_licence_sme_only = models.BooleanField(
        _("open licence for small and micro enterprises only"), default=False)
    open_licence_provinces = models.JSONField(_("open licence provinces"), default=list, blank=True)
    donation_sme_only = models.BooleanField(_("donations for small and micro enterprises only"), default=True)
    donation_industries = models.JSONField(_("donation industries"), default=list, blank=True)
    donation_provinces = models.JSONField(_("donation provinces"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=ListingState.choices, default=ListingState.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    upfront_price_minor = models.BigIntegerField(default=0, editable=False)  # derived, for sorting/filters
    view_count = models.PositiveIntegerField(_("views"), default=0)
    # Set when a bulk import created the listing for one patent: re-imports update, never duplicate.
    import_patent = models.OneToOneField(
        Patent, null=True, blank=True, on_delete=models.SET_NULL, related_name="imported_listing"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ListingQuerySet.as_manager()

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["state", "-published_at"]),
            models.Index(fields=["upfront_price_minor"]),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("listing_detail", args=[self.pk])

    @property
    def is_browsable(self) -> bool:
        return self.state == ListingState.PUBLISHED and self.owner.listings_public

    @property
    def price_band(self) -> str:
        return price_band(self.upfront_price_minor)


class ListingView(models.Model):
    """One counted view: a visitor's first view of a listing on a day (``listings.actions.record_view``).

    ``visitor_hash`` is an HMAC of the user id or, for anonymous visitors, of the client address and
    user agent, keyed with the day, so no address is stored and visitors cannot be followed across days.
    Rows older than yesterday are pruned as new ones arrive; ``Listing.view_count`` keeps the total.
    """

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="counted_views")
    visitor_hash = models.CharField(max_length=64)
    day = models.DateField()

    class Meta:
        verbose_name = _("listing view")
        verbose_name_plural = _("listing views")
        constraints = [
            models.UniqueConstraint(fields=["listing", "visitor_hash", "day"], name="listing_view_once_a_day"),
        ]

    def __str__(self):
        return f"{self.listing_id} {self.day}"


# --- bulk import ------------------------------------------------------------------------
class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


ImportStatus.TRANSITIONS = {
    ImportStatus.QUEUED: (ImportStatus.RUNNING, ImportStatus.FAILED),
    ImportStatus.RUNNING: (ImportStatus.SUCCEEDED, ImportStatus.FAILED),
    ImportStatus.SUCCEEDED: (),
    ImportStatus.FAILED: (),
}


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all-or-nothing", _("Import nothing if any row fails")
    VALID_ROWS = "valid-rows", _("Import the valid rows")


class ImportJob(models.Model):
    """A bulk import uploaded from the web (the command line runs the same importer directly)."""

    owner = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    mode = models.CharField(max_length=16, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING)
    publish = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    published_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # [{"row": 12, "column": "filing_date", "message": "..."}], capped in size by the importer
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)  # a file-level failure (bad encoding, unknown format)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED) else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))
