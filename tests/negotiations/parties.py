"""The people and organisations of a deal, for the action and race tests (import the fixtures you use):

    parties  a verified institute (licensor) with two members and a published listing offering exclusive and
             non-exclusive licences in mainland China for a ¥100,000.00 lump sum; two verified SMEs (licensees)
             with a member each; an outsider in an unrelated verified organisation
    open_deal_for(parties, licensee=None, **terms) -> Deal  a deal opened by that SME's member
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from listings import actions as listing_actions
from marketplace import actions as marketplace_actions
from marketplace.models import MemberRole, OrganisationKind
from negotiations import actions


@pytest.fixture
def parties(make_user, make_org, django_capture_on_commit_callbacks):
    licensor_user = make_user("licensor@example.com", full_name="Lena Licensor")
    colleague = make_user("colleague@example.com", full_name="Colin Colleague")
    licensor = make_org("Battery Institute", owner=licensor_user, verified=True, province="BJ")
    marketplace_actions.add_member(licensor, user=colleague, role=MemberRole.MEMBER, actor=None, operator=True)
    licensee_user = make_user("sme@example.com", full_name="Sam Smallfirm")
    licensee = make_org("Tiny Cells Ltd", kind=OrganisationKind.SME, owner=licensee_user, verified=True,
                        province="GD")
    rival_user = make_user("rival@example.com", full_name="Rita Rival")
    rival = make_org("Rival Cells Ltd", kind=OrganisationKind.SME, owner=rival_user, verified=True, province="ZJ")
    outsider_user = make_user("outsider@example.com", full_name="Oscar Outsider")
    outsider = make_org("Unrelated Co", kind=OrganisationKind.SME, owner=outsider_user, verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        patent, _created = listing_actions.save_patent(licensor, actor=licensor_user, number="CN112233445B",
                                                        title="Cathode coating", ipc_codes=["H01M 4/136"])
        listing = listing_actions.create_listing(
            licensor, actor=licensor_user, patents=[patent], title="Cathode coating for lithium cells",
            offers_exclusive=True, offers_non_exclusive=True, fee_model="lump_sum", lump_sum_minor=10_000_000,
            territory="Mainland China", term_months=36)
        listing_actions.publish_listing(listing, actor=licensor_user)
    listing.refresh_from_db()
    return SimpleNamespace(licensor=licensor, licensor_user=licensor_user, colleague=colleague,
                           licensee=licensee, licensee_user=licensee_user, rival=rival, rival_user=rival_user,
                           outsider=outsider, outsider_user=outsider_user, listing=listing)


def open_deal_for(parties, licensee=None, user=None, **changes):
    licensee = licensee or parties.licensee
    user = user or (parties.licensee_user if licensee == parties.licensee else parties.rival_user)
    terms = None
    if changes:
        terms = {**actions.first_terms(parties.listing), **changes}
    return actions.open_deal(parties.listing, licensee, actor=user, terms=terms)
