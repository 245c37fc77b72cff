"""The read API of deals: only the caller's organisations' deals, with every version's terms and the thread
(a deleted message without its body, attachments as metadata and a download link), in the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from negotiations import actions
from negotiations.models import Offer

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def negotiated(deal_parties, django_capture_on_commit_callbacks):
    p, deal = deal_parties, deal_parties.deal
    with django_capture_on_commit_callbacks(execute=True):
        terms = {**Offer.objects.get(deal=deal, version=1).terms(), "lump_sum_minor": 25_000_000}
        actions.make_offer(deal, actor=p.licensor_user, terms=terms, expected_version=1)
        actions.post_message(deal, actor=p.licensee_user, body="Our offer letter",
                             files=[SimpleUploadedFile("letter.pdf", PDF_BYTES)])
        gone = actions.post_message(deal, actor=p.licensor_user, body="A typo")
        actions.delete_message(gone, actor=p.licensor_user)
    return p


def test_the_list_has_the_callers_deals(client, negotiated):
    client.force_login(negotiated.licensor_user)
    data = client.get(reverse("api-deal-list")).json()
    assert data["count"] == 1
    row = data["results"][0]
    assert row["id"] == negotiated.deal.pk and row["state"] == "negotiating"
    assert row["current_version"] == 2 and row["waiting_for"] == "licensee"
    assert row["licensor"]["name"] == "South Battery Institute" and row["licensee"]["verified"] is True
    assert row["listing"] == {"id": negotiated.listing.pk, "title": negotiated.listing.title}
    assert "offers" not in row


def test_the_detail_has_offers_and_messages(client, negotiated):
    client.force_login(negotiated.licensee_colleague)
    data = client.get(reverse("api-deal-detail", args=[negotiated.deal.pk])).json()
    v1, v2 = data["offers"]
    assert (v1["version"], v1["side"], v1["status"]) == (1, "licensee", "superseded")
    assert (v2["version"], v2["side"], v2["status"]) == (2, "licensor", "open")
    assert v2["lump_sum_minor"] == 25_000_000 and v2["currency"] == "CNY" and v2["territory"] == ["CN"]
    assert {"licence_kind", "field_of_use", "term_months", "fee_model", "royalty_rate_bp", "royalty_base",
            "minimum_annual_royalty_minor", "sublicensing_allowed", "valid_until", "note", "created_at"} <= set(v2)
    kept, deleted = data["messages"]
    assert kept["body"] == "Our offer letter" and kept["deleted"] is False
    (attachment,) = kept["attachments"]
    assert attachment["original_name"] == "letter.pdf" and attachment["content_type"] == "application/pdf"
    assert attachment["download_url"].endswith(reverse("deal_attachment", args=[negotiated.deal.pk,
                                                                                 attachment["id"]]))
    assert deleted["deleted"] is True and deleted["body"] is None and deleted["attachments"] == []
    assert client.get(attachment["download_url"]).status_code == 200


def test_another_organisations_deal_is_404(client, negotiated):
    client.force_login(negotiated.outsider)
    assert client.get(reverse("api-deal-detail", args=[negotiated.deal.pk])).status_code == 404


def test_the_deals_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/deals/" in schema["paths"] and "/api/v1/deals/{id}/" in schema["paths"]
    detail = schema["paths"]["/api/v1/deals/{id}/"]["get"]
    assert {"200", "404"} <= set(detail["responses"])
    assert "DealDetail" in schema["components"]["schemas"]
    assert "offers" in schema["components"]["schemas"]["DealDetail"]["properties"]
