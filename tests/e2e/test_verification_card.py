"""The staff verification card in Chinese: the decision buttons keep their words on one line (CJK text
broke "驳回" into one character per line), and the SME's revenue and assets are grouped as elsewhere."""

import pytest
from django.core.management import call_command

from marketplace.management.commands import load_demo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_logins(monkeypatch):
    monkeypatch.setattr(load_demo.Command, "_later_steps", lambda self: None)
    call_command("load_demo", stdout=open("/dev/null", "w"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_verification_card_buttons_stay_on_one_line(language, demo_logins, page, live_server, login, shoot):
    login(page, "staff@patentbridge.demo", load_demo.DEMO_PASSWORD, language=language)
    page.goto(f"{live_server.url}/staff/verification/")
    card = page.locator(".card", has_text="Hangzhou Qingshan")
    for name in ("note", "reason"):
        form = card.locator(f"form:has(input[name={name}])")
        field = form.locator(f"input[name={name}]").bounding_box()
        button = form.locator("button[type=submit]").bounding_box()
        assert button["height"] <= field["height"] + 2, f"{language}: the {name} button wraps ({button['height']}px)"
    evidence = card.locator("[data-evidence=sme]").inner_text()
    assert "¥300,000" in evidence and "¥400,000" in evidence, evidence
    shoot(page, f"verification-card-{language}")
