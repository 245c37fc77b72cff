"""Helpers of the agreement tests: a deal agreed (its agreement out for signature) and signatures.

    agree(parties, **terms) -> (deal, agreement)   version 1 (the listing's terms, changed by ``terms``) accepted by
                                                   the licensor
    sign(agreement, user, **changes) -> Signature  a valid signature by ``user`` (typed name, box, PASSWORD)
    sign_both(parties, agreement)                  the licensee, then the licensor
"""

from __future__ import annotations

import pytest

from negotiations import actions
from tests.negotiations.parties import open_deal_for

PASSWORD = "correct horse battery staple"


@pytest.fixture
def signers(parties):
    """The parties with passwords set (signing asks for them)."""
    for user in (parties.licensor_user, parties.colleague, parties.licensee_user, parties.rival_user,
                 parties.outsider_user):
        user.set_password(PASSWORD)
        user.save()
    return parties


def agree(parties, **terms):
    deal = open_deal_for(parties, **terms)
    actions.accept_offer(deal, actor=parties.licensor_user, version=1)
    deal.refresh_from_db()
    return deal, deal.agreements.order_by("-version").first()


def sign(agreement, user, **changes):
    kwargs = {"typed_name": user.full_name, "password": PASSWORD, "confirmed": True, "ip_address": "203.0.113.7",
              "user_agent": "Mozilla/5.0 test", **changes}
    return actions.sign_agreement(agreement, actor=user, **kwargs)


def sign_both(parties, agreement):
    sign(agreement, parties.licensee_user)
    sign(agreement, parties.licensor_user)
    agreement.refresh_from_db()
    return agreement


def normal(text: str) -> str:
    """PDF text with line breaks and runs of spaces made single spaces (wrapped lines read as one)."""
    return " ".join(text.split())


def dense(text: str) -> str:
    """PDF text without any whitespace (Chinese has none; a wrapped line must not break a match)."""
    return "".join(text.split())
