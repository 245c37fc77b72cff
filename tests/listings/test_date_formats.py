"""One date format per language across the site (``marketplace.formats``): the import pages show dates and
times as the rest of the site does, in English and in Chinese."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from listings.models import ImportJob
from marketplace.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_search_index")]

CSV = "number,title,cpc_or_ipc,filing_date\nCN112345678B,Lithium battery cathode,H01M 10/052,2019-03-01\n"
MOMENT = dt.datetime(2026, 12, 3, 4, 34, tzinfo=dt.timezone(dt.timedelta(hours=8)))
EXPECTED = "2026-12-03 04:34"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_named_formats_are_iso_in_both_languages(language):
    with translation.override(language), timezone.override("Asia/Shanghai"):
        assert date_format(MOMENT, "DATETIME_FORMAT") == EXPECTED
        assert date_format(MOMENT, "SHORT_DATETIME_FORMAT") == EXPECTED
        assert date_format(MOMENT.date()) == "2026-12-03"
        assert date_format(MOMENT.date(), "SHORT_DATE_FORMAT") == "2026-12-03"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_import_pages_and_the_activity_log_show_the_same_format(client, owner, import_holder, language,
                                                               django_capture_on_commit_callbacks):
    client.force_login(owner)
    client.cookies["django_language"] = language
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_new", args=[import_holder.slug]),
                    {"file": SimpleUploadedFile("patents.csv", CSV.encode()), "mode": "valid-rows"})
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(created_at=MOMENT)
    AuditEntry.objects.filter(organisation=import_holder).update(created_at=MOMENT)

    detail = client.get(reverse("import_detail", args=[import_holder.slug, job.pk])).content.decode()
    upload_page = client.get(reverse("import_new", args=[import_holder.slug])).content.decode()
    organisation = client.get(import_holder.get_absolute_url()).content.decode()
    for name, html in (("import detail", detail), ("import list", upload_page), ("organisation", organisation)):
        assert EXPECTED in html, f"{name} ({language}) does not show {EXPECTED}"
        assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b|[ap]\.m\.|上午|下午", html), f"{name} ({language}) mixes formats"
