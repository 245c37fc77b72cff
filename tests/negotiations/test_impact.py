"""The figures of a donor's impact page (negotiations.impact): licences donated, distinct SMEs reached, by
province, industry, listing and month, value forgone per currency, the year filter, and the chart's bars."""

from __future__ import annotations

import pytest

from listings.models import Listing
from django.utils import translation

from negotiations import impact
from negotiations.models import DealState
from tests.negotiations.donations import donate, donors, on  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(donors):
    d = donors
    donate(d.battery, d.tiny, at=on(2025, 3))
    donate(d.battery, d.byte, at=on(2026, 2))
    donate(d.battery, d.mill, at=on(2026, 2, 20))
    donate(d.turbine, d.tiny, at=on(2026, 7))
    donate(d.steel, d.byte, at=on(2026, 5))  # the other donor's
    return d


def test_all_time_counts_licences_and_distinct_smes(claimed):
    figures = impact.figures(claimed.donor)
    assert figures.licences == 4
    assert figures.smes == 3  # Tiny Cells has two licences, counted once
    assert [(a.currency, a.minor) for a in figures.value_forgone] == [("CNY", 15_000_000), ("USD", 200_000)]
    assert [a.display for a in figures.value_forgone] == ["¥150,000.00", "$2,000.00"]
    assert figures.years == [2026, 2025]


def test_value_forgone_is_summed_in_integer_minor_units(donors):
    donate(donors.battery, donors.tiny, value_forgone_minor=1)
    donate(donors.battery, donors.byte, value_forgone_minor=2)
    [amount] = impact.figures(donors.donor).value_forgone
    assert amount.minor == 3 and isinstance(amount.minor, int)
    assert amount.display == "¥0.03"


def test_by_province_and_industry(claimed):
    figures = impact.figures(claimed.donor)
    provinces = {g.key: (g.label, g.licences, g.smes) for g in figures.by_province}
    assert provinces == {"GD": ("Guangdong", 3, 2), "ZJ": ("Zhejiang", 1, 1)}
    assert figures.by_province[0].key == "GD" and figures.by_province[0].share == 75
    industries = {g.key: (g.label, g.licences, g.smes) for g in figures.by_industry}
    assert industries == {"02": ("Industry", 3, 2), "12": ("Software and information technology services", 1, 1)}


def test_labels_follow_the_active_language(claimed):
    with translation.override("zh-hans"):
        figures = impact.figures(claimed.donor)
        assert {g.label for g in figures.by_industry} == {"工业", "软件和信息技术服务业"}


def test_year_filter(claimed):
    figures = impact.figures(claimed.donor, 2026)
    assert figures.licences == 3 and figures.smes == 3
    assert [(a.currency, a.minor) for a in figures.value_forgone] == [("CNY", 10_000_000), ("USD", 200_000)]
    assert impact.figures(claimed.donor, 2025).licences == 1
    empty = impact.figures(claimed.donor, 2024)
    assert (empty.licences, empty.smes, empty.value_forgone, empty.by_province) == (0, 0, [], [])
    assert empty.value_forgone_display == "¥0.00"


def test_year_boundaries_are_the_site_time_zone(donors):
    # 31 December 23:30 in Beijing is still 2025 although it is 15:30 UTC
    import datetime

    from django.utils import timezone

    late = datetime.datetime(2025, 12, 31, 23, 30, tzinfo=timezone.get_default_timezone())
    donate(donors.battery, donors.tiny, at=late)
    donate(donors.battery, donors.byte, at=late + datetime.timedelta(hours=1))
    assert impact.figures(donors.donor, 2025).licences == 1
    assert impact.figures(donors.donor, 2026).licences == 1


def test_by_listing_counts_places_used_of_the_quota(claimed):
    rows = {r.listing.title: (r.licences, r.places_used, r.quota) for r in impact.figures(claimed.donor, 2025).by_listing}
    assert rows == {"Grid battery management": (1, 3, 5), "Small wind turbine blade": (0, 1, 3)}


def test_listings_nothing_was_claimed_on_are_summed_up_not_listed(donors):
    donate(donors.battery, donors.tiny)
    figures = impact.figures(donors.donor)
    assert [r.listing.title for r in figures.by_listing] == [donors.battery.title]
    offered = Listing.objects.filter(owner=donors.donor, donation_quota__gt=0, state="published")
    assert figures.offering.listings == offered.count() >= 2
    assert figures.offering.places_left == sum(x.donation_quota for x in offered) - 1


def test_only_claims_that_hold_a_licence_count(donors):
    donate(donors.battery, donors.tiny)
    donate(donors.battery, donors.byte, state=DealState.WITHDRAWN)
    donate(donors.battery, donors.mill, state=DealState.SIGNING)
    figures = impact.figures(donors.donor)
    assert figures.licences == 2
    assert {c.sme for c in figures.claims} == {"Tiny Cells Ltd", "Micro Mill"}
    [row] = figures.by_listing[:1]
    assert (row.licences, row.places_used) == (2, 3)  # the withdrawn claim still took its place of the quota


def test_snapshots_are_counted_not_the_sme_today(donors):
    from marketplace import actions as org_actions

    donate(donors.battery, donors.tiny)
    org_actions.save_sme_profile(donors.tiny, actor=donors.tiny.owner_user, industry="12", employees=12,
                                 annual_revenue_cny=3_000_000, total_assets_cny=None)
    assert [g.key for g in impact.figures(donors.donor).by_industry] == ["02"]


def test_by_month_for_a_year_has_twelve_bars(claimed):
    months = impact.figures(claimed.donor, 2026).by_month
    assert [(b.month, b.licences) for b in months] == [(1, 0), (2, 2), (3, 0), (4, 0), (5, 0), (6, 0), (7, 1),
                                                        (8, 0), (9, 0), (10, 0), (11, 0), (12, 0)]
    assert months[1].label == "2026-02"


def test_by_month_all_time_runs_from_the_first_to_the_last_claim(claimed):
    months = impact.figures(claimed.donor).by_month
    assert (months[0].label, months[-1].label, len(months)) == ("2025-03", "2026-07", 17)
    assert sum(b.licences for b in months) == 4
    labels = [(bar.bucket.short_label, bar.year_label) for bar in impact.chart(months).bars]
    assert labels[0] == ("3", "2025") and labels[10] == ("1", "2026") and labels[11] == ("2", "")


def test_long_all_time_charts_have_a_bar_per_year(donors):
    donate(donors.battery, donors.tiny, at=on(2021, 1))
    donate(donors.battery, donors.byte, at=on(2026, 1))
    years = impact.figures(donors.donor).by_month
    assert [(b.label, b.licences) for b in years] == [("2021", 1), ("2022", 0), ("2023", 0), ("2024", 0),
                                                      ("2025", 0), ("2026", 1)]


def test_chart_bars_are_proportional(claimed):
    chart = impact.chart(impact.figures(claimed.donor, 2026).by_month)
    assert chart.top == 2
    heights = [bar.height for bar in chart.bars]
    assert heights[1] == 2 * heights[6] and heights[0] == 0
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert [v for v, _y in chart.grid] == [0, 1, 2]


@pytest.mark.parametrize("largest, top", [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (120, 200)])
def test_chart_scale_is_round(largest, top):
    bucket = impact.Bucket(2026, 1, largest)
    assert impact.chart([bucket]).top == top
