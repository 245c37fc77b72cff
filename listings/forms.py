"""Forms of the owner workflow: licence terms, listings (with an optional new patent), default terms.

Amounts are typed in major units (yuan, dollars) and converted to integer minor units with
``Decimal`` (never floats); royalty rates are typed in per cent and stored in basis points.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from listings import numbers, territories
from listings.patent_picker import PatentNumbersField
from listings.models import (
    CURRENCY_EXPONENT,
    Currency,
    FeeModel,
    LegalStatus,
    LicenceKind,
    LicenceTerms,
    Listing,
    Patent,
)
from marketplace import sme
from marketplace.models import Province

# Kinds → the boolean fields of LicenceTerms.
KIND_FIELDS = {
    LicenceKind.EXCLUSIVE: "offers_exclusive",
    LicenceKind.SOLE: "offers_sole",
    LicenceKind.NON_EXCLUSIVE: "offers_non_exclusive",
    LicenceKind.ASSIGNMENT: "offers_assignment",
}
MAX_MAJOR_AMOUNT = Decimal("1000000000000")  # 1e12 major units: far above any licence fee, far below BigInteger
PATENT_LANGUAGES = [("en", _("English")), ("zh-Hans", _("Simplified Chinese")), ("zh-Hant", _("Traditional Chinese"))]

_AMOUNT = re.compile(r"(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?")


# --- money ------------------------------------------------------------------------------
def exponent_of(currency: str) -> int:
    return CURRENCY_EXPONENT.get(currency, 2)


def parse_amount(text, decimal_places: int = 2) -> Decimal:
    """``"120000.50"`` / ``"120,000.50"`` → ``Decimal("120000.50")``. Raises ``ValidationError``
    for anything else: negative numbers, more than ``decimal_places`` decimals, letters, NaN."""
    raw = str(text).strip().replace(" ", "").replace("\u00a0", "")
    if raw.startswith("-"):
        raise forms.ValidationError(_("The amount cannot be negative."), code="negative")
    if not _AMOUNT.fullmatch(raw):
        raise forms.ValidationError(
            _("Enter an amount such as 120000 or 120000.50 (digits, an optional decimal point)."), code="invalid"
        )
    try:
        amount = Decimal(raw.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees a number
        raise forms.ValidationError(_("Enter a valid amount."), code="invalid") from None
    if -amount.as_tuple().exponent > decimal_places:
        raise forms.ValidationError(
            _("Use at most %(places)d decimal places.") % {"places": decimal_places}, code="decimals"
        )
    if amount >= MAX_MAJOR_AMOUNT:
        raise forms.ValidationError(_("This amount is too large."), code="too_large")
    return amount


def to_minor(amount: Decimal, currency: str = Currency.CNY) -> int:
    """Major units → integer minor units (``Decimal("120000.50")`` → ``12000050`` for CNY)."""
    scaled = amount.scaleb(exponent_of(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(scaled)


def from_minor(minor: int | None, currency: str = Currency.CNY) -> Decimal | None:
    """Integer minor units → ``Decimal`` major units with the currency's decimals (for form initial data)."""
    if minor is None:
        return None
    places = exponent_of(currency)
    return (Decimal(minor).scaleb(-places)).quantize(Decimal(1).scaleb(-places))


def percent_to_bp(percent: Decimal) -> int:
    return int(percent.scaleb(2))


def bp_to_percent(bp: int | None) -> Decimal | None:
    if bp is None:
        return None
    value = Decimal(bp).scaleb(-2)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


class MoneyField(forms.CharField):
    """An amount in major units; cleans to ``Decimal`` (or ``None`` when empty)."""

    def __init__(self, *, decimal_places: int = 2, **kwargs):
        self.decimal_places = decimal_places
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "" if value is None else str(value)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        return parse_amount(value, self.decimal_places)


