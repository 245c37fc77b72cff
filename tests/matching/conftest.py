"""Fixtures of the matching tests: an SME with a member and a need, verified patent holders, and ``publish``
(a published, indexed listing in one call)."""

from __future__ import annotations

import pytest

from listings import actions as listing_actions
from marketplace.models import OrganisationKind
from matching import actions


@pytest.fixture
def sme_user(make_user):
    return make_user("sme@example.com", full_name="Sam Smallfirm")


@pytest.fixture
def sme(make_org, sme_user):
    return make_org("Tiny Cells Ltd", kind=OrganisationKind.SME, owner=sme_user, verified=True, province="GD")


@pytest.fixture
def need(sme, sme_user):
    """A need like the demo needs (test_views and others define their own): a title, a description, keywords and an IPC interest."""
    return actions.create_need(
        sme, actor=sme_user, title="Better cathodes for our e-bike batteries",
        description="We assemble lithium battery packs and want a cathode coating that charges faster.",
        keywords="lithium, cathode, coating", ipc_codes=["H01M 10/052"],
    )


@pytest.fixture
def holder(make_org, owner):
    """A verified research institute in Guangdong, owned by ``owner``."""
    return make_org("South Battery Institute", owner=owner, verified=True, province="GD")


@pytest.fixture
def other_holder(make_org, owner):
    """A verified university in Beijing, owned by ``owner``."""
    return make_org("North University", kind=OrganisationKind.UNIVERSITY, owner=owner, verified=True, province="BJ")


@pytest.fixture
def publish(holder, owner, django_capture_on_commit_callbacks):
    """``publish(title, org=..., abstract=..., ipc_codes=[...], number=..., publish=True, **terms)`` → Listing,
    published and indexed (the on-commit index task runs)."""
    counter = iter(range(1, 10_000))

    def make(title, *, org=None, abstract="", ipc_codes=(), number=None, publish=True, language="en", **terms):
        org = org or holder
        number = number or f"CN1{next(counter):08d}B"
        with django_capture_on_commit_callbacks(execute=True):
            patent, _created = listing_actions.save_patent(org, actor=owner, number=number, title=title,
                                                            abstract=abstract, ipc_codes=list(ipc_codes),
                                                            language=language)
            listing = listing_actions.create_listing(org, actor=owner, patents=[patent], **terms)
            if publish:
                listing_actions.publish_listing(listing, actor=owner)
        listing.refresh_from_db()
        return listing

    return make


@pytest.fixture
def catalogue(publish, other_holder):
    """Four listings: two on lithium cathodes (H01M), one on a neighbouring IPC, one unrelated."""
    return {
        "cathode": publish(
            "Lithium iron phosphate cathode coating",
            abstract="A carbon coating for lithium iron phosphate cathode particles improves rate capability.",
            ipc_codes=["H01M 4/136", "H01M 10/052"],
        ),
        "electrolyte": publish(
            "Solid electrolyte for lithium batteries",
            abstract="A sulfide solid electrolyte with high ionic conductivity for lithium metal batteries.",
            ipc_codes=["H01M 10/0562"], org=other_holder, fee_model="lump_sum", lump_sum_minor=2_000_000,
        ),
        "separator": publish(
            "Ceramic separator membrane",
            abstract="A ceramic coated polyolefin separator that resists shrinking at high temperature.",
            ipc_codes=["H01M 50/449"], fee_model="lump_sum", lump_sum_minor=90_000_000,
        ),
        "tea": publish(
            "Tea leaf rolling machine",
            abstract="A machine that rolls green tea leaves with adjustable pressure.",
            ipc_codes=["A23F 3/06"], org=other_holder,
        ),
    }
