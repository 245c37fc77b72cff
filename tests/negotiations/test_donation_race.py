"""Twenty eligible SMEs claim the last three donated licences of a listing at the same moment (threads, separate
connections, PostgreSQL): exactly three licences are granted, the seventeen others hear the quota is used up."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from listings import actions as listing_actions
from negotiations import actions
from negotiations.models import Deal, DealOrigin, DealState, DonationClaim
from tests.negotiations.grants import grants, sign  # noqa: F401 - fixture

CLAIMANTS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_claims_for_the_last_three_places(grants):
    listing = listing_actions.update_listing(grants.donation, actor=grants.donor_user, donation_quota=5)
    for n in range(2):  # 2 of 5 places already claimed
        early = grants.make_sme(f"Early Cells {n}")
        actions.claim_donation(listing, early, actor=early.user, statement="Pilot line of de-icing coatings.", **sign(early.user))
    claimants = [grants.make_sme(f"Racing Cells {n}") for n in range(CLAIMANTS)]
    barrier = threading.Barrier(CLAIMANTS)
    outcomes: dict[int, object] = {}

    def claim(org):
        try:
            barrier.wait()
            actions.claim_donation(listing, org, actor=org.user, statement="Blade de-icing for our wind farm.",
                                   **sign(org.user))
            outcomes[org.pk] = "claimed"
        except Exception as exc:  # noqa: BLE001 - the refusal is the outcome under test
            outcomes[org.pk] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(org,)) for org in claimants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(outcomes) == CLAIMANTS
    claimed = [pk for pk, outcome in outcomes.items() if outcome == "claimed"]
    refusals = [outcome for outcome in outcomes.values() if outcome != "claimed"]
    assert len(claimed) == 3
    assert len(refusals) == 17 and all(isinstance(r, actions.QuotaUsedUp) for r in refusals), refusals
    assert all("the quota is used up" in str(r) for r in refusals)
    assert DonationClaim.objects.filter(listing=listing).count() == 5
    assert set(DonationClaim.objects.filter(listing=listing, organisation__name__startswith="Racing")
               .values_list("organisation_id", flat=True)) == set(claimed)
    granted = Deal.objects.filter(listing=listing, origin=DealOrigin.DONATION)
    assert granted.count() == 5 and set(granted.values_list("state", flat=True)) == {DealState.COMPLETED}