class PercentField(forms.CharField):
    """A royalty rate in per cent with at most two decimals (3.5 → 350 basis points); above 0 unless
    ``allow_zero`` (a term sheet's rate may be 0 for a fee model without royalty)."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        raw = str(value).strip().rstrip("%").strip()
        try:
            percent = parse_amount(raw, 2)
        except forms.ValidationError as exc:
            if exc.code in ("negative", "decimals"):
                raise
            raise forms.ValidationError(_("Enter a percentage such as 3.5."), code="invalid") from None
        if self.allow_zero and percent > 100:
            raise forms.ValidationError(_("The royalty rate cannot be above 100 %."), code="above_100")
        if not self.allow_zero and (percent <= 0 or percent > 100):
            raise forms.ValidationError(_("Enter a percentage above 0 and at most 100."), code="range")
        return percent


# --- terms ------------------------------------------------------------------------------
class TermsForm(forms.Form):
    """Licence terms as an owner types them. ``terms()`` gives the ``LicenceTerms`` field values."""

    licence_kinds = forms.MultipleChoiceField(
        label=_("Licences offered"), choices=LicenceKind.choices, widget=forms.CheckboxSelectMultiple,
        initial=[LicenceKind.NON_EXCLUSIVE],
        error_messages={"required": _("Offer at least one kind of licence.")},
    )
    fee_model = forms.ChoiceField(label=_("Fee model"), choices=FeeModel.choices, initial=FeeModel.FREE)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.CNY)
    lump_sum = MoneyField(
        label=_("Lump sum"), required=False, help_text=_("In yuan (or the chosen currency), e.g. 120000.50.")
    )
    entry_fee = MoneyField(
        label=_("Entry fee"), required=False, help_text=_("Paid once at signing, before royalties, e.g. 50000.")
    )
    royalty_rate = PercentField(
        label=_("Royalty rate (percent of net sales)"), required=False, help_text=_("For example 3.5 for 3.5 %.")
    )
    # The default in the reader's language (中国大陆 in Chinese); either spelling is shown translated later.
    territory = forms.CharField(label=_("Territory"), max_length=200, required=False,
                                initial=lambda: territories.display("Mainland China"))
    term_months = forms.IntegerField(
        label=_("Term (months)"), required=False, min_value=1, max_value=1200,
        help_text=_("Leave empty for a licence until the patents expire."),
    )
    field_of_use = forms.CharField(
        label=_("Field of use"), max_length=300, required=False,
        help_text=_("Leave empty for any field of use."),
    )
    open_licence = forms.BooleanField(
        label=_("Open licence"), required=False,
        help_text=_("Anyone eligible may accept these standard terms at once, without negotiation."),
    )

    AMOUNT_FOR_FEE = {
        FeeModel.LUMP_SUM: ("lump_sum",),
        FeeModel.ROYALTY: ("royalty_rate",),
        FeeModel.ENTRY_FEE_ROYALTY: ("entry_fee", "royalty_rate"),
    }

    @staticmethod
    def initial_from(terms: LicenceTerms | None) -> dict:
        """Form initial data from stored terms (a Listing or OrganisationTerms)."""
        if terms is None:
            return {}
        return {
            "licence_kinds": terms.licence_kinds,
            "fee_model": terms.fee_model,
            "currency": terms.currency,
            "lump_sum": from_minor(terms.lump_sum_minor, terms.currency),
            "entry_fee": from_minor(terms.entry_fee_minor, terms.currency),
            "royalty_rate": bp_to_percent(terms.royalty_rate_bp),
            "territory": terms.territory,
            "term_months": terms.term_months,
            "field_of_use": terms.field_of_use,
            "open_licence": terms.open_licence,
        }

    def clean(self):
        cleaned = super().clean()
        fee = cleaned.get("fee_model")
        for name in self.AMOUNT_FOR_FEE.get(fee, ()):
            if name in self.errors:
                continue
            value = cleaned.get(name)
            if value is None or value == 0:
                self.add_error(name, _("Needed for the fee model “%(fee)s”.") % {"fee": FeeModel(fee).label})
        currency = cleaned.get("currency")
        if currency:
            places = exponent_of(currency)
            for name in ("lump_sum", "entry_fee"):
                value = cleaned.get(name)
                if value is not None and -value.as_tuple().exponent > places:
                    self.add_error(name, _("Use at most %(places)d decimal places.") % {"places": places})
        return cleaned

    def terms(self) -> dict:
        """The ``LicenceTerms`` values (amounts not used by the fee model are dropped by the action)."""
        data = self.cleaned_data
        currency = data["currency"]
        kinds = set(data["licence_kinds"])

        def minor(name):
            return to_minor(data[name], currency) if data.get(name) is not None else None

        return {
            **{field: kind in kinds for kind, field in KIND_FIELDS.items()},
            "fee_model": data["fee_model"],
            "currency": currency,
            "lump_sum_minor": minor("lump_sum"),
            "entry_fee_minor": minor("entry_fee"),
            "royalty_rate_bp": percent_to_bp(data["royalty_rate"]) if data.get("royalty_rate") is not None else None,
            "territory": data.get("territory", "").strip(),
            "term_months": data.get("term_months"),
            "field_of_use": data.get("field_of_use", "").strip(),
            "open_licence": bool(data.get("open_licence")),
        }


class DefaultTermsForm(TermsForm):
    """An organisation's default terms (used when a bulk import publishes each patent on its own)."""


