"""Shared fixtures. Tests that need PostgreSQL or Redis carry the ``postgres`` / ``redis`` marker:
skipped (with a reason) when the service is not configured, and a failure if they skip anyway
when it is."""

from __future__ import annotations

import pytest
from django.conf import settings

from marketplace import actions
from marketplace.models import MemberRole, OrganisationKind

PASSWORD = "correct-horse-battery-staple"


def _postgres_configured() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _redis_configured() -> bool:
    return bool(settings.REDIS_URL)


SERVICES = {
    "postgres": (_postgres_configured, "needs PostgreSQL: set DATABASE_URL=postgres://..."),
    "redis": (_redis_configured, "needs Redis: set REDIS_URL=redis://..."),
}


def _is_browser_test(item) -> bool:
    return "tests/e2e/" in item.nodeid.replace("\\", "/") or item.nodeid.startswith("e2e/")


def pytest_collection_modifyitems(config, items):
    # Browser journeys run last: Playwright's sync API keeps an asyncio loop running in the main
    # thread for the rest of the session, and async_to_sync (Channels tests, events on commit)
    # refuses to run in a thread with a running loop.
    items.sort(key=_is_browser_test)
    for item in items:
        for marker, (configured, reason) in SERVICES.items():
            if item.get_closest_marker(marker) and not configured():
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped:
        for marker, (configured, _reason) in SERVICES.items():
            if item.get_closest_marker(marker) and configured():
                report.outcome = "failed"
                report.longrepr = f"{marker} is configured, so this test must run, but it skipped: {report.longrepr}"
    return report


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.TASKS_MODE = "eager"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "verification": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                         "OPTIONS": {"location": str(tmp_path / "verification"), "base_url": None}},
        "deal_attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                             "OPTIONS": {"location": str(tmp_path / "deal-attachments"), "base_url": None}},
        "agreements": {"BACKEND": "negotiations.storage.WriteOnceFileSystemStorage",
                       "OPTIONS": {"location": str(tmp_path / "agreements"), "base_url": None}},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SECURE_SSL_REDIRECT = False
    settings.LANGUAGE_CODE = "en"
    # Rate-limit counters (sign-up, password reset, API throttles) live in the cache, which outlives a
    # test (Redis even outlives the run): every test starts with none.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(email=None, *, staff=False, full_name="Test User", **extra):
        email = email or f"user{next(counter)}@example.com"
        return actions.create_account(email=email, full_name=full_name, password=PASSWORD, staff=staff, **extra)

    return make


@pytest.fixture
def make_org(db):
    def make(name="Acme Institute", *, kind=OrganisationKind.RESEARCH_INSTITUTE, owner=None, verified=False, **extra):
        organisation = actions.create_organisation(actor=owner, name=name, kind=kind, **extra)
        if verified:
            organisation = actions.verify_organisation(organisation, actor=None, operator=True, notify=False)
        return organisation

    return make


@pytest.fixture
def staff(make_user):
    return make_user("staff@example.com", staff=True, full_name="Staff Person")


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.com", full_name="Olivia Owner")


@pytest.fixture
def outsider(make_user):
    return make_user("outsider@example.com", full_name="Oscar Outsider")


@pytest.fixture
def institute(make_org, owner):
    return make_org("Acme Institute", owner=owner)


@pytest.fixture
def member(make_user, institute):
    user = make_user("member@example.com", full_name="Mia Member")
    actions.add_member(institute, user=user, role=MemberRole.MEMBER, actor=None, operator=True)
    return user
