"""Bulk import from the web: upload page, background job, status JSON, access."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from listings import importer
from listings.models import ImportJob, ImportStatus, Listing, Patent
from marketplace import actions
from marketplace.models import AuditEntry, MemberRole
from marketplace.states import IllegalTransition

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_search_index")]

CSV = (
    "number,title,cpc_or_ipc,filing_date\n"
    "CN112345678B,Lithium battery cathode,H01M 10/052,2019-03-01\n"
    "CN112345679B,Sodium battery,H01M 10/054,2019-2-30\n"
    "CN112345680B,Solid electrolyte,H01M,2020-01-15\n"
)


def upload(client, organisation, content=CSV, name="patents.csv", **data):
    payload = {"file": SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content),
               "mode": "all-or-nothing", **data}
    return client.post(reverse("import_new", args=[organisation.slug]), payload)


def test_upload_runs_the_job_and_the_status_json_reports_it(client, owner, import_holder,
                                                           django_capture_on_commit_callbacks):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, import_holder, mode="valid-rows", publish="on")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_detail", args=[import_holder.slug, job.pk])
    assert job.status == ImportStatus.SUCCEEDED and job.publish and job.created_by == owner
    assert job.file.name.startswith("imports/") and job.original_name == "patents.csv"
    assert (job.total_rows, job.created_count, job.published_count, job.error_count) == (3, 2, 2, 1)
    assert Patent.objects.filter(owner=import_holder).count() == 2 and Listing.objects.count() == 2

    data = client.get(reverse("import_status", args=[import_holder.slug, job.pk])).json()
    assert data["finished"] and data["succeeded"] and data["percent"] == 100
    assert (data["created"], data["updated"], data["unchanged"], data["published"], data["error_rows"]) == (2, 0, 0, 2, 1)
    assert data["problems"] == [{"row": 3, "column": "filing_date", "level": "error", "unit": "row",
                                 "message": '"2019-2-30" is not a date (expected YYYY-MM-DD)'}]
    assert data["links"]["again"] == reverse("import_new", args=[import_holder.slug])
    assert data["links"]["report"] and data["links"]["listings"]

    page = client.get(reverse("import_detail", args=[import_holder.slug, job.pk])).content.decode()
    assert "is not a date (expected YYYY-MM-DD)" in page and 'data-finished="true"' in page
    assert "js/import_progress.js" in page and 'id="import-progress-bar"' in page
    report = client.get(data["links"]["report"]).content.decode("utf-8-sig")
    assert report.splitlines()[1] == '3,filing_date,error,"""2019-2-30"" is not a date (expected YYYY-MM-DD)"'

    new_page = client.get(reverse("import_new", args=[import_holder.slug])).content.decode()
    assert "patents.csv" in new_page and reverse("import_detail", args=[import_holder.slug, job.pk]) in new_page
    assert {"import_job.queued", "import_job.started", "import_job.succeeded", "import.completed"} <= set(
        AuditEntry.objects.values_list("action", flat=True))


def test_all_or_nothing_job_fails_and_imports_nothing(client, make_user, import_holder,
                                                      django_capture_on_commit_callbacks):
    member = make_user("importer@example.com")
    actions.add_member(import_holder, user=member, role=MemberRole.MEMBER, actor=None, operator=True)
    client.force_login(member)  # any member may import, not only owners
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, import_holder)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED and Patent.objects.count() == 0
    data = client.get(reverse("import_status", args=[import_holder.slug, job.pk])).json()
    assert data["finished"] and not data["succeeded"]
    assert data["message"] == "Nothing was imported: 1 row has errors."
    assert [(p["row"], p["column"]) for p in data["problems"]] == [(3, "filing_date")]


def test_a_file_that_is_not_utf8_fails_the_job_with_a_clear_message(client, owner, import_holder,
                                                                      django_capture_on_commit_callbacks):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, import_holder, content="number,title\nCN112345678B,Caf\xe9\n".encode("latin-1"))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED and "not UTF-8 (try saving as UTF-8)" in job.message
    assert job.errors[0]["row"] == 2 and job.errors[0]["column"] == "title"


