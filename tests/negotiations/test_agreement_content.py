"""What the licence agreement says, read from its PDF as a reader's search finds it: both languages, the parties,
the patents, the terms, amounts spelled out; the consent of an open licence; versioned templates."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from marketplace import actions as marketplace_actions
from marketplace.actions import ActionError
from negotiations import actions
from negotiations import pdf as pdfs
from negotiations.models import DealOrigin, Deal
from tests.negotiations.agreements import agree, dense, normal
from tests.negotiations.parties import open_deal_for, parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _pdf(agreement) -> bytes:
    with agreement.pdf.open("rb") as handle:
        return handle.read()


def test_the_pdf_holds_the_english_and_the_chinese_text(parties):
    parties.licensor.address = "1 Science Road, Haidian, Beijing"
    parties.licensor.credit_code = ""
    parties.licensor.save()
    deal, agreement = agree(parties)
    data = _pdf(agreement)
    assert pdfs.sha256(data) == agreement.pdf_sha256
    text = pdfs.text_of(data)
    flat, packed = normal(text), dense(text)
    # English first, then the Chinese text: one bilingual document
    assert "Patent Licence Agreement" in flat and "专利实施许可合同" in packed
    assert flat.index("Patent Licence Agreement") < text.replace("\n", " ").find("专利")
    for name in ("Battery Institute", "Tiny Cells Ltd"):
        assert name in flat
    assert "1 Science Road, Haidian, Beijing" in flat  # the registered address
    assert "许可方" in packed and "被许可方" in packed and "第一条" in packed
    # the patent, the kind of licence, the fee in figures and in words, in both languages
    assert "CN 112233445 B" in flat and "Cathode coating" in flat
    assert "CNY 100,000.00" in flat and "one hundred thousand yuan" in flat
    assert "人民币壹拾万元整" in packed
    assert "中华人民共和国法律" in packed and "the laws of the People's Republic of China" in flat
    # the reference and page numbers on every page
    pages = pdfs.page_count(data)
    assert pages >= 2 and flat.count(agreement.reference) >= pages
    assert f"Page 1 of {pages}" in flat and f"Page {pages} of {pages}" in flat


def test_signatories_addresses_fall_back_to_the_province_and_royalties_read_in_words(parties):
    membership = parties.licensor.memberships.get(user=parties.colleague)
    marketplace_actions.set_signatory(membership, actor=parties.licensor_user, value=True)
    deal, agreement = agree(parties, fee_model="entry_fee_royalty", lump_sum_minor=0, entry_fee_minor=5_000_050,
                            royalty_rate_bp=350, minimum_annual_royalty_minor=1_000_000, governing_law="hk",
                            sublicensing_allowed=True, field_of_use="Electric bicycles", term_months=36)
    content = agreement.content
    licensor = content["parties"]["licensor"]
    assert [s["name"] for s in licensor["signatories"]] == ["Lena Licensor", "Colin Colleague"]
    assert content["parties"]["licensee"]["address_en"] == "Guangdong"  # no address: the province
    flat, packed = normal(pdfs.text_of(_pdf(agreement))), dense(pdfs.text_of(_pdf(agreement)))
    assert "Colin Colleague" in flat
    assert "CNY 50,000.50 (fifty thousand yuan and fifty fen)" in flat
    assert "人民币伍万元伍角整" in packed
    assert "3.5 %" in flat and "net sales" in flat and "3.5%" in packed
    assert "CNY 10,000.00 (ten thousand yuan)" in flat and "人民币壹万元整" in packed
    assert "Hong Kong Special Administrative Region" in flat and "香港特别行政区法律" in packed
    assert "Electric bicycles" in flat and "36 months" in flat and "36个月" in packed
    assert "may grant sublicences" in flat and "可以在本合同许可范围内发放分许可" in packed


def test_an_assignment_and_a_free_licence(parties):
    deal, agreement = agree(parties, licence_kind="assignment", fee_model="free", lump_sum_minor=0)
    flat, packed = normal(pdfs.text_of(_pdf(agreement))), dense(pdfs.text_of(_pdf(agreement)))
    assert "Patent Assignment Agreement" in flat and "专利权转让合同" in packed
    assert "free of charge" in flat and "免费许可" in packed


def test_an_open_licence_records_the_licensors_consent_by_its_published_offer(parties):
    deal, agreement = agree(parties)
    Deal.objects.filter(pk=deal.pk).update(origin=DealOrigin.OPEN_LICENCE)
    deal.refresh_from_db()
    second = actions.generate_agreement(deal)
    flat, packed = normal(pdfs.text_of(_pdf(second))), dense(pdfs.text_of(_pdf(second)))
    assert "gave its consent to this agreement by publishing that standing offer" in flat
    assert "开放许可声明" in packed and second.version == 2


def test_a_template_change_never_alters_an_existing_agreement(parties, settings, tmp_path, client):
    deal, first = agree(parties)
    stored_pdf, stored_html = _pdf(first), first.html_en
    folder = tmp_path / "templates" / "negotiations" / "agreements" / "v1"
    folder.mkdir(parents=True)
    (folder / "agreement_en.html").write_text("<article>ALTERED WORDING {{ c.reference }}</article>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}]
    parties.licensor.name = "Renamed Institute"
    parties.licensor.save()

    client.force_login(parties.licensee_user)
    page = client.get(reverse("deal_agreement", args=[deal.pk]) + "?lang=en").content.decode()
    assert "Battery Institute" in page and "ALTERED WORDING" not in page
    download = client.get(reverse("deal_agreement_pdf", args=[deal.pk, 1]))
    assert b"".join(download.streaming_content) == stored_pdf
    first.refresh_from_db()
    assert first.html_en == stored_html and first.content["parties"]["licensor"]["name"] == "Battery Institute"

    second = actions.generate_agreement(deal)  # a new version is made with today's templates and names
    assert "ALTERED WORDING" in second.html_en and second.content["parties"]["licensor"]["name"] == "Renamed Institute"
    first.refresh_from_db()
    assert first.status == "superseded"


def test_the_governing_law_is_a_term_the_parties_choose(parties):
    from negotiations import terms
    from negotiations.forms import OfferForm

    sheet = actions.first_terms(parties.listing)
    assert sheet["governing_law"] == "prc"  # the laws of the People's Republic of China unless chosen otherwise
    with pytest.raises(ValidationError) as error:
        terms.clean_terms({**sheet, "governing_law": "mars"})
    assert "governing_law" in error.value.message_dict
    older = {name: value for name, value in sheet.items() if name != "governing_law"}
    assert terms.clean_terms(older)["governing_law"] == "prc"  # callers that leave it out get the default
    changes = terms.diff(sheet, {**sheet, "governing_law": "sg"})
    assert [str(c) for c in changes] == ["Governing law: Laws of the People's Republic of China → Laws of Singapore"]
    assert "governing_law" in OfferForm().fields
    deal = open_deal_for(parties, governing_law="england")
    assert deal.offers.get().governing_law == "england"


def test_no_agreement_without_agreed_terms(parties):
    deal = open_deal_for(parties)
    with pytest.raises(ActionError, match="no agreed terms"):
        actions.generate_agreement(deal)
    assert deal.agreements.count() == 0
