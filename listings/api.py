"""Read API (Django REST framework): published listings and their patents, with an OpenAPI schema.

    /api/v1/                                  API root (browsable in a web browser)
    /api/v1/listings/                         browsable listings, filtered like the browse page;
                                              ``?q=`` is full text (``listings.search``), ordered by relevance
    /api/v1/listings/<id>/                    404 unless the listing is browsable
    /api/v1/patents/                          patents that are in at least one browsable listing
    /api/v1/patents/<id>/
    /api/v1/patents/by-number/<number>/       any spelling of the number (``listings.numbers``)
    /api/schema/                              OpenAPI 3 (YAML; ``?format=json`` for JSON)
    /api/docs/                                a plain HTML reference generated from the schema (no CDN)

Thin like every view: validate the parameters, query, serialise. Public and read-only. Money is
integer minor units plus the currency code (never floats); royalty rates are basis points.
Invalid parameters give 400 with ``{"detail": "<message naming the parameter>", "errors": {param: [...]}}``.
"""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Prefetch, Q
from django.urls import include, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend, FilterSet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.utils.urls import remove_query_param, replace_query_param

from listings import api_contract, api_docs
from listings import ipc as ipc_scheme
from listings import number_search, numbers, search
from listings.models import (
    Currency,
    FeeModel,
    LegalStatus,
    LicenceKind,
    Listing,
    Patent,
    PatentClassification,
)
from marketplace.models import Organisation, OrganisationKind, Province

MAX_QUERY_LENGTH = 300  # characters of ?q=; long texts make slow OR queries (see STACK-NOTES)
THROTTLES = [AnonRateThrottle, UserRateThrottle]  # rates: settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]


# --- errors -----------------------------------------------------------------------------
class InvalidParameters(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, errors: dict[str, list[str]]):
        message = "; ".join(
            _("Invalid value for the parameter “%(name)s”: %(message)s")
            % {"name": name, "message": " ".join(str(m) for m in messages)}
            for name, messages in errors.items()
        )
        super().__init__({"detail": message, "errors": {name: [str(m) for m in ms] for name, ms in errors.items()}})


class SearchUnavailableError(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy("Full-text search is temporarily unavailable. Try again without “q” or later.")
    default_code = "search_unavailable"


# --- pagination -------------------------------------------------------------------------
class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        errors = api_contract.page_size_errors(raw, self.max_page_size)
        if errors:
            raise InvalidParameters({self.page_size_query_param: errors})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.page_query_param: {"minimum": 1},
                  self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size, "default": self.page_size}}
        for parameter in parameters:
            parameter["schema"] = {**parameter["schema"], **bounds.get(parameter["name"], {})}
        return parameters


class ListingPagination(Pagination):
    """Listing pages; a full-text search (``q``) also says whether every hit has every word."""

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["all_words_matched"] = {
            "type": "boolean",
            "description": "Only with `q`. False when no listing has every word (and IPC code) of `q`: the results "
                           "then have some of them, those with the most first (ordered by relevance). True "
                           "when every result has all of them.",
            "example": True,
        }
        return paginated


# --- filter fields ----------------------------------------------------------------------
_IPC_SECTION = re.compile(r"[A-HY]")
_IPC_CLASS = re.compile(r"[A-HY]\d\d")
_IPC_SUBCLASS = re.compile(r"[A-HY]\d\d[A-Z]")
_IPC_MAIN_GROUP = re.compile(r"(?P<sub>[A-HY]\d\d[A-Z]) ?(?P<group>\d{1,4})(?: ?/ ?0+)?")


def parse_ipc_prefix(raw: str) -> tuple[str, str]:
    """``"h01m"`` → ``("subclass", "H01M")``; ``"H01M10"``/``"H01M 10/00"`` → ``("main_group", "H01M 10/00")``.

    Levels are those of ``listings.ipc`` (section, class, subclass, main group), which are also the
    search facets. Raises ``ValidationError`` for a subgroup or anything that is not a code.
    """
    text = re.sub(r"\s+", " ", (raw or "").strip().upper())
    if _IPC_SECTION.fullmatch(text):
        return ipc_scheme.SECTION, text
    if _IPC_CLASS.fullmatch(text):
        return ipc_scheme.CLASS, text
    if _IPC_SUBCLASS.fullmatch(text):
        return ipc_scheme.SUBCLASS, text
    match = _IPC_MAIN_GROUP.fullmatch(text)
    if match:
        return ipc_scheme.MAIN_GROUP, f"{match['sub']} {int(match['group'])}/00"
    try:
        code = numbers.normalise_ipc(text)
    except ValueError:
        code = None
    if code is not None and code.group is not None:
        raise forms.ValidationError(
            _("%(code)s is a subgroup: filter by its main group %(main)s or a broader level.")
            % {"code": str(code), "main": code.main_group}
        )
    raise forms.ValidationError(
        _("“%(value)s” is not an IPC section, class, subclass or main group (e.g. H, H01, H01M, H01M 10/00).")
        % {"value": raw}
    )


