"""The impact page's exports: the CSV (one row per donated licence, UTF-8 with BOM, translated headers, safe
against formula injection) and the yearly social-responsibility report (PDF, in the viewer's language; the text
is read back from the PDF)."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from negotiations import pdf
from negotiations.views.impact import render_report
from tests.negotiations.donations import donate, donors, on  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

CSV = "/donations/impact.csv"


@pytest.fixture
def claimed(donors):
    d = donors
    donate(d.battery, d.tiny, at=on(2025, 3))
    donate(d.battery, d.byte, at=on(2026, 2))
    donate(d.turbine, d.mill, at=on(2026, 7))
    donate(d.steel, d.byte, at=on(2026, 5))  # the other donor's
    return d


def _rows(response):
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_lists_the_donated_licences_of_the_period(client, claimed):
    client.force_login(claimed.dora)
    response = client.get(CSV, {"year": 2026})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="donated-licences-northern-power-group-2026.csv"' == response["Content-Disposition"]
    header, *rows = _rows(response)
    assert header == ["Date", "Small or medium enterprise", "Size class", "Province", "Industry", "Listing",
                      "Value forgone", "Currency"]
    assert rows == [
        ["2026-02-15", "Byte Studio", "Small", "Zhejiang", "Software and information technology services",
         "Grid battery management", "50000.00", "CNY"],
        ["2026-07-15", "Micro Mill", "Micro", "Guangdong", "Industry", "Small wind turbine blade", "2000.00", "USD"],
    ]
    assert len(_rows(client.get(CSV))) == 1 + 3  # all time: the header and three licences


def test_csv_headers_and_labels_are_translated(client, claimed):
    client.force_login(claimed.dora)
    client.cookies["django_language"] = "zh-hans"
    header, *rows = _rows(client.get(CSV, {"year": 2025}))
    assert header[3:6] == ["省份", "行业", "挂牌信息"]  # the headers, from the catalogue
    assert rows[0][4] == "工业" and rows[0][1] == "Tiny Cells Ltd"


def test_csv_cells_cannot_run_formulas(client, claimed, make_user, make_org):
    from marketplace import actions as org_actions
    from marketplace.models import OrganisationKind

    user = make_user("evil@example.com")
    evil = make_org("=HYPERLINK(\"http://evil.example\",\"x\")", kind=OrganisationKind.SME, owner=user, verified=True,
                    province="GD")
    org_actions.save_sme_profile(evil, actor=user, industry="02", employees=5, annual_revenue_cny=1_000_000,
                                 total_assets_cny=None)
    donate(claimed.battery, evil, at=on(2026, 3))
    client.force_login(claimed.dora)
    rows = _rows(client.get(CSV, {"year": 2026}))
    [row] = [r for r in rows if "HYPERLINK" in r[1]]
    assert row[1].startswith("'=HYPERLINK")
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_report_pdf_in_english(client, claimed):
    client.force_login(claimed.dora)
    response = client.get(reverse("donation_impact_report", args=[2026]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "social-responsibility-report-northern-power-group-2026.pdf" in response["Content-Disposition"]
    text = " ".join(pdf.text_of(response.content).split())
    assert "Social-responsibility report 2026: donated patent licences" in text
    assert "Northern Power Group" in text
    end = min(datetime.date(2026, 12, 31), timezone.localdate())  # this year's report: the year so far
    assert f"1 January 2026 to {end.day} {end.strftime('%B')} 2026" in text
    assert "Byte Studio" in text and "Micro Mill" in text and "Tiny Cells Ltd" not in text  # 2025's is not in
    assert "¥50,000.00" in text and "$2,000.00" in text
    assert "Zhejiang" in text and "Software and information technology services" in text
    assert "Grid battery management" in text and "Low-carbon rebar" not in text
    assert "come from the records of PatentBridge" in text
    assert timezone.localdate().strftime("%Y") in text


def test_this_years_report_covers_the_year_so_far(donors):
    today = timezone.localdate()
    text = " ".join(pdf.text_of(render_report(donors.donor, today.year, "en")).split())
    assert f"1 January {today.year} to {today.day} {today.strftime('%B')} {today.year}" in text
    assert f"Report generated on {today.day} {today.strftime('%B')} {today.year}." in text


def test_report_pdf_in_chinese_has_glyphs(client, claimed):
    client.force_login(claimed.dora)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("donation_impact_report", args=[2026]))
    assert response.status_code == 200
    text = "".join(pdf.text_of(response.content).split())
    assert "2026年度专利许可捐赠社会责任报告" in text
    assert "ByteStudio" in text and "软件和信息技术服务业" in text and "工业" in text
    assert "PatentBridge平台记录" in text and "报告生成日期" in text


def test_report_names_a_chinese_sme_in_chinese_glyphs(donors, make_user, make_org):
    from marketplace import actions as org_actions
    from marketplace.models import OrganisationKind

    user = make_user("cn@example.com")
    sme = make_org("深圳小微电池有限公司", kind=OrganisationKind.SME, owner=user, verified=True, province="GD")
    org_actions.save_sme_profile(sme, actor=user, industry="02", employees=8, annual_revenue_cny=2_000_000,
                                 total_assets_cny=None)
    donate(donors.battery, sme, at=on(2026, 4))
    for language in ("en", "zh-hans"):
        text = "".join(pdf.text_of(render_report(donors.donor, 2026, language)).split())
        assert "深圳小微电池有限公司" in text


def test_report_of_a_year_without_donations(client, donors):
    client.force_login(donors.dora)
    text = pdf.text_of(client.get(reverse("donation_impact_report", args=[2024])).content)
    assert "No licences were donated in 2024." in " ".join(text.split())


def test_report_years_outside_the_range_are_404(client, donors):
    client.force_login(donors.dora)
    assert client.get(reverse("donation_impact_report", args=[1999])).status_code == 404
    assert client.get(reverse("donation_impact_report", args=[timezone.localdate().year + 1])).status_code == 404


def test_a_report_that_fails_to_render_says_so(client, donors, monkeypatch):
    from negotiations.views import impact as views

    def broken(html, **kwargs):
        raise pdf.PdfError("no pango")

    monkeypatch.setattr(views.pdf, "render_pdf", broken)
    client.force_login(donors.dora)
    response = client.get(reverse("donation_impact_report", args=[2026]), follow=True)
    assert response.redirect_chain[0][0] == "/donations/impact/?organisation=northern-power-group&year=2026"
    assert "could not be produced" in response.content.decode()


def test_the_page_links_each_years_report(client, claimed):
    client.force_login(claimed.dora)
    html = client.get("/donations/impact/").content.decode()
    assert "/donations/impact/2026.pdf?organisation=northern-power-group" in html
    assert "/donations/impact/2025.pdf?organisation=northern-power-group" in html
