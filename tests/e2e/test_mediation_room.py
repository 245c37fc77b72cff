"""Mediation in the browser, through a real Daphne: staff assign a mediator from the queue, the mediator opens
the deal room (its socket accepted), writes a note to both sides that reaches the licensee's open room live,
then a licensor-only note that the licensee's room never shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from marketplace.models import OrganisationKind
from negotiations import actions
from tests.e2e.conftest import off_the_event_loop
from tests.negotiations.rooms import build_room

pytestmark = pytest.mark.django_db(transaction=True)


def _set_up(make_org, make_user, owner):
    room = build_room(make_org, make_user, owner)
    actions.accept_offer(room.deal, actor=room.licensor_user, version=1)
    staff = make_user("queue-staff@example.com", staff=True, full_name="Stella Staff")
    mediator = make_user("room-mediator@example.com", full_name="Mia Mediator")
    make_org("Fair IP Agency", kind=OrganisationKind.IP_AGENCY, owner=mediator, verified=True)
    actions.accredit_mediator(mediator, actor=staff)
    dispute = actions.raise_dispute(room.deal, actor=room.buyer, category="payment",
                                    statement="The invoice is higher than agreed.")
    return room, dispute


def test_the_mediator_joins_the_room_and_notes_reach_only_their_side(daphne_server, browser, make_org, make_user,
                                                                   owner, monkeypatch, shoot):
    monkeypatch.setattr("listings.search.update_listings", lambda ids: None)
    room, dispute = off_the_event_loop(_set_up, make_org, make_user, owner)
    url = f"{daphne_server.url}/deals/{room.deal.pk}/"

    staff = daphne_server.new_page(browser, "queue-staff@example.com")
    staff.goto(f"{daphne_server.url}/disputes/")
    row = staff.locator(f"#dispute-{dispute.pk}")
    expect(row).to_contain_text("Payment")
    row.locator(f"#id_d{dispute.pk}-mediator").select_option(label="Mia Mediator <room-mediator@example.com>")
    row.locator("button", has_text="Assign").click()
    expect(staff.locator(f"#dispute-{dispute.pk}")).to_contain_text("In mediation")
    shoot(staff, "mediation-queue")

    buyer = daphne_server.new_page(browser, "buyer@example.com")
    buyer.goto(url)
    daphne_server.wait_for_socket(buyer, f"/ws/deals/{room.deal.pk}/")
    expect(buyer.locator("#dispute-mediator")).to_have_text("Mia Mediator")

    mediator = daphne_server.new_page(browser, "room-mediator@example.com")
    mediator.goto(url)
    daphne_server.wait_for_socket(mediator, f"/ws/deals/{room.deal.pk}/")
    expect(mediator.locator("#room-role")).to_contain_text("you are the mediator")
    expect(mediator.locator("#message-form")).to_have_count(0)

    mediator.locator("#note-form textarea").fill("I have read both statements; answers by Friday.")
    mediator.locator("#note-form button[type=submit]").click()
    expect(buyer.locator("#dispute-notes")).to_contain_text("answers by Friday", timeout=10_000)  # live

    mediator.locator("#note-form select").select_option("licensor")
    mediator.locator("#note-form textarea").fill("Licensor: send me the invoice, please.")
    mediator.locator("#note-form button[type=submit]").click()
    expect(mediator.locator("#dispute-notes")).to_contain_text("send me the invoice")
    buyer.wait_for_timeout(1500)
    buyer.reload()
    expect(buyer.locator("#dispute-notes")).not_to_contain_text("send me the invoice")
    shoot(mediator, "mediation-room-mediator")
    shoot(buyer, "mediation-room-licensee")

    # During mediation the licensee answers in the room; the mediator reads it.
    buyer.locator("#message-form textarea").fill("Our invoice copy is attached to the mediator's request.")
    buyer.locator("#message-form button[type=submit]").click()
    expect(mediator.locator("#messages-card")).to_contain_text("Our invoice copy", timeout=10_000)
    expect(buyer.locator("#messages-card").get_by_role("button", name="Delete")).to_have_count(0)


def test_the_staff_pages_of_mediation_fit_a_phone(daphne_server, browser, make_org, make_user, owner, monkeypatch,
                                                  shoot):
    monkeypatch.setattr("listings.search.update_listings", lambda ids: None)
    room, dispute = off_the_event_loop(_set_up, make_org, make_user, owner)
    staff = daphne_server.new_page(browser, "queue-staff@example.com")
    staff.set_viewport_size({"width": 390, "height": 844})
    for path in ("/disputes/", "/disputes/mediators/", "/disputes/mine/", "/disputes/?status=closed"):
        staff.goto(f"{daphne_server.url}{path}")
        assert staff.evaluate("document.documentElement.scrollWidth") <= 390, path
    staff.goto(f"{daphne_server.url}/disputes/mediators/")
    revoke = staff.get_by_role("button", name="Revoke").first
    box = revoke.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    shoot(staff, "mediators-phone")
