"""The donor's impact page, its CSV export and the yearly social-responsibility report (``negotiations.impact``
computes the figures).

    /donations/impact/               GET  the page: ``?year=`` (a calendar year, else all time), ``?organisation=``
    /donations/impact.csv            GET  the donated licences of the period, one row each (``?year=``,
                                          ``?organisation=``), UTF-8 with BOM, every cell spreadsheet-safe
    /donations/impact/<year>.pdf     GET  the yearly report (``?organisation=``), in the viewer's language

Who may look: members of a demonstration enterprise see their own (a member of several picks one with
``?organisation=<slug>``, the first by name otherwise); platform staff may look at any demonstration
enterprise's (they get the same picker, listing them all). Everyone else, and a slug that is not one of the
user's choices (another donor's, a non-demonstration organisation's), gets 404; anonymous visitors go to the
login page.

The report's text is in its templates, one per language (``impact_report_en.html``, ``impact_report_zh.html``),
as a formal document in Chinese is written in Chinese, not translated label by label; the data in it (province,
industry and size labels, dates, amounts) is formatted in that language.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from listings.forms import from_minor
from marketplace import csvsafe
from marketplace.models import Organisation
from negotiations import impact, pdf

FIRST_YEAR = 2000


def donor_choices(user):
    """The demonstration enterprises whose impact the user may see: their own, or every one for staff."""
    donors = Organisation.objects.filter(is_demonstration=True)
    if not user.is_staff:
        donors = donors.filter(memberships__user=user)
    return list(donors.order_by("name", "pk"))


def _donor(request) -> tuple[Organisation, list[Organisation]]:
    choices = donor_choices(request.user)
    slug = request.GET.get("organisation", "")
    if slug:
        donor = next((o for o in choices if o.slug == slug), None)
    else:
        own = set(Organisation.objects.for_member(request.user).values_list("pk", flat=True))
        donor = next((o for o in choices if o.pk in own), None) or (choices[0] if choices else None)
    if donor is None:
        raise Http404
    return donor, choices


def _year(value) -> int | None:
    """A calendar year from 2000 to this one, else None (all time)."""
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if FIRST_YEAR <= year <= timezone.localdate().year else None


@login_required
@require_GET
def impact_page(request):
    donor, choices = _donor(request)
    year = _year(request.GET.get("year"))
    figures = impact.figures(donor, year)
    years = figures.years
    if year and year not in years:
        years = sorted({*years, year}, reverse=True)
    org = {"organisation": donor.slug}
    csv_url = reverse("donation_impact_csv") + _params(org, year=year)
    report_years = years or [timezone.localdate().year]
    return render(request, "negotiations/impact.html", {
        "donor": donor,
        "choices": choices,
        "year": year,
        "years": years,
        "figures": figures,
        "chart": impact.chart(figures.by_month),
        "csv_url": csv_url,
        "reports": [(y, reverse("donation_impact_report", args=[y]) + _params(org)) for y in report_years],
    })


def _params(base: dict, **extra) -> str:
    params = {**base, **{k: v for k, v in extra.items() if v}}
    return ("?" + urlencode(params)) if params else ""


@login_required
@require_GET
def impact_csv(request):
    donor, _choices = _donor(request)
    year = _year(request.GET.get("year"))
    figures = impact.figures(donor, year)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"donated-licences-{donor.slug}-{year or 'all'}.csv"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response.write("\ufeff")  # the BOM: Excel then reads the file as UTF-8
    writer = csvsafe.writer(response)
    writer.writerow([_("Date"), _("Small or medium enterprise"), _("Size class"), _("Province"), _("Industry"),
                     _("Listing"), _("Value forgone"), _("Currency")])
    for row in figures.claims:
        writer.writerow([row.date.isoformat(), row.sme, row.size_class, row.province, row.industry, row.listing,
                         str(from_minor(row.value.minor, row.value.currency)), row.value.currency])
    return response


def report_language(request) -> str:
    return "zh-hans" if (getattr(request, "LANGUAGE_CODE", "") or "").lower().startswith("zh") else "en"


def render_report(donor: Organisation, year: int, language: str) -> bytes:
    """The yearly report as PDF bytes, in ``language`` ("en" or "zh-hans"); raises ``pdf.PdfError``."""
    today = timezone.localdate()
    with translation.override(language):
        figures = impact.figures(donor, year)
        html = render_to_string(
            "negotiations/impact_report_zh.html" if language == "zh-hans" else "negotiations/impact_report_en.html",
            {"donor": donor, "year": year, "figures": figures, "chart": impact.chart(figures.by_month),
             # the year so far, for this year's report
             "period_start": figures.period.first_day(), "period_end": min(figures.period.last_day(), today),
             "generated_on": today, "font_stack": pdf.FONT_STACK})
    return pdf.render_pdf(html)


@login_required
@require_GET
def impact_report(request, year: int):
    donor, _choices = _donor(request)
    if _year(year) is None:
        raise Http404
    language = report_language(request)
    try:
        data = render_report(donor, year, language)
    except pdf.PdfError:
        messages.error(request, _("The report could not be produced just now. Please try again later."))
        return redirect(reverse("donation_impact") + _params({"organisation": donor.slug}, year=year))
    response = HttpResponse(data, content_type="application/pdf")
    name = f"social-responsibility-report-{donor.slug}-{year}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, name)
    return response
