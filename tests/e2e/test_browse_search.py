"""Searching from the box on /listings/ in a browser (issue 9, items 1 and 2): typing a query and pressing Enter
ranks by relevance, even though the page was sorted newest first; picking an order afterwards keeps it; a
patent number opens its listing."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def battery_listings(make_org, owner, monkeypatch):
    from listings import actions
    from marketplace import events

    # live events use async_to_sync, which cannot run beside Playwright's event loop; no page here listens
    monkeypatch.setattr(events, "_send", lambda *args, **kwargs: None)

    holder = make_org("Verified Battery Institute", owner=owner, verified=True)
    made = []
    for number, title, abstract in (
        ("CN100000011A", "Battery cathode for lithium battery packs", "Battery cathode, battery cells."),
        ("CN100000012A", "Thermal management unit", "Cools a battery."),
    ):
        patent, _created = actions.save_patent(holder, actor=owner, number=number, title=title, abstract=abstract)
        listing = actions.create_listing(holder, actor=owner, patents=[patent], title=title)
        actions.publish_listing(listing, actor=owner)  # transaction=True: the index task runs on commit
        made.append(listing)
    return made  # the weak match is the newer one


def result_ids(page) -> list[int]:
    return [int(x) for x in page.locator("article.result").evaluate_all("els => els.map(e => e.dataset.listing)")]


def test_typed_query_is_ranked_by_relevance(page, live_server, battery_listings, shoot):
    strong, weak = battery_listings
    page.goto(f"{live_server.url}/listings/")
    assert page.locator("select#sort").input_value() == "newest"
    assert result_ids(page)[:2] == [weak.pk, strong.pk]

    page.fill("input[name=q]", "battery")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    assert "q=battery" in page.url
    assert page.locator("select#sort").input_value() == "relevance"
    assert result_ids(page) == [strong.pk, weak.pk]
    shoot(page, "browse-typed-query-relevance")

    # an order picked after searching is kept (the select applies at once)
    with page.expect_navigation():
        page.select_option("select#sort", "newest")
    assert page.locator("select#sort").input_value() == "newest"
    assert result_ids(page) == [weak.pk, strong.pk]

    # a new query is ranked by relevance again
    page.fill("input[name=q]", "battery cathode")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    assert page.locator("select#sort").input_value() == "relevance"
    assert result_ids(page)[0] == strong.pk

    # a patent number typed into the box opens its listing
    page.fill("input[name=q]", "CN 100000011 A")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    assert page.url.endswith(f"/listings/{strong.pk}/")
