"""Helpers of the deal-room view tests: the counter-offer form's data as a browser would send it."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from negotiations.forms import OfferForm
from negotiations.views.room import offer_initial


def _value(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if value is None:
        return ""
    return value


def form_data(form, **changes) -> dict:
    """What ``form`` posts when the user changes ``changes`` (form field names) and nothing else."""
    data = {}
    for field in form:
        value = changes.pop(field.name, field.value())
        if isinstance(value, bool):
            if value:
                data[field.name] = "on"
            continue
        data[field.name] = [_value(v) for v in value] if isinstance(value, (list, tuple)) else _value(value)
    assert not changes, f"not fields of the form: {sorted(changes)}"
    return data


def offer_data(deal, **changes) -> dict:
    """What the room's counter-offer form posts when the user changes ``changes`` (form field names) and nothing
    else: the form's own initial values, the hidden expected version included."""
    return form_data(OfferForm(initial=offer_initial(deal)), **changes)


def listing_terms_data(listing, **changes) -> dict:
    """What the open page's terms form posts (version 1 from the listing's terms) with ``changes``."""
    from negotiations import actions

    return form_data(OfferForm(initial=OfferForm.initial_from_terms(actions.first_terms(listing))), **changes)


def room(deal) -> str:
    return reverse("deal_detail", args=[deal.pk])
