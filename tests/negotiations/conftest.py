"""Fixtures of the deal-room page tests (the action tests import theirs from ``tests.negotiations.parties``).

``deal_parties``: a verified institute with a published listing (two patents), a verified SME with a size
profile and two members, an outsider who is a member of an unrelated verified organisation, and an open deal
(version 1 from the listing's terms, made by the licensee); ``room_parties`` is the same without the deal.
``make_listing`` publishes more listings of the same institute; ``contact_request`` is a licence request of the
SME about the listing (no deal yet)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from listings import actions as listing_actions
from listings.models import Listing
from marketplace import actions as org_actions
from marketplace.models import MemberRole, Organisation, OrganisationKind, User
from negotiations import actions
from negotiations.models import Deal


@dataclass
class DealParties:
    licensor: Organisation
    licensee: Organisation
    listing: Listing
    licensor_user: User
    licensee_user: User
    licensee_colleague: User
    outsider: User
    deal: Deal | None


@pytest.fixture(autouse=True)
def _private_attachments(settings, tmp_path, monkeypatch):
    """Attachments go to a private directory of the test (the field's storage is resolved when the model class
    is made, so the setting alone would not move it)."""
    from django.core.files.storage import FileSystemStorage

    from negotiations.models import Attachment

    location = tmp_path / "deal-attachments"
    settings.STORAGES = {**settings.STORAGES, "deal_attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(location), "base_url": None}}}
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage",
                        FileSystemStorage(location=str(location), base_url=None))
    return location


@pytest.fixture
def make_listing(django_capture_on_commit_callbacks):
    counter = iter(range(1, 10_000))

    def make(organisation, actor, *, title="Lithium iron phosphate cathode coating", patents=1, **terms):
        saved = []
        for _i in range(patents):
            patent, _created = listing_actions.save_patent(
                organisation, actor=actor, number=f"CN2{next(counter):08d}B", title=f"{title} (patent)",
                expiry_date=datetime.date(2038, 5, 1))
            saved.append(patent)
        terms.setdefault("territory", "Mainland China")
        with django_capture_on_commit_callbacks(execute=True):
            listing = listing_actions.create_listing(organisation, actor=actor, patents=saved, title=title, **terms)
            listing_actions.publish_listing(listing, actor=actor)
        listing.refresh_from_db()
        return listing

    return make


@pytest.fixture
def room_parties(make_user, make_org, make_listing):
    """The parties without a deal."""
    licensor_user = make_user("licensor@example.com", full_name="Lena Licensor")
    licensor = make_org("South Battery Institute", owner=licensor_user, verified=True, province="GD")
    licensee_user = make_user("licensee@example.com", full_name="Sam Smallfirm")
    licensee = make_org("Tiny Cells Ltd", kind=OrganisationKind.SME, owner=licensee_user, verified=True,
                        province="GD")
    org_actions.save_sme_profile(licensee, actor=licensee_user, industry="02", employees=50,
                                 annual_revenue_cny=10_000_000, total_assets_cny=None)
    colleague = make_user("colleague@example.com", full_name="Cai Colleague")
    org_actions.add_member(licensee, user=colleague, role=MemberRole.MEMBER, actor=None, operator=True)
    outsider = make_user("outsider-deals@example.com", full_name="Oscar Outsider")
    make_org("Unrelated Works Ltd", kind=OrganisationKind.SME, owner=outsider, verified=True)
    listing = make_listing(licensor, licensor_user, patents=2, offers_exclusive=True, offers_non_exclusive=True,
                           fee_model="lump_sum", lump_sum_minor=20_000_000, currency="CNY")
    return DealParties(licensor, licensee, listing, licensor_user, licensee_user, colleague, outsider, None)


@pytest.fixture
def deal_parties(room_parties, django_capture_on_commit_callbacks):
    """The parties and an open deal: version 1 (the listing's terms) made by the licensee."""
    with django_capture_on_commit_callbacks(execute=True):
        room_parties.deal = actions.open_deal(room_parties.listing, room_parties.licensee,
                                              actor=room_parties.licensee_user)
    return room_parties


@pytest.fixture
def contact_request(room_parties):
    from matching import actions as matching_actions
    from matching.models import Need, Suggestion

    parties = room_parties
    need = matching_actions.create_need(parties.licensee, actor=parties.licensee_user,
                                        title="Cathode coating for e-bike batteries",
                                        description="Our cells lose capacity after a year.")
    Need.objects.filter(pk=need.pk).update(last_matched_at=timezone.now())
    suggestion, _created = Suggestion.objects.get_or_create(
        need=need, listing=parties.listing, defaults={"score": 0.8, "pushed_at": timezone.now()})
    return matching_actions.request_licence(suggestion, actor=parties.licensee_user,
                                            message="We would like a licence.")
