"""The listing form's patent picker in a browser: search by words or IPC code, pick by keyboard or mouse,
save; and the same form without JavaScript, with typed numbers."""


import pytest

from listings import actions as listing_actions
from listings.models import Listing
from tests.e2e.conftest import off_the_event_loop

pytestmark = pytest.mark.django_db(transaction=True)


def _portfolio(make_user, make_org):
    owner = make_user("owner@example.com", full_name="Olga Owner")
    org = make_org("South Battery Institute", owner=owner, verified=True, slug="south-battery")
    for i in range(60):  # enough that a list of every patent would be a chore
        listing_actions.save_patent(org, actor=owner, number=f"CN1000000{i:02d}A", title=f"Irrigation valve {i}",
                                    ipc_codes=["A01G 25/16"])
    listing_actions.save_patent(org, actor=owner, number="CN112345678B", title="一种锂电池正极材料",
                                ipc_codes=["H01M 4/58"], language="zh-Hans")
    listing_actions.save_patent(org, actor=owner, number="US8088512B2", title="Self organizing battery structure",
                                ipc_codes=["H01M 10/02"])
    return owner, org


@pytest.fixture
def portfolio(make_user, make_org):
    return off_the_event_loop(_portfolio, make_user, make_org)


def _new_listing(page, live_server, org):
    page.goto(f"{live_server.url}/owner/{org.slug}/listings/new/")
    page.fill("input[name=title]", "Battery picks")


def test_pick_by_words_and_by_ipc_code_then_save(portfolio, page, live_server, login, shoot):
    owner, org = portfolio
    login(page, owner.email)
    _new_listing(page, live_server, org)
    search = page.locator("#patent-picker-query")
    assert search.is_visible()

    search.fill("电池")
    option = page.locator("#patent-picker-results [role=option]")
    option.first.wait_for()
    assert option.count() == 1 and "CN 112345678 B" in option.first.inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # picks; does not submit the form
    assert page.url.endswith("/listings/new/")

    search.fill("battery")
    page.locator("#patent-picker-results [role=option]", has_text="US 8088512 B2").click()
    search.fill("H01M")
    page.wait_for_function("document.querySelectorAll('#patent-picker-results [role=option]').length === 2")
    shoot(page, "patent-picker")
    assert page.locator("#patent-picker-selected input[name=patents]:checked").count() == 2

    page.locator("button[name=save]").click()
    page.wait_for_load_state()
    listing = Listing.objects.get(title="Battery picks")
    assert sorted(p.display_number for p in listing.patents.all()) == ["CN 112345678 B", "US 8088512 B2"]


def test_without_javascript_typed_numbers_are_checked_by_the_server(portfolio, browser, live_server, login):
    owner, org = portfolio
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, owner.email)
    _new_listing(page, live_server, org)
    assert not page.locator("#patent-picker-query").is_visible()
    page.fill("textarea[name=add_patents]", "CN 112345678 B\nCN 999 999 999 B")
    page.locator("button[name=save]").click()
    page.wait_for_load_state()
    assert "Not among your organisation’s patents: CN 999 999 999 B." in page.inner_text("body")
    assert not Listing.objects.filter(title="Battery picks").exists()

    page.fill("textarea[name=add_patents]", "CN 112345678 B")
    page.locator("button[name=save]").click()
    page.wait_for_load_state()
    listing = Listing.objects.get(title="Battery picks")
    assert [p.display_number for p in listing.patents.all()] == ["CN 112345678 B"]
    context.close()


def test_ipc_codes_of_a_new_patent_are_picked_from_suggestions(portfolio, page, live_server, login, shoot):
    owner, org = portfolio
    login(page, owner.email)
    _new_listing(page, live_server, org)
    page.locator("summary", has_text="Add a new patent").click()
    page.fill("input[name=new_number]", "CN 113000001 A")
    page.fill("input[name=new_title]", "Battery casing with cooling ribs")
    ipc_field = page.locator("input[name=new_ipc_codes]")
    ipc_field.click()
    ipc_field.press_sequentially("battery", delay=20)
    page.locator(".ipc-picker-results [role=option]", has_text="H01M").first.click()
    assert ipc_field.input_value() == "H01M; "
    ipc_field.press_sequentially("h01m 10/05", delay=20)
    page.locator(".ipc-picker-results [role=option]").first.wait_for()
    shoot(page, "ipc-picker")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert ipc_field.input_value() == "H01M; H01M 10/05; "
    page.locator("button[name=save]").click()
    page.wait_for_load_state()
    listing = Listing.objects.get(title="Battery picks")
    [patent] = listing.patents.all()
    assert patent.display_number == "CN 113000001 A" and patent.ipc_codes == ["H01M", "H01M 10/05"]
