"""The public pages of listings: browse/search (``/listings/``) and a listing (``/listings/<id>/``).

Browse parses its GET parameters with ``listings.filters.ListingFilter`` into a ``SearchQuery``, runs
``listings.search.search`` and fetches the page's rows in one query (plus one for the patents), in
hit order. While the search index is unavailable it falls back to the same filters in the database
(no text ranking, no counts).

Patent numbers in the query (``listings.number_search``: ``US 8088512 B2``, ``8088512``, ``CN201810793986``)
are looked up in the database, not the index: their browsable listings (the other filters applied) come first
on page 1, then the text results of the remaining words; a query that is just a number with one listing opens
that listing. When no listing has every word, the page says so (``SearchResults.partial``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from listings import actions, ipc, number_search, panels, search, visits
from listings.filters import (
    CHOICE_FACETS,
    FACET_CHOICES,
    FACET_TITLES,
    SORT_CHOICES,
    ListingFilter,
    facet_label,
)
from listings.forms import to_minor
from listings.models import Listing, Patent, PatentClassification
from listings.templatetags.listing_tags import format_money
from marketplace import wording
from marketplace.actions import membership_of

PER_PAGE = 20
SIMILAR_COUNT = 5
# Facets whose options are listed in their vocabulary's order; the others (provinces, kinds) by count.
ORDERED_FACETS = {"fee_model", "licence_kinds", "price_band", "open_licence"}


@dataclass
class Row:
    listing: Listing
    title_html: SafeString
    snippet_html: SafeString
    score: float = 0.0
    number_match: str = ""  # the patent number the query named (a number hit, shown before the text results)


@dataclass
class Option:
    value: str
    label: str
    count: int
    checked: bool


@dataclass
class FacetGroup:
    name: str
    title: str
    options: list[Option]


@dataclass
class Node:
    code: str
    title: ipc.LocalTitle
    count: int | None
    url: str
    active: bool = False


def _query_string(params: QueryDict, **changes) -> str:
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    if "page" not in changes:  # a new filter starts again at page 1
        query.pop("page", None)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _without_value(params: QueryDict, key: str, value: str) -> str:
    query = params.copy()
    query.setlist(key, [v for v in query.getlist(key) if v != value])
    query.pop("page", None)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _rows(hits: list[search.Hit]) -> list[Row]:
    """The page's listings in hit order: one query for the listings and owners, one for the patents."""
    ids = [hit.listing_id for hit in hits]
    listings = Listing.objects.browsable().filter(pk__in=ids).select_related("owner").prefetch_related(
        Prefetch("patents", queryset=Patent.objects.order_by("office", "number"))
    )
    by_id = {listing.pk: listing for listing in listings}
    rows = []
    for hit in hits:
        listing = by_id.get(hit.listing_id)
        if listing is None:  # the index is a moment behind (withdrawn, owner no longer verified)
            continue
        # Hit.title_html / snippet_html are HTML-escaped by the search module, apart from its <mark> tags.
        title_html = mark_safe(hit.title_html) if hit.title_html else escape(listing.title)  # noqa: S308
        snippet_html = (mark_safe(hit.snippet_html) if hit.snippet_html  # noqa: S308
                        else escape((listing.description or "")[:300]))
        rows.append(Row(listing=listing, title_html=title_html, snippet_html=snippet_html, score=hit.score))
    return rows


def _number_hits(params: QueryDict, found: list[number_search.NumberQuery]) -> tuple[list[int], list[str]]:
    """Browsable listings holding the patents the query names, the other filters applied (not the text);
    and the numbers no browsable listing offers."""
    data = params.copy()
    for key in ("q", "page", "sort", "sort_q"):
        data.pop(key, None)
    listings = ListingFilter(data, queryset=Listing.objects.browsable()).qs
    ids, missing = [], []
    for number, hits in number_search.find_listings(listings, found):
        ids.extend(pk for pk in hits if pk not in ids)
        if not hits:
            missing.append(str(number))
    return ids, missing


def _number_rows(ids: list[int], found: list[number_search.NumberQuery]) -> list[Row]:
    rows = _rows([search.Hit(listing_id=pk, score=0.0) for pk in ids])
    for row in rows:
        for patent in row.listing.patents.all():
            if any(number.names(patent) for number in found):
                row.number_match = patent.display_number
                break
    return rows


def _partial_notice(results: search.SearchResults | None) -> str:
    if results is None or results.error or not results.partial:
        return ""
    words = wording.enumeration(results.words)
    return _("No listing has all of: %(words)s. Showing listings with most of them.") % {"words": words}


