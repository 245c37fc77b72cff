"""Messages and attachments in a deal room: limits, the rate limit, editing for 5 minutes, deletion markers,
attachments checked before anything is stored, and notices only for those not in the room."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.actions import ActionError, NotAllowed
from marketplace.models import Notification
from negotiations import actions, presence
from negotiations.models import Attachment, DealEvent, Message
from tests.negotiations.parties import open_deal_for, parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def _private_storage(tmp_path):
    """Where the tests' private attachment storage keeps files (tests/conftest.py points it at tmp_path)."""
    return tmp_path / "deal-attachments"


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_message_with_an_attachment_reaches_the_other_side(parties, _private_storage):
    deal = open_deal_for(parties)
    message = actions.post_message(deal, actor=parties.licensee_user, body="Our draft is attached.",
                                   files=[SimpleUploadedFile("draft.pdf", PDF, "application/pdf")])
    attachment = message.attachments.get()
    assert (attachment.original_name, attachment.content_type, attachment.size) == ("draft.pdf", "application/pdf",
                                                                                    len(PDF))
    assert storages["deal_attachments"].open(attachment.file.name).read() == PDF
    assert "draft" not in attachment.file.name  # stored under a name of its own, not the uploader's
    event = DealEvent.objects.filter(deal=deal).last()
    assert (event.type, event.payload) == ("deal.message_created",
                                           {"message": message.pk, "side": "licensee", "attachments": 1})
    notice = Notification.objects.get(kind="deal.message", recipient=parties.licensor_user)
    assert notice.body == "Our draft is attached."


def test_people_in_the_room_are_not_notified_of_messages(parties):
    deal = open_deal_for(parties)
    presence.mark_present(deal.pk, parties.licensor_user.pk)
    actions.post_message(deal, actor=parties.licensee_user, body="Hello")
    recipients = set(Notification.objects.filter(kind="deal.message").values_list("recipient__email", flat=True))
    assert recipients == {"colleague@example.com"}


def test_a_wrong_attachment_is_refused_with_its_reason_and_nothing_is_stored(parties, _private_storage):
    deal = open_deal_for(parties)
    png_named_pdf = SimpleUploadedFile("scan.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "application/pdf")
    with pytest.raises(ValidationError) as refused:
        actions.post_message(deal, actor=parties.licensee_user, body="See the scan",
                             files=[SimpleUploadedFile("ok.pdf", PDF), png_named_pdf])
    assert "scan.pdf" in refused.value.message_dict["attachments"][0]
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert stored_files(_private_storage) == []


def test_an_attachment_over_the_size_limit_is_refused(parties, settings, _private_storage):
    settings.DEAL_ATTACHMENT_MAX_BYTES = 1024
    deal = open_deal_for(parties)
    with pytest.raises(ValidationError):
        actions.post_message(deal, actor=parties.licensee_user, body="",
                             files=[SimpleUploadedFile("big.pdf", PDF + b"0" * 2048)])
    assert stored_files(_private_storage) == []


def test_message_length_and_rate_limits(parties, settings):
    deal = open_deal_for(parties)
    with pytest.raises(ValidationError, match="at most"):
        actions.post_message(deal, actor=parties.licensee_user, body="x" * (settings.DEAL_MESSAGE_MAX_CHARS + 1))
    with pytest.raises(ValidationError, match="Write a message"):
        actions.post_message(deal, actor=parties.licensee_user, body="   ")
    settings.DEAL_MESSAGE_RATE = (3, 60)
    for n in range(3):
        actions.post_message(deal, actor=parties.licensee_user, body=f"message {n}")
    with pytest.raises(ActionError, match="too fast"):
        actions.post_message(deal, actor=parties.licensee_user, body="one too many")
    actions.post_message(deal, actor=parties.licensor_user, body="others may still write")
    assert Message.objects.filter(deal=deal).count() == 4


def test_the_author_edits_for_five_minutes_then_no_more(parties):
    deal = open_deal_for(parties)
    message = actions.post_message(deal, actor=parties.licensee_user, body="Helo")
    with pytest.raises(NotAllowed):
        actions.edit_message(message, actor=parties.licensor_user, body="Hijacked")
    edited = actions.edit_message(message, actor=parties.licensee_user, body="Hello")
    assert edited.body == "Hello" and edited.edited_at is not None
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5, seconds=1))
    with pytest.raises(ActionError, match="5 minutes"):
        actions.edit_message(message, actor=parties.licensee_user, body="Hello again")
    assert Message.objects.get(pk=message.pk).body == "Hello"


def test_a_deleted_message_leaves_a_marker_and_its_files_go(parties, django_capture_on_commit_callbacks,
                                                             _private_storage):
    deal = open_deal_for(parties)
    message = actions.post_message(deal, actor=parties.licensee_user, body="Secret figures",
                                   files=[SimpleUploadedFile("figures.pdf", PDF)])
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_message(message, actor=parties.licensee_user)
    kept = Message.objects.get(pk=message.pk)
    assert kept.is_deleted and kept.body == "" and not kept.attachments.exists()
    assert stored_files(_private_storage) == []
    assert DealEvent.objects.filter(deal=deal).last().payload == {"message": message.pk, "side": "licensee",
                                                                   "deleted": True}
    with pytest.raises(ActionError, match="deleted"):
        actions.edit_message(kept, actor=parties.licensee_user, body="back")
