"""What a demonstration enterprise's donated licences achieved: the figures of its impact page, CSV export and
yearly social-responsibility report (``negotiations.views.impact``).

    figures(donor, year=None) -> Figures   licences donated, distinct SMEs reached, by province, by industry, by
                                           listing (places used of the quota), by month (the chart), the value
                                           forgone summed per currency, and the claims themselves
    years_available(donor) -> [int]       the years with at least one donated licence, newest first
    chart(buckets) -> Chart                the bar chart's geometry (the page and the PDF draw it as inline SVG)

A donated licence is a ``DonationClaim`` on one of the donor's listings whose deal holds its licence (agreed,
signing or completed, ``HOLDING_DEAL_STATES``): a claim whose deal was withdrawn or declined donated nothing.
Everything is counted from the claim's snapshots (size class, province, industry, value forgone: the listing's
list price when it was claimed), so editing an SME or a listing later never rewrites a past report. Periods
are calendar years in the site's time zone (``settings.TIME_ZONE``); the grouping is done in Python on the
donor's claims, so it is the same on SQLite and PostgreSQL. Money stays integer minor units per currency
(never summed across currencies, never a float); labels are in the active language.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from listings.models import Listing, ListingState
from listings.templatetags.listing_tags import format_money
from marketplace import sme
from marketplace.models import Organisation, Province
from negotiations.models import HOLDING_DEAL_STATES, DealOrigin, DonationClaim

# All-time charts longer than this many months show one bar per year instead.
MAX_MONTH_BARS = 24


@dataclass(frozen=True)
class Period:
    year: int | None  # None: all time

    @property
    def label(self) -> str:
        if self.year is None:
            return _("All time")
        return str(self.year)

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime] | None:
        """[1 January, next 1 January) of the year in the site's time zone (None for all time)."""
        if self.year is None:
            return None
        zone = timezone.get_default_timezone()
        return (datetime.datetime(self.year, 1, 1, tzinfo=zone), datetime.datetime(self.year + 1, 1, 1, tzinfo=zone))

    def first_day(self) -> datetime.date | None:
        return datetime.date(self.year, 1, 1) if self.year else None

    def last_day(self) -> datetime.date | None:
        return datetime.date(self.year, 12, 31) if self.year else None


@dataclass
class Amount:
    currency: str
    minor: int

    @property
    def display(self) -> str:
        return format_money(self.minor, self.currency)


@dataclass
class Group:
    """One province, industry or listing: licences donated and distinct SMEs reached."""

    key: str
    label: str
    licences: int = 0
    smes: int = 0
    share: int = 0  # per cent of the period's licences, rounded


@dataclass
class ListingRow:
    listing: Listing
    licences: int  # in the period
    places_used: int  # all time: every claim, as the quota counts them
    quota: int

    @property
    def places_left(self) -> int:
        return max(self.quota - self.places_used, 0)


@dataclass
class Bucket:
    """One bar of the chart: a month (``month`` 1-12) or, for long all-time charts, a year (``month`` None)."""

    year: int
    month: int | None
    licences: int

    @property
    def label(self) -> str:
        if self.month is None:
            return str(self.year)
        return formats.date_format(datetime.date(self.year, self.month, 1), "YEAR_MONTH_FORMAT")

    @property
    def short_label(self) -> str:
        if self.month is None:
            return str(self.year)
        return str(self.month)


@dataclass
class Claim:
    """One donated licence, with its labels (the rows of the CSV and the report)."""

    claim: DonationClaim
    date: datetime.date
    sme: str
    size_class: str
    province: str
    industry: str
    listing: str
    value: Amount


@dataclass
class Offering:
    """What the donor offers now: published listings with a donation quota, and the places still open on them."""

    listings: int = 0
    places_left: int = 0


def _offering(donor: Organisation) -> Offering:
    listings = Listing.objects.filter(owner=donor, donation_quota__gt=0, state=ListingState.PUBLISHED)
    used = Counter(DonationClaim.objects.filter(listing__in=listings).values_list("listing_id", flat=True))
    quotas = dict(listings.values_list("pk", "donation_quota"))
    return Offering(len(quotas), sum(max(quota - used.get(pk, 0), 0) for pk, quota in quotas.items()))


@dataclass
class Figures:
    donor: Organisation
    period: Period
    licences: int
    smes: int
    by_province: list[Group]
    by_industry: list[Group]
    by_listing: list[ListingRow]
    by_month: list[Bucket]
    value_forgone: list[Amount]
    claims: list[Claim] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    offering: Offering = field(default_factory=Offering)

    @property
    def value_forgone_display(self) -> str:
        return " + ".join(a.display for a in self.value_forgone) or format_money(0, "CNY")


# --- the claims -----------------------------------------------------------------------------------
def donated_claims(donor: Organisation):
    """The donor's donated licences (claims on its listings whose deal holds the licence), oldest first."""
    return (DonationClaim.objects
            .filter(listing__owner=donor, deal__origin=DealOrigin.DONATION, deal__state__in=HOLDING_DEAL_STATES)
            .select_related("listing", "organisation")
            .order_by("created_at", "id"))


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value, timezone.get_default_timezone())


def years_available(donor: Organisation) -> list[int]:
    return sorted({_local(at).year for at in donated_claims(donor).values_list("created_at", flat=True)},
                  reverse=True)


def province_label(code: str) -> str:
    if code in Province.values:
        return str(Province(code).label)
    return _("Not stated")


def industry_label(code: str) -> str:
    industry = sme.industries().get(code)
    return industry.name if industry else _("Not stated")


