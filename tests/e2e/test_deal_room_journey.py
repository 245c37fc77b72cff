"""The deal-room journey in two browsers: an SME (in English) opens a deal room from a listing, the institute
(in Chinese) answers with version 2, the SME counters with version 3, the institute accepts. Each sees the
other's move appear without reloading, with what changed between versions, over a live Daphne server."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from listings import actions as listing_actions
from marketplace import actions as marketplace_actions
from marketplace.models import OrganisationKind
from tests.conftest import PASSWORD
from tests.e2e.conftest import off_the_event_loop

pytestmark = pytest.mark.django_db(transaction=True)

LICENSOR_EMAIL, LICENSEE_EMAIL = "li.wei@example.com", "wang.fang@example.com"


def _make_parties():
    licensor_user = marketplace_actions.create_account(email=LICENSOR_EMAIL, full_name="Li Wei", password=PASSWORD,
                                                       language="zh-hans")
    licensee_user = marketplace_actions.create_account(email=LICENSEE_EMAIL, full_name="Wang Fang", password=PASSWORD)
    licensor = marketplace_actions.create_organisation(actor=licensor_user, name="Zhongguancun Materials Institute",
                                                       kind=OrganisationKind.RESEARCH_INSTITUTE, province="BJ")
    licensor = marketplace_actions.verify_organisation(licensor, actor=None, operator=True, notify=False)
    licensee = marketplace_actions.create_organisation(actor=licensee_user, name="Lingxi Battery Co.",
                                                       kind=OrganisationKind.SME, province="GD")
    licensee = marketplace_actions.verify_organisation(licensee, actor=None, operator=True, notify=False)
    patent, _created = listing_actions.save_patent(licensor, actor=licensor_user, number="CN112233445B",
                                                    title="Cathode coating for lithium cells",
                                                    ipc_codes=["H01M 4/136"])
    listing = listing_actions.create_listing(
        licensor, actor=licensor_user, patents=[patent], title="Cathode coating for lithium cells",
        offers_non_exclusive=True, fee_model="lump_sum", lump_sum_minor=10_000_000, territory="Mainland China",
        term_months=36)
    listing_actions.publish_listing(listing, actor=licensor_user)
    return SimpleNamespace(listing=listing, licensor=licensor, licensee=licensee)


def _counter_offer(page, lump_sum: str):
    page.locator("#counter-offer summary").click()
    page.fill("#offer-form [name=lump_sum]", lump_sum)
    page.locator("#offer-form button[type=submit]").click()
    page.wait_for_load_state()


def test_two_parties_negotiate_three_versions_and_agree_live(daphne_server, browser, shoot):
    world = off_the_event_loop(_make_parties)
    sme = daphne_server.new_page(browser, LICENSEE_EMAIL, language="en")
    institute = daphne_server.new_page(browser, LICENSOR_EMAIL, language="zh-hans")
    for page in (sme, institute):
        page.on("dialog", lambda dialog: dialog.accept())

    # The SME opens the deal room from the listing page: version 1 is the listing's terms, shown before it is sent.
    sme.goto(f"{daphne_server.url}{world.listing.get_absolute_url()}")
    sme.get_by_role("button", name="Open a deal room").click()
    sme.locator("#open-form").wait_for()
    sme.locator("#open-form [name=message]").fill("We would like a licence for our e-bike packs.")
    sme.get_by_role("button", name="Open the deal room").click()
    sme.wait_for_url("**/deals/*/")
    room_url = sme.url
    deal_id = room_url.rstrip("/").rsplit("/", 1)[-1]
    socket_path = f"/ws/deals/{deal_id}/"
    daphne_server.wait_for_socket(sme, socket_path)
    assert sme.locator("#version-1").is_visible()

    institute.goto(room_url)
    daphne_server.wait_for_socket(institute, socket_path)
    assert "许可方" in institute.locator("#deal-parties").inner_text()  # the room speaks the reader's language
    sme.evaluate("window.__notReloaded = true")

    # Version 2 from the institute appears in the SME's room without a reload, with its change.
    _counter_offer(institute, "150000")
    institute.locator("#version-2").wait_for()
    sme.locator("#version-2").wait_for(timeout=10_000)
    assert sme.evaluate("window.__notReloaded") is True
    change = sme.locator("#version-2 tr[data-field=lump_sum_minor]")
    assert "100,000.00" in change.inner_text() and "150,000.00" in change.inner_text()
    assert sme.get_by_role("button", name="Accept version 2").is_visible()
    institute.evaluate("window.__notReloaded = true")

    # Version 3 from the SME reaches the institute live, in Chinese, with the diff.
    _counter_offer(sme, "120000")
    sme.locator("#version-3").wait_for()
    institute.locator("#version-3").wait_for(timeout=10_000)
    assert institute.evaluate("window.__notReloaded") is True
    assert "一次性付费" in institute.locator("#version-3 tr[data-field=lump_sum_minor]").inner_text()
    shoot(institute, "deal-room-version-3-zh")

    # The institute accepts version 3; the SME sees the deal agreed, its agreement out for signature (the
    # agreement is generated at once), without reloading, with the button to sign it.
    sme.evaluate("window.__notReloaded = true")
    institute.locator("#accept-form button[type=submit]").click()
    institute.wait_for_load_state()
    institute.locator("#deal-state[data-state=signing]").wait_for()
    sme.locator("#deal-state[data-state=signing]").wait_for(timeout=10_000)
    assert sme.evaluate("window.__notReloaded") is True
    assert sme.locator("#deal-state").inner_text() == "Signing"
    assert sme.locator("#version-3 .badge").first.inner_text() == "Accepted"
    sme.locator("#sign-button").wait_for(timeout=10_000)
    shoot(sme, "deal-room-agreed-en")
    # On a phone the room still shows the state, whose move and the versions without sideways scrolling.
    sme.set_viewport_size({"width": 390, "height": 844})
    assert sme.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(sme, "deal-room-agreed-en-390")
    institute.set_viewport_size({"width": 390, "height": 844})
    institute.goto(f"{daphne_server.url}/deals/")
    assert institute.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(institute, "deal-list-zh-390")
