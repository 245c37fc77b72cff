"""Forms of mediation: raising a dispute, a mediator's note, closing, assigning a mediator, accrediting one.
(A mediator's proposal of revised terms uses ``negotiations.forms.OfferForm``.)"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from negotiations.actions.disputes import MAX_TEXT
from negotiations.models import DisputeCategory, DisputeOutcome, NoteVisibility


class DisputeForm(forms.Form):
    category = forms.ChoiceField(label=_("What is it about?"), choices=DisputeCategory.choices)
    statement = forms.CharField(label=_("Your statement"), max_length=MAX_TEXT,
                                widget=forms.Textarea(attrs={"rows": 5}),
                                help_text=_("What happened and what you ask for. The other side and the mediator "
                                            "read it."))


class NoteForm(forms.Form):
    visibility = forms.ChoiceField(label=_("Visible to"), choices=NoteVisibility.choices,
                                   initial=NoteVisibility.BOTH)
    body = forms.CharField(label=_("Note"), max_length=settings.DEAL_MESSAGE_MAX_CHARS,
                           widget=forms.Textarea(attrs={"rows": 4}))


class CloseDisputeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=DisputeOutcome.choices)
    summary = forms.CharField(label=_("Summary"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("Both sides read it."))


class WithdrawDisputeForm(forms.Form):
    summary = forms.CharField(label=_("Why (optional)"), required=False, max_length=MAX_TEXT,
                              widget=forms.Textarea(attrs={"rows": 2}))


class _UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user.get_full_name() or user.email} <{user.email}>"


class AssignForm(forms.Form):
    mediator = _UserChoiceField(label=_("Mediator"), queryset=None)

    def __init__(self, *args, mediators=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mediator"].queryset = mediators


class AccreditForm(forms.Form):
    user = _UserChoiceField(label=_("Member of a verified IP service agency"), queryset=None)

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates
