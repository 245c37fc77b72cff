"""The verification page of an organisation and its documents.

    /organisations/<slug>/verification/                           status, what staff see, documents; staff decide
    /organisations/<slug>/verification/documents/          (POST) an owner uploads a document
    /organisations/<slug>/verification/documents/<pk>/            download (members and staff)
    /organisations/<slug>/verification/documents/<pk>/remove/ (POST) an owner removes one

Access: members of the organisation and platform staff; everyone else gets 404 (documents included).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from marketplace import documents
from marketplace.downloads import private_file
from marketplace.actions import ActionError
from marketplace.forms import RejectForm, VerificationDocumentForm, VerifyForm
from marketplace.models import VerificationDocument
from marketplace.views import organisation_for


def _organisation(request, slug):
    """As every organisation page: members and staff, 404 for everyone else (``views.organisation_for``)."""
    organisation, membership = organisation_for(request, slug)
    prefetch_related_objects([organisation], "memberships__user")  # the evidence card lists the members
    return organisation, membership


@login_required
def organisation_verification(request, slug, *, form=None):
    organisation, membership = _organisation(request, slug)
    is_owner = bool(membership and membership.is_owner)
    return render(request, "marketplace/organisation_verification.html", {
        "organisation": organisation,
        "membership": membership,
        "is_owner": is_owner,
        "document_form": (form or VerificationDocumentForm()) if is_owner else None,
        "reject_form": RejectForm() if request.user.is_staff else None,
        "verify_form": VerifyForm() if request.user.is_staff else None,
    }, status=400 if form is not None else 200)


@csrf_exempt  # only so the size limit is in place before the body is read; _document_upload checks the token
def document_upload(request, slug):
    request.upload_handlers.insert(0, documents.SizeLimitHandler(request, settings.VERIFICATION_DOCUMENT_MAX_BYTES))
    return _document_upload(request, slug)


@csrf_protect
@login_required
@require_POST
def _document_upload(request, slug):
    organisation, membership = _organisation(request, slug)
    if not (membership and membership.is_owner):
        raise Http404
    form = VerificationDocumentForm(request.POST, request.FILES)
    too_large = getattr(request, "upload_too_large", None)
    if too_large:
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", documents.too_large_message(too_large))
        return organisation_verification(request, slug, form=form)
    if not form.is_valid():
        return organisation_verification(request, slug, form=form)
    try:
        document = documents.add_document(organisation, actor=request.user, upload=form.cleaned_data["file"],
                                          description=form.cleaned_data["description"])
    except ActionError as exc:
        form.add_error("file", str(exc))
        return organisation_verification(request, slug, form=form)
    messages.success(request, _("“%(name)s” is added for platform staff.") % {"name": document.original_name})
    return redirect("organisation_verification", slug=organisation.slug)


def _document(request, slug, pk):
    organisation, membership = _organisation(request, slug)
    return organisation, membership, get_object_or_404(VerificationDocument, pk=pk, organisation=organisation)


@login_required
def document_download(request, slug, pk):
    _org, _membership, document = _document(request, slug, pk)
    return private_file(document.file, filename=document.original_name, content_type=document.content_type,
                        sandbox=True)


@login_required
@require_POST
def document_remove(request, slug, pk):
    organisation, membership, document = _document(request, slug, pk)
    if not (membership and membership.is_owner):
        raise Http404
    try:
        documents.remove_document(document, actor=request.user)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("“%(name)s” is removed.") % {"name": document.original_name})
    return redirect("organisation_verification", slug=organisation.slug)


urlpatterns = [
    path("<slug:slug>/verification/", organisation_verification, name="organisation_verification"),
    path("<slug:slug>/verification/documents/", document_upload, name="verification_document_upload"),
    path("<slug:slug>/verification/documents/<int:pk>/", document_download, name="verification_document"),
    path("<slug:slug>/verification/documents/<int:pk>/remove/", document_remove,
         name="verification_document_remove"),
]
