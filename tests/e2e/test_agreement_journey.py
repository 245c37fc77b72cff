"""The agreement journey in two browsers: the deal is agreed, the SME (in English) signs from the deal room's
"Sign the agreement" button, the institute (in Chinese) sees it live and signs; the SME downloads the signed PDF
and the public verification page recognises it, and not a modified copy."""

from __future__ import annotations

import pytest

from negotiations import actions
from tests.conftest import PASSWORD
from tests.e2e.conftest import off_the_event_loop
from tests.e2e.test_deal_room_journey import LICENSEE_EMAIL, LICENSOR_EMAIL, _make_parties

pytestmark = pytest.mark.django_db(transaction=True)


def _agreed_deal():
    from marketplace.models import User

    world = _make_parties()
    sme_user, institute_user = User.objects.get(email=LICENSEE_EMAIL), User.objects.get(email=LICENSOR_EMAIL)
    deal = actions.open_deal(world.listing, world.licensee, actor=sme_user)
    actions.accept_offer(deal, actor=institute_user, version=1)
    return deal.pk


def _sign(page, name: str):
    page.locator("#sign-form [name=typed_name]").fill(name)
    page.locator("#sign-form [name=confirm]").check()
    page.locator("#sign-form [name=password]").fill(PASSWORD)
    page.locator("#sign-form button[type=submit]").click()
    page.wait_for_load_state()


def test_both_sign_download_and_verify(daphne_server, browser, shoot, tmp_path):
    deal_id = off_the_event_loop(_agreed_deal)
    sme = daphne_server.new_page(browser, LICENSEE_EMAIL, language="en")
    institute = daphne_server.new_page(browser, LICENSOR_EMAIL, language="zh-hans")
    room = f"{daphne_server.url}/deals/{deal_id}/"

    institute.goto(room)
    daphne_server.wait_for_socket(institute, f"/ws/deals/{deal_id}/")
    institute.evaluate("window.__notReloaded = true")

    sme.goto(room)
    sme.locator("#sign-button").click()
    sme.wait_for_url("**/agreement/*")
    assert "Patent Licence Agreement" in sme.locator("#agreement-text").inner_text()
    shoot(sme, "agreement-to-sign-en")
    _sign(sme, "wang fang ")  # case and spaces do not matter
    assert "You signed agreement" in sme.locator("#messages").inner_text()

    # The institute's room shows the SME's signature without reloading; it signs in Chinese.
    institute.locator("#agreement-signatures li:has-text('✓')").wait_for(timeout=10_000)
    assert institute.evaluate("window.__notReloaded") is True
    shoot(institute, "deal-room-agreement-panel-zh")
    institute.locator("#sign-button").click()
    assert "专利实施许可合同" in institute.locator("#agreement-text").inner_text()
    _sign(institute, "Li Wei")
    institute.locator("#final-sha256").wait_for()
    shoot(institute, "agreement-signed-zh")

    sme.goto(f"{daphne_server.url}/deals/{deal_id}/agreement/")
    with sme.expect_download() as download:
        sme.locator("#signed-pdf-link").click()
    signed = tmp_path / "signed.pdf"
    download.value.save_as(signed)
    assert sme.locator("#final-sha256").inner_text().strip() in (sme.locator("#agreement-facts").inner_text())

    # Anyone (here: a visitor who is not logged in) verifies the signed PDF; a modified copy does not verify.
    visitor = daphne_server.new_page(browser)
    visitor.goto(f"{daphne_server.url}/")
    visitor.locator("#footer-verify").click()
    visitor.locator("#verify-form [name=document]").set_input_files(str(signed))
    visitor.locator("#verify-form button[type=submit]").click()
    visitor.locator("#verify-result[data-found='1']").wait_for()
    assert "Zhongguancun Materials Institute" in visitor.locator("#verify-result").inner_text()
    shoot(visitor, "agreement-verified-en")
    modified = tmp_path / "modified.pdf"
    data = bytearray(signed.read_bytes())
    data[len(data) // 3] ^= 0x20
    modified.write_bytes(bytes(data))
    visitor.locator("#verify-form [name=document]").set_input_files(str(modified))
    visitor.locator("#verify-form button[type=submit]").click()
    visitor.locator("#verify-result[data-found='0']").wait_for()
