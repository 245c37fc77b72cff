"""Interim deal-room forms (the "terms" branch replaces this module with the real OfferForm, MessageForm and
DeclineForm; the views only rely on: ``OfferForm(data, initial=terms)`` whose ``cleaned_data`` holds the term
fields, ``MessageForm(data, files)`` with ``body`` and ``attachments``, ``DeclineForm`` with ``reason``)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from listings.models import Currency, FeeModel, LicenceKind
from negotiations import terms as term_sheets
from negotiations import territories
from negotiations.models import TERM_FIELDS


class OfferForm(forms.Form):
    licence_kind = forms.ChoiceField(label=_("Licence"), choices=LicenceKind.choices)
    territory = forms.MultipleChoiceField(label=_("Territory"))
    field_of_use = forms.CharField(label=_("Field of use"), required=False, max_length=300)
    term_months = forms.IntegerField(label=_("Term (months)"), required=False, min_value=1, max_value=600)
    fee_model = forms.ChoiceField(label=_("Fee model"), choices=FeeModel.choices)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    lump_sum_minor = forms.IntegerField(label=_("Lump sum"), min_value=0, initial=0)
    entry_fee_minor = forms.IntegerField(label=_("Entry fee"), min_value=0, initial=0)
    royalty_rate_bp = forms.IntegerField(label=_("Royalty rate"), min_value=0, initial=0)
    royalty_base = forms.ChoiceField(label=_("Royalty base"), choices=term_sheets.RoyaltyBase.choices)
    minimum_annual_royalty_minor = forms.IntegerField(label=_("Minimum annual royalty"), min_value=0, initial=0)
    sublicensing_allowed = forms.BooleanField(label=_("Sublicensing allowed"), required=False)
    valid_until = forms.DateTimeField(label=_("Valid until"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territory"].choices = territories.choices()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data.update(term_sheets.clean_terms({name: data.get(name) for name in TERM_FIELDS}))
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))
