"""Verification documents: evidence an organisation uploads for platform staff.

    sniff(head: bytes) -> DocumentType | None      the type from the file's first bytes (magic numbers)
    add_document(organisation, *, actor, upload, description="") -> VerificationDocument
    remove_document(document, *, actor) -> None

Accepted: PDF (``%PDF-``), PNG (``\\x89PNG\\r\\n\\x1a\\n``) and JPEG (``\\xff\\xd8\\xff``), up to
``settings.VERIFICATION_DOCUMENT_MAX_BYTES`` each and ``VERIFICATION_DOCUMENTS_PER_ORGANISATION`` per organisation.
The content decides the type: a file whose bytes are not one of these is refused whatever its name says, and a
file whose name claims another type than its content is refused too. Files are stored under a random name in the
private ``verification`` storage; only members of the organisation and staff can download them
(``marketplace.views.verification_document``).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import transaction
from django.utils.translation import gettext as _

from marketplace import audit
from marketplace.actions import ActionError, _lock, require_member
from marketplace.models import DocumentType, Organisation, VerificationDocument

MAGIC = (
    (b"%PDF-", DocumentType.PDF),
    (b"\x89PNG\r\n\x1a\n", DocumentType.PNG),
    (b"\xff\xd8\xff", DocumentType.JPEG),
)
EXTENSIONS = {".pdf": DocumentType.PDF, ".png": DocumentType.PNG, ".jpg": DocumentType.JPEG,
              ".jpeg": DocumentType.JPEG}
HEAD_BYTES = 16
MAX_NAME = 200


class SizeLimitHandler(FileUploadHandler):
    """First upload handler of the upload view: stops reading a file once it passes the limit (nothing more is
    stored, the rest of the request is discarded), so a huge upload costs neither memory nor disk. The view then
    finds ``request.upload_too_large`` set and says why."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit, self.received = limit, 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.upload_too_large = self.file_name or True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler builds the file


def too_large_message(name) -> str:
    return _("“%(name)s” is larger than %(limit)s, the most a document may be.") % {
        "name": name if isinstance(name, str) else "", "limit": size_text(settings.VERIFICATION_DOCUMENT_MAX_BYTES)}


def sniff(head: bytes) -> DocumentType | None:
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    return None


def size_text(n: int) -> str:
    """A file size for people: "3.2 MiB", "640 KiB", "12 B" (upload limits and refusals)."""
    if n >= 1024 ** 2:
        return f"{n / 1024 ** 2:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} B"


def _check(upload) -> DocumentType:
    name = os.path.basename(upload.name or "")
    limit = settings.VERIFICATION_DOCUMENT_MAX_BYTES
    if upload.size == 0:
        raise ActionError(_("“%(name)s” is empty.") % {"name": name})
    if upload.size > limit:
        raise ActionError(_("“%(name)s” is %(size)s; a document may be at most %(limit)s.")
                          % {"name": name, "size": size_text(upload.size), "limit": size_text(limit)})
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    kind = sniff(head)
    if kind is None:
        raise ActionError(_("“%(name)s” is not a PDF, PNG or JPEG file (judged by its content, not its name).")
                          % {"name": name})
    claimed = EXTENSIONS.get(os.path.splitext(name)[1].lower())
    if claimed != kind:
        raise ActionError(_("“%(name)s” is named as another type than its content (%(kind)s): rename it to end in "
                            ".%(ext)s.") % {"name": name, "kind": kind.label, "ext": DocumentType.EXTENSIONS[kind]})
    return kind


def add_document(organisation: Organisation, *, actor, upload, description: str = "") -> VerificationDocument:
    """An owner of the organisation adds a document for staff. Validate → lock → store → audit."""
    require_member(actor, organisation, owner=True)
    kind = _check(upload)
    description = (description or "").strip()[:200]
    with transaction.atomic():
        locked = _lock(organisation)
        if locked.verification_documents.count() >= settings.VERIFICATION_DOCUMENTS_PER_ORGANISATION:
            raise ActionError(_("%(org)s already has %(n)d documents: remove one before adding another.")
                              % {"org": locked.name, "n": settings.VERIFICATION_DOCUMENTS_PER_ORGANISATION})
        document = VerificationDocument(organisation=locked, original_name=os.path.basename(upload.name)[:MAX_NAME],
                                        content_type=kind, size=upload.size, description=description,
                                        uploaded_by=actor)
        document.file.save("upload", upload, save=False)  # the name comes from verification_upload_to
        try:
            document.save()
            audit.record("organisation.document_added", actor=actor, target=document, organisation=locked,
                         after={"name": document.original_name, "type": kind.value, "size": document.size})
        except Exception:
            document.file.delete(save=False)
            raise
    return document


def remove_document(document: VerificationDocument, *, actor) -> None:
    """An owner removes a document; the file goes once the removal is committed."""
    organisation = document.organisation
    require_member(actor, organisation, owner=True)
    with transaction.atomic():
        _lock(organisation)
        locked = VerificationDocument.objects.select_for_update().get(pk=document.pk)
        storage, name = locked.file.storage, locked.file.name
        audit.record("organisation.document_removed", actor=actor, target=locked, organisation=organisation,
                     before={"name": locked.original_name})
        locked.delete()
        transaction.on_commit(lambda: storage.delete(name))
