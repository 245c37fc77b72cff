"""/agreements/verify/: anyone (no login) checks a PDF or a pasted SHA-256 and learns which PatentBridge agreement it
is — reference, the parties' names and the date signed, nothing more. A changed PDF does not verify."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from negotiations import pdf as pdfs
from tests.negotiations.agreements import agree, sign_both, signers  # noqa: F401 - fixture
from tests.negotiations.parties import parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
URL = "/agreements/verify/"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signed(signers):
    deal, agreement = agree(signers)
    return sign_both(signers, agreement)


def _final(agreement) -> bytes:
    with agreement.final_pdf.open("rb") as handle:
        return handle.read()


def _upload(data: bytes):
    return SimpleUploadedFile("agreement.pdf", data, content_type="application/pdf")


def test_the_page_is_public_and_linked_from_the_footer(client):
    assert reverse("agreement_verify") == URL
    page = client.get(URL)
    assert page.status_code == 200 and 'id="verify-form"' in page.content.decode()
    assert f'href="{URL}"' in client.get("/").content.decode()


def test_the_final_pdf_verifies(client, signed):
    page = client.post(URL, {"document": _upload(_final(signed))}).content.decode()
    assert 'data-found="1"' in page and signed.reference in page
    assert "Battery Institute" in page and "Tiny Cells Ltd" in page
    assert "signature page and certificate" in page
    assert "100,000" not in page and "Cathode coating" not in page  # parties and date only, not the terms


def test_a_modified_pdf_does_not_verify(client, signed):
    data = bytearray(_final(signed))
    data[len(data) // 2] ^= 0x01
    page = client.post(URL, {"document": _upload(bytes(data))}).content.decode()
    assert 'data-found="0"' in page and signed.reference not in page
    appended = client.post(URL, {"document": _upload(_final(signed) + b"\n%changed")}).content.decode()
    assert 'data-found="0"' in appended


def test_a_pasted_hash_works_either_document_and_any_case(client, signed):
    page = client.post(URL, {"sha256": signed.final_sha256.upper()}).content.decode()
    assert 'data-found="1"' in page and signed.reference in page
    unsigned = client.post(URL, {"sha256": f"  {signed.pdf_sha256} "}).content.decode()
    assert 'data-found="1"' in unsigned and "as put out for signature" in unsigned


def test_an_unknown_or_malformed_hash_says_no(client, signed):
    assert 'data-found="0"' in client.post(URL, {"sha256": "ab" * 32}).content.decode()
    bad = client.post(URL, {"sha256": "not-a-hash"}).content.decode()
    assert "64 hexadecimal characters" in bad and "verify-result" not in bad
    empty = client.post(URL, {}).content.decode()
    assert "Upload the PDF or paste" in empty


def test_checks_are_rate_limited(client, signed, monkeypatch):
    from negotiations.views import agreements as views

    monkeypatch.setattr(views, "VERIFY_LIMIT", views.throttle.Limit(count=2, seconds=60))
    for _i in range(2):
        assert client.post(URL, {"sha256": "ab" * 32}).status_code == 200
    refused = client.post(URL, {"sha256": signed.final_sha256})
    assert refused.status_code == 429 and "Too many checks" in refused.content.decode()
    assert pdfs.sha256(_final(signed)) == signed.final_sha256


def test_a_replaced_version_says_which_version_replaced_it(client, signers):
    from negotiations import actions

    deal, first = agree(signers, fee_model="free", lump_sum_minor=0)
    first = sign_both(signers, first)
    second = sign_both(signers, actions.generate_agreement(deal, offer=first.offer))
    first.refresh_from_db()
    page = client.post(URL, {"sha256": first.final_sha256}).content.decode()
    assert 'data-status="superseded"' in page and "Signed by both parties on" in page
    assert f"Replaced by {second.reference} on" in page and "no longer in force" in page
    current = client.post(URL, {"sha256": second.final_sha256}).content.decode()
    assert 'data-status="signed"' in current and "Replaced by" not in current


def test_a_void_or_unsigned_agreement_says_so(client, signers):
    from negotiations import actions

    deal, agreement = agree(signers)
    unsigned = client.post(URL, {"sha256": agreement.pdf_sha256}).content.decode()
    assert "Out for signature: not signed by both parties yet." in unsigned
    actions.end_deal(deal, actor=signers.licensee_user, reason="Board said no")
    void = client.post(URL, {"sha256": agreement.pdf_sha256}).content.decode()
    assert 'data-status="void"' in void and "Never signed by both parties." in void
    assert "the deal ended before both parties signed" in void and "Signed by both parties on" not in void


def test_the_chinese_button_checks_an_agreement_not_verifies_an_organisation(client):
    client.cookies["django_language"] = "zh-hans"
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    button = page[page.index('id="verify-form"'):]
    assert "通过认证" not in button
