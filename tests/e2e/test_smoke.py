"""The browser harness itself: a visitor reaches the home page, switches to Chinese and signs in."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_visitor_switches_language_and_signs_in(page, live_server, make_user, login, shoot):
    make_user("reader@example.com", full_name="Rita Reader")
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "en"

    page.click("button[name=language][value=zh-hans]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    shoot(page, "home-zh")

    login(page, "reader@example.com")
    assert page.locator("#nav-notifications").count() == 1  # only signed-in users have the bell