class IPCPrefixField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        return parse_ipc_prefix(value) if value else None


# The classification columns of each level (``PatentClassification``).
_IPC_COLUMNS = {
    ipc_scheme.SECTION: "section",
    ipc_scheme.CLASS: "ipc_class",
    ipc_scheme.SUBCLASS: "subclass",
    ipc_scheme.MAIN_GROUP: "main_group",
}


class IPCPrefixFilter(django_filters.CharFilter):
    """Rows with at least one classification under the code (section, class, subclass or main group)."""

    field_class = IPCPrefixField
    schema_pattern = api_contract.IPC_PREFIX_PATTERN

    def __init__(self, *args, through_listings: bool, **kwargs):
        self.through_listings = through_listings  # filtering listings (through their patents), or patents
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        level, code = value
        # Uncorrelated IN subqueries: planned once, fast on SQLite and PostgreSQL alike.
        patent_ids = PatentClassification.objects.filter(**{_IPC_COLUMNS[level]: code}).values("patent_id")
        if self.through_listings:
            return qs.filter(pk__in=Listing.patents.through.objects.filter(patent_id__in=patent_ids)
                             .values("listing_id"))
        return qs.filter(pk__in=patent_ids)


class StrictBooleanField(forms.Field):
    """``true/false`` (also ``1/0``, ``yes/no``); anything else is an error, not silently ignored."""

    TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
    widget = forms.Select(choices=[("", "---------"), ("true", "true"), ("false", "false")])

    def clean(self, value):
        if value in (None, ""):
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(_("Use true or false, not “%(value)s”.") % {"value": value}, code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class MinorUnitsFilter(django_filters.NumberFilter):
    """A whole number of minor units (fen, cents), at least 0."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        super().__init__(*args, **kwargs)


class CommaSeparatedMultiple(forms.SelectMultiple):
    """Repeated parameters (``?fee_model=free&fee_model=royalty``) or one comma-separated value."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [part.strip() for value in values if value for part in str(value).split(",") if part.strip()]


def multiple_choice(choices, **kwargs):
    return django_filters.MultipleChoiceFilter(choices=choices, widget=CommaSeparatedMultiple, distinct=False, **kwargs)


class FilterBackend(DjangoFilterBackend):
    """django-filter, with errors that name the parameter in a ``detail`` message."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        blank = api_contract.blank_parameter_errors(request.query_params, type(filterset))
        if blank:
            raise InvalidParameters(blank)
        if not filterset.is_valid():
            raise InvalidParameters(filterset.errors)
        return filterset.qs


def _validated(filterset_class, request, queryset) -> dict:
    blank = api_contract.blank_parameter_errors(request.query_params, filterset_class)
    if blank:
        raise InvalidParameters(blank)
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise InvalidParameters(filterset.errors)
    return filterset.form.cleaned_data


# --- listings: filters ------------------------------------------------------------------
ORDERINGS = [
    ("relevance", gettext_lazy("Relevance (with q; newest otherwise)")),
    ("newest", gettext_lazy("Newest first")),
    ("price", gettext_lazy("Upfront price, lowest first")),
    ("-price", gettext_lazy("Upfront price, highest first")),
]
SEARCH_SORTS = {"relevance": "relevance", "newest": "newest", "price": "price_asc", "-price": "price_desc"}
DB_ORDERINGS = {
    "relevance": ("-published_at", "-id"),
    "newest": ("-published_at", "-id"),
    "price": ("upfront_price_minor", "-published_at", "-id"),
    "-price": ("-upfront_price_minor", "-published_at", "-id"),
}


class ListingFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("must be at least price_min (%(low)s).") % {"low": low})
        return data


class ListingFilter(FilterSet):
    q = django_filters.CharFilter(
        method="filter_text", max_length=MAX_QUERY_LENGTH,
        help_text=gettext_lazy("Full text (English or Chinese; IPC codes work too). Results are ordered by "
                               "relevance unless `ordering` is given."),
    )
    ipc = IPCPrefixFilter(
        through_listings=True,
        help_text=gettext_lazy("IPC/CPC prefix: section H, class H01, subclass H01M or main group H01M 10/00."),
    )
    fee_model = multiple_choice(FeeModel.choices, help_text=gettext_lazy("One or more fee models (OR)."))
    licence_kind = multiple_choice(
        LicenceKind.choices, method="filter_licence_kind",
        help_text=gettext_lazy("Listings offering any of these kinds of licence."),
    )
    owner_kind = multiple_choice(OrganisationKind.choices, field_name="owner__kind",
                                 help_text=gettext_lazy("Kind of the owning organisation."))
    province = multiple_choice(Province.choices, field_name="owner__province",
                               help_text=gettext_lazy("Province of the owning organisation."))
    open_licence = StrictBooleanFilter(
        field_name="open_licence", help_text=gettext_lazy("Only open licences (true) or only negotiated ones (false)."),
    )
    free_only = StrictBooleanFilter(method="filter_free_only", help_text=gettext_lazy("Only free licences."))
    price_min = MinorUnitsFilter(field_name="upfront_price_minor", lookup_expr="gte",
                                 help_text=gettext_lazy("Lowest upfront price (lump sum or entry fee), minor units."))
    price_max = MinorUnitsFilter(field_name="upfront_price_minor", lookup_expr="lte",
                                 help_text=gettext_lazy("Highest upfront price (lump sum or entry fee), minor units."))
    ordering = django_filters.ChoiceFilter(choices=ORDERINGS, method="filter_ordering", empty_label=None,
                                           help_text=gettext_lazy("newest (default), price, -price or relevance."))

    class Meta:
        model = Listing
        fields: list[str] = []
        form = ListingFilterForm

    def filter_text(self, queryset, name, value):
        return queryset  # ``q`` goes through the search index (ListingViewSet.list), never the database

    def filter_licence_kind(self, queryset, name, values):
        if not values:
            return queryset
        condition = Q()
        for kind in values:
            condition |= Q(**{f"offers_{kind}": True})
        return queryset.filter(condition)

    def filter_free_only(self, queryset, name, value):
        return queryset.filter(fee_model=FeeModel.FREE) if value else queryset

    def filter_ordering(self, queryset, name, value):
        return queryset.order_by(*DB_ORDERINGS[value or "newest"])


def search_query_for(cleaned: dict, *, page: int, per_page: int) -> search.SearchQuery:
    """The browse filters (already validated by ``ListingFilter``) as a ``listings.search`` query."""
    filters: dict[str, list[str]] = {}
    if cleaned.get("ipc"):
        level, code = cleaned["ipc"]
        filters[ipc_scheme.FACET_FOR_LEVEL[level]] = [code]
    for param, facet in (("fee_model", "fee_model"), ("licence_kind", "licence_kinds"),
                         ("owner_kind", "owner_kind"), ("province", "province")):
        if cleaned.get(param):
            filters[facet] = list(cleaned[param])
    if cleaned.get("open_licence") is False:
        filters["open_licence"] = ["no"]
    return search.SearchQuery(
        text=cleaned["q"].strip(),
        filters=filters,
        free_only=bool(cleaned.get("free_only")),
        open_only=cleaned.get("open_licence") is True,
        price_min_minor=cleaned.get("price_min"),
        price_max_minor=cleaned.get("price_max"),
        sort=SEARCH_SORTS[cleaned.get("ordering") or "relevance"],
        page=page,
        per_page=per_page,
        facets=False,
        highlight=False,
    )


# --- serializers ------------------------------------------------------------------------
class OwnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["slug", "name", "kind", "province"]


class ListingPatentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-patent-detail")
    number = serializers.CharField(source="display_number", help_text=gettext_lazy("Canonical number, e.g. CN 112345678 B."))
    ipc_codes = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Patent
        fields = ["id", "url", "number", "title", "ipc_codes"]


class TermsSerializer(serializers.ModelSerializer):
    licence_kinds = serializers.ListField(child=serializers.ChoiceField(choices=LicenceKind.choices))
    currency = serializers.ChoiceField(choices=Currency.choices)
    upfront_price_minor = serializers.IntegerField(
        help_text=gettext_lazy("What a licensee pays before any royalty (lump sum or entry fee; 0 when free), "
                               "minor units.")
    )

    class Meta:
        model = Listing
        fields = [
            "licence_kinds", "fee_model", "currency", "lump_sum_minor", "entry_fee_minor", "royalty_rate_bp",
            "upfront_price_minor", "territory", "term_months", "field_of_use", "open_licence",
        ]


class ListingSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-listing-detail")
    web_url = serializers.SerializerMethodField(help_text=gettext_lazy("The listing's page on the site."))
    owner = OwnerSerializer()
    patents = ListingPatentSerializer(many=True)
    terms = TermsSerializer(source="*")

    class Meta:
        model = Listing
        fields = [
            "id", "url", "web_url", "title", "description", "state", "owner", "patents", "terms", "idle_declared",
            "donation_quota", "published_at", "view_count",
        ]

    def get_web_url(self, listing) -> str:
        request = self.context.get("request")
        url = listing.get_absolute_url()
        return request.build_absolute_uri(url) if request is not None else url


class ListingRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-listing-detail")

    class Meta:
        model = Listing
        fields = ["id", "url", "title"]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class PatentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-patent-detail")
    number = serializers.CharField(source="display_number", help_text=gettext_lazy("Canonical number, e.g. CN 112345678 B."))
    ipc_codes = serializers.ListField(child=serializers.CharField())
    applicants = serializers.SerializerMethodField()
    inventors = serializers.SerializerMethodField()
    owner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    listings = ListingRefSerializer(many=True, read_only=True, help_text=gettext_lazy("Browsable listings offering it."))

    class Meta:
        model = Patent
        fields = [
            "id", "url", "number", "office", "kind", "title", "abstract", "ipc_codes", "applicants", "inventors",
            "filing_date", "grant_date", "expiry_date", "legal_status", "language", "owner", "listings",
        ]

    def get_applicants(self, patent) -> list[str]:
        return _lines(patent.applicants)

    def get_inventors(self, patent) -> list[str]:
        return _lines(patent.inventors)


# --- listings: views --------------------------------------------------------------------
def listing_rows(queryset):
    return queryset.select_related("owner").prefetch_related(
        Prefetch("patents", queryset=Patent.objects.only("id", "office", "number", "kind", "title", "ipc_codes"))
    )


def _page_number(request) -> int:
    raw = request.query_params.get(Pagination.page_query_param, "1")
    try:
        page = int(raw)
    except ValueError:
        page = 0
    if page < 1:
        raise NotFound(_("Invalid page."))
    return page


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("Browsable listings"),
        description=gettext_lazy("Published listings of verified owners, newest first. With `q`, the full-text index "
                                 "answers and the order is relevance (unless `ordering` is given); the other filters "
                                 "work the same way with or without `q`. A query is the AND of its words; when no "
                                 "listing has them all, the listings having most of them are returned and "
                                 "`all_words_matched` is false."),
    ),
    retrieve=extend_schema(summary=gettext_lazy("One browsable listing"),
                           description=gettext_lazy("404 unless the listing is browsable.")),
)
class ListingViewSet(viewsets.ReadOnlyModelViewSet):
    schema = api_contract.ApiAutoSchema()
    serializer_class = ListingSerializer
    filter_backends = [FilterBackend]
    filterset_class = ListingFilter
    pagination_class = ListingPagination
    throttle_classes = THROTTLES

    def get_queryset(self):
        return listing_rows(Listing.objects.browsable()).order_by(*DB_ORDERINGS["newest"])

    def list(self, request, *args, **kwargs):
        if (request.query_params.get("q") or "").strip():
            return self._search(request)
        return super().list(request, *args, **kwargs)

    def _search(self, request):
        cleaned = _validated(ListingFilter, request, Listing.objects.none())
        page = _page_number(request)
        per_page = self.paginator.get_page_size(request)
        try:
            results = search.search(search_query_for(cleaned, page=page, per_page=per_page))
        except search.SearchUnavailable:
            raise SearchUnavailableError() from None
        if results.error:
            if results.error in _unavailable_messages():
                raise SearchUnavailableError(results.error)
            raise _query_error(results.error)
        if page > 1 and page > results.pages:
            raise NotFound(_("Invalid page."))
        if not results.hits and results.total > (page - 1) * per_page:
            window = getattr(search, "MAX_RESULT_WINDOW", 0)
            raise NotFound(_("Only the first %(window)s full-text results can be paged through: add words or "
                             "filters.") % {"window": window})
        ids = [hit.listing_id for hit in results.hits]
        rows = self.get_queryset().in_bulk(ids)  # the index may lag: rows no longer browsable drop out
        listings = [rows[pk] for pk in ids if pk in rows]
        url = request.build_absolute_uri()
        next_url = replace_query_param(url, "page", page + 1) if page < results.pages else None
        if page <= 1:
            previous_url = None
        elif page == 2:
            previous_url = remove_query_param(url, "page")
        else:
            previous_url = replace_query_param(url, "page", page - 1)
        return Response({
            "count": results.total,
            "next": next_url,
            "previous": previous_url,
            "results": self.get_serializer(listings, many=True).data,
            "all_words_matched": not results.partial,
        })


def _unavailable_messages() -> set[str]:
    """``search.search`` never raises: an index that is missing or failing comes back as one of these
    messages (in the active language), which are 503s, not problems with ``q``. (A flag on
    ``SearchResults`` would be sturdier than comparing messages; see the search module.)"""
    return {
        _("The search index is being built; try again in a minute."),
        _("Search is not available right now; please try again later."),
    }


class QueryError(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_query"


def _query_error(message: str) -> QueryError:
    """A query the search could not understand: 400 with the search's friendly message."""
    return QueryError({"detail": message, "errors": {"q": [message]}})


# --- patents ----------------------------------------------------------------------------
class PatentFilter(FilterSet):
    q = django_filters.CharFilter(method="filter_text", max_length=MAX_QUERY_LENGTH,
                                  help_text=gettext_lazy("Words in the title (case-insensitive)."))
    ipc = IPCPrefixFilter(
        through_listings=False,
        help_text=gettext_lazy("IPC/CPC prefix: section H, class H01, subclass H01M or main group H01M 10/00."),
    )
    office = django_filters.CharFilter(method="filter_office",
                                       help_text=gettext_lazy("Patent office code, e.g. CN, US, EP, WO, TW."))
    legal_status = multiple_choice(LegalStatus.choices, help_text=gettext_lazy("One or more legal statuses (OR)."))

    class Meta:
        model = Patent
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(title__icontains=word)
        return queryset

    def filter_office(self, queryset, name, value):
        value = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{2,4}", value):
            raise InvalidParameters({"office": [_("Use an office code such as CN, US or EP.")]})
        return queryset.filter(office=value)


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Patents on offer"),
                       description=gettext_lazy("Patents that are in at least one browsable listing, by office and "
                                                "number.")),
    retrieve=extend_schema(summary=gettext_lazy("One patent on offer")),
)
class PatentViewSet(viewsets.ReadOnlyModelViewSet):
    schema = api_contract.ApiAutoSchema()
    serializer_class = PatentSerializer
    filter_backends = [FilterBackend]
    filterset_class = PatentFilter
    pagination_class = Pagination
    throttle_classes = THROTTLES

    def get_queryset(self):
        browsable = Listing.objects.browsable()
        offered = Listing.patents.through.objects.filter(listing_id__in=browsable.values("pk")).values("patent_id")
        return (
            Patent.objects.filter(pk__in=offered)
            .select_related("owner")
            .prefetch_related(Prefetch("listings", queryset=browsable.order_by("-published_at", "-id")
                                       .only("id", "title")))
            .order_by("office", "number")
        )

    @extend_schema(
        summary=gettext_lazy("A patent on offer, by its number"),
        description=gettext_lazy("Any spelling of the number works: `CN112345678B`, `cn 112345678 b`, "
                                 "`ZL201010110545.X`, `US 10,123,456 B2`. The kind code and leading zeros are "
                                 "ignored, an application number may omit its check digit (`CN201810793986`), and "
                                 "a number without its office (`8088512`) matches any office (the first by office "
                                 "and number is returned). 404 when no browsable listing offers it."),
        parameters=[OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH,
                                     description=gettext_lazy("The patent number, in any usual spelling."))],
        filters=False,
        responses=PatentSerializer,
    )
    @action(detail=False, methods=["get"], url_path=r"by-number/(?P<number>.+)", url_name="by-number",
            filter_backends=[], pagination_class=None)
    def by_number(self, request, number=None):
        try:  # the same look-up as the browse page's search box (listings.number_search)
            patent = number_search.patents_matching(self.get_queryset(), number).first()
        except ValueError as exc:
            raise NotFound(str(exc)) from None
        if patent is None:
            raise NotFound(_("No patent %(number)s is on offer.") % {"number": number_search.display(number)})
        return Response(self.get_serializer(patent).data)


# --- routes (mounted under /api/ by marketplace.urls) -----------------------------------
router = DefaultRouter()
router.register("listings", ListingViewSet, basename="api-listing")
router.register("patents", PatentViewSet, basename="api-patent")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(throttle_classes=THROTTLES), name="api-schema"),
    path("docs/", api_docs.api_docs, name="api-docs"),
]
