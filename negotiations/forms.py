"""Forms of the deal room: an offer (term sheet), a message with attachments, a reasoned decline.

    form = OfferForm(request.POST, initial=OfferForm.initial_from_terms(terms))
    if form.is_valid():            # includes every rule of negotiations.terms.clean_terms, on the right field
        terms = form.terms()       # the term dict (amounts in minor units, rate in basis points)
        version = form.cleaned_data["expected_version"]

Amounts are typed in major units (``"1234.56"`` → 123456 minor units) and royalty rates in per cent
(``"3.5"`` → 350 basis points), both through ``Decimal``, never floats. ``valid_until`` is a date: the offer is
valid until the end of that day in ``settings.TIME_ZONE``.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from listings.forms import MoneyField, PercentField, bp_to_percent, from_minor, percent_to_bp, to_minor
from listings.models import Currency, FeeModel, LicenceKind
from negotiations import territories
from negotiations.terms import (
    MAX_FIELD_OF_USE, MAX_NOTE, MAX_TERM_MONTHS, TERM_FIELDS, GoverningLaw, RoyaltyBase, clean_terms, end_of_day,
)
from negotiations.uploads import check_attachment

# term field -> form field, where they differ
FORM_FIELD = {
    "lump_sum_minor": "lump_sum",
    "entry_fee_minor": "entry_fee",
    "minimum_annual_royalty_minor": "minimum_annual_royalty",
    "royalty_rate_bp": "royalty_rate",
}
MONEY_FIELDS = {"lump_sum": "lump_sum_minor", "entry_fee": "entry_fee_minor",
                "minimum_annual_royalty": "minimum_annual_royalty_minor"}
MAX_ATTACHMENTS = 10
DECLINE_REASON_MAX = 1000


class RatePercentField(PercentField):
    """A royalty rate in per cent, 0 to 100 with at most two decimals; cleans to ``Decimal`` (``None`` if empty)."""

    def __init__(self, **kwargs):
        super().__init__(allow_zero=True, **kwargs)

    def prepare_value(self, value):
        return "" if value is None else str(value)


class OfferForm(forms.Form):
    """A term sheet as a party types it; ``terms()`` gives the validated term dict."""

    licence_kind = forms.ChoiceField(label=TERM_FIELDS["licence_kind"], choices=LicenceKind.choices,
                                     initial=LicenceKind.NON_EXCLUSIVE)
    territory = forms.MultipleChoiceField(
        label=TERM_FIELDS["territory"], choices=territories.choices,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("Choose one or more; a grouping covers all its members."),
        error_messages={"required": _("Choose at least one territory.")},
    )
    field_of_use = forms.CharField(label=TERM_FIELDS["field_of_use"], max_length=MAX_FIELD_OF_USE, required=False,
                                   help_text=_("Leave empty for all fields of use."))
    term_months = forms.IntegerField(label=_("Term (months)"), required=False, min_value=1,
                                     max_value=MAX_TERM_MONTHS)
    until_last_patent_expires = forms.BooleanField(label=_("Until the last patent expires"), required=False)
    fee_model = forms.ChoiceField(label=TERM_FIELDS["fee_model"], choices=FeeModel.choices, initial=FeeModel.FREE)
    currency = forms.ChoiceField(label=TERM_FIELDS["currency"], choices=Currency.choices, initial=Currency.CNY)
    lump_sum = MoneyField(label=TERM_FIELDS["lump_sum_minor"], required=False,
                          help_text=_("In yuan (or the chosen currency), e.g. 120000.50."))
    entry_fee = MoneyField(label=TERM_FIELDS["entry_fee_minor"], required=False,
                           help_text=_("Paid once at signing, before royalties."))
    royalty_rate = RatePercentField(label=_("Royalty rate (percent)"), required=False,
                                    help_text=_("For example 3.5 for 3.5 %."))
    royalty_base = forms.ChoiceField(label=TERM_FIELDS["royalty_base"], choices=RoyaltyBase.choices,
                                     initial=RoyaltyBase.NET_SALES, required=False)
    minimum_annual_royalty = MoneyField(label=TERM_FIELDS["minimum_annual_royalty_minor"], required=False,
                                        help_text=_("Paid each year if the royalties come to less; royalty only."))
    sublicensing_allowed = forms.BooleanField(label=_("Sublicensing allowed"), required=False)
    governing_law = forms.ChoiceField(label=TERM_FIELDS["governing_law"], choices=GoverningLaw.choices,
                                      initial=GoverningLaw.PRC, required=False,
                                      help_text=_("The law the licence agreement is governed by."))
    valid_until = forms.DateField(label=TERM_FIELDS["valid_until"],
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                  help_text=_("The offer lapses at the end of this day."))
    note = forms.CharField(label=TERM_FIELDS["note"], max_length=MAX_NOTE, required=False,
                           widget=forms.Textarea(attrs={"rows": 4}))
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, now: datetime.datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self._terms: dict | None = None

    @classmethod
    def initial_from_terms(cls, terms: dict | None) -> dict:
        """Form initial data from a term dict (amounts of 0 and fields the fee model ignores left empty)."""
        if not terms:
            return {}
        currency = terms.get("currency") or Currency.CNY

        def major(name):
            return from_minor(terms[name], currency) if terms.get(name) else None

        valid_until = terms.get("valid_until")
        return {
            "licence_kind": terms.get("licence_kind"),
            "territory": list(terms.get("territory") or []),
            "field_of_use": terms.get("field_of_use", ""),
            "term_months": terms.get("term_months"),
            "until_last_patent_expires": terms.get("term_months") is None,
            "fee_model": terms.get("fee_model"),
            "currency": currency,
            **{form_name: major(term_name) for form_name, term_name in MONEY_FIELDS.items()},
            "royalty_rate": bp_to_percent(terms["royalty_rate_bp"]) if terms.get("royalty_rate_bp") else None,
            "royalty_base": terms.get("royalty_base") or RoyaltyBase.NET_SALES,
            "sublicensing_allowed": bool(terms.get("sublicensing_allowed")),
            "governing_law": terms.get("governing_law") or GoverningLaw.PRC,
            "valid_until": (timezone.localtime(valid_until, zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
                            if valid_until else None),
            "note": terms.get("note", ""),
        }

    def _term(self, data: dict) -> int | None:
        """Months, ``None`` for until the last patent expires; errors on the months field."""
        months, until_expiry = data.get("term_months"), data.get("until_last_patent_expires")
        if until_expiry and months is not None:
            self.add_error("term_months", _("Either enter a number of months or choose until the last patent "
                                            "expires, not both."))
        elif not until_expiry and months is None and "term_months" not in self.errors:
            self.add_error("term_months", _("Enter the term in months, or choose until the last patent expires."))
        return None if until_expiry else months

    def clean(self):
        data = super().clean()
        term_months = self._term(data)
        if self.errors:
            return data
        currency = data["currency"]
        amounts = {}
        for form_name, term_name in MONEY_FIELDS.items():
            value = data.get(form_name)
            try:
                amounts[term_name] = to_minor(value, currency) if value is not None else 0
            except ValueError:
                self.add_error(form_name, _("Too many decimal places for this currency."))
        if self.errors:
            return data
        rate = data.get("royalty_rate")
        terms = {
            "licence_kind": data["licence_kind"],
            "territory": list(data["territory"]),
            "field_of_use": data.get("field_of_use", ""),
            "term_months": term_months,
            "fee_model": data["fee_model"],
            "currency": currency,
            **amounts,
            "royalty_rate_bp": percent_to_bp(rate) if rate is not None else 0,
            "royalty_base": data.get("royalty_base") or RoyaltyBase.NET_SALES,
            "sublicensing_allowed": bool(data.get("sublicensing_allowed")),
            "governing_law": data.get("governing_law") or GoverningLaw.PRC,
            "valid_until": end_of_day(data["valid_until"]),
            "note": data.get("note", ""),
        }
        try:
            self._terms = clean_terms(terms, now=self.now)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                field = None if name == NON_FIELD_ERRORS else FORM_FIELD.get(name, name)
                for message in messages:
                    self.add_error(field if field in self.fields or field is None else None, message)
        return data

    def terms(self) -> dict:
        """The validated term dict (call after ``is_valid()`` returned True)."""
        if self._terms is None:
            raise ValueError("the offer form is not valid")
        return self._terms


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's "Uploading multiple files"); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class MessageForm(forms.Form):
    """A message to the other party, with optional attachments (checked by their content).
    ``form.checked`` lists ``(uploaded file, uploads.Checked)`` pairs after ``is_valid()``."""

    body = forms.CharField(label=pgettext_lazy("conversation", "Message"), required=False)  # replaced in __init__ with the configured limit
    attachments = MultipleFileField(
        label=_("Attachments"), required=False,
        help_text=_("PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) files."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"] = forms.CharField(  # the limit is a setting, read when the form is made
            label=pgettext_lazy("conversation", "Message"), required=False, max_length=settings.DEAL_MESSAGE_MAX_CHARS,
            widget=forms.Textarea(attrs={"rows": 4}),
        )
        self.checked: list = []

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(_("Attach at most %(n)d files to one message.") % {"n": MAX_ATTACHMENTS},
                                  code="too_many")
        problems, checked = [], []
        for uploaded in files:
            try:
                checked.append((uploaded, check_attachment(uploaded)))
            except ValidationError as error:
                problems.extend(error.messages)
        if problems:
            raise ValidationError(problems)
        self.checked = checked
        return files

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachments") and not self.errors:
            raise ValidationError(_("Write a message or attach a file."), code="empty")
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=DECLINE_REASON_MAX,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("The other party sees it."))



class SignatureForm(forms.Form):
    """The explicit act of signing: the signer's full name typed again, a confirmation, their password."""

    typed_name = forms.CharField(label=_("Your full name"), max_length=150,
                                 help_text=_("Type your full name exactly as it appears in your account."))
    confirm = forms.BooleanField(label=_("I have read this agreement and sign it for my organisation, as its "
                                         "authorised signatory."), required=False)
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput(attrs={"autocomplete":
                                                                                           "current-password"}),
                               help_text=_("We ask for it again to make sure it is you who signs."))


class VerifyForm(forms.Form):
    """A PDF to check, or the SHA-256 fingerprint of one."""

    document = forms.FileField(label=_("Agreement PDF"), required=False)
    sha256 = forms.CharField(label=_("or its SHA-256 fingerprint"), required=False, max_length=80,
                             help_text=_("64 hexadecimal characters, as shown on the agreement page."))

    def clean_sha256(self):
        value = "".join((self.cleaned_data.get("sha256") or "").split()).lower()
        if value and (len(value) != 64 or any(ch not in "0123456789abcdef" for ch in value)):
            raise ValidationError(_("A SHA-256 fingerprint is 64 hexadecimal characters (0-9, a-f)."))
        return value

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("document") and not data.get("sha256"):
            raise ValidationError(_("Upload the PDF or paste its SHA-256 fingerprint."))
        return data
