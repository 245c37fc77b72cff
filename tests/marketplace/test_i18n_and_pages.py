"""Language switch, translations, base layout and error pages."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.mark.django_db
def test_home_page_in_english_by_default(client):
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in page
    assert "Turn idle patents into working licences" in page


@pytest.mark.django_db
def test_language_switch_to_chinese_and_back(client):
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"}, follow=True)
    page = response.content.decode()
    assert '<html lang="zh-Hans">' in page
    assert "Turn idle patents into working licences" not in page
    assert "专利" in page  # the hero heading is translated
    assert "登录" in page  # and so is the navigation
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    assert "Turn idle patents into working licences" in response.content.decode()


@pytest.mark.django_db
def test_browser_language_is_respected(client):
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert '<html lang="zh-Hans">' in page


def test_signed_in_users_preferred_language_applies_without_a_cookie(client, make_user):
    user = make_user("zh@example.com", language="zh-hans")
    client.force_login(user)
    page = client.get(reverse("profile")).content.decode()
    assert '<html lang="zh-Hans">' in page


def test_every_string_is_translated_to_chinese():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []


def test_compiled_catalogue_matches_the_source():
    # keyed by context and text: the same msgid may have several contexts (", " as a list or enumeration)
    source = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
              for e in polib.pofile(str(LOCALE / "django.po")) if e.msgid}
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
                for e in polib.mofile(str(LOCALE / "django.mo")) if e.msgid}
    assert compiled == source, "run `make messages` to recompile locale/zh_Hans/LC_MESSAGES/django.mo"


@pytest.mark.django_db
def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


@pytest.mark.django_db
def test_server_error_page_is_friendly():
    from django.test import Client

    from marketplace import views

    def boom(request):
        raise RuntimeError("boom")

    with override_settings(ROOT_URLCONF=__name__):
        urlpatterns.append(_path("boom/", boom))
        response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert views.error_500  # the handler the project's urls name


@pytest.mark.django_db
def test_navigation_differs_per_role(client, staff, owner, institute):
    client.force_login(owner)
    page = client.get(reverse("home")).content.decode()
    assert institute.get_absolute_url() in page
    assert reverse("verification_queue") not in page
    client.force_login(staff)
    page = client.get(reverse("home")).content.decode()
    assert reverse("verification_queue") in page
    assert reverse("admin:index") in page


def test_admin_is_for_staff_only(client, owner, staff):
    client.force_login(owner)
    assert client.get(reverse("admin:index")).status_code == 302
    client.force_login(staff)
    assert client.get(reverse("admin:marketplace_organisation_changelist")).status_code == 200
    assert client.get(reverse("admin:marketplace_auditentry_changelist")).status_code == 200


# A tiny URLconf for the 500 test, using the project's handlers.
from django.urls import path as _path  # noqa: E402

from marketplace.urls import handler404, handler500  # noqa: E402,F401

urlpatterns = []
