"""The suggestion funnel, counted from the stage timestamps of ``Suggestion`` (no event table).

Public interface:

    weekly_funnel(queryset, weeks=12, *, now=None) -> Funnel
    listing_totals(queryset) -> list[ListingFunnel]     (per listing, all time, most pushed first)

*Cohorts by pushed week.* A suggestion belongs to the ISO week (Monday–Sunday, in the site's time zone) in
which it was pushed, and counts for every stage it has reached since, whenever that happened: a suggestion
pushed in week 10 and viewed in week 12 is one "viewed" of week 10. So every week reads as a funnel
(pushed ≥ viewed ≥ contacted ≥ licensed, because ``matching.actions`` stamps each stage it passes through)
and its ratios are true conversion rates. The price: the latest weeks are still maturing (their suggestions
may yet be viewed or contacted), which the pages say. A stage is "reached" when its timestamp is set, so a
suggestion dismissed after being viewed still counts as viewed; dismissals are counted separately.

Ratios are ``None`` when the denominator is 0 (shown as "–"), never a division error. ``weeks`` weeks end
with the current one; weeks without suggestions are included (zeros), so the chart has a steady axis.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from matching.models import FUNNEL, STAGE_TIMESTAMP, SuggestionStatus

STAGES = tuple(str(stage) for stage in FUNNEL)  # ("pushed", "viewed", "contacted", "licensed")
MAX_WEEKS = 104
# (name, numerator stage, denominator stage): step conversions, then the end-to-end rate
RATIOS = (
    ("viewed_rate", "viewed", "pushed"),
    ("contacted_rate", "contacted", "viewed"),
    ("licensed_rate", "licensed", "contacted"),
    ("overall_rate", "licensed", "pushed"),
)


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _ratios(counts: dict) -> dict:
    return {name: _ratio(counts[num], counts[den]) for name, num, den in RATIOS}


def _percents(ratios: dict) -> list[float | None]:
    return [None if ratios[name] is None else 100 * ratios[name] for name, _n, _d in RATIOS]


def _stage_counts() -> dict:
    """Aggregates: per funnel stage, the suggestions whose stage timestamp is set; plus dismissed."""
    out = {stage: Count("pk", filter=Q(**{f"{STAGE_TIMESTAMP[stage]}__isnull": False})) for stage in FUNNEL}
    out[str(SuggestionStatus.PUSHED)] = Count("pk")  # pushed_at is never empty
    out["dismissed"] = Count("pk", filter=Q(dismissed_at__isnull=False))
    return {str(k): v for k, v in out.items()}


@dataclass
class FunnelWeek:
    start: dt.date  # the Monday
    counts: dict  # stage -> count, plus "dismissed"
    ratios: dict = field(default_factory=dict)  # RATIOS name -> float in [0, 1] or None

    @property
    def label(self) -> str:
        """ISO week, e.g. ``2025-W48``."""
        year, week, _day = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    @property
    def stage_counts(self) -> list[int]:
        """Counts in funnel order (for tables)."""
        return [self.counts[stage] for stage in STAGES]

    @property
    def percents(self) -> list[float | None]:
        """The RATIOS in order, as percentages (None: nothing to convert)."""
        return _percents(self.ratios)

    def as_dict(self) -> dict:
        return {"week": self.label, "start": self.start.isoformat(), "counts": dict(self.counts),
                "ratios": dict(self.ratios)}


@dataclass
class Funnel:
    weeks: list[FunnelWeek]  # oldest first
    totals: dict  # stage -> count over the shown weeks
    ratios: dict  # over the shown weeks

    def chart_data(self) -> dict:
        """What ``static/js/funnel_chart.js`` draws (through ``json_script``)."""
        return {"stages": list(STAGES), "weeks": [w.as_dict() for w in self.weeks]}

    @property
    def stage_counts(self) -> list[int]:
        return [self.totals[stage] for stage in STAGES]

    @property
    def percents(self) -> list[float | None]:
        return _percents(self.ratios)

    @property
    def empty(self) -> bool:
        return not self.totals.get("pushed")


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekly_funnel(queryset, weeks: int = 12, *, now=None) -> Funnel:
    """Funnel counts of ``queryset`` (Suggestions) per pushed-week cohort, for the last ``weeks`` ISO weeks
    (the current week included), oldest first."""
    weeks = max(1, min(int(weeks), MAX_WEEKS))
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    this_monday = _monday(timezone.localtime(now, tz).date())
    first_monday = this_monday - dt.timedelta(weeks=weeks - 1)
    since = timezone.make_aware(dt.datetime.combine(first_monday, dt.time.min), tz)
    rows = (
        queryset.order_by()
        .filter(pushed_at__gte=since)
        .annotate(week=TruncWeek("pushed_at", tzinfo=tz))
        .values("week")
        .annotate(**_stage_counts())
    )
    by_week = {}
    for row in rows:
        start = row.pop("week")
        start = timezone.localtime(start, tz).date() if isinstance(start, dt.datetime) else start
        by_week[start] = row
    zero = dict.fromkeys((*STAGES, "dismissed"), 0)
    out = []
    for i in range(weeks):
        start = first_monday + dt.timedelta(weeks=i)
        counts = {**zero, **{k: int(v) for k, v in by_week.get(start, {}).items()}}
        out.append(FunnelWeek(start=start, counts=counts, ratios=_ratios(counts)))
    totals = {key: sum(w.counts[key] for w in out) for key in zero}
    return Funnel(weeks=out, totals=totals, ratios=_ratios(totals))


@dataclass
class ListingFunnel:
    listing_id: int
    title: str
    counts: dict
    ratios: dict

    @property
    def stage_counts(self) -> list[int]:
        return [self.counts[stage] for stage in STAGES]

    @property
    def percents(self) -> list[float | None]:
        return _percents(self.ratios)


def listing_totals(queryset) -> list[ListingFunnel]:
    """All-time funnel counts per listing of ``queryset`` (Suggestions), most pushed first."""
    rows = (
        queryset.order_by()
        .values("listing_id", "listing__title")
        .annotate(**_stage_counts())
        .order_by("-pushed", "listing_id")
    )
    out = []
    for row in rows:
        counts = {key: int(row[key]) for key in (*STAGES, "dismissed")}
        out.append(ListingFunnel(listing_id=row["listing_id"], title=row["listing__title"], counts=counts,
                                 ratios=_ratios(counts)))
    return out
