"""Picking an organisation's patents for a listing, when it holds thousands of them.

The listing form used to render every patent of the organisation as an ``<option>`` (3,155 for the demo
university). Now:

* the form renders only the patents already chosen, as ticked checkboxes (untick to drop), never one
  ``<option>`` per patent (``ListingForm.selected_patents``, ``templates/listings/includes/patent_picker.html``);
* ``PatentNumbersField`` (``add_patents``) takes patent numbers typed by hand — the path without JavaScript —
  and resolves them to the organisation's patents, with an error naming every number it could not use;
* ``/owner/<slug>/patents/search.json?q=`` (members only, 404 for everyone else) finds the organisation's
  patents by number, title words (English or Chinese) or IPC code, at most ``MAX_RESULTS``;
* ``static/js/patent_picker.js`` puts a search box over that endpoint in front of both fields.
"""

from __future__ import annotations

import functools
import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from listings import number_search, numbers
from listings import search as search_module
from listings.models import Patent
from marketplace.actions import membership_of
from marketplace.models import Organisation

MAX_RESULTS = 20
MAX_QUERY = 100
MAX_TYPED_NUMBERS = 200
# Numbers are separated by new lines, semicolons or a comma before the next office code — a comma
# between digits belongs to the number (US 10,123,456 B2).
_SEPARATORS = re.compile(r"[\n;]+|,\s*(?=[A-Za-z])")


# --- finding patents -----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t")


def _script_variants(word: str) -> set[str]:
    """The word in Simplified and in Traditional characters (itself when it has no Han characters); Simplified
    as the search index folds it (``listings.search.to_simplified``)."""
    if not search_module.has_han(word):
        return {word}
    return {word, search_module.to_simplified(word), _to_traditional().convert(word)}


def _by_number(organisation, token: str) -> Patent | None:
    """The organisation's patent a typed number names, spelt as the search box and the API read numbers
    (``number_search.patents_matching``: kind code, leading zeros and check digit optional)."""
    patents = Patent.objects.filter(owner=organisation)
    try:
        return number_search.patents_matching(patents, token).first()
    except ValueError:
        # Portfolio case numbers (the NASA demo's GSC-TOPS-35) are not patent numbers: exact match only.
        return patents.filter(number__iexact=token.strip()).first()


def search(organisation, query: str, limit: int = MAX_RESULTS) -> tuple[list[Patent], bool]:
    """The organisation's patents matching ``query``: an exact number first, then numbers containing it,
    IPC codes starting with it, and titles containing every word. Returns ``(patents, more)``."""
    query = " ".join(query.split())[:MAX_QUERY]
    if not query:
        return [], False
    found: list[Patent] = []
    exact = _by_number(organisation, query)
    if exact is not None:
        found.append(exact)
    condition = Q()
    words = query.split()
    title = Q()
    for word in words:
        either = Q()
        for variant in _script_variants(word):  # 电池 also finds the Traditional 電池 of Taiwanese titles
            either |= Q(title__icontains=variant)
        title &= either
    condition |= title
    compact = re.sub(r"[\s,]", "", query).upper()
    if len(compact) >= 3 and any(ch.isdigit() for ch in compact):
        digits = re.sub(r"^(ZL|[A-Z]{2})", "", compact)
        condition |= Q(number__icontains=digits)
    ipc_prefix = numbers.ipc_prefix(query) if len(query) >= 3 else None
    if ipc_prefix:
        condition |= Q(classifications__code__istartswith=ipc_prefix)
    ids = (Patent.objects.filter(owner=organisation).filter(condition).exclude(pk__in=[p.pk for p in found])
           .order_by("-filing_date", "-pk").values_list("pk", flat=True).distinct())
    ids = list(ids[: limit + 1 - len(found)])
    more = len(found) + len(ids) > limit
    by_pk = Patent.objects.in_bulk(ids[: limit - len(found)])
    found.extend(by_pk[pk] for pk in ids[: limit - len(found)] if pk in by_pk)
    return found, more


def as_json(patent: Patent) -> dict:
    return {
        "id": patent.pk,
        "number": patent.display_number,
        "title": patent.title,
        "ipc": list(patent.ipc_codes[:3]),
        "alive": patent.is_alive,
    }


@login_required
@require_safe
def search_json(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    if membership_of(request.user, organisation) is None:
        raise Http404
    patents, more = search(organisation, request.GET.get("q", ""))
    return JsonResponse({"results": [as_json(p) for p in patents], "more": more, "limit": MAX_RESULTS})


urlpatterns = [path("owner/<slug:slug>/patents/search.json", search_json, name="owner_patent_search")]


# --- form pieces ---------------------------------------------------------------------------------
class PatentNumbersField(forms.CharField):
    """Patent numbers typed by hand (one per line); cleans to the organisation's ``Patent`` objects."""

    widget = forms.Textarea

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.organisation = None

    def clean(self, value):
        raw = super().clean(value) or ""
        tokens = [t.strip() for t in _SEPARATORS.split(raw) if t and t.strip()]
        if len(tokens) > MAX_TYPED_NUMBERS:
            raise forms.ValidationError(
                _("Enter at most %(max)d patent numbers at a time.") % {"max": MAX_TYPED_NUMBERS}, code="too_many"
            )
        patents, unknown = [], []
        for token in tokens:
            patent = _by_number(self.organisation, token) if self.organisation is not None else None
            if patent is None:
                unknown.append(token)
            elif patent not in patents:
                patents.append(patent)
        if unknown:
            raise forms.ValidationError(
                _("Not among your organisation’s patents: %(numbers)s. Check the numbers (e.g. CN 112345678 B), "
                  "or add a new patent below.") % {"numbers": "; ".join(unknown)},
                code="unknown",
            )
        return patents
