"""What staff see on the verification card (kind, codes, SME size data and class, members, documents), and the
organisation's documents: PDF/PNG/JPEG judged by their bytes, size-limited, downloadable only by members and staff."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace import actions, documents
from marketplace.actions import ActionError
from marketplace.models import AuditEntry, MemberRole, OrganisationKind, VerificationDocument

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 32
HTML = b"<html><script>alert(1)</script></html>"


@pytest.fixture
def sme_owner(make_user):
    return make_user("wang@example.com", full_name="Wang Fang")


@pytest.fixture
def sme(make_org, sme_owner):
    org = make_org("Shenzhen Lingxi Battery", kind=OrganisationKind.SME, owner=sme_owner, province="GD",
                   credit_code="91440300MA5D7Q1H23")
    actions.save_sme_profile(org, actor=sme_owner, industry="02", employees=45, annual_revenue_cny=8_000_000,
                             total_assets_cny=5_000_000)
    return org


def _upload(client, org, name, content, description="Business licence"):
    return client.post(reverse("verification_document_upload", args=[org.slug]),
                       {"file": SimpleUploadedFile(name, content), "description": description})


class TestStaffCard:
    def test_queue_card_shows_the_evidence(self, client, staff, sme, sme_owner):
        documents.add_document(sme, actor=sme_owner, upload=SimpleUploadedFile("licence.pdf", PDF))
        client.force_login(staff)
        text = client.get(reverse("verification_queue")).content.decode()
        assert "Shenzhen Lingxi Battery" in text
        assert "Small or medium enterprise" in text  # kind
        assert "91440300MA5D7Q1H23" in text  # the unified social credit code
        assert "Small" in text and "45" in text and "8,000,000" in text  # size class and data
        assert "wang@example.com" in text  # members
        assert "licence.pdf" in text and reverse("verification_document", args=[sme.slug, 1]) in text

    def test_verification_page_shows_the_same_and_the_staff_buttons(self, client, staff, sme):
        client.force_login(staff)
        text = client.get(reverse("organisation_verification", args=[sme.slug])).content.decode()
        assert 'data-evidence="credit-code"' in text and "91440300MA5D7Q1H23" in text
        assert 'data-evidence="sme"' in text
        assert reverse("verify_organisation", args=[sme.slug]) in text


class TestUpload:
    @pytest.mark.parametrize("name, content, kind", [
        ("licence.pdf", PDF, "application/pdf"), ("licence.PNG", PNG, "image/png"),
        ("licence.jpg", JPEG, "image/jpeg"), ("licence.jpeg", JPEG, "image/jpeg"),
    ])
    def test_owner_uploads_pdf_png_jpeg(self, client, sme, sme_owner, name, content, kind):
        client.force_login(sme_owner)
        response = _upload(client, sme, name, content)
        assert response.status_code == 302
        document = VerificationDocument.objects.get()
        assert document.content_type == kind and document.original_name == name and document.size == len(content)
        assert not document.file.name.endswith(name)  # stored under a random name
        assert AuditEntry.objects.filter(action="organisation.document_added").exists()

    @pytest.mark.parametrize("name, content, words", [
        ("licence.pdf", EXE, "is not a PDF, PNG or JPEG file"),  # the name lies
        ("licence.pdf", HTML, "is not a PDF, PNG or JPEG file"),
        ("licence.exe", EXE, "is not a PDF, PNG or JPEG file"),
        ("licence.png", PDF, "is named as another type than its content (PDF)"),
        ("licence", PDF, "rename it to end in .pdf"),
        ("empty.pdf", b"", "is empty"),
    ])
    def test_anything_else_is_refused_with_a_reason(self, client, sme, sme_owner, name, content, words):
        client.force_login(sme_owner)
        response = _upload(client, sme, name, content)
        assert response.status_code == 400
        assert words in response.content.decode()
        assert VerificationDocument.objects.count() == 0

    def test_size_limit_comes_from_the_setting(self, client, sme, sme_owner, settings):
        settings.VERIFICATION_DOCUMENT_MAX_BYTES = 2048
        client.force_login(sme_owner)
        response = _upload(client, sme, "big.pdf", PDF + b"0" * 3000)
        assert response.status_code == 400
        assert "“big.pdf” is larger than 2 KiB, the most a document may be." in response.content.decode()
        assert VerificationDocument.objects.count() == 0
        assert _upload(client, sme, "small.pdf", PDF).status_code == 302

    def test_a_huge_upload_is_not_stored_while_it_is_read(self, client, sme, sme_owner, settings):
        """The upload handler stops at the limit: 50 MiB sent, nothing kept (no temporary file of that size)."""
        settings.VERIFICATION_DOCUMENT_MAX_BYTES = 1024 ** 2
        from django.core.files.uploadhandler import TemporaryFileUploadHandler

        # Bytes written to the temporary file (a 50 MiB body is too big for the memory handler, which passes on).
        stored = []
        originals = {cls: cls.receive_data_chunk for cls in (TemporaryFileUploadHandler,)}

        def spying(cls):
            def spy(self, raw_data, start):
                stored.append(len(raw_data))
                return originals[cls](self, raw_data, start)
            return spy

        for cls in originals:
            cls.receive_data_chunk = spying(cls)
        try:
            client.force_login(sme_owner)
            response = _upload(client, sme, "huge.pdf", PDF + b"0" * (50 * 1024 ** 2))
        finally:
            for cls, original in originals.items():
                cls.receive_data_chunk = original
        assert response.status_code == 400 and "is larger than 1.0 MiB" in response.content.decode()
        assert sum(stored) <= 1024 ** 2  # what passed the size handler: at most the limit
        assert VerificationDocument.objects.count() == 0

    def test_the_action_checks_the_size_too(self, sme, sme_owner, settings):
        settings.VERIFICATION_DOCUMENT_MAX_BYTES = 2048
        with pytest.raises(ActionError, match="a document may be at most 2 KiB"):
            documents.add_document(sme, actor=sme_owner, upload=SimpleUploadedFile("big.pdf", PDF + b"0" * 3000))

    def test_upload_still_needs_the_csrf_token(self, sme, sme_owner):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(sme_owner)
        assert _upload(client, sme, "licence.pdf", PDF).status_code == 403
        assert VerificationDocument.objects.count() == 0

    def test_number_of_documents_is_limited(self, sme, sme_owner, settings):
        settings.VERIFICATION_DOCUMENTS_PER_ORGANISATION = 2
        for n in range(2):
            documents.add_document(sme, actor=sme_owner, upload=SimpleUploadedFile(f"{n}.pdf", PDF))
        with pytest.raises(ActionError, match="already has 2 documents"):
            documents.add_document(sme, actor=sme_owner, upload=SimpleUploadedFile("3.pdf", PDF))

    def test_only_owners_upload(self, client, sme, make_user, outsider):
        colleague = make_user("colleague@example.com")
        actions.add_member(sme, user=colleague, role=MemberRole.MEMBER, actor=None, operator=True)
        for user in (colleague, outsider):
            client.force_login(user)
            assert _upload(client, sme, "licence.pdf", PDF).status_code == 404
        assert VerificationDocument.objects.count() == 0

    def test_owner_removes_a_document(self, client, sme, sme_owner, django_capture_on_commit_callbacks):
        document = documents.add_document(sme, actor=sme_owner, upload=SimpleUploadedFile("licence.pdf", PDF))
        storage, name = document.file.storage, document.file.name
        client.force_login(sme_owner)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("verification_document_remove", args=[sme.slug, document.pk]))
        assert VerificationDocument.objects.count() == 0
        assert not storage.exists(name)


class TestDownload:
    @pytest.fixture
    def document(self, sme, sme_owner):
        return documents.add_document(sme, actor=sme_owner, upload=SimpleUploadedFile("licence.pdf", PDF))

    def _get(self, client, document):
        return client.get(reverse("verification_document", args=[document.organisation.slug, document.pk]))

    def test_members_and_staff_download(self, client, document, sme, sme_owner, staff, make_user):
        colleague = make_user("colleague@example.com")
        actions.add_member(sme, user=colleague, role=MemberRole.MEMBER, actor=None, operator=True)
        for user in (sme_owner, colleague, staff):
            client.force_login(user)
            response = self._get(client, document)
            assert response.status_code == 200
            assert b"".join(response.streaming_content) == PDF
            assert response["Content-Type"] == "application/pdf"
            assert response["Content-Disposition"].startswith("attachment")
            assert response["X-Content-Type-Options"] == "nosniff"

    def test_non_member_gets_404(self, client, document, outsider, make_org, owner):
        client.force_login(outsider)
        assert self._get(client, document).status_code == 404
        # a member of another organisation, asking for this document under its own slug: 404 too
        other = make_org("Other Institute", owner=owner)
        client.force_login(owner)
        assert client.get(reverse("verification_document", args=[other.slug, document.pk])).status_code == 404
        assert self._get(client, document).status_code == 404
        assert client.get(reverse("organisation_verification", args=[document.organisation.slug])).status_code == 404

    def test_anonymous_is_sent_to_login(self, client, document):
        response = self._get(client, document)
        assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_documents_are_not_in_public_media(self, document, settings):
        from pathlib import Path

        assert not Path(document.file.path).is_relative_to(Path(settings.MEDIA_ROOT))