def size_label(code: str) -> str:
    if code in sme.SizeClass.values:
        return str(sme.SizeClass(code).label)
    return _("Not stated")


# --- the figures ----------------------------------------------------------------------------------
def _groups(claims: list[DonationClaim], key, label) -> list[Group]:
    licences, smes = Counter(), defaultdict(set)
    for claim in claims:
        licences[key(claim)] += 1
        smes[key(claim)].add(claim.organisation_id)
    total = len(claims)
    rows = [Group(k, label(k), n, len(smes[k]), round(100 * n / total) if total else 0) for k, n in licences.items()]
    # most licences first; ties by label, "not stated" last
    return sorted(rows, key=lambda g: (g.key == "", -g.licences, g.label))


def _by_listing(donor: Organisation, claims: list[DonationClaim]) -> list[ListingRow]:
    in_period = Counter(c.listing_id for c in claims)
    # every claim takes its place of the quota (negotiations.actions.grants counts them all)
    used = Counter(DonationClaim.objects.filter(listing__owner=donor).values_list("listing_id", flat=True))
    # only listings something was claimed on: a donor may offer hundreds (``Offering`` sums up the rest)
    rows = [ListingRow(listing, in_period.get(listing.pk, 0), used.get(listing.pk, 0), listing.donation_quota)
            for listing in Listing.objects.filter(pk__in=set(used))]
    return sorted(rows, key=lambda r: (-r.licences, -r.places_used, r.listing.title.lower(), r.listing.pk))


def _by_month(period: Period, claims: list[DonationClaim]) -> list[Bucket]:
    months = Counter((_local(c.created_at).year, _local(c.created_at).month) for c in claims)
    if period.year is not None:
        return [Bucket(period.year, m, months.get((period.year, m), 0)) for m in range(1, 13)]
    if not months:
        return []
    (y, m), last = min(months), max(months)
    if (last[0] - y) * 12 + last[1] - m + 1 > MAX_MONTH_BARS:
        years = Counter()
        for (year, _month), n in months.items():
            years[year] += n
        return [Bucket(year, None, years.get(year, 0)) for year in range(y, last[0] + 1)]
    buckets = []
    while (y, m) <= last:
        buckets.append(Bucket(y, m, months.get((y, m), 0)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return buckets


def _value_forgone(claims: list[DonationClaim]) -> list[Amount]:
    sums: dict[str, int] = defaultdict(int)
    for claim in claims:
        sums[claim.currency] += int(claim.value_forgone_minor)
    return [Amount(currency, minor) for currency, minor in sorted(sums.items())]


def figures(donor: Organisation, year: int | None = None) -> Figures:
    period = Period(year)
    claims = donated_claims(donor)
    bounds = period.bounds()
    if bounds:
        claims = claims.filter(created_at__gte=bounds[0], created_at__lt=bounds[1])
    claims = list(claims)
    rows = [Claim(c, _local(c.created_at).date(), c.organisation.name, size_label(c.size_class),
                  province_label(c.province), industry_label(c.industry), c.listing.title,
                  Amount(c.currency, int(c.value_forgone_minor))) for c in claims]
    return Figures(
        donor=donor,
        period=period,
        licences=len(claims),
        smes=len({c.organisation_id for c in claims}),
        by_province=_groups(claims, lambda c: c.province, province_label),
        by_industry=_groups(claims, lambda c: c.industry, industry_label),
        by_listing=_by_listing(donor, claims),
        by_month=_by_month(period, claims),
        value_forgone=_value_forgone(claims),
        claims=rows,
        years=years_available(donor),
        offering=_offering(donor),
    )


# --- the chart ------------------------------------------------------------------------------------
@dataclass
class Bar:
    bucket: Bucket
    x: float
    y: float
    width: float
    height: float
    label_x: float
    year_label: str = ""  # under the first bar and each January of a month chart: which year the months are in


@dataclass
class Chart:
    width: int
    height: int
    top: int  # the value of the highest grid line
    bars: list[Bar]
    grid: list[tuple[int, float]]  # (value, y) of each horizontal grid line
    baseline: float
    label_y: float  # the month labels' baseline; the year labels go 14 below
    left: int = 36
    right: int = 712


def _nice_top(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50 … that is at least ``value`` (the chart's scale)."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if step * top >= value:
                return step * top
        top *= 10


def chart(buckets: list[Bucket], *, width: int = 720, height: int = 240) -> Chart:
    """Bars of licences per bucket on a scale from 0 to a round top value, with 2-5 grid lines."""
    left, right, above, below = 36, 8, 12, 40
    top = _nice_top(max((b.licences for b in buckets), default=0) or 1)
    plot_w, plot_h = width - left - right, height - above - below
    baseline = above + plot_h
    slot = plot_w / max(len(buckets), 1)
    bar_w = max(slot * 0.7, 1)
    bars = []
    for i, bucket in enumerate(buckets):
        h = plot_h * bucket.licences / top
        x = left + i * slot + (slot - bar_w) / 2
        year_label = str(bucket.year) if bucket.month is not None and (i == 0 or bucket.month == 1) else ""
        bars.append(Bar(bucket, round(x, 1), round(baseline - h, 1), round(bar_w, 1), round(h, 1),
                        round(x + bar_w / 2, 1), year_label))
    step = top // 4 if top >= 4 and top % 4 == 0 else (top // 5 if top >= 5 else 1)
    grid = [(v, round(baseline - plot_h * v / top, 1)) for v in range(0, top + 1, step)]
    return Chart(width, height, top, bars, grid, baseline, baseline + 16, left, width - right)
