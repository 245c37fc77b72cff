"""The people and listings of one-step licences (import the fixture you use):

    grants  a verified demonstration enterprise (the donor, Beijing) with three published listings in mainland
            China: ``free_open`` (a free open licence), ``paid_open`` (an open licence for a ¥50,000.00 lump sum,
            also offering exclusive licences) and ``donation`` (5 donated licences; list price ¥80,000.00);
            ``make_sme(name, size="small", province="GD", industry="02", verified=True, profile=True)`` makes a
            verified SME with its owner (``.user``), classed ``size`` by its profile
    sign(user) -> dict   the signature arguments with the right name and password
"""

from __future__ import annotations

import datetime
from itertools import count
from types import SimpleNamespace

import pytest

from listings import actions as listing_actions
from marketplace import actions as org_actions
from marketplace.models import OrganisationKind
from tests.conftest import PASSWORD

# employees, revenue (yuan) for industry 02 ("Industry"): small ≥ 20 and ¥3M, medium ≥ 300 and ¥20M.
SIZES = {"micro": (5, 1_000_000), "small": (50, 10_000_000), "medium": (400, 50_000_000),
         "large": (2000, 500_000_000)}


def sign(user, **changes) -> dict:
    return {"typed_name": user.full_name, "password": PASSWORD, "confirmed": True, "ip_address": "203.0.113.7",
            "user_agent": "pytest", **changes}


@pytest.fixture
def grants(make_user, make_org, django_capture_on_commit_callbacks):
    numbers = count(1)
    donor_user = make_user("donor@example.com", full_name="Dora Donor")
    donor = make_org("Northern Power Group", kind=OrganisationKind.STATE_ENTERPRISE, owner=donor_user, verified=True,
                     province="BJ")
    org_actions.set_demonstration(donor, actor=None, value=True, operator=True)
    donor.refresh_from_db()

    def listing(title, **terms):
        with django_capture_on_commit_callbacks(execute=True):
            patent, _created = listing_actions.save_patent(
                donor, actor=donor_user, number=f"CN3{next(numbers):08d}B", title=f"{title} (patent)",
                expiry_date=datetime.date(2039, 1, 1))
            made = listing_actions.create_listing(donor, actor=donor_user, patents=[patent], title=title,
                                                  territory="Mainland China", **terms)
            listing_actions.publish_listing(made, actor=donor_user)
        made.refresh_from_db()
        return made

    free_open = listing("Transformer oil cooling", open_licence=True, fee_model="free")
    paid_open = listing("Grid frequency controller", open_licence=True, fee_model="lump_sum",
                        lump_sum_minor=5_000_000, offers_exclusive=True)
    donation = listing("Wind blade de-icing coating", donation_quota=5, fee_model="lump_sum", lump_sum_minor=8_000_000)

    def make_sme(name, *, size="small", province="GD", industry="02", verified=True, profile=True, email=None):
        slug = name.lower().replace(" ", "-")
        user = make_user(email or f"{slug}@example.com", full_name=f"{name} Owner")
        org = make_org(name, kind=OrganisationKind.SME, owner=user, verified=verified, province=province)
        if profile:
            employees, revenue = SIZES[size]
            org_actions.save_sme_profile(org, actor=user, industry=industry, employees=employees,
                                         annual_revenue_cny=revenue, total_assets_cny=None)
        org.refresh_from_db()
        org.user = user
        return org

    return SimpleNamespace(donor=donor, donor_user=donor_user, free_open=free_open, paid_open=paid_open,
                           donation=donation, make_sme=make_sme, listing=listing)
