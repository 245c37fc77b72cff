"""Verification documents: the evidence an organisation uploads for platform staff (the model; the actions
that write it are in ``marketplace.documents``). Re-exported by ``marketplace.models``."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def verification_storage():
    """Private storage (``STORAGES["verification"]``): never served as static media, only by the download view."""
    from django.core.files.storage import storages

    return storages["verification"]


def verification_upload_to(document, filename: str) -> str:
    return f"{document.organisation_id}/{uuid.uuid4().hex}.{document.extension}"


class DocumentType(models.TextChoices):
    PDF = "application/pdf", "PDF"
    PNG = "image/png", "PNG"
    JPEG = "image/jpeg", "JPEG"


DocumentType.EXTENSIONS = {DocumentType.PDF: "pdf", DocumentType.PNG: "png", DocumentType.JPEG: "jpg"}


class VerificationDocument(models.Model):
    """Evidence an organisation uploads for staff (business licence, registration certificate…).

    Written only by ``marketplace.documents``; downloadable by the organisation's members and staff."""

    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.CASCADE, related_name="verification_documents")
    file = models.FileField(storage=verification_storage, upload_to=verification_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=32, choices=DocumentType.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    description = models.CharField(_("what it is"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("verification document")
        verbose_name_plural = _("verification documents")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.organisation}: {self.original_name}"

    @property
    def extension(self) -> str:
        return DocumentType.EXTENSIONS[DocumentType(self.content_type)]

    def get_absolute_url(self):
        return reverse("verification_document", args=[self.organisation.slug, self.pk])
