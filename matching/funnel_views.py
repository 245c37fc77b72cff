"""Funnel pages: pushed → viewed → contacted → licensed, per pushed-week cohort (see ``matching.funnel``).

    /staff/funnel/            every suggestion (staff only; 404 for everyone else)
    /owner/<slug>/funnel/     suggestions of the organisation's listings (its members only; 404 otherwise,
                              staff included, as on the owner dashboard)

``?weeks=N`` (4–52, default 12) picks how many ISO weeks are shown. Included from ``marketplace.urls``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path

from marketplace.actions import membership_of
from marketplace.models import Organisation
from marketplace.views import staff_required
from matching.funnel import RATIOS, STAGES, listing_totals, weekly_funnel
from matching.models import FUNNEL, Suggestion

WEEK_CHOICES = (4, 8, 12, 26, 52)
DEFAULT_WEEKS = 12
MAX_LISTING_ROWS = 200


def _weeks(request) -> int:
    try:
        weeks = int(request.GET.get("weeks", DEFAULT_WEEKS))
    except (TypeError, ValueError):
        return DEFAULT_WEEKS
    return weeks if weeks in WEEK_CHOICES else DEFAULT_WEEKS


def _context(request, queryset) -> dict:
    weeks = _weeks(request)
    funnel = weekly_funnel(queryset, weeks=weeks)
    return {
        "funnel": funnel,
        "chart_data": funnel.chart_data(),
        "stage_labels": [(str(stage), stage.label) for stage in FUNNEL],
        "stages": STAGES,
        "ratio_names": [name for name, _n, _d in RATIOS],
        "weeks": weeks,
        "week_choices": WEEK_CHOICES,
    }


@staff_required
def staff_funnel(request):
    context = _context(request, Suggestion.objects.all())
    return render(request, "matching/funnel_staff.html", context)


@login_required
def owner_funnel(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    if membership_of(request.user, organisation) is None:
        raise Http404
    suggestions = Suggestion.objects.filter(listing__owner=organisation)
    context = _context(request, suggestions)
    rows = listing_totals(suggestions)
    context.update(organisation=organisation, listing_rows=rows[:MAX_LISTING_ROWS],
                   more_listings=max(0, len(rows) - MAX_LISTING_ROWS))
    return render(request, "matching/funnel_owner.html", context)


urlpatterns = [
    path("staff/funnel/", staff_funnel, name="staff_funnel"),
    path("owner/<slug:slug>/funnel/", owner_funnel, name="owner_funnel"),
]
