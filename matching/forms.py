"""Forms of the matching pages: a need, a licence request and the owner's answer to it, the quick match box.

The budget is typed in yuan and converted to integer fen with ``Decimal`` (``listings.forms.MoneyField`` /
``to_minor``), never floats. IPC interests are typed comma- or semicolon-separated and normalised here, so
an error can name the code that is wrong; ``matching.actions`` normalises them again.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from listings import numbers
from listings.forms import MoneyField, from_minor, to_minor
from listings.models import Currency, LicenceKind
from marketplace.models import Province
from matching.actions import MAX_IPC_CODES
from matching.models import MAX_REPLY_CHARS

MAX_DESCRIPTION_CHARS = 5000
MAX_QUICK_TEXT_CHARS = 5000
MAX_MESSAGE_CHARS = MAX_REPLY_CHARS


def clean_ipc_text(raw: str) -> list[str]:
    """``"H01M10/052; h01m, H01M 4/136"`` → ``["H01M 10/052", "H01M", "H01M 4/136"]``; a ``ValidationError``
    naming the first code that is not an IPC code."""
    codes: list[str] = []
    for part in numbers.split_ipc_list(raw or ""):
        try:
            code = str(numbers.normalise_ipc(part))
        except ValueError:
            raise forms.ValidationError(
                _("“%(code)s” is not an IPC code. Use a subclass or a group, e.g. H01M or H01M 10/052."),
                code="invalid_ipc", params={"code": part},
            ) from None
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_IPC_CODES:
        raise forms.ValidationError(_("State at most %(n)d IPC codes."), code="too_many", params={"n": MAX_IPC_CODES})
    return codes


class NeedForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300,
                            help_text=_("In a few words, e.g. “Longer-lasting cathodes for e-bike batteries”."))
    description = forms.CharField(
        label=_("Description"), required=False, max_length=MAX_DESCRIPTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you want to make or improve, in English or Chinese."),
    )
    keywords = forms.CharField(label=_("Keywords"), required=False, max_length=1000,
                               help_text=_("Comma- or space-separated; they count double."))
    ipc_codes = forms.CharField(
        label=_("IPC interests"), required=False, max_length=1000,
        help_text=_("Optional. Comma- or semicolon-separated, e.g. H01M 10/052; H01M 4/136."),
    )
    budget = MoneyField(label=_("Budget ceiling"), required=False,
                        help_text=_("The most you would pay upfront. Leave empty for no ceiling."))
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.CNY, required=False,
                                 help_text=_("Listings priced in another currency are not held to your ceiling."))
    licence_kinds = forms.MultipleChoiceField(label=_("Preferred licence kinds"), required=False,
                                              choices=LicenceKind.choices, widget=forms.CheckboxSelectMultiple)
    province = forms.ChoiceField(label=_("Province"), required=False,
                                 choices=[("", _("Anywhere"))] + list(Province.choices),
                                 help_text=_("Prefer owners in this province."))
    free_or_donated_only = forms.BooleanField(
        label=_("Free or donated licences only"), required=False,
        help_text=_("Only suggest free listings and listings with donated licences for small enterprises."),
    )

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("A need needs a title."), code="required")
        return title

    def clean_ipc_codes(self):
        return clean_ipc_text(self.cleaned_data.get("ipc_codes", ""))

    def clean(self):
        data = super().clean()
        data["currency"] = data.get("currency") or Currency.CNY
        amount = data.get("budget")
        if amount is not None:  # MoneyField allows two decimals, as every Currency has
            data["budget"] = to_minor(amount, data["currency"])
        return data

    def need_fields(self) -> dict:
        """The cleaned data as keyword arguments of ``matching.actions.create_need`` / ``update_need``."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "keywords": data["keywords"],
            "ipc_codes": data["ipc_codes"],
            "budget_minor": data["budget"],
            "currency": data["currency"],
            "licence_kinds": data["licence_kinds"],
            "province": data["province"],
            "free_or_donated_only": data["free_or_donated_only"],
        }

    @staticmethod
    def initial_for(need) -> dict:
        return {
            "title": need.title,
            "description": need.description,
            "keywords": need.keywords,
            "ipc_codes": "; ".join(need.ipc_codes or []),
            "budget": from_minor(need.budget_minor, need.currency),
            "currency": need.currency,
            "licence_kinds": list(need.licence_kinds or []),
            "province": need.province,
            "free_or_donated_only": need.free_or_donated_only,
        }


class ContactRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the owner"), max_length=MAX_MESSAGE_CHARS, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Say who you are, what you would make with the patent and which licence you have in mind. "
                    "The owner's members receive it on PatentBridge and by email, with your name and email "
                    "address; their answer appears on this need's page."),
    )

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise forms.ValidationError(_("Write a short message to the owner."), code="required")
        return message


class ContactReplyForm(forms.Form):
    """The owner's answer to a licence request (``actions.reply_to_request``)."""

    message = forms.CharField(
        label=_("Your reply"), max_length=MAX_REPLY_CHARS, widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write your reply to the enterprise.")},
        help_text=_("The enterprise's members see your reply on PatentBridge and get it as a notification, with "
                    "your name and email address so that they can write to you."),
    )

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise forms.ValidationError(_("Write your reply to the enterprise."), code="required")
        return message


class ContactDeclineForm(forms.Form):
    """Saying no to a licence request (``actions.decline_request``); the reason is optional."""

    reason = forms.CharField(
        label=_("Reason (optional)"), max_length=MAX_REPLY_CHARS, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the enterprise, e.g. “already licensed exclusively” or “not for this field of use”."),
    )

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()


class QuickMatchForm(forms.Form):
    """GET form: anyone may paste a text; nothing is stored."""

    q = forms.CharField(
        label=_("Your product or problem"), required=False, max_length=MAX_QUICK_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": _(
            "e.g. Our e-bike batteries lose capacity after a year; we look for better cathode materials.")}),
        help_text=_("In English or Chinese. Nothing you type is stored."),
    )
    ipc = forms.CharField(label=_("IPC codes (optional)"), required=False, max_length=1000,
                          help_text=_("Comma- or semicolon-separated, e.g. H01M 4/136."))
    free = forms.BooleanField(label=_("Free or donated licences only"), required=False)

    def clean_ipc(self):
        return clean_ipc_text(self.cleaned_data.get("ipc", ""))

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("q") or "").strip() and not data.get("ipc"):
            raise forms.ValidationError(_("Describe your product or problem (or give an IPC code)."), code="empty")
        return data