def test_excel_upload(client, owner, import_holder, django_capture_on_commit_callbacks):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["number", "title"])
    workbook.active.append(["CN112345678B", "Battery"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, import_holder, content=buffer.getvalue(), name="patents.xlsx")
    assert ImportJob.objects.get().status == ImportStatus.SUCCEEDED
    assert Patent.objects.get().title == "Battery"


def test_status_while_queued_and_running(client, owner, import_holder):
    client.force_login(owner)
    upload(client, import_holder)  # the on-commit task never runs here: the job stays queued
    job = ImportJob.objects.get()
    url = reverse("import_status", args=[import_holder.slug, job.pk])
    data = client.get(url).json()
    assert (data["status"], data["finished"], data["percent"], data["problems"]) == ("queued", False, 0, [])
    page = client.get(reverse("import_detail", args=[import_holder.slug, job.pk])).content.decode()
    assert 'data-finished="false"' in page

    importer.start_import_job(job)
    importer.JobProgress(job)("validating", 50, 100)  # what the running job reports
    data = client.get(url).json()
    assert data["status"] == "running" and data["stage"] == "validating"
    assert data["percent"] == importer.overall_percent("validating", 50, 100)
    assert (data["processed_rows"], data["total_rows"]) == (50, 100)
    importer.JobProgress(job)("patents", 1, 2)  # inside the write transaction: only the cache
    assert client.get(url).json()["stage_label"] == "Saving patents"


def test_job_transitions_are_checked(owner, import_holder):
    job = importer.create_import_job(import_holder, actor=owner,
                                     upload=SimpleUploadedFile("x.csv", CSV.encode()))
    importer.start_import_job(job)
    with pytest.raises(IllegalTransition):
        importer.start_import_job(job)
    importer.fail_import_job(job, "stopped")
    with pytest.raises(IllegalTransition):
        importer.fail_import_job(job, "again")
    assert importer.run_import_job(job.pk).status == ImportStatus.FAILED  # a second delivery does nothing


def test_unverified_organisation_cannot_publish_from_the_web(client, owner, unverified_holder,
                                                            django_capture_on_commit_callbacks):
    client.force_login(owner)
    page = client.get(reverse("import_new", args=[unverified_holder.slug])).content.decode()
    assert 'name="publish"' in page and " disabled" in page
    assert "Publishing is available once platform staff have verified Pending Institute" in page
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, unverified_holder, content=CSV.replace("2019-2-30", "2019-02-28"), publish="on")
    job = ImportJob.objects.get()
    assert not job.publish and job.status == ImportStatus.SUCCEEDED  # a disabled field is ignored
    assert Patent.objects.count() == 3 and Listing.objects.count() == 0


def test_wrong_file_type_is_refused_by_the_form(client, owner, import_holder):
    client.force_login(owner)
    response = upload(client, import_holder, content=b"\xd0\xcf\x11\xe0", name="old.xls")
    assert response.status_code == 200
    assert "Save old .xls workbooks as .xlsx." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_non_members_get_404_everywhere(client, owner, outsider, staff, import_holder,
                                        django_capture_on_commit_callbacks):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, import_holder)
    job = ImportJob.objects.get()
    urls = [
        reverse("import_new", args=[import_holder.slug]),
        reverse("import_detail", args=[import_holder.slug, job.pk]),
        reverse("import_status", args=[import_holder.slug, job.pk]),
        reverse("import_report", args=[import_holder.slug, job.pk]),
    ]
    for user in (outsider, staff):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, url
        assert upload(client, import_holder).status_code == 404
    assert ImportJob.objects.count() == 1
    client.force_login(owner)
    assert client.get(reverse("import_new", args=["no-such-organisation"])).status_code == 404
    # a job of another organisation is not reachable through one's own
    other_job_url = reverse("import_status", args=["no-such-organisation", job.pk])
    assert client.get(other_job_url).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, import_holder):
    response = client.get(reverse("import_new", args=[import_holder.slug]))
    assert response.status_code == 302 and reverse("login") in response["Location"]
