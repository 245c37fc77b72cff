"""The counter-offer form in a live room: untouched, it follows the versions as they appear (made against the
latest); once someone has typed in it, a new version from the other side leaves what was typed alone, and
sending it says the other side has just made that version before a second send makes the next one."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import off_the_event_loop
from tests.e2e.test_deal_room_journey import LICENSEE_EMAIL, LICENSOR_EMAIL, _make_parties

pytestmark = pytest.mark.django_db(transaction=True)


def _open_deal(world):
    from marketplace.models import User
    from negotiations import actions

    return actions.open_deal(world.listing, world.licensee, actor=User.objects.get(email=LICENSEE_EMAIL)).pk


def _licensor_counters(deal_id, lump_sum_minor):
    from marketplace.models import User
    from negotiations import actions
    from negotiations.models import Deal

    deal = Deal.objects.get(pk=deal_id)
    latest = deal.offers.get(version=deal.current_version)
    actions.make_offer(deal, actor=User.objects.get(email=LICENSOR_EMAIL), expected_version=deal.current_version,
                       terms={**latest.terms(), "lump_sum_minor": lump_sum_minor})


def test_a_form_being_filled_is_kept_and_then_told_it_is_stale(daphne_server, browser):
    world = off_the_event_loop(_make_parties)
    deal_id = off_the_event_loop(_open_deal, world)
    sme = daphne_server.new_page(browser, LICENSEE_EMAIL, language="en")
    sme.goto(f"{daphne_server.url}/deals/{deal_id}/")
    daphne_server.wait_for_socket(sme, f"/ws/deals/{deal_id}/")

    # untouched: version 2 arrives and the form now answers it
    off_the_event_loop(_licensor_counters, deal_id, 15_000_000)
    sme.locator("#version-2").wait_for(timeout=10_000)
    sme.locator("#offer-form [name=expected_version][value='2']").wait_for(state="attached", timeout=10_000)
    assert sme.locator("#offer-form [name=lump_sum]").input_value() == "150000.00"

    # touched: the SME types, version 3 arrives, the typed value stays
    sme.locator("#counter-offer summary").click()
    sme.fill("#offer-form [name=lump_sum]", "120000")
    off_the_event_loop(_licensor_counters, deal_id, 14_000_000)
    sme.locator("#version-3").wait_for(timeout=10_000)
    assert sme.locator("#offer-form [name=lump_sum]").input_value() == "120000"
    sme.locator("#offer-form button[type=submit]").click()
    sme.wait_for_load_state()
    assert "The other side has just made version 3" in sme.locator("#messages").inner_text()
    assert sme.locator("#offer-form [name=lump_sum]").input_value() == "120000"
    sme.locator("#offer-form button[type=submit]").click()
    sme.locator("#version-4").wait_for(timeout=10_000)
    assert "¥140,000.00" in sme.locator("#version-4 tr[data-field=lump_sum_minor]").inner_text()
