"""The browse page's GET parameters, parsed and validated by a django-filter FilterSet.

``ListingFilter(request.GET, queryset=Listing.objects.browsable())`` validates the parameters;
``search_query()`` turns the valid ones into a ``listings.search.SearchQuery`` (the normal path);
``.qs`` applies the same filters in the database (the fallback while the search index is unavailable).

Parameters: ``q`` (text), ``ipc`` (one classification node: ``H``, ``H01``, ``H01M`` or ``H01M 10/00``),
the facets ``fee_model``, ``licence_kinds``, ``owner_kind``, ``province``, ``price_band``,
``open_licence`` (repeatable: OR within a facet, AND across facets), ``free`` and ``open`` (flags),
``price_min`` / ``price_max`` (upfront price in major units), ``sort`` and ``page``.
Invalid parameters are reported in ``errors`` and ignored; the others still apply.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from listings import ipc
from listings.forms import MoneyField, to_minor
from listings.models import PRICE_BAND_LABELS, PRICE_BANDS, Currency, FeeModel, LicenceKind
from listings.search import SORTS, SearchQuery
from marketplace.models import OrganisationKind, Province

# Facets offered as checkbox filters on the browse page, in display order (the IPC facets are
# browsed as a tree instead).
CHOICE_FACETS = ("fee_model", "licence_kinds", "price_band", "open_licence", "owner_kind", "province")
IPC_FACETS = ("ipc_section", "ipc_class", "ipc_subclass", "ipc_main_group")

OPEN_LICENCE_CHOICES = [("yes", _("Open licence")), ("no", _("Negotiated licence"))]
PRICE_BAND_CHOICES = [(name, PRICE_BAND_LABELS[name]) for name, _low, _high in PRICE_BANDS]
SORT_CHOICES = [
    ("relevance", _("Best match")),
    ("newest", _("Newest first")),
    ("price_asc", _("Price: low to high")),
    ("price_desc", _("Price: high to low")),
]
assert [value for value, _label in SORT_CHOICES] == list(SORTS)

FACET_CHOICES = {
    "fee_model": FeeModel.choices,
    "licence_kinds": LicenceKind.choices,
    "owner_kind": OrganisationKind.choices,
    "province": Province.choices,
    "price_band": PRICE_BAND_CHOICES,
    "open_licence": OPEN_LICENCE_CHOICES,
}
FACET_TITLES = {
    "ipc_section": _("IPC section"),
    "ipc_class": _("IPC class"),
    "ipc_subclass": _("IPC subclass"),
    "ipc_main_group": _("IPC main group"),
    "fee_model": _("Fee"),
    "licence_kinds": _("Licence"),
    "owner_kind": _("Organisation type"),
    "province": _("Province"),
    "price_band": _("Upfront price"),
    "open_licence": _("Open licence"),
}
_LABELS = {facet: dict(choices) for facet, choices in FACET_CHOICES.items()}

KIND_FIELDS = {
    LicenceKind.EXCLUSIVE: "offers_exclusive",
    LicenceKind.SOLE: "offers_sole",
    LicenceKind.NON_EXCLUSIVE: "offers_non_exclusive",
    LicenceKind.ASSIGNMENT: "offers_assignment",
}
IPC_LOOKUPS = {
    ipc.SECTION: "patents__classifications__section",
    ipc.CLASS: "patents__classifications__ipc_class",
    ipc.SUBCLASS: "patents__classifications__subclass",
    ipc.MAIN_GROUP: "patents__classifications__main_group",
}
DB_ORDERING = {
    "relevance": ["-published_at", "-pk"],
    "newest": ["-published_at", "-pk"],
    "price_asc": ["upfront_price_minor", "-published_at", "-pk"],
    "price_desc": ["-upfront_price_minor", "-published_at", "-pk"],
}


def _words(text) -> str:
    return " ".join((text or "").split())


def facet_label(facet: str, value: str):
    """A human label for a facet value (``fee_model``/``free`` → “Free”; IPC codes → their title, an
    ``ipc.LocalTitle`` that knows its language: print it with ``listing_tags.ipc_text``)."""
    if facet in IPC_FACETS:
        title = ipc.local_title(value)
        return ipc.LocalTitle(f"{value} · {title}", title.lang) if title else value
    label = _LABELS.get(facet, {}).get(value)
    return str(label) if label is not None else value


# --- fields and filters ------------------------------------------------------------------
class IPCField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return ""
        try:
            return ipc.normalise(value)
        except ValueError:
            raise forms.ValidationError(
                _("“%(code)s” is not an IPC class (expected e.g. H, H01, H01M or H01M 10/00).") % {"code": value}
            ) from None


class IPCFilter(django_filters.Filter):
    field_class = IPCField


class MoneyFilter(django_filters.Filter):
    field_class = MoneyField


class FlagFilter(django_filters.Filter):
    field_class = forms.BooleanField


class PageFilter(django_filters.Filter):
    field_class = forms.IntegerField


class ListingFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("price_min"), cleaned.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The maximum price is below the minimum price."))
        return cleaned


class ListingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text", max_length=300, strip=True)
    ipc = IPCFilter(label=_("Classification"), method="filter_ipc")
    fee_model = django_filters.MultipleChoiceFilter(
        label=FACET_TITLES["fee_model"], choices=FeeModel.choices, method="filter_fee_model"
    )
    licence_kinds = django_filters.MultipleChoiceFilter(
        label=FACET_TITLES["licence_kinds"], choices=LicenceKind.choices, method="filter_licence_kinds"
    )
    price_band = django_filters.MultipleChoiceFilter(
        label=FACET_TITLES["price_band"], choices=PRICE_BAND_CHOICES, method="filter_price_band"
    )
    open_licence = django_filters.MultipleChoiceFilter(
        label=FACET_TITLES["open_licence"], choices=OPEN_LICENCE_CHOICES, method="filter_open_licence"
    )
    owner_kind = django_filters.MultipleChoiceFilter(
        label=FACET_TITLES["owner_kind"], choices=OrganisationKind.choices, field_name="owner__kind",
        lookup_expr="in", method="filter_in",
    )
    province = django_filters.MultipleChoiceFilter(
        label=FACET_TITLES["province"], choices=Province.choices, field_name="owner__province",
        lookup_expr="in", method="filter_in",
    )
    free = FlagFilter(label=_("Free licences only"), method="filter_free")
    open = FlagFilter(label=_("Open licences only"), method="filter_open")
    price_min = MoneyFilter(label=_("Minimum upfront price"), method="filter_price_min")
    price_max = MoneyFilter(label=_("Maximum upfront price"), method="filter_price_max")
    sort = django_filters.ChoiceFilter(label=_("Sort"), choices=SORT_CHOICES, method="filter_sort", empty_label=None)
    # The query the order in ``sort`` was shown for (a hidden field of the search form): when the box now holds
    # another query, ``sort`` is ignored, so a newly typed query is ranked by relevance.
    sort_q = django_filters.CharFilter(label=_("Search"), method="filter_nothing", max_length=300, strip=True)
    page = PageFilter(label=_("Page"), method="filter_nothing", min_value=1, max_value=10_000)

    class Meta:
        form = ListingFilterForm

    # --- the search query -------------------------------------------------------------
    @property
    def data_cleaned(self) -> dict:
        self.errors  # noqa: B018 - validates the form
        return self.form.cleaned_data

    def sort_value(self) -> str:
        """``sort`` when given for this query; otherwise relevance with a query, newest first without.

        The search form carries the current order and, in ``sort_q``, the query it was shown for: typing a new
        query resets the order to relevance, while picking an order after searching keeps it for that query.
        A URL without ``sort_q`` (a shared link, the API's habits) keeps its ``sort``."""
        data = self.data_cleaned
        sort = data.get("sort")
        if sort and "sort_q" in self.data and _words(data.get("sort_q")) != _words(data.get("q")):
            sort = None
        return sort or ("relevance" if data.get("q") else "newest")

    def selected(self) -> dict[str, list[str]]:
        """Facet name → accepted values (the IPC node becomes its level's facet)."""
        data = self.data_cleaned
        filters = {facet: list(data[facet]) for facet in CHOICE_FACETS if data.get(facet)}
        code = data.get("ipc")
        if code:
            filters[ipc.FACET_FOR_LEVEL[ipc.level(code)]] = [code]
        return filters

    def search_query(self, per_page: int = 20) -> SearchQuery:
        data = self.data_cleaned
        low, high = data.get("price_min"), data.get("price_max")
        return SearchQuery(
            text=data.get("q") or "",
            filters=self.selected(),
            free_only=bool(data.get("free")),
            open_only=bool(data.get("open")),
            price_min_minor=to_minor(low, Currency.CNY) if low is not None else None,
            price_max_minor=to_minor(high, Currency.CNY) if high is not None else None,
            sort=self.sort_value(),
            page=data.get("page") or 1,
            per_page=per_page,
        )

    # --- the same filters in the database (fallback) ----------------------------------
    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset).distinct()

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_in(self, queryset, name, value):
        return queryset.filter(**{f"{name}__in": value})

    def filter_text(self, queryset, name, value):
        condition = Q()
        for word in value.split():
            condition &= (
                Q(title__icontains=word) | Q(description__icontains=word) | Q(patents__title__icontains=word)
                | Q(patents__abstract__icontains=word) | Q(patents__number__icontains=word)
                | Q(patents__ipc_codes__icontains=word)
            )
        return queryset.filter(condition)

    def filter_ipc(self, queryset, name, value):
        return queryset.filter(**{IPC_LOOKUPS[ipc.level(value)]: value})

    def filter_fee_model(self, queryset, name, value):
        return queryset.filter(fee_model__in=value)

    def filter_licence_kinds(self, queryset, name, value):
        condition = Q()
        for kind in value:
            condition |= Q(**{KIND_FIELDS[kind]: True})
        return queryset.filter(condition)

    def filter_price_band(self, queryset, name, value):
        condition = Q()
        for band, low, high in PRICE_BANDS:
            if band in value:
                bounds = {"upfront_price_minor__gte": low}
                if high is not None:
                    bounds["upfront_price_minor__lte"] = high
                condition |= Q(**bounds)
        return queryset.filter(condition)

    def filter_open_licence(self, queryset, name, value):
        if set(value) == {"yes", "no"}:
            return queryset
        return queryset.filter(open_licence=value[0] == "yes")

    def filter_free(self, queryset, name, value):
        return queryset.filter(fee_model=FeeModel.FREE) if value else queryset

    def filter_open(self, queryset, name, value):
        return queryset.filter(open_licence=True) if value else queryset

    def filter_price_min(self, queryset, name, value):
        return queryset.filter(upfront_price_minor__gte=to_minor(value, Currency.CNY))

    def filter_price_max(self, queryset, name, value):
        return queryset.filter(upfront_price_minor__lte=to_minor(value, Currency.CNY))

    def filter_sort(self, queryset, name, value):
        return queryset  # ordering is applied by ``ordered_qs`` (after distinct)

    def ordered_qs(self):
        return self.qs.order_by(*DB_ORDERING[self.sort_value()])
