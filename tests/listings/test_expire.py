"""``manage.py expire_listings``: listings with expired or lapsed patents leave the market (and search)."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from listings import actions, search
from listings.models import Listing, ListingState, Patent
from marketplace.models import AuditEntry


def run(django_capture_on_commit_callbacks, *args):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_listings", *args, stdout=out)
    return out.getvalue()


def found(text: str) -> set[int]:
    return {hit.listing_id for hit in search.search(search.SearchQuery(text=text, facets=False)).hits}


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def portfolio(verified_holder, patent_factory, listing_factory, owner, today, django_capture_on_commit_callbacks):
    """One listing per situation; all patents alive when published, then some die."""
    def make(name, number, *, publish=True, **patent_fields):
        patent = patent_factory(verified_holder, number, title=f"{name} sensor", abstract=f"The {name} sensor.",
                                expiry_date=today + datetime.timedelta(days=365))
        return listing_factory(verified_holder, [patent], publish=publish, title=f"{name} sensor")

    listings = {
        "alive": make("Alive", "CN100000001A"),
        "expires": make("Expiring", "CN100000002A"),
        "lapses": make("Lapsing", "CN100000003A"),
        "paused": make("Paused", "CN100000004A"),
        "draft": make("Draft", "CN100000005A", publish=False),
        "withdrawn": make("Withdrawn", "CN100000006A"),
    }
    with django_capture_on_commit_callbacks(execute=True):  # the index follows
        actions.pause_listing(listings["paused"], actor=owner)
        actions.withdraw_listing(listings["withdrawn"], actor=owner)
    yesterday = today - datetime.timedelta(days=1)
    dying = Patent.objects.filter(number__in=["100000002", "100000004", "100000005", "100000006"])
    assert dying.update(expiry_date=yesterday) == 4
    assert Patent.objects.filter(number="100000003").update(legal_status="lapsed") == 1
    return listings


def state(listing):
    return Listing.objects.get(pk=listing.pk).state


def test_listings_with_expired_or_lapsed_patents_expire(django_capture_on_commit_callbacks, portfolio):
    output = run(django_capture_on_commit_callbacks)
    assert "Expired 4 listings." in output
    for name in ("expires", "lapses", "paused", "draft"):
        assert state(portfolio[name]) == ListingState.EXPIRED, name
    assert state(portfolio["alive"]) == ListingState.PUBLISHED
    assert state(portfolio["withdrawn"]) == ListingState.WITHDRAWN
    expired_ids = {str(portfolio[name].pk) for name in ("expires", "lapses", "paused", "draft")}
    entries = AuditEntry.objects.filter(action="listing.expired")
    assert {e.target_id for e in entries} == expired_ids
    assert all(e.actor is None for e in entries)


def test_running_again_changes_nothing(django_capture_on_commit_callbacks, portfolio):
    run(django_capture_on_commit_callbacks)
    audit_count = AuditEntry.objects.count()
    states = {name: state(listing) for name, listing in portfolio.items()}
    output = run(django_capture_on_commit_callbacks)
    assert "Expired 0 listings." in output
    assert {name: state(listing) for name, listing in portfolio.items()} == states
    assert AuditEntry.objects.count() == audit_count


def test_expired_listings_leave_search(django_capture_on_commit_callbacks, portfolio):
    assert found("sensor") == {portfolio["alive"].pk, portfolio["expires"].pk, portfolio["lapses"].pk}
    run(django_capture_on_commit_callbacks)
    assert found("sensor") == {portfolio["alive"].pk}
    assert found("Expiring") == set() and found("Lapsing") == set()


def test_expired_listing_is_no_longer_public(client, django_capture_on_commit_callbacks, portfolio):
    run(django_capture_on_commit_callbacks)
    assert client.get(portfolio["expires"].get_absolute_url()).status_code == 404
    assert client.get(portfolio["alive"].get_absolute_url()).status_code == 200


def test_date_option_and_verbose_output(django_capture_on_commit_callbacks, portfolio, today):
    later = (today + datetime.timedelta(days=400)).isoformat()  # past every expiry date
    output = run(django_capture_on_commit_callbacks, "--date", later, "-v", "2")
    assert "Expired 5 listings." in output
    assert "Expired listing ids:" in output and str(portfolio["alive"].pk) in output


def test_bad_date_is_a_clear_error(db):
    with pytest.raises(CommandError, match="--date must look like"):
        call_command("expire_listings", "--date", "31/01/2025", stdout=StringIO())


def test_singular_output(django_capture_on_commit_callbacks, verified_holder, patent_factory, listing_factory,
                         today):
    patent = patent_factory(verified_holder, "CN100000009A", expiry_date=today + datetime.timedelta(days=5))
    listing_factory(verified_holder, [patent])
    assert Patent.objects.filter(pk=patent.pk).update(legal_status="expired") == 1
    assert "Expired 1 listing." in run(django_capture_on_commit_callbacks)