def _facet_groups(filterset: ListingFilter, query: search.SearchQuery, results: search.SearchResults):
    """Checkbox filters with counts. A facet with a selection is counted without its own filter, so
    its other values show how many results choosing them too would add (OR within a facet)."""
    selected = query.filters
    groups = []
    for facet in CHOICE_FACETS:
        counts = dict(results.facets.get(facet, []))
        if selected.get(facet):
            try:
                others = search.search(replace(
                    query, filters={k: v for k, v in selected.items() if k != facet}, page=1, per_page=1,
                    highlight=False,
                ))
            except search.SearchUnavailable:
                others = None
            if others is not None and not others.error:
                counts = dict(others.facets.get(facet, []))
        checked = set(selected.get(facet, []))
        values = [value for value, _label in FACET_CHOICES[facet]]
        if facet not in ORDERED_FACETS:
            values.sort(key=lambda value: -counts.get(value, 0))
        options = [
            Option(value, facet_label(facet, value), counts.get(value, 0), value in checked)
            for value in values
            if counts.get(value, 0) or value in checked
        ]
        if options:
            groups.append(FacetGroup(facet, str(FACET_TITLES[facet]), options))
    return groups


def _ipc_browser(params: QueryDict, current: str, results: search.SearchResults | None):
    """Breadcrumb (section → … → current node) and the next level's nodes with their counts."""
    trail = [
        Node(code, ipc.local_title(code), None, _query_string(params, ipc=code), active=code == current)
        for code in (ipc.path(current) if current else [])
    ]
    level = ipc.level(current) if current else None
    next_level = {None: ipc.SECTION, ipc.SECTION: ipc.CLASS, ipc.CLASS: ipc.SUBCLASS,
                  ipc.SUBCLASS: ipc.MAIN_GROUP}.get(level)
    nodes: list[Node] = []
    if next_level is not None and results is None:  # search unavailable: the scheme, without counts
        nodes = [Node(code, ipc.local_title(code), None, _query_string(params, ipc=code))
                 for code in ipc.children(current)]
    elif next_level is not None:
        counts = dict(results.facets.get(ipc.FACET_FOR_LEVEL[next_level], []))
        if current:
            counts = {code: n for code, n in counts.items() if _safe_parent(code) == current}
            codes = sorted(counts, key=ipc.sort_key)
        else:  # every section, also those without listings yet
            codes = sorted(set(ipc.children("")) | set(counts), key=ipc.sort_key)
        nodes = [
            Node(code, ipc.local_title(code), counts.get(code, 0), _query_string(params, ipc=code))
            for code in codes
        ]
    return {
        "current": current,
        "current_title": ipc.local_title(current) if current else "",
        "trail": trail,
        "nodes": nodes,
        "next_level": next_level,
        "clear_url": _query_string(params, ipc=None),
        "up_url": _query_string(params, ipc=ipc.parent(current) or None) if current else "",
    }


def _safe_parent(code: str) -> str:
    try:
        return ipc.parent(code)
    except ValueError:
        return ""


def _active_filters(filterset: ListingFilter, params: QueryDict) -> list[tuple[str, str]]:
    """(label, URL without it) for each applied filter, to show removable chips."""
    data = filterset.data_cleaned
    chips = []
    if data.get("q"):
        chips.append((f"“{data['q']}”", _query_string(params, q=None, sort_q=None)))
    if data.get("ipc"):
        chips.append((facet_label("ipc_subclass", data["ipc"]), _query_string(params, ipc=None)))
    for facet in CHOICE_FACETS:
        for value in data.get(facet) or []:
            chips.append((facet_label(facet, value), _without_value(params, facet, value)))
    if data.get("free"):
        chips.append((_("Free only"), _query_string(params, free=None)))
    if data.get("open"):
        chips.append((_("Open licences only"), _query_string(params, open=None)))
    if data.get("price_min") is not None:
        amount = format_money(to_minor(data["price_min"]))
        chips.append((_("From %(amount)s") % {"amount": amount}, _query_string(params, price_min=None)))
    if data.get("price_max") is not None:
        amount = format_money(to_minor(data["price_max"]))
        chips.append((_("Up to %(amount)s") % {"amount": amount}, _query_string(params, price_max=None)))
    return chips


