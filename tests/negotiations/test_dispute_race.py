"""Both parties raise a dispute on the same deal at the same moment (threads, separate connections,
PostgreSQL): exactly one dispute is open, the other side is told the deal already has one."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from marketplace.actions import ActionError
from negotiations import actions
from negotiations.models import Deal, Dispute
from tests.negotiations.mediators import mediation as med  # noqa: F401 - fixture
from tests.negotiations.parties import parties  # noqa: F401 - fixture


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_simultaneous_disputes_give_one(med, round_):  # noqa: F811
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def raise_(user):
        try:
            barrier.wait()
            outcomes.append(actions.raise_dispute(Deal.objects.get(pk=med.deal.pk), actor=user, category="other",
                                                  statement="We disagree."))
        except Exception as exc:  # noqa: BLE001 - the refusal is the outcome under test
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=raise_, args=(u,)) for u in (med.p.licensee_user, med.p.licensor_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Dispute.objects.filter(deal=med.deal).count() == 1
    refusals = [o for o in outcomes if not isinstance(o, Dispute)]
    assert len(refusals) == 1 and isinstance(refusals[0], ActionError)
    assert "already has an open dispute" in str(refusals[0])
