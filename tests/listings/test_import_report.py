"""The import report CSV: formula cells neutralised (every CSV the project writes goes through
marketplace.csvsafe), and the report rendered in the importing user's language."""

import csv
import io
import pathlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from listings.models import ImportJob
from marketplace import csvsafe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_search_index")]

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run_upload(client, organisation, content, django_capture_on_commit_callbacks, name="patents.csv"):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_new", args=[organisation.slug]),
                    {"file": SimpleUploadedFile(name, content.encode()), "mode": "valid-rows"})
    return ImportJob.objects.latest("pk")


@pytest.mark.parametrize("value", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
                                   "=HYPERLINK(\"http://evil\")", "＝1+1"])
def test_formula_cells_are_neutralised(value):
    assert csvsafe.safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["CN 112345678 B", "title", "", 3, -3, 2.5, None, "a=b", "'quoted"])
def test_ordinary_cells_are_left_alone(value):
    assert csvsafe.safe_cell(value) == value


def test_the_report_csv_neutralises_an_uploaded_formula_header(client, owner, import_holder,
                                                                django_capture_on_commit_callbacks):
    client.force_login(owner)
    content = ("number,title,\"=cmd|' /C calc'!A0\",filing_date\n"
               "CN112345678B,Battery,x,2019-02-30\n")
    job = run_upload(client, import_holder, content, django_capture_on_commit_callbacks)
    response = client.get(reverse("import_report", args=[import_holder.slug, job.pk]))
    cells = [cell for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for cell in row]
    assert cells, "the report has rows"
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert any("=cmd|' /C calc'!A0" in cell for cell in cells)  # still there, as text


def test_no_module_writes_csv_without_the_safe_writer():
    offenders = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in (".venv", "tests", "var", "node_modules") or path.name == "csvsafe.py":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if re.search(r"csv\.(writer|DictWriter)\s*\(", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [], "write CSV with marketplace.csvsafe.writer"


def test_the_report_is_in_the_importing_users_language(client, owner, import_holder,
                                                       django_capture_on_commit_callbacks):
    owner.language = "zh-hans"
    owner.save(update_fields=["language"])
    client.force_login(owner)
    job = run_upload(client, import_holder, "number,title,filing_date\nCN112345678B,电池,2019-02-30\n"
                                            "QQ123456,Unknown office,\n", django_capture_on_commit_callbacks)
    client.cookies.load({"django_language": "en"})  # whoever downloads it, in whatever language
    report = client.get(reverse("import_report", args=[import_holder.slug, job.pk])).content.decode("utf-8-sig")
    lines = report.splitlines()
    assert lines[0] == "行,列,级别,说明"
    assert "不是日期" in report and "专利局代码“QQ”未知" in report
    assert not re.search(r"[A-Za-z]{4,}", report.replace("filing_date", "").replace(",number,", ",").replace("QQ123456", "")
                         .replace("Unknown office", "").replace("YYYY-MM-DD", "")), report


@pytest.mark.parametrize("content, expected", [
    ('number,title\nCN201710000001B,"Unclosed title\nCN201710000002B,Normal\n', "引号"),
    ("number,title\nCN201710000001B,Bad\x00title\n", "控制字符 U+0000 NUL"),
    ("number,title\nUA123456C2,Ukrainian\nZZ123456,Unknown office\n", "专利局代码“ZZ”未知"),
    ("number,title,office\n123456,Unknown office,ZQ\n", "WIPO 标准 ST.3"),
])
def test_import_messages_are_in_chinese_for_a_chinese_user(import_holder, write_import_file, content, expected):
    from django.utils import translation

    from listings import importer

    with translation.override("zh-hans"):
        result = importer.import_file(write_import_file("zh.csv", content), owner=import_holder)
        text = " ".join([result.message] + [str(p) for p in result.problems])
    assert expected in text, text
    assert not re.search(r"\b(the|row|column|not|is)\b", text), text
