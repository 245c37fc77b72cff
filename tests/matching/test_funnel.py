"""The suggestion funnel: weekly cohorts and ratios (matching.funnel), the staff and owner pages."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from marketplace import actions as org_actions
from marketplace.models import MemberRole
from matching import actions
from matching.funnel import listing_totals, weekly_funnel
from matching.models import Suggestion

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 18, 12, 0, tzinfo=SHANGHAI)  # a Wednesday of ISO week 2025-W25


@pytest.fixture
def need(sme, sme_user):
    return actions.create_need(sme, actor=sme_user, title="Cathode coating")


@pytest.fixture
def listings(publish, other_holder):
    return [publish("Cathode coating", publish=False), publish("Tea roller", publish=False),
            publish("Separator", org=other_holder, publish=False)]


def suggest(need, listing, pushed_at, *, viewed=None, contacted=None, licensed=None, dismissed=None):
    status = ("licensed" if licensed else "contacted" if contacted else "viewed" if viewed else "pushed")
    if dismissed:
        status = "dismissed"
    return Suggestion.objects.create(need=need, listing=listing, score=0.5, pushed_at=pushed_at, status=status,
                                     viewed_at=viewed, contacted_at=contacted, licensed_at=licensed,
                                     dismissed_at=dismissed)


@pytest.fixture
def make_history(need, listings, sme, sme_user):
    """``make_history(base)``: this week: 2 pushed (1 viewed). Two weeks ago: 3 pushed, 2 viewed (one later dismissed), 1 contacted
    and licensed in a later week. 13 weeks ago: 1 (outside the default 12 weeks). Relative to ``base``."""
    def make(base):
        _make(base, need, listings, sme, sme_user)

    return make


@pytest.fixture
def history(make_history):
    make_history(NOW)


@pytest.fixture
def recent(make_history):
    """The same, relative to the real clock (for the pages)."""
    make_history(timezone.localtime(timezone.now(), SHANGHAI).replace(hour=12))


def _make(base, need, listings, sme, sme_user):
    def at(days):
        return base - dt.timedelta(days=days)

    other_need = actions.create_need(sme, actor=sme_user, title="Electrolyte")
    third_need = actions.create_need(sme, actor=sme_user, title="Anything")
    a, b, c = listings
    suggest(need, a, at(1))
    suggest(need, b, at(2), viewed=at(1))
    pushed = at(14)
    suggest(other_need, a, pushed, viewed=pushed, contacted=at(9), licensed=at(1))  # licensed this week
    suggest(other_need, b, pushed, viewed=pushed, dismissed=at(10))
    suggest(other_need, c, pushed)
    suggest(third_need, a, at(7 * 13))


def test_weekly_cohorts_by_pushed_week(history):
    funnel = weekly_funnel(Suggestion.objects.all(), weeks=12, now=NOW)
    assert len(funnel.weeks) == 12
    assert funnel.weeks[-1].label == "2025-W25"
    assert funnel.weeks[0].label == "2025-W14"
    assert funnel.weeks[-1].start == dt.date(2025, 6, 16)
    this, two_ago = funnel.weeks[-1], funnel.weeks[-3]
    assert this.counts == {"pushed": 2, "viewed": 1, "contacted": 0, "licensed": 0, "dismissed": 0}
    # the licence of this week counts in the cohort of the week the suggestion was pushed
    assert two_ago.counts == {"pushed": 3, "viewed": 2, "contacted": 1, "licensed": 1, "dismissed": 1}
    assert two_ago.ratios["viewed_rate"] == pytest.approx(2 / 3)
    assert two_ago.ratios["contacted_rate"] == pytest.approx(1 / 2)
    assert two_ago.ratios["licensed_rate"] == 1.0
    assert two_ago.ratios["overall_rate"] == pytest.approx(1 / 3)
    empty = funnel.weeks[-2]
    assert empty.counts["pushed"] == 0 and all(r is None for r in empty.ratios.values())
    assert funnel.totals == {"pushed": 5, "viewed": 3, "contacted": 1, "licensed": 1, "dismissed": 1}
    assert funnel.ratios["overall_rate"] == pytest.approx(1 / 5)
    # the 13-weeks-old suggestion shows up with a longer window
    assert weekly_funnel(Suggestion.objects.all(), weeks=14, now=NOW).totals["pushed"] == 6


def test_weeks_are_local_iso_weeks(need, listings):
    # Monday 00:30 in Shanghai is still Sunday in UTC: it belongs to the Shanghai week
    monday = dt.datetime(2025, 6, 16, 0, 30, tzinfo=SHANGHAI)
    sunday = dt.datetime(2025, 6, 15, 23, 30, tzinfo=SHANGHAI)
    suggest(need, listings[0], monday)
    suggest(need, listings[1], sunday)
    funnel = weekly_funnel(Suggestion.objects.all(), weeks=2, now=NOW)
    assert [(w.label, w.counts["pushed"]) for w in funnel.weeks] == [("2025-W24", 1), ("2025-W25", 1)]


def test_queryset_scopes_the_funnel(history, listings):
    funnel = weekly_funnel(Suggestion.objects.filter(listing=listings[0]), now=NOW)
    assert funnel.totals == {"pushed": 2, "viewed": 1, "contacted": 1, "licensed": 1, "dismissed": 0}
    assert weekly_funnel(Suggestion.objects.none(), now=NOW).empty


def test_default_now_and_chart_data(need, listings):
    suggest(need, listings[0], timezone.now())
    funnel = weekly_funnel(Suggestion.objects.all())
    data = funnel.chart_data()
    assert data["stages"] == ["pushed", "viewed", "contacted", "licensed"]
    assert data["weeks"][-1]["counts"]["pushed"] == 1
    json.dumps(data)  # serialisable for json_script


def test_listing_totals(history, listings, holder):
    rows = listing_totals(Suggestion.objects.filter(listing__owner=holder))
    assert [(r.listing_id, r.counts["pushed"], r.counts["licensed"]) for r in rows] == [
        (listings[0].pk, 3, 1), (listings[1].pk, 2, 0)]
    assert rows[1].ratios["viewed_rate"] == 1.0


# --- pages -------------------------------------------------------------------------------------
def test_staff_page(client, staff, recent):
    client.force_login(staff)
    response = client.get(reverse("staff_funnel"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="funnel-table"' in html and 'id="funnel-data"' in html and "js/funnel_chart.js" in html
    data = response.context["chart_data"]
    assert sum(w["counts"]["pushed"] for w in data["weeks"]) == 5
    assert client.get(reverse("staff_funnel") + "?weeks=26").context["weeks"] == 26
    assert client.get(reverse("staff_funnel") + "?weeks=7").context["weeks"] == 12
    assert client.get(reverse("staff_funnel") + "?weeks=x").context["weeks"] == 12


def test_staff_page_is_404_for_others(client, owner, sme_user):
    assert client.get(reverse("staff_funnel")).status_code == 302  # anonymous: log in first
    for user in (owner, sme_user):
        client.force_login(user)
        assert client.get(reverse("staff_funnel")).status_code == 404


def test_owner_page_shows_own_listings_only(client, owner, holder, recent, listings):
    client.force_login(owner)
    response = client.get(reverse("owner_funnel", args=[holder.slug]))
    assert response.status_code == 200
    rows = response.context["listing_rows"]
    assert {r.listing_id for r in rows} == {listings[0].pk, listings[1].pk}  # not other_holder's
    assert response.context["funnel"].totals["pushed"] == 4
    html = response.content.decode()
    assert f'data-listing="{listings[0].pk}"' in html and f'data-listing="{listings[2].pk}"' not in html
    assert "Tiny Cells" not in html  # the SME is not named


def test_owner_page_members_only(client, make_user, holder, staff, sme_user, recent):
    url = reverse("owner_funnel", args=[holder.slug])
    assert client.get(url).status_code == 302
    for user in (staff, sme_user):
        client.force_login(user)
        assert client.get(url).status_code == 404
    colleague = make_user("colleague@example.com")
    org_actions.add_member(holder, user=colleague, role=MemberRole.MEMBER, actor=None, operator=True)
    client.force_login(colleague)
    assert client.get(url).status_code == 200
    assert client.get(reverse("owner_funnel", args=["no-such-org"])).status_code == 404


def test_empty_owner_page(client, owner, holder):
    client.force_login(owner)
    html = client.get(reverse("owner_funnel", args=[holder.slug])).content.decode()
    assert 'id="funnel-empty"' in html and 'id="funnel-listings-empty"' in html


def test_pages_in_chinese(client, staff, recent):
    client.force_login(staff)
    with translation.override("zh-hans"):
        response = client.get(reverse("staff_funnel"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
