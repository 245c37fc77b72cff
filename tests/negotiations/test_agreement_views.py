"""The agreement pages: the text in the reader's language, downloads, the sign form, the room's panel, staff
retries, owners marking signatories, and 404 for everyone outside the deal on every new URL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace.models import AuditEntry
from negotiations import pdf as pdfs
from negotiations.models import AgreementStatus, DealState
from tests.negotiations.agreements import PASSWORD, agree, sign, sign_both, signers  # noqa: F401 - fixture
from tests.negotiations.parties import parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _urls(deal, agreement):
    pk, v = deal.pk, agreement.version
    return {
        "page": ("get", reverse("deal_agreement", args=[pk])),
        "pdf": ("get", reverse("deal_agreement_pdf", args=[pk, v])),
        "signed pdf": ("get", reverse("deal_agreement_signed_pdf", args=[pk, v])),
        "sign": ("post", reverse("deal_agreement_sign", args=[pk, v])),
    }


@pytest.mark.parametrize("name", ["page", "pdf", "signed pdf", "sign"])
def test_outsiders_and_staff_get_404_on_every_agreement_url(signers, client, make_user, name):
    deal, agreement = agree(signers)
    agreement = sign_both(signers, agreement)
    staff = make_user("staff-views@example.com", full_name="Stella Staff", staff=True)
    method, url = _urls(deal, agreement)[name]
    data = {"typed_name": "Oscar Outsider", "confirm": "1", "password": PASSWORD} if method == "post" else {}
    for user in (signers.outsider_user, signers.rival_user, staff):
        client.force_login(user)
        assert getattr(client, method)(url, data).status_code == 404, user
    client.logout()
    assert getattr(client, method)(url, data).status_code == 302  # to the login page


def test_staff_pages_are_404_for_everyone_else(signers, client, monkeypatch):
    monkeypatch.setattr(pdfs, "render_pdf", lambda html, **kw: (_ for _ in ()).throw(pdfs.PdfError("no fonts")))
    deal, agreement = agree(signers)
    for user in (signers.licensor_user, signers.licensee_user, signers.outsider_user):
        client.force_login(user)
        assert client.get(reverse("agreements_failed")).status_code == 404
        assert client.post(reverse("agreement_retry", args=[agreement.pk])).status_code == 404
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.FAILED and agreement.render_attempts == 1


def test_staff_see_the_render_error_and_produce_the_agreement_again(signers, client, monkeypatch, make_user):
    monkeypatch.setattr(pdfs, "render_pdf", lambda html, **kw: (_ for _ in ()).throw(pdfs.PdfError("no fonts")))
    deal, agreement = agree(signers)
    client.force_login(signers.licensee_user)
    room = client.get(deal.get_absolute_url()).content.decode()
    assert 'id="agreement-failed"' in room and "Sign the agreement" not in room
    monkeypatch.undo()
    staff = make_user("staff-retry@example.com", full_name="Stella Staff", staff=True)
    client.force_login(staff)
    page = client.get(reverse("agreements_failed")).content.decode()
    assert agreement.reference in page and "PdfError: no fonts" in page
    response = client.post(reverse("agreement_retry", args=[agreement.pk]), follow=True)
    assert "is produced and out for signature" in response.content.decode()
    deal.refresh_from_db()
    assert deal.state == DealState.SIGNING


def test_the_room_tells_each_side_what_to_do_next(signers, client):
    deal, agreement = agree(signers)
    client.force_login(signers.licensee_user)
    room = client.get(deal.get_absolute_url()).content.decode()
    assert 'id="sign-button"' in room and "Sign the agreement" in room and agreement.reference in room
    client.force_login(signers.colleague)  # a plain member of the licensor: an owner or signatory signs
    room = client.get(deal.get_absolute_url()).content.decode()
    assert 'id="agreement-needs-signatory"' in room and 'id="sign-button"' not in room
    sign(agreement, signers.licensee_user)
    client.force_login(signers.licensee_user)
    room = client.get(deal.get_absolute_url()).content.decode()
    assert 'id="agreement-waiting"' in room and "Waiting for Battery Institute to sign" in room
    live = client.get(reverse("deal_live", args=[deal.pk])).json()
    assert "agreement-waiting" in live["sections"]["next"]


def test_the_agreement_page_shows_the_readers_language_and_links_the_other(signers, client):
    deal, agreement = agree(signers)
    client.force_login(signers.licensee_user)
    english = client.get(reverse("deal_agreement", args=[deal.pk])).content.decode()
    assert "Patent Licence Agreement" in english and "专利实施许可合同" not in english
    assert 'id="lang-zh"' in english and agreement.pdf_sha256 in english
    signers.licensee_user.language = "zh-hans"
    signers.licensee_user.save()
    chinese = client.get(reverse("deal_agreement", args=[deal.pk]) + "?lang=zh").content.decode()
    assert "专利实施许可合同" in chinese and "许可方" in chinese
    assert "Patent Licence Agreement" not in chinese


def test_signing_through_the_form(signers, client):
    deal, agreement = agree(signers)
    client.force_login(signers.licensee_user)
    url = reverse("deal_agreement_sign", args=[deal.pk, 1])
    wrong = client.post(url, {"typed_name": "Sam Smallfirm", "confirm": "1", "password": "nope"},
                        REMOTE_ADDR="198.51.100.4")
    assert wrong.status_code == 400 and "password is not right" in wrong.content.decode()
    assert agreement.signatures.count() == 0
    assert AuditEntry.objects.get(action="agreement.signature_refused").after["ip"] == "198.51.100.4"
    unticked = client.post(url, {"typed_name": "Sam Smallfirm", "password": PASSWORD})
    assert unticked.status_code == 400 and "Tick the box" in unticked.content.decode()
    done = client.post(url, {"typed_name": "sam smallfirm", "confirm": "1", "password": PASSWORD},
                       REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Firefox/140", follow=True)
    assert "You signed agreement" in done.content.decode()
    signature = agreement.signatures.get()
    assert (signature.ip_address, signature.user_agent, signature.typed_name) == ("198.51.100.4", "Firefox/140",
                                                                                 "sam smallfirm")
    # a licensee signatory can never sign for the licensor: the side is already signed
    again = client.post(url, {"typed_name": "Sam Smallfirm", "confirm": "1", "password": PASSWORD}, follow=True)
    assert "Tiny Cells Ltd has already signed" in again.content.decode() and agreement.signatures.count() == 1


def test_downloads_are_the_stored_documents(signers, client):
    deal, agreement = agree(signers)
    client.force_login(signers.licensor_user)
    assert client.get(reverse("deal_agreement_signed_pdf", args=[deal.pk, 1])).status_code == 404  # not yet
    agreement = sign_both(signers, agreement)
    first = client.get(reverse("deal_agreement_pdf", args=[deal.pk, 1]))
    assert first["Content-Type"] == "application/pdf" and pdfs.sha256(_body(first)) == agreement.pdf_sha256
    final = client.get(reverse("deal_agreement_signed_pdf", args=[deal.pk, 1]))
    assert pdfs.sha256(_body(final)) == agreement.final_sha256
    assert f"{agreement.reference}-signed.pdf" in final["Content-Disposition"]
    page = client.get(reverse("deal_agreement", args=[deal.pk])).content.decode()
    assert agreement.final_sha256 in page and 'id="signed-pdf-link"' in page
    assert "Lena Licensor" in page and "Sam Smallfirm" in page


def test_an_owner_marks_a_member_as_signatory_on_the_members_page(signers, client):
    membership = signers.licensor.memberships.get(user=signers.colleague)
    client.force_login(signers.colleague)  # a member is not allowed to
    client.post(reverse("set_signatory", args=[signers.licensor.slug, membership.pk]), {"value": "1"})
    membership.refresh_from_db()
    assert not membership.is_signatory
    client.force_login(signers.outsider_user)
    assert client.post(reverse("set_signatory", args=[signers.licensor.slug, membership.pk]),
                       {"value": "1"}).status_code == 404
    client.force_login(signers.licensor_user)
    page = client.get(signers.licensor.get_absolute_url()).content.decode()
    assert f'id="signatory-{membership.pk}"' in page and "Make authorised signatory" in page
    response = client.post(reverse("set_signatory", args=[signers.licensor.slug, membership.pk]), {"value": "1"},
                           follow=True)
    assert "may now sign agreements" in response.content.decode()
    membership.refresh_from_db()
    assert membership.is_signatory
    assert f'data-signatory="{membership.pk}"' in response.content.decode()


def test_the_read_api_lists_the_agreements_of_a_deal(signers, client):
    deal, agreement = agree(signers)
    agreement = sign_both(signers, agreement)
    client.force_login(signers.licensee_user)
    body = client.get(reverse("api-deal-detail", args=[deal.pk])).json()
    [shown] = body["agreements"]
    assert shown["reference"] == agreement.reference and shown["status"] == "signed"
    assert (shown["pdf_sha256"], shown["final_sha256"]) == (agreement.pdf_sha256, agreement.final_sha256)
    assert shown["signed_pdf_url"].endswith(f"/deals/{deal.pk}/agreement/1/signed.pdf")
    assert sorted(s["signer"] for s in shown["signatures"]) == ["Lena Licensor", "Sam Smallfirm"]
    client.force_login(signers.outsider_user)
    assert client.get(reverse("api-deal-detail", args=[deal.pk])).status_code == 404
    schema = client.get("/api/schema/?format=json").json()
    assert "agreements" in schema["components"]["schemas"]["DealDetail"]["properties"]


def test_the_sign_form_names_the_organisation_without_a_second_full_stop(signers, client):
    from marketplace.models import Organisation

    Organisation.objects.filter(pk=signers.licensee.pk).update(name="Shenzhen Lingxi Battery Technology Co., Ltd.")
    deal, agreement = agree(signers)
    client.force_login(signers.licensee_user)
    page = client.get(reverse("deal_agreement", args=[deal.pk])).content.decode()
    assert 'id="sign-form"' in page and "You sign for: Shenzhen Lingxi Battery Technology Co., Ltd.</p>" in page
    assert "Ltd.." not in page and "fingerprint of the PDF are recorded." in page


def test_an_accepted_term_sheet_shows_no_valid_until(signers, client):
    from negotiations import actions
    from tests.negotiations.parties import open_deal_for

    deal = open_deal_for(signers)
    client.force_login(signers.licensee_user)

    def version_1():
        room = client.get(deal.get_absolute_url()).content.decode()
        return room[room.index('id="version-1"'):].split("</article>")[0]

    assert "Valid until" in version_1()  # open: waiting for the licensor's answer until then
    actions.accept_offer(deal, actor=signers.licensor_user, version=1)
    accepted = version_1()
    assert 'data-status="accepted"' in accepted and "Valid until" not in accepted and "Lump sum" in accepted
