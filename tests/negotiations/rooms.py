"""A deal room to test with, built through the actions (used by the socket tests here and in tests/e2e)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.test import Client

from marketplace import actions as org_actions
from marketplace.models import MemberRole, OrganisationKind, User
from negotiations import actions, terms as term_sheets
from negotiations.models import Deal


@dataclass
class Room:
    deal: Deal
    licensor_user: User
    buyer: User
    colleague: User

    @property
    def sme(self):
        return self.deal.licensee


def build_room(make_org, make_user, owner) -> Room:
    """A deal between a verified institute (``owner``) and a verified SME (``buyer``; ``colleague`` is a member
    too) on a published lump-sum listing, in version 1 (opened by the SME). Search indexing must be off."""
    from listings import actions as listing_actions

    institute = make_org("Deal Institute", owner=owner, verified=True, province="BJ")
    buyer = make_user("buyer@example.com", full_name="Bea Buyer")
    colleague = make_user("colleague@example.com", full_name="Cai Colleague")
    sme = make_org("Small Battery Co", kind=OrganisationKind.SME, owner=buyer, verified=True, province="GD")
    org_actions.add_member(sme, user=colleague, role=MemberRole.MEMBER, actor=None, operator=True)
    patent, _ = listing_actions.save_patent(institute, actor=owner, number="CN112345678B",
                                            title="Lithium battery cathode material")
    listing = listing_actions.create_listing(institute, actor=owner, patents=[patent],
                                             title="Lithium battery cathode material", fee_model="lump_sum",
                                             lump_sum_minor=5_000_000)
    listing_actions.publish_listing(listing, actor=owner)
    deal = actions.open_deal(listing, sme, actor=buyer)
    return Room(deal=deal, licensor_user=owner, buyer=buyer, colleague=colleague)


def counter(deal: Deal, user, *, lump_sum: int = 4_000_000, expected_version: int | None = None):
    """A new version by ``user`` (the lump sum changed), against the current version unless told otherwise."""
    deal.refresh_from_db()
    version = deal.current_version if expected_version is None else expected_version
    terms = {**term_sheets.defaults_from_listing(deal.listing), "lump_sum_minor": lump_sum}
    return actions.make_offer(deal, actor=user, terms=terms, expected_version=version)


def session_cookie(user) -> str:
    """``sessionid=…`` of a fresh signed-in session of ``user``."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
