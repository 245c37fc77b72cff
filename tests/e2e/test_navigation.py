"""The signed-in navigation: one line at 1024–1440 px for every demo role in English and Chinese, role links
in menus that open without JavaScript and by keyboard, an SVG bell, and the funnel pages linked."""

import pytest
from django.core.management import call_command

from marketplace.management.commands import load_demo

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1440, 1280, 1024)  # the screenshot is taken at the last
ROLES = [email for email, _name, _role, _slug in load_demo.USERS]
HOLDERS = {"institute@patentbridge.demo": "zgc-materials-institute",
           "university@patentbridge.demo": "south-china-tech-university",
           "donor@patentbridge.demo": "northern-power-group"}


@pytest.fixture
def demo_logins(monkeypatch):
    """The demo organisations and logins of ``load_demo``, without its (slow) demo listings and needs."""
    monkeypatch.setattr(load_demo.Command, "_later_steps", lambda self: None)
    call_command("load_demo", stdout=open("/dev/null", "w"))


def _nav_geometry(page) -> dict:
    return page.evaluate("""() => {
        const nav = document.querySelector('nav.navbar');
        const items = [...document.querySelectorAll('#mainnav > ul > li, #mainnav > form, nav.navbar .navbar-brand')];
        const mids = items.map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; });
        return {height: nav.getBoundingClientRect().height, spread: Math.max(...mids) - Math.min(...mids),
                count: items.length};
    }""")


@pytest.mark.parametrize("email", ROLES)
def test_navigation_is_one_line_for_every_demo_role(email, demo_logins, browser, live_server, login, shoot):
    for language in ("en", "zh-hans"):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        login(page, email, load_demo.DEMO_PASSWORD, language=language)
        assert page.locator("#nav-notifications").count() == 1, "not signed in"
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            geometry = _nav_geometry(page)
            assert geometry["height"] <= 64, f"{email} {language} {width}px: navbar {geometry['height']}px high"
            assert geometry["spread"] <= 6, f"{email} {language} {width}px: items on more than one line"
        shoot(page, f"nav-{email.split('@')[0]}-{language}-1024")
        bell = page.locator("#nav-notifications svg")
        assert bell.count() == 1 and bell.is_visible()
        assert "\U0001F514" not in page.locator("#nav-notifications").inner_text()
        context.close()


def test_menus_open_by_keyboard_and_link_the_funnels(demo_logins, page, live_server, login, shoot):
    page.set_viewport_size({"width": 1024, "height": 800})
    login(page, "staff@patentbridge.demo", load_demo.DEMO_PASSWORD)
    staff_menu = page.locator("details[data-nav-menu]", has=page.locator("a[href='/staff/funnel/']"))
    funnel = staff_menu.locator("a[href='/staff/funnel/']")
    assert not funnel.is_visible()
    staff_menu.locator("summary").focus()
    page.keyboard.press("Enter")
    assert funnel.is_visible()
    shoot(page, "nav-staff-menu-open")
    page.keyboard.press("Escape")
    assert not funnel.is_visible()
    page.keyboard.press("Space")  # focus went back to the summary
    assert funnel.is_visible()
    funnel.click()
    page.wait_for_load_state()
    assert page.url.endswith("/staff/funnel/")

    page.context.clear_cookies()
    login(page, "university@patentbridge.demo", load_demo.DEMO_PASSWORD)
    owner_funnel = page.locator(f"a[href='/owner/{HOLDERS['university@patentbridge.demo']}/funnel/']")
    page.locator("details[data-nav-menu] summary").first.click()
    assert owner_funnel.is_visible()
    owner_funnel.click()
    page.wait_for_load_state()
    assert page.url.endswith("/funnel/")


def test_menus_work_without_javascript(demo_logins, browser, live_server, login):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    login(page, "sme@patentbridge.demo", load_demo.DEMO_PASSWORD)
    needs = page.locator("a[href='/sme/lingxi-battery/needs/']")
    assert not needs.is_visible()
    page.locator("details[data-nav-menu] summary").first.click()
    assert needs.is_visible()
    context.close()
