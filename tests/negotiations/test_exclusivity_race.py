"""Two licensees accept exclusive terms for the same territory at the same moment (threads, separate
connections, PostgreSQL): exactly one deal is agreed (its agreement then out for signature), the other gets a clear refusal."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from negotiations import actions
from negotiations.models import Deal, DealState
from tests.negotiations.parties import open_deal_for, parties  # noqa: F401 - fixture


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_simultaneous_exclusive_acceptances_give_one_agreed_deal(parties, round_):
    deals = []
    for licensee, user in ((parties.licensee, parties.licensee_user), (parties.rival, parties.rival_user)):
        deal = open_deal_for(parties, licensee=licensee, licence_kind="exclusive", territory=["CN"])
        # The licensor answers each with exclusive terms; both licensees then accept at once.
        actions.make_offer(deal, actor=parties.licensor_user, terms=deal.offers.get().terms(), expected_version=1)
        deals.append((deal, user))
    barrier = threading.Barrier(2)
    outcomes: dict[int, object] = {}

    def accept(deal, user):
        try:
            barrier.wait()
            actions.accept_offer(Deal.objects.get(pk=deal.pk), actor=user, version=2)
            outcomes[deal.pk] = "agreed"
        except Exception as exc:  # noqa: BLE001 - the refusal is the outcome under test
            outcomes[deal.pk] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=pair) for pair in deals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    states = sorted(Deal.objects.filter(pk__in=[d.pk for d, _u in deals]).values_list("state", flat=True))
    assert states == [DealState.NEGOTIATING, DealState.SIGNING]  # agreed, its agreement out for signature
    refusals = [o for o in outcomes.values() if o != "agreed"]
    assert len(refusals) == 1 and isinstance(refusals[0], actions.ExclusivityConflict)
    assert "already licensed exclusively in Mainland China" in str(refusals[0])
