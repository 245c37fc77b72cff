"""Relevance by default (issue 9, item 2): a query typed into the box on /listings/ is ranked by relevance,
whatever order the page was sorted by before; an order picked after searching is kept for that query."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db

BROWSE = "/listings/"


class _BrowseForm(HTMLParser):
    """The fields the browser submits with #browse-form (hidden inputs, the box, the sort select)."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._in_form = self._in_sort = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "browse-form":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and attrs.get("name") and attrs.get("type") in ("hidden", "search", "text"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        if tag == "input" and attrs.get("type") == "checkbox" and "checked" in attrs:
            self.fields[attrs["name"]] = attrs.get("value") or "on"
        if tag == "select" and attrs.get("name") == "sort":
            self._in_sort = True
        if tag == "option" and self._in_sort and "selected" in attrs:
            self.fields["sort"] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "select":
            self._in_sort = False
        if tag == "form":
            self._in_form = False


def form_fields(response) -> dict[str, str]:
    parser = _BrowseForm()
    parser.feed(response.content.decode())
    return parser.fields


@pytest.fixture
def battery_listings(publish_listing):
    # the newest listing is the weakest match: only its abstract mentions batteries
    strong = publish_listing("Battery cathode for lithium battery packs", "Battery cathode, battery cells.")
    weak = publish_listing("Thermal management unit", "Cools a battery.")
    return strong, weak


@pytest.fixture
def publish_listing(verified_holder, patent_factory, listing_factory):
    counter = iter(range(1, 100))

    def make(title, abstract, **terms):
        patent = patent_factory(verified_holder, f"CN1{next(counter):08d}A", title=title, abstract=abstract)
        return listing_factory(verified_holder, [patent], publish=True, title=title, **terms)

    return make


def ids(response):
    return [row.listing.pk for row in response.context["rows"]]


def test_typing_a_query_on_the_newest_first_page_ranks_by_relevance(client, battery_listings):
    strong, weak = battery_listings
    page = client.get(BROWSE)  # no query: newest first, and the form says so
    fields = form_fields(page)
    assert fields.get("sort") == "newest"
    fields["q"] = "battery"  # what the box submits when the user types and presses Enter
    results = client.get(BROWSE, fields)
    assert results.context["sort"] == "relevance"
    assert form_fields(results)["sort"] == "relevance"
    assert ids(results) == [strong.pk, weak.pk]


def test_a_new_query_after_sorting_by_price_is_ranked_by_relevance_again(client, battery_listings):
    strong, weak = battery_listings
    fields = form_fields(client.get(BROWSE, {"q": "cells", "sort": "price_asc"}))
    fields["q"] = "battery"
    results = client.get(BROWSE, fields)
    assert results.context["sort"] == "relevance" and ids(results) == [strong.pk, weak.pk]


def test_an_order_picked_after_searching_is_kept_for_that_query(client, battery_listings):
    strong, weak = battery_listings
    fields = form_fields(client.get(BROWSE, {"q": "battery"}))
    fields["sort"] = "newest"  # the user picks another order; the select submits the form
    results = client.get(BROWSE, fields)
    assert results.context["sort"] == "newest" and ids(results) == [weak.pk, strong.pk]
    # …and on the next pages and filters of the same query
    again = client.get(BROWSE, form_fields(results))
    assert again.context["sort"] == "newest"


def test_a_sort_in_a_shared_url_is_honoured(client, battery_listings):
    strong, weak = battery_listings
    results = client.get(BROWSE, {"q": "battery", "sort": "newest"})
    assert results.context["sort"] == "newest" and ids(results) == [weak.pk, strong.pk]
