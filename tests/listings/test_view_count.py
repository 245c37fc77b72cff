"""A listing's view count: one view per visitor and day, not one per page load."""

from datetime import date, timedelta

import pytest
from django.test import Client

from listings import actions, visits
from listings.models import Listing, ListingView

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture
def listing(verified_holder, patent_factory, listing_factory):
    patent = patent_factory(verified_holder, "CN201810000001A", title="Cathode material")
    return listing_factory(verified_holder, [patent], publish=True, title="Cathode material")


@pytest.fixture
def day(monkeypatch):
    current = {"day": date(2026, 12, 3)}
    monkeypatch.setattr(visits, "today", lambda: current["day"])
    return current


def views_of(listing) -> int:
    return Listing.objects.get(pk=listing.pk).view_count


def visitor(ip="203.0.113.5", agent=CHROME):
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)


def test_reloads_by_one_visitor_count_once_another_visitor_and_the_next_day_count_again(listing, day):
    browser = visitor()
    for _ in range(20):
        assert browser.get(listing.get_absolute_url()).status_code == 200
    assert views_of(listing) == 1
    visitor(ip="198.51.100.7").get(listing.get_absolute_url())
    assert views_of(listing) == 2
    day["day"] += timedelta(days=1)
    for _ in range(5):
        browser.get(listing.get_absolute_url())
    assert views_of(listing) == 3


def test_a_logged_in_user_is_one_visitor_wherever_they_come_from(listing, day, outsider):
    for ip in ("203.0.113.5", "198.51.100.7", "192.0.2.1"):
        browser = visitor(ip=ip)
        browser.force_login(outsider)
        browser.get(listing.get_absolute_url())
    assert views_of(listing) == 1


def test_the_api_publishes_the_deduplicated_count(listing, day):
    for _ in range(20):
        visitor().get(listing.get_absolute_url())
    data = Client().get(f"/api/v1/listings/{listing.pk}/").json()
    assert data["view_count"] == 1


def test_crawlers_do_not_count(listing, day):
    for agent in ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                  "Mozilla/5.0 (compatible; bingbot/2.0)", "Baiduspider+(+http://www.baidu.com/search/spider.htm)",
                  "curl/8.5.0", "python-requests/2.32"):
        assert visitor(agent=agent).get(listing.get_absolute_url()).status_code == 200
    assert views_of(listing) == 0


def test_no_raw_address_is_stored_and_old_rows_are_pruned(listing, day):
    visitor(ip="203.0.113.5").get(listing.get_absolute_url())
    row = ListingView.objects.get()
    assert "203.0.113.5" not in row.visitor_hash and len(row.visitor_hash) == 64
    day["day"] += timedelta(days=3)
    visitor(ip="203.0.113.5").get(listing.get_absolute_url())
    assert list(ListingView.objects.values_list("day", flat=True)) == [day["day"]]
    assert views_of(listing) == 2


def test_the_action_counts_only_a_new_visitor_day(listing):
    today = date(2026, 12, 3)
    assert actions.record_view(listing, visitor_hash="a" * 64, day=today) is True
    assert actions.record_view(listing, visitor_hash="a" * 64, day=today) is False
    assert actions.record_view(listing, visitor_hash="b" * 64, day=today) is True
    assert views_of(listing) == 2
