"""`make demo` gives the demo SME needs with suggestions and reasons right away, and the staged draft shows a
push alert when its owner publishes it."""

import pytest
from django.core.management import call_command

from listings import actions as listing_actions
from listings.demo import PUSH_DEMO_PATENT
from listings.models import Listing, ListingState
from marketplace.models import Membership, Notification
from matching.models import Need, Suggestion


@pytest.mark.django_db(transaction=True)
def test_demo_sme_sees_suggestions_and_gets_a_push_alert(settings, capsys, django_capture_on_commit_callbacks):
    settings.TASKS_MODE = "eager"
    call_command("load_demo")  # organisations, then (on commit) the listings and the needs
    call_command("load_demo_needs")  # idempotent
    needs = Need.objects.filter(organisation__slug="lingxi-battery")
    assert needs.count() == 2
    english = needs.get(title="Longer-lasting lithium battery cathodes")
    suggestions = Suggestion.objects.filter(need=english)
    assert suggestions.exists()
    assert all(s.reasons for s in suggestions)
    out = capsys.readouterr().out
    assert "Demo needs:" in out
    # the staged draft: its owner publishes it, the SME's member is notified for both battery needs
    office, number = PUSH_DEMO_PATENT
    draft = Listing.objects.get(patents__office=office, patents__number=number)
    assert draft.state == ListingState.DRAFT
    assert f"{draft.get_absolute_url()} and publish it" in out
    publisher = Membership.objects.filter(organisation=draft.owner).first().user
    assert f"log in as {publisher.email}" in out
    assert not Notification.objects.filter(recipient__email="sme@patentbridge.demo", kind="match.new_listing").exists()
    with django_capture_on_commit_callbacks(execute=True):
        listing_actions.publish_listing(draft, actor=publisher)
    pushed = Suggestion.objects.filter(listing=draft)
    assert set(pushed.values_list("need__title", flat=True)) == {"Longer-lasting lithium battery cathodes",
                                                                 "锂电池负极材料"}
    notes = Notification.objects.filter(recipient__email="sme@patentbridge.demo", kind="match.new_listing")
    assert {n.title for n in notes} == {"New listing matches your need “Longer-lasting lithium battery cathodes”",
                                        "New listing matches your need “锂电池负极材料”"}
    assert all("matches: " in n.body for n in notes)
    _demo_deals_are_ready(out)


def _demo_deals_are_ready(out: str) -> None:
    """The same `make demo` (one load, it is slow) gives the SME two deals with the institute: one in its third
    version waiting for the institute, with changes to show, and one agreed; the hint names both logins."""
    from negotiations import terms
    from negotiations.models import Deal

    deals = {d.state: d for d in Deal.objects.filter(licensee__slug="lingxi-battery",
                                                     licensor__slug="zgc-materials-institute")}
    assert set(deals) == {"negotiating", "signing"}  # agreed, and the agreement generated at once
    live = deals["negotiating"]
    assert (live.current_version, live.waiting_for) == (3, "licensor")
    versions = list(live.offers.order_by("version"))
    assert [o.side for o in versions] == ["licensee", "licensor", "licensee"]
    assert len(terms.diff(versions[1].terms(), versions[2].terms())) >= 3
    assert f"/deals/{live.pk}/" in out and "institute@patentbridge.demo" in out and "sme@patentbridge.demo" in out
