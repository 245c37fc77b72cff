"""People and deals of the mediation tests (import the fixtures you use):

    mediation  ``parties`` (tests.negotiations.parties) plus: an agreed deal between the institute and Tiny
               Cells; platform staff (``staff_user``); a verified IP service agency with an accredited member
               (``mediator``) and an unaccredited one (``agency_member``); a second accredited mediator
               (``other_mediator``)
    raised(m) -> Dispute    a dispute raised by the licensee on that deal
    assigned(m) -> Dispute  the same, assigned to ``mediator``
    proposal_terms(deal, **changes) -> dict  terms for a mediator's proposal (the agreed version's, changed)
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import timezone

from marketplace import actions as marketplace_actions
from marketplace.models import MemberRole, OrganisationKind
from negotiations import actions
from tests.negotiations.parties import open_deal_for, parties  # noqa: F401 - fixture


@pytest.fixture
def mediation(parties, make_user, make_org, django_capture_on_commit_callbacks):  # noqa: F811
    staff_user = make_user("mediation-staff@example.com", staff=True, full_name="Stella Staff")
    mediator = make_user("mediator@example.com", full_name="Mia Mediator")
    agency = make_org("Fair IP Agency", kind=OrganisationKind.IP_AGENCY, owner=mediator, verified=True)
    agency_member = make_user("agency-member@example.com", full_name="Adam Agency")
    marketplace_actions.add_member(agency, user=agency_member, role=MemberRole.MEMBER, actor=None, operator=True)
    other_mediator = make_user("other-mediator@example.com", full_name="Otto Other")
    make_org("Second IP Agency", kind=OrganisationKind.IP_AGENCY, owner=other_mediator, verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        deal = open_deal_for(parties)
        actions.accept_offer(deal, actor=parties.licensor_user, version=1)
        actions.accredit_mediator(mediator, actor=staff_user)
        actions.accredit_mediator(other_mediator, actor=staff_user)
    deal.refresh_from_db()
    return SimpleNamespace(p=parties, deal=deal, staff=staff_user, mediator=mediator, agency=agency,
                           agency_member=agency_member, other_mediator=other_mediator)


def raised(m, **changes):
    return actions.raise_dispute(m.deal, actor=m.p.licensee_user, category=changes.get("category", "payment"),
                                 statement=changes.get("statement", "The licensor invoices more than agreed."))


def assigned(m):
    dispute = raised(m)
    return actions.assign_mediator(dispute, actor=m.staff, mediator=m.mediator)


def proposal_terms(deal, **changes) -> dict:
    deal.refresh_from_db()
    base = deal.offers.order_by("-version").first().terms()
    base["valid_until"] = timezone.now() + timezone.timedelta(days=10)
    return {**base, **changes}