# --- listings ---------------------------------------------------------------------------
class PatentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, patent: Patent) -> str:
        label = f"{patent.display_number} — {patent.title[:100]}"
        if not patent.is_alive:
            label += " " + str(_("(expired or lapsed)"))
        return label


class ListingForm(TermsForm):
    """Create or edit a listing: the organisation's existing patents and/or a new patent, plus terms.

    ``donation_quota`` exists only for demonstration enterprises.
    """

    # Chosen patents arrive as ids (ticked boxes, see listings.patent_picker); typed numbers in add_patents.
    patents = PatentChoiceField(
        label=_("Patents in this listing"), queryset=Patent.objects.none(), required=False,
        widget=forms.MultipleHiddenInput,
    )
    add_patents = PatentNumbersField(
        label=_("Add patents by number"), widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        max_length=10_000,
        help_text=_("One number per line, e.g. CN 112345678 B. A listing may bundle related patents."),
    )
    new_number = forms.CharField(
        label=_("Patent number"), max_length=64, required=False,
        help_text=_("For example CN 112345678 B, ZL201010110545.X or US 10,123,456 B2."),
    )
    new_title = forms.CharField(label=_("Patent title"), max_length=500, required=False)
    new_abstract = forms.CharField(label=_("Abstract"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    new_ipc_codes = forms.CharField(
        label=_("IPC codes"), max_length=1000, required=False,
        widget=forms.TextInput(attrs={"data-ipc-search": reverse_lazy("ipc_search"), "autocomplete": "off"}),
        help_text=_("Separated by commas or semicolons, e.g. H01M 10/052; H01M 4/58."),
    )
    new_filing_date = forms.DateField(label=_("Filing date"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}))
    new_grant_date = forms.DateField(label=_("Grant date"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    new_expiry_date = forms.DateField(label=_("Expiry date"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}))
    new_legal_status = forms.ChoiceField(label=_("Legal status"), choices=LegalStatus.choices,
                                         initial=LegalStatus.GRANTED, required=False)
    new_language = forms.ChoiceField(label=_("Language of the patent text"), choices=PATENT_LANGUAGES,
                                     initial="en", required=False)

    title = forms.CharField(
        label=_("Listing title"), max_length=500, required=False,
        help_text=_("Leave empty to use the title of the first patent."),
    )
    description = forms.CharField(
        label=_("What the licensee gets"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Know-how, technical services, samples, support."),
    )
    idle_declared = forms.BooleanField(
        label=_("These patents are idle (not being used)"), required=False,
        help_text=_("Declare idle patents under the idle patents policy."),
    )
    donation_quota = forms.IntegerField(
        label=_("Donation quota"), min_value=0, max_value=100_000, required=False, initial=0,
        help_text=_("How many free licences you donate to eligible small and micro enterprises."),
    )

    # Who may take the open licence / a donated licence (empty lists: every province / industry).
    open_licence_sme_only = forms.BooleanField(
        label=_("Open licence for small and micro enterprises only"), required=False,
        help_text=_("By the SME classification of the licensee's SME profile."),
    )
    open_licence_provinces = forms.MultipleChoiceField(
        label=_("Open licence only for organisations in"), required=False, choices=Province.choices,
        widget=forms.SelectMultiple(attrs={"size": 6}), help_text=_("None selected: every province. Hold Ctrl (⌘ on a Mac) to select several."),
    )
    donation_sme_only = forms.BooleanField(
        label=_("Donated licences for small and micro enterprises only"), required=False, initial=True,
    )
    donation_industries = forms.MultipleChoiceField(
        label=_("Donated licences only for the industries"), required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}), help_text=_("None selected: every industry. Hold Ctrl (⌘ on a Mac) to select several."),
    )
    donation_provinces = forms.MultipleChoiceField(
        label=_("Donated licences only for organisations in"), required=False, choices=Province.choices,
        widget=forms.SelectMultiple(attrs={"size": 6}), help_text=_("None selected: every province. Hold Ctrl (⌘ on a Mac) to select several."),
    )

    LISTING_FIELDS = ("title", "description", "idle_declared", "donation_quota")
    OPEN_LICENCE_FIELDS = ("open_licence_sme_only", "open_licence_provinces")
    DONATION_FIELDS = ("donation_sme_only", "donation_industries", "donation_provinces")
    TERMS_FIELDS = (
        "licence_kinds", "fee_model", "currency", "lump_sum", "entry_fee", "royalty_rate", "territory",
        "term_months", "field_of_use", "open_licence",
    )

    def __init__(self, organisation, *args, listing: Listing | None = None, **kwargs):
        self.organisation = organisation
        self.listing = listing
        if listing is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **self.initial_from(listing),
                "title": listing.title,
                "description": listing.description,
                "idle_declared": listing.idle_declared,
                "donation_quota": listing.donation_quota,
                "patents": list(listing.patents.all()),
                **{name: getattr(listing, name) for name in self.OPEN_LICENCE_FIELDS + self.DONATION_FIELDS},
            }
        super().__init__(*args, **kwargs)
        self.fields["donation_industries"].choices = [(code, industry.name)
                                                      for code, industry in sme.industries().items()]
        self.fields["patents"].queryset = Patent.objects.filter(owner=organisation).order_by("-created_at", "pk")
        self.fields["add_patents"].organisation = organisation
        if not organisation.is_demonstration:
            for name in ("donation_quota", *self.DONATION_FIELDS):
                del self.fields[name]
        self._new_number: numbers.PatentNumber | None = None
        self._new_ipc_codes: list[str] = []

    # groups for the template
    def group(self, names):
        return [self[name] for name in names if name in self.fields]

    def listing_fields(self):
        return self.group(self.LISTING_FIELDS)

    def terms_fields(self):
        return self.group(self.TERMS_FIELDS)

    def open_licence_fields(self):
        return self.group(self.OPEN_LICENCE_FIELDS)

    def donation_fields(self):
        return self.group(self.DONATION_FIELDS)

    def selected_patents(self) -> list[Patent]:
        """The chosen patents to show ticked: those posted (or the listing's), never the whole portfolio."""
        value = self["patents"].value() or []
        ids = [int(v.pk if isinstance(v, Patent) else v) for v in value
               if str(getattr(v, "pk", v)).isascii() and str(getattr(v, "pk", v)).isdigit()]  # "²".isdigit()
        return list(self.fields["patents"].queryset.filter(pk__in=ids).order_by("pk")) if ids else []

    @property
    def has_existing_patents(self) -> bool:
        return self.fields["patents"].queryset.exists()

    def clean_new_number(self):
        raw = self.cleaned_data.get("new_number", "").strip()
        if not raw:
            return ""
        try:
            parsed = numbers.normalise_number(raw)
        except ValueError:
            raise forms.ValidationError(
                _("“%(number)s” is not a patent number we recognise (expected e.g. CN 112345678 B or "
                  "US 10,123,456 B2).") % {"number": raw}
            ) from None
        existing = Patent.objects.filter(office=parsed.office, number=parsed.number).select_related("owner").first()
        if existing is not None:
            if existing.owner_id == self.organisation.pk:
                raise forms.ValidationError(
                    _("%(number)s is already one of your patents: select it in the list above.")
                    % {"number": existing.display_number}
                )
            raise forms.ValidationError(
                _("%(number)s is already listed by another organisation.") % {"number": str(parsed)}
            )
        self._new_number = parsed
        return raw

    def clean_new_ipc_codes(self):
        raw = self.cleaned_data.get("new_ipc_codes", "")
        codes, bad = [], []
        for part in numbers.split_ipc_list(raw):
            try:
                codes.append(str(numbers.normalise_ipc(part)))
            except ValueError:
                bad.append(part)
        if bad:
            raise forms.ValidationError(
                _("Not IPC codes: %(codes)s (expected e.g. H01M 10/052 or H01M).") % {"codes": ", ".join(bad)}
            )
        self._new_ipc_codes = codes
        return raw

    def clean(self):
        cleaned = super().clean()
        chosen = list(cleaned.get("patents") or [])
        chosen += [p for p in cleaned.get("add_patents") or [] if p not in chosen]
        cleaned["patents"] = chosen
        has_new = bool(cleaned.get("new_number")) or "new_number" in self.errors
        if has_new:
            if not cleaned.get("new_title", "").strip():
                self.add_error("new_title", _("A new patent needs a title."))
            filing, grant, expiry = (cleaned.get(f"new_{n}_date") for n in ("filing", "grant", "expiry"))
            if filing and grant and grant < filing:
                self.add_error("new_grant_date", _("The grant date cannot be before the filing date."))
            if filing and expiry and expiry < filing:
                self.add_error("new_expiry_date", _("The expiry date cannot be before the filing date."))
        elif any(cleaned.get(name) for name in ("new_title", "new_abstract", "new_ipc_codes")):
            self.add_error("new_number", _("Enter the number of the new patent."))
        if not chosen and not has_new and "patents" not in self.errors and "add_patents" not in self.errors:
            self.add_error(None, _("Select at least one of your patents or enter a new patent."))
        return cleaned

    def new_patent(self) -> dict | None:
        """Arguments for ``listings.actions.save_patent`` (without owner/actor), or None."""
        data = self.cleaned_data
        if not data.get("new_number"):
            return None
        return {
            "number": data["new_number"],
            "ipc_codes": self._new_ipc_codes,
            "title": data["new_title"].strip(),
            "abstract": data.get("new_abstract", "").strip(),
            "filing_date": data.get("new_filing_date"),
            "grant_date": data.get("new_grant_date"),
            "expiry_date": data.get("new_expiry_date"),
            "legal_status": data.get("new_legal_status") or LegalStatus.GRANTED,
            "language": data.get("new_language") or "en",
        }

    def listing_values(self) -> dict:
        """Arguments for ``create_listing`` / ``update_listing`` (terms and listing fields)."""
        data = self.cleaned_data
        values = {
            **self.terms(),
            "description": data.get("description", "").strip(),
            "idle_declared": bool(data.get("idle_declared")),
        }
        title = data.get("title", "").strip()
        if title:
            values["title"] = title
        if "donation_quota" in self.fields:
            values["donation_quota"] = data.get("donation_quota") or 0
        for name in self.OPEN_LICENCE_FIELDS + self.DONATION_FIELDS:
            if name in self.fields:
                value = data.get(name)
                values[name] = bool(value) if isinstance(self.fields[name], forms.BooleanField) else list(value or [])
        return values
