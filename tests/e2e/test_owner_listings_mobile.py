"""The owner's listings table on a 390 px phone: rows stack, and every action button is on screen and
clickable without scrolling sideways (before, the Actions column sat beyond the right edge, inside a table
that scrolled sideways with no sign that it did)."""

import pytest

from listings import actions as listing_actions
from listings.models import Listing
from tests.e2e.conftest import off_the_event_loop

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def owner_with_listings(make_user, make_org):
    return off_the_event_loop(_make_listings, make_user, make_org)


def _make_listings(make_user, make_org):
    owner = make_user("owner@example.com", full_name="Olga Owner")
    org = make_org("Guangzhou Institute of Energy Conversion, Chinese Academy of Sciences", owner=owner,
                   verified=True, slug="giec")
    listings = {}
    for number, state in (("CN112345678B", "draft"), ("CN112345679B", "published"), ("CN112345680B", "paused")):
        patent, _ = listing_actions.save_patent(
            org, actor=owner, number=number, ipc_codes=["H01M 10/052"],
            title="Composite cathode material with a lithium iron manganese phosphate coating and its method")
        listing = listing_actions.create_listing(org, actor=owner, patents=[patent])
        if state != "draft":
            listing_actions.publish_listing(listing, actor=owner)
        if state == "paused":
            listing_actions.pause_listing(listing, actor=owner)
        listings[state] = listing
    return owner, org, listings


def test_actions_are_within_a_390px_screen_and_clickable(owner_with_listings, browser, live_server, login, shoot):
    owner, org, listings = owner_with_listings
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    login(page, owner.email)
    page.goto(f"{live_server.url}/owner/{org.slug}/listings/")
    shoot(page, "owner-listings-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    buttons = page.locator("#owner-listings tbody td:last-child .btn")
    assert buttons.count() == 9  # edit + publish/pause/resume + withdraw, three rows
    for i in range(buttons.count()):
        button = buttons.nth(i)
        # Scroll the page down to the button only: a user must not have to find a sideways scroll.
        button.evaluate("b => window.scrollTo(0, b.getBoundingClientRect().top + window.scrollY - 200)")
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], button.inner_text()
        if button.is_enabled():
            button.click(trial=True)  # visible, stable, receives the click (not covered)

    row = page.locator(f"#owner-listings tr[data-listing='{listings['published'].pk}']")
    row.get_by_role("button", name="Pause").click()
    page.wait_for_load_state()
    assert Listing.objects.get(pk=listings["published"].pk).state == "paused"
    context.close()