def _page_numbers(page: int, pages: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20 (None marks a gap)."""
    wanted = {1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)}
    numbers, previous = [], 0
    for number in sorted(wanted):
        if number - previous > 1:
            numbers.append(None)
        numbers.append(number)
        previous = number
    return numbers


def browse(request):
    params = request.GET
    filterset = ListingFilter(params, queryset=Listing.objects.browsable())
    query = filterset.search_query(per_page=PER_PAGE)
    # Patent numbers in the query (listings.number_search): their listings first, the other words as text.
    split = number_search.split_query(query.text)
    number_ids, missing_numbers = _number_hits(params, split.numbers) if split.numbers else ([], [])
    if split.only_numbers and len(number_ids) == 1 and query.page == 1:
        return redirect(Listing.objects.get(pk=number_ids[0]))  # just a number, one listing: open it
    text_query = replace(query, text=split.rest) if split.numbers else query
    unavailable = False
    results = None
    try:
        if split.only_numbers:  # nothing left to search as text
            results = search.SearchResults(total=0, hits=[], page=1, per_page=PER_PAGE)
        else:
            results = search.search(text_query)
        if not results.error and results.total and text_query.page > results.pages:  # past the end: the last page
            query, text_query = replace(query, page=results.pages), replace(text_query, page=results.pages)
            results = search.search(text_query)
    except search.SearchUnavailable:
        unavailable = True
    if results is not None and results.error and not text_query.text.strip() and not split.numbers:
        # Without text nothing can be misunderstood: the index itself is missing or failing (e.g. being
        # built). Browsing still works from the database.
        unavailable, results = True, None

    context = {
        "filterset": filterset,
        "form": filterset.form,
        "query": query,
        "sort_choices": SORT_CHOICES,
        "sort": query.sort,
        "active_filters": _active_filters(filterset, params),
        "unavailable": unavailable,
        "error": "",
        "rows": [],
        "total": 0,
        "page": query.page,
        "pages": 1,
        "facet_groups": [],
        "ipc_browser": _ipc_browser(params, filterset.data_cleaned.get("ipc") or "", results),
        "missing_numbers": missing_numbers,
        "partial_notice": _partial_notice(results),
    }
    if results is not None:
        context.update({
            "error": results.error,
            "rows": [] if results.error else _rows(results.hits),
            "total": 0 if results.error else results.total,
            "page": results.page,
            "pages": results.pages,
            "facet_groups": [] if results.error or split.only_numbers else _facet_groups(filterset, text_query,
                                                                                        results),
        })
    else:  # fallback: the same filters in the database, newest first, no counts
        paginator = Paginator(
            filterset.ordered_qs().select_related("owner").prefetch_related(
                Prefetch("patents", queryset=Patent.objects.order_by("office", "number"))
            ),
            PER_PAGE,
        )
        page = paginator.get_page(query.page)
        context.update({
            "rows": [Row(listing, escape(listing.title), escape((listing.description or "")[:300]))
                     for listing in page.object_list],
            "total": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
        })
    if number_ids:  # the listings the query's numbers name come first (on the first page), then the text results
        on_page = {row.listing.pk for row in context["rows"]}
        context["total"] += len([pk for pk in number_ids if pk not in on_page])
        if context["page"] == 1:
            context["rows"] = _number_rows(number_ids, split.numbers) + [
                row for row in context["rows"] if row.listing.pk not in number_ids]
    context["page_links"] = [
        (number, _query_string(params, page=number) if number else "") for number in
        _page_numbers(context["page"], context["pages"])
    ] if context["pages"] > 1 else []
    context["previous_url"] = _query_string(params, page=context["page"] - 1) if context["page"] > 1 else ""
    context["next_url"] = _query_string(params, page=context["page"] + 1) if context["page"] < context["pages"] else ""
    return render(request, "listings/browse.html", context)


# --- the listing page -----------------------------------------------------------------------
def _similar(listing: Listing) -> list[Listing]:
    try:
        ids = search.more_like_this(listing.pk, limit=SIMILAR_COUNT)
    except search.SearchUnavailable:
        return []
    by_id = Listing.objects.browsable().filter(pk__in=ids).exclude(pk=listing.pk).select_related("owner").in_bulk()
    return [by_id[pk] for pk in ids if pk in by_id]


def listing_detail(request, pk):
    listing = get_object_or_404(
        Listing.objects.visible_to(request.user).select_related("owner").prefetch_related(
            Prefetch("patents", queryset=Patent.objects.order_by("office", "number").prefetch_related(
                Prefetch("classifications", queryset=PatentClassification.objects.order_by("position"))
            ))
        ),
        pk=pk,
    )
    membership = membership_of(request.user, listing.owner)
    if membership is None and listing.is_browsable and not visits.is_bot(request):
        day = visits.today()
        if actions.record_view(listing, visitor_hash=visits.visitor_hash(request, day), day=day):
            listing.view_count += 1
    patents = list(listing.patents.all())
    for patent in patents:
        patent.ipc_entries = [(c.code, ipc.local_title(c.code, full=True)) for c in patent.classifications.all()]
    return render(request, "listings/detail.html", {
        "listing": listing,
        "organisation": listing.owner,
        "membership": membership,
        "patents": patents,
        "similar": _similar(listing) if listing.is_browsable else [],
        "panels": panels.render_panels(request, listing),  # other apps' (one-step licences: negotiations)
    })


urlpatterns = [
    path("listings/", browse, name="listing_browse"),
    path("listings/<int:pk>/", listing_detail, name="listing_detail"),
]
