"""Messages and attachments in the deal room: posting with line breaks, editing within 5 minutes, deleting
(a marker stays), refused attachments (the reason shown, nothing stored) and the parties-only download."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from negotiations.models import Attachment, Message
from tests.negotiations.dealroom import room

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _files(directory):
    return [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []


def _post(client, deal, body="", files=()):
    return client.post(reverse("deal_message_post", args=[deal.pk]), {"body": body, "attachments": list(files)})


def test_a_message_with_an_attachment_appears_for_the_other_side(client, deal_parties, _private_attachments):
    deal = deal_parties.deal
    client.force_login(deal_parties.licensee_user)
    response = _post(client, deal, "First line\nSecond line",
                     [SimpleUploadedFile("draft terms.pdf", PDF_BYTES, content_type="application/pdf")])
    assert response.status_code == 302
    client.force_login(deal_parties.licensor_user)
    page = _text(client.get(room(deal)))
    attachment = Attachment.objects.get(deal=deal)
    assert "First line<br>Second line" in page
    assert "Sam Smallfirm" in page and "Tiny Cells Ltd (Licensee)" in page
    assert reverse("deal_attachment", args=[deal.pk, attachment.pk]) in page and "draft terms.pdf" in page
    assert len(_files(_private_attachments)) == 1


def test_a_bad_attachment_is_refused_with_the_reason_and_nothing_is_stored(client, deal_parties,
                                                                            _private_attachments):
    deal = deal_parties.deal
    client.force_login(deal_parties.licensee_user)
    response = _post(client, deal, "See the script", [SimpleUploadedFile("run.pdf", b"MZ\x90\x00" + b"\x00" * 64)])
    page = _text(response)
    assert response.status_code == 200
    assert 'data-field="attachments"' in page and re.search(r'data-field="attachments">.*?invalid-feedback', page)
    assert "See the script" in page  # the text typed is kept
    assert not Message.objects.filter(deal=deal, body="See the script").exists()
    assert not Attachment.objects.exists() and not _files(_private_attachments)


def test_an_empty_message_is_refused(client, deal_parties):
    client.force_login(deal_parties.licensee_user)
    response = _post(client, deal_parties.deal, "   ")
    assert response.status_code == 200 and "Write a message or attach a file." in _text(response)
    assert not Message.objects.exists()


def test_the_download_is_an_attachment_for_the_parties(client, deal_parties):
    deal = deal_parties.deal
    client.force_login(deal_parties.licensee_user)
    _post(client, deal, "", [SimpleUploadedFile("Offer – v2.pdf", PDF_BYTES, content_type="text/html")])
    attachment = Attachment.objects.get(deal=deal)
    client.force_login(deal_parties.licensor_user)
    response = client.get(reverse("deal_attachment", args=[deal.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''Offer%20%E2%80%93%20v2.pdf" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"  # sniffed, not what the browser claimed
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES
    # another deal's id in the URL does not reach it
    assert client.get(reverse("deal_attachment", args=[deal.pk + 1, attachment.pk])).status_code == 404


def test_edit_within_five_minutes_shows_the_edited_marker(client, deal_parties):
    deal = deal_parties.deal
    client.force_login(deal_parties.licensee_user)
    _post(client, deal, "We can pay in two parts.")
    message = Message.objects.get(deal=deal)
    assert 'action="%s"' % reverse("deal_message_edit", args=[deal.pk, message.pk]) in _text(client.get(room(deal)))
    response = client.post(reverse("deal_message_edit", args=[deal.pk, message.pk]),
                           {"body": "We can pay in three parts."}, follow=True)
    page = _text(response)
    assert "We can pay in three parts." in page and "edited</span>" in page


def test_no_edit_after_five_minutes_and_not_by_others(client, deal_parties):
    deal = deal_parties.deal
    client.force_login(deal_parties.licensee_user)
    _post(client, deal, "Original text")
    message = Message.objects.get(deal=deal)
    client.force_login(deal_parties.licensor_user)
    page = _text(client.get(room(deal)))
    assert reverse("deal_message_edit", args=[deal.pk, message.pk]) not in page
    response = client.post(reverse("deal_message_edit", args=[deal.pk, message.pk]), {"body": "Forged"}, follow=True)
    assert "Only the author can change a message." in _text(response)
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timezone.timedelta(minutes=6))
    client.force_login(deal_parties.licensee_user)
    assert reverse("deal_message_edit", args=[deal.pk, message.pk]) not in _text(client.get(room(deal)))
    response = client.post(reverse("deal_message_edit", args=[deal.pk, message.pk]), {"body": "Late"}, follow=True)
    assert "edited for 5 minutes" in _text(response)
    assert Message.objects.get(pk=message.pk).body == "Original text"


def test_delete_leaves_a_marker_and_removes_the_file(client, deal_parties, _private_attachments,
                                                     django_capture_on_commit_callbacks):
    deal = deal_parties.deal
    client.force_login(deal_parties.licensee_user)
    _post(client, deal, "Secret figure 42", [SimpleUploadedFile("figures.pdf", PDF_BYTES)])
    message = Message.objects.get(deal=deal)
    attachment = Attachment.objects.get(deal=deal)
    assert len(_files(_private_attachments)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("deal_message_delete", args=[deal.pk, message.pk]), follow=True)
    page = _text(response)
    assert "This message was deleted." in page and "Secret figure 42" not in page and "figures.pdf" not in page
    assert client.get(reverse("deal_attachment", args=[deal.pk, attachment.pk])).status_code == 404
    assert not _files(_private_attachments)
