"""Bulk import from the web: upload page, job page and its status JSON (polled every second).

Only members of the owner organisation see any of it: everyone else gets 404, also when the
organisation does not exist. The work is done by ``listings.importer`` (a background job).
"""

from __future__ import annotations

import os

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from listings import importer
from listings.models import ImportJob, ImportMode, ImportStatus
from marketplace import csvsafe
from marketplace.actions import ActionError, membership_of
from marketplace.models import Organisation


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (UTF-8), JSON Lines (.jsonl) or Excel (.xlsx). The first row names the columns: number and title "
            "are required; abstract, cpc_or_ipc, assignee, country, filing_date (YYYY-MM-DD), lang and more are "
            "optional."
        ),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("If some rows have errors"), choices=ImportMode.choices, widget=forms.RadioSelect,
        initial=ImportMode.ALL_OR_NOTHING,
    )
    publish = forms.BooleanField(
        label=gettext_lazy("Publish each patent as its own listing, with our default licence terms"), required=False,
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        if not organisation.can_publish:
            self.fields["publish"].disabled = True
            if not organisation.is_verified:
                reason = _("Publishing is available once platform staff have verified %(org)s; until then you can "
                           "import patents and publish them later.") % {"org": organisation.name}
            else:
                reason = _("%(kind)s organisations cannot publish patent listings.") % {
                    "kind": organisation.get_kind_display()}
            self.fields["publish"].help_text = reason

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = os.path.basename(upload.name or "")
        ext = os.path.splitext(name)[1].lower()
        if ext not in importer.FORMATS:
            raise forms.ValidationError(
                _('"%(name)s" is not a CSV, JSON Lines or .xlsx file.') % {"name": name}
                + (" " + _("Save old .xls workbooks as .xlsx.") if ext == ".xls" else "")
            )
        if upload.size > importer.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than %(size)s MB: split it into smaller files.")
                                        % {"size": importer.MAX_UPLOAD_BYTES // (1024 * 1024)})
        return upload


def _member_organisation(request, slug) -> Organisation:
    """The organisation if the user is one of its members; 404 otherwise (also if it does not exist)."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or membership_of(request.user, organisation) is None:
        raise Http404
    return organisation


def _job(request, slug, pk) -> ImportJob:
    organisation = _member_organisation(request, slug)
    return get_object_or_404(ImportJob.objects.select_related("owner", "created_by"), pk=pk, owner=organisation)


@login_required
def import_new(request, slug):
    organisation = _member_organisation(request, slug)
    form = ImportForm(request.POST or None, request.FILES or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            job = importer.create_import_job(
                organisation, actor=request.user, upload=form.cleaned_data["file"], mode=form.cleaned_data["mode"],
                publish=form.cleaned_data["publish"],
            )
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.info(request, _("%(file)s is uploaded; the import runs in the background.") % {
                "file": job.original_name})
            return redirect("import_detail", slug=organisation.slug, pk=job.pk)
    jobs = organisation.import_jobs.select_related("created_by")[:50]
    return render(request, "listings/import_new.html", {"organisation": organisation, "form": form, "jobs": jobs})


@login_required
def import_detail(request, slug, pk):
    job = _job(request, slug, pk)
    labels = {
        "line": _("line"), "warning": _("warning"), "error": _("error"), "again": _("Import another file"),
        "report": _("Download the report (CSV)"), "listings": _("Browse listings"),
        "organisation": _("Back to the organisation"), "retrying": _("Lost contact with the server; retrying…"),
    }
    return render(request, "listings/import_detail.html", {
        "organisation": job.owner, "job": job, "status": _status(job), "js_labels": labels,
    })


def _status(job: ImportJob) -> dict:
    finished = job.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED)
    progress = importer.job_progress(job)
    problems = job.errors if finished else []
    error_rows = job.error_count
    data = {
        "id": job.pk,
        "file": job.original_name,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "finished": finished,
        "succeeded": job.status == ImportStatus.SUCCEEDED,
        "stage": progress["stage"],
        "stage_label": importer.stage_label(progress["stage"]),
        "percent": progress["percent"],
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": max(0, job.total_rows - job.created_count - job.updated_count - error_rows)
        if job.status == ImportStatus.SUCCEEDED else 0,
        "published": job.published_count,
        "error_rows": error_rows,
        "message": job.message,
        "problems": [
            {"row": p.get("row"), "column": p.get("column", ""), "message": p.get("message", ""),
             "level": p.get("level", "error"), "unit": p.get("unit", "row")}
            for p in problems
        ],
        "problems_truncated": len(problems) >= importer.MAX_STORED_PROBLEMS,
        "links": {},
    }
    if finished:
        data["links"] = {
            "again": reverse("import_new", args=[job.owner.slug]),
            "organisation": job.owner.get_absolute_url(),
        }
        if problems:
            data["links"]["report"] = reverse("import_report", args=[job.owner.slug, job.pk])
        if job.published_count:
            data["links"]["listings"] = reverse("listing_browse")
    return data


@login_required
@require_GET
@never_cache
def import_status(request, slug, pk):
    return JsonResponse(_status(_job(request, slug, pk)))


@login_required
@require_GET
def import_report(request, slug, pk):
    """The per-row report as CSV (UTF-8 with BOM so that Excel opens it right), in the language of
    the member who ran the import (its messages were written in that language), every cell safe to
    open in a spreadsheet (``marketplace.csvsafe``: the Column field repeats the uploaded header)."""
    job = _job(request, slug, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stem = os.path.splitext(job.original_name)[0] or "import"
    response["Content-Disposition"] = content_disposition_header(True, f"{stem[:60]}-report.csv")
    response.write("\ufeff")
    writer = csvsafe.writer(response)
    with translation.override(importer.job_language(job)):
        writer.writerow([_("Row"), _("Column"), _("Level"), _("Message")])
        for problem in job.errors:
            level = _("warning") if problem.get("level") == "warning" else _("error")
            row = problem.get("row") or ""
            if row and problem.get("unit") == "line":
                row = _("line %(number)s") % {"number": row}
            writer.writerow([row, problem.get("column", ""), level, problem.get("message", "")])
    return response


urlpatterns = [
    path("owner/<slug:slug>/imports/new/", import_new, name="import_new"),
    path("owner/<slug:slug>/imports/<int:pk>/", import_detail, name="import_detail"),
    path("owner/<slug:slug>/imports/<int:pk>/status.json", import_status, name="import_status"),
    path("owner/<slug:slug>/imports/<int:pk>/report.csv", import_report, name="import_report"),
]
