"""Shared fixtures of the listings tests (each section says which tests use it)."""

# --- browse, owner dashboard and expiry (tests/listings/test_browse.py, test_owner.py, test_expire.py) ---
import pytest


@pytest.fixture
def verified_holder(make_org, owner):
    """A verified research institute owned by ``owner``."""
    return make_org("Verified Battery Institute", owner=owner, verified=True, province="BJ")


@pytest.fixture
def patent_factory(owner):
    """``patent_factory(org, "CN112345678B", title=..., ipc_codes=[...], **fields)`` → Patent."""
    from listings import actions as listing_actions

    def make(organisation, number, *, title="A patent", actor=None, **fields):
        patent, _created = listing_actions.save_patent(organisation, actor=actor or owner, number=number,
                                                        title=title, **fields)
        return patent

    return make


@pytest.fixture
def listing_factory(owner, django_capture_on_commit_callbacks):
    """``listing_factory(org, [patents], publish=True, **terms)`` → Listing (published listings are
    indexed: the on-commit index task runs)."""
    from listings import actions as listing_actions

    def make(organisation, patents, *, publish=False, actor=None, **fields):
        actor = actor or owner
        with django_capture_on_commit_callbacks(execute=True):
            listing = listing_actions.create_listing(organisation, actor=actor, patents=list(patents), **fields)
            if publish:
                listing_actions.publish_listing(listing, actor=actor)
        listing.refresh_from_db()
        return listing

    return make


# --- bulk import (tests/listings/test_import.py, test_import_web.py) ---
@pytest.fixture
def import_holder(make_org, owner):
    """A verified research institute (owned by ``owner``) that imports patents."""
    return make_org("Import Institute", owner=owner, verified=True, slug="import-institute")


@pytest.fixture
def unverified_holder(make_org, owner):
    """A research institute (owned by ``owner``) not verified yet: may import, may not publish."""
    return make_org("Pending Institute", owner=owner, slug="pending-institute")


@pytest.fixture
def write_import_file(tmp_path):
    """``write_import_file("x.csv", text_or_bytes)`` → path of the file in a temporary directory."""

    def write(name, content):
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return write


# --- imports (tests/listings/test_import_web.py, test_import_report.py, test_import_language_switch.py,
# test_date_formats.py) ---
@pytest.fixture
def no_search_index(monkeypatch):
    """Imports publish without touching the search index (these tests look at import pages and reports)."""
    monkeypatch.setattr("listings.search.update_listings", lambda ids: None)
