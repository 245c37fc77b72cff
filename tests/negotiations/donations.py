"""Donated licences for the impact tests (import the fixtures you use):

    donors   a verified demonstration enterprise ("Northern Power Group", owner Dora) with two donation
             listings (¥50,000.00 list price, 5 places; $2,000.00, 3 places); a second demonstration enterprise
             ("Eastern Steel Works", owner Ed) with one; an ordinary enterprise ("Plain Parts Co", owner Pat);
             three verified SMEs with size profiles (Tiny Cells, Guangdong, industry; Byte Studio, Zhejiang,
             software; Micro Mill, Guangdong, industry), each with an owner
    donate(listing, sme, *, at=None, **snapshot) -> DonationClaim
             a donated licence claimed by the SME's owner through ``negotiations.actions.claim_donation``
             (the deal completed); ``at`` back-dates it, ``snapshot`` overrides what the claim recorded
"""

from __future__ import annotations

import datetime
import functools
from types import SimpleNamespace
from unittest import mock

import pytest
from django.utils import timezone

from marketplace import actions as org_actions
from marketplace.models import MemberRole, Membership, OrganisationKind
from negotiations import actions, pdf
from negotiations.models import Deal, DealOrigin, DealState, DonationClaim, Side
from tests.conftest import PASSWORD


@pytest.fixture
def donors(make_user, make_org, make_listing):
    dora = make_user("donor@example.com", full_name="Dora Donor")
    donor = make_org("Northern Power Group", kind=OrganisationKind.ENTERPRISE, owner=dora, verified=True,
                     province="BJ", credit_code="")
    donor = org_actions.set_demonstration(donor, actor=None, value=True, operator=True)
    ed = make_user("other-donor@example.com", full_name="Ed Eastern")
    other = make_org("Eastern Steel Works", kind=OrganisationKind.STATE_ENTERPRISE, owner=ed, verified=True,
                     province="SH")
    other = org_actions.set_demonstration(other, actor=None, value=True, operator=True)
    pat = make_user("plain@example.com", full_name="Pat Plain")
    plain = make_org("Plain Parts Co", kind=OrganisationKind.ENTERPRISE, owner=pat, verified=True)

    smes = []
    for name, email, province, industry in (("Tiny Cells Ltd", "tiny@example.com", "GD", "02"),
                                            ("Byte Studio", "byte@example.com", "ZJ", "12"),
                                            ("Micro Mill", "mill@example.com", "GD", "02")):
        user = make_user(email, full_name=f"Owner of {name}")
        org = make_org(name, kind=OrganisationKind.SME, owner=user, verified=True, province=province)
        org_actions.save_sme_profile(org, actor=user, industry=industry, employees=12,
                                     annual_revenue_cny=3_000_000, total_assets_cny=None)
        org.owner_user = user
        smes.append(org)

    battery = make_listing(donor, dora, title="Grid battery management", fee_model="lump_sum",
                           lump_sum_minor=5_000_000, currency="CNY", offers_non_exclusive=True, donation_quota=5)
    turbine = make_listing(donor, dora, title="Small wind turbine blade", fee_model="lump_sum",
                           lump_sum_minor=200_000, currency="USD", offers_non_exclusive=True, donation_quota=3)
    steel = make_listing(other, ed, title="Low-carbon rebar", fee_model="lump_sum", lump_sum_minor=1_000_000,
                         currency="CNY", offers_non_exclusive=True, donation_quota=2)
    return SimpleNamespace(donor=donor, dora=dora, other=other, ed=ed, plain=plain, pat=pat, smes=smes,
                           tiny=smes[0], byte=smes[1], mill=smes[2], battery=battery, turbine=turbine, steel=steel)


def donate(listing, sme, *, at: datetime.datetime | None = None, state=DealState.COMPLETED, **snapshot):
    """A donated licence of ``listing`` to ``sme``: claimed by the SME's owner through
    ``negotiations.actions.claim_donation`` (agreement generated and signed, deal completed). ``at`` back-dates
    the claim; ``snapshot`` overrides what the claim recorded (size_class, province, industry,
    value_forgone_minor, currency). A deal in another ``state`` (a claim whose deal was withdrawn, or one still
    signing) cannot come from the action: that claim is created directly."""
    if state != DealState.COMPLETED:
        return _claim_row(listing, sme, at=at, state=state, **snapshot)
    owner = Membership.objects.filter(organisation=sme, role=MemberRole.OWNER).select_related("user").first().user
    with mock.patch.object(pdf, "render_pdf", _placeholder_pdf):
        claim = actions.claim_donation(listing, sme, actor=owner, statement="Pilot line use of the coating",
                                       typed_name=owner.full_name, password=PASSWORD, confirmed=True,
                                       ip_address="203.0.113.9", user_agent="pytest")
    assert claim.deal.state == DealState.COMPLETED
    changes = {**snapshot, **({"created_at": at} if at else {})}
    if changes:
        DonationClaim.objects.filter(pk=claim.pk).update(**changes)
        claim.refresh_from_db()
    return claim


_render_pdf = pdf.render_pdf


@functools.cache
def _placeholder() -> bytes:
    return _render_pdf("<p>Agreement</p>")


def _placeholder_pdf(html, **kwargs) -> bytes:
    """The agreement and signature pages of a claim are one rendered placeholder page: the impact figures never
    read them, and rendering each real agreement would make every test here seconds slower."""
    return _placeholder()


def _claim_row(listing, sme, *, at=None, state=DealState.COMPLETED, **snapshot):
    """The deal (origin donation, in ``state``) and its claim, created directly."""
    profile = getattr(sme, "sme_profile", None)
    now = at or timezone.now()
    deal = Deal.objects.create(listing=listing, licensor=listing.owner, licensee=sme, state=state,
                               opened_side=Side.LICENSEE, origin=DealOrigin.DONATION, agreed_at=now,
                               state_changed_at=now)
    values = {
        "size_class": profile.size_class if profile else "",
        "province": sme.province,
        "industry": profile.industry if profile else "",
        "value_forgone_minor": listing.upfront_minor,
        "currency": listing.currency,
        **snapshot,
    }
    return DonationClaim.objects.create(listing=listing, organisation=sme, deal=deal, statement="Pilot line use",
                                        created_at=now, **values)


def on(year: int, month: int, day: int = 15) -> datetime.datetime:
    """Noon of that day in the site's time zone."""
    return datetime.datetime(year, month, day, 12, tzinfo=timezone.get_default_timezone())
