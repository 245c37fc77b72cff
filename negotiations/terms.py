"""Licence term sheets (offers) as plain dicts: validation, defaults from a listing, display, differences.

A term sheet has exactly the keys of ``TERM_FIELDS`` (the same names as the fields of the Offer model):

    licence_kind        LicenceKind value               territory       list of place keys (negotiations.territories)
    field_of_use        text, empty = every field       term_months     1..600, or None: until the last patent expires
    fee_model           FeeModel value                  currency        Currency value
    lump_sum_minor, entry_fee_minor, minimum_annual_royalty_minor       integers >= 0 in minor units
    royalty_rate_bp     0..10000 basis points           royalty_base    RoyaltyBase value
    sublicensing_allowed  bool                          valid_until     aware datetime: the offer expires after it
    governing_law       GoverningLaw value (the law the agreement is governed by; PRC law when not given)
    note                text (at most 2000 characters)

    clean_terms(data, *, now=None) -> dict                 ValidationError({field: message}) when anything is wrong
    defaults_from_listing(listing, *, now=None, validity_days=14) -> dict
    display_value(field, terms) -> str                     "¥200,000.00", "3.5 %", "36 months", "France, Germany"
    summary(terms, *, validity=True) -> [(label, value)]   the rows of a term sheet, without fields the fee model ignores
    diff(previous, current) -> [Change]                    "Lump sum: ¥200,000.00 → ¥150,000.00"
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from listings.models import Currency, FeeModel, LicenceKind
from listings.templatetags.listing_tags import format_money, format_rate
from negotiations import territories


class RoyaltyBase(models.TextChoices):
    NET_SALES = "net_sales", gettext_lazy("Net sales")


class GoverningLaw(models.TextChoices):
    """The law the parties choose for their agreement (and the courts that hear disputes about it)."""

    PRC = "prc", gettext_lazy("Laws of the People's Republic of China")
    HONG_KONG = "hk", gettext_lazy("Laws of the Hong Kong SAR")
    ENGLAND = "england", gettext_lazy("Laws of England and Wales")
    SINGAPORE = "sg", gettext_lazy("Laws of Singapore")


# The fields of a term sheet in the order they are shown, with their labels.
TERM_FIELDS = {
    "licence_kind": gettext_lazy("Licence"),
    "territory": gettext_lazy("Territory"),
    "field_of_use": gettext_lazy("Field of use"),
    "term_months": gettext_lazy("Term"),
    "fee_model": gettext_lazy("Fee model"),
    "currency": gettext_lazy("Currency"),
    "lump_sum_minor": gettext_lazy("Lump sum"),
    "entry_fee_minor": gettext_lazy("Entry fee"),
    "royalty_rate_bp": gettext_lazy("Royalty rate"),
    "royalty_base": gettext_lazy("Royalty base"),
    "minimum_annual_royalty_minor": gettext_lazy("Minimum annual royalty"),
    "sublicensing_allowed": gettext_lazy("Sublicensing"),
    "governing_law": gettext_lazy("Governing law"),
    "valid_until": gettext_lazy("Valid until"),
    "note": gettext_lazy("Note"),
}
AMOUNT_FIELDS = ("lump_sum_minor", "entry_fee_minor", "minimum_annual_royalty_minor")
ROYALTY_MODELS = (FeeModel.ROYALTY, FeeModel.ENTRY_FEE_ROYALTY)
# The money fields each fee model uses; every other amount (and the rate, for models without royalty) must be 0.
USED_BY = {
    FeeModel.FREE: (),
    FeeModel.LUMP_SUM: ("lump_sum_minor",),
    FeeModel.ROYALTY: ("royalty_rate_bp", "royalty_base", "minimum_annual_royalty_minor"),
    FeeModel.ENTRY_FEE_ROYALTY: ("entry_fee_minor", "royalty_rate_bp", "royalty_base", "minimum_annual_royalty_minor"),
}
# ... and the ones it needs above 0.
REQUIRED_BY = {
    FeeModel.LUMP_SUM: ("lump_sum_minor",),
    FeeModel.ROYALTY: ("royalty_rate_bp",),
    FeeModel.ENTRY_FEE_ROYALTY: ("entry_fee_minor", "royalty_rate_bp"),
}
MAX_TERM_MONTHS = 600
MAX_FIELD_OF_USE = 300
MAX_NOTE = 2000
MAX_RATE_BP = 10_000
MAX_AMOUNT_MINOR = 10 ** 14  # 1e12 major units, as listings.forms.MAX_MAJOR_AMOUNT


def label(field: str) -> str:
    return str(TERM_FIELDS[field])


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choice(value, choices, message):
    if value not in choices.values:
        raise ValidationError(message, code="invalid_choice")
    return str(value)


def _clean_field(name: str, value, now: datetime.datetime):  # noqa: C901 - one branch per field
    if name == "licence_kind":
        return _choice(value, LicenceKind, _("Choose a kind of licence."))
    if name == "territory":
        if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
            raise ValidationError(_("Choose the territory from the list."), code="invalid")
        try:
            keys = territories.normalise(value)
        except ValueError:
            unknown = sorted(str(key) for key in value if str(key).strip() not in territories.places())
            raise ValidationError(_("Unknown territory: %(keys)s.") % {"keys": ", ".join(unknown)},
                                  code="unknown") from None
        if not keys:
            raise ValidationError(_("Choose at least one territory."), code="required")
        return keys
    if name in ("field_of_use", "note"):
        if not isinstance(value, str):
            raise ValidationError(_("Enter text."), code="invalid")
        value, limit = value.strip(), MAX_FIELD_OF_USE if name == "field_of_use" else MAX_NOTE
        if len(value) > limit:
            raise ValidationError(_("At most %(limit)d characters (this has %(length)d).")
                                  % {"limit": limit, "length": len(value)}, code="max_length")
        return value
    if name == "term_months":
        if value is None:
            return None
        if not _is_int(value) or not 1 <= value <= MAX_TERM_MONTHS:
            raise ValidationError(_("Enter a term of 1 to %(max)d months, or choose until the last patent expires.")
                                  % {"max": MAX_TERM_MONTHS}, code="range")
        return value
    if name == "fee_model":
        return _choice(value, FeeModel, _("Choose a fee model."))
    if name == "currency":
        return _choice(value, Currency, _("Unknown currency “%(value)s”: choose one of %(codes)s.")
                       % {"value": value, "codes": ", ".join(Currency.values)})
    if name == "royalty_base":
        return _choice(value, RoyaltyBase, _("Choose what the royalty is calculated on."))
    if name == "governing_law":
        return _choice(value, GoverningLaw, _("Choose the law that governs the agreement."))
    if name in AMOUNT_FIELDS:
        if not _is_int(value):
            raise ValidationError(_("Enter an amount."), code="invalid")
        if value < 0:
            raise ValidationError(_("The amount cannot be negative."), code="negative")
        if value >= MAX_AMOUNT_MINOR:
            raise ValidationError(_("This amount is too large."), code="too_large")
        return value
    if name == "royalty_rate_bp":
        if not _is_int(value):
            raise ValidationError(_("Enter a royalty rate."), code="invalid")
        if value < 0:
            raise ValidationError(_("The royalty rate cannot be negative."), code="negative")
        if value > MAX_RATE_BP:
            raise ValidationError(_("The royalty rate cannot be above 100 %."), code="above_100")
        return value
    if name == "sublicensing_allowed":
        if not isinstance(value, bool):
            raise ValidationError(_("Choose yes or no."), code="invalid")
        return value
    if name == "valid_until":
        if not isinstance(value, datetime.datetime) or timezone.is_naive(value):
            raise ValidationError(_("Enter the date and time the offer is valid until."), code="invalid")
        if value <= now:
            raise ValidationError(_("An offer must be valid until a moment in the future."), code="past")
        return value
    raise AssertionError(name)  # pragma: no cover - TERM_FIELDS lists every branch


def _fee_model_errors(terms: dict) -> dict[str, ValidationError]:
    """Amounts that do not fit the fee model: missing where it needs them, present where it ignores them."""
    fee = terms["fee_model"]
    fee_label = FeeModel(fee).label
    errors: dict[str, ValidationError] = {}
    for name in REQUIRED_BY.get(fee, ()):
        if name in terms and terms[name] == 0:
            errors[name] = ValidationError(_("Needed above 0 for the fee model “%(fee)s”.") % {"fee": fee_label},
                                           code="required_by_fee_model")
    for name in (*AMOUNT_FIELDS, "royalty_rate_bp"):
        if name in terms and terms[name] != 0 and name not in USED_BY[fee]:
            if name == "minimum_annual_royalty_minor":
                message = _("A minimum annual royalty needs a fee model with a royalty.")
            elif fee == FeeModel.FREE:
                message = _("A free licence has no fees: leave this at 0.")
            else:
                message = _("Not part of the fee model “%(fee)s”: leave this at 0.") % {"fee": fee_label}
            errors[name] = ValidationError(message, code="not_in_fee_model")
    return errors


def clean_terms(data: dict, *, now: datetime.datetime | None = None) -> dict:
    """The validated term sheet (territory normalised, texts stripped). Raises ``ValidationError`` whose
    ``message_dict`` maps each wrong field to what is wrong with it."""
    now = now or timezone.now()
    errors: dict[str, ValidationError] = {}
    unknown = sorted(set(data) - set(TERM_FIELDS))
    if unknown:
        errors[NON_FIELD_ERRORS] = ValidationError(_("Unknown terms: %(names)s.") % {"names": ", ".join(unknown)},
                                                   code="unknown_field")
    cleaned: dict = {}
    data = {"governing_law": str(GoverningLaw.PRC), **data}  # the one term older callers may leave out
    for name in TERM_FIELDS:
        if name not in data:
            errors[name] = ValidationError(_("This term is missing."), code="required")
            continue
        try:
            cleaned[name] = _clean_field(name, data[name], now)
        except ValidationError as error:
            errors[name] = error
    if "fee_model" in cleaned:
        for name, error in _fee_model_errors(cleaned).items():
            errors.setdefault(name, error)
    if errors:
        raise ValidationError(errors)
    return cleaned


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The last moment of ``day`` in ``settings.TIME_ZONE`` (aware): a version is valid until the end of a day."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return datetime.datetime.combine(day, datetime.time.max, tzinfo=zone)


def defaults_from_listing(listing, *, now: datetime.datetime | None = None, validity_days: int = 14) -> dict:
    """A first term sheet from a listing's offered terms (``LicenceTerms``): its first offered licence kind, its
    territory as place keys (``[]`` when the text is not understood), the fees its fee model uses, its term."""
    now = now or timezone.now()
    fee = listing.fee_model
    used = USED_BY.get(fee, ())
    kinds = listing.licence_kinds

    def amount(name):
        return (getattr(listing, name, None) or 0) if name in used else 0

    return {
        "licence_kind": kinds[0] if kinds else str(LicenceKind.NON_EXCLUSIVE),
        "territory": territories.from_listing_text(listing.territory),
        "field_of_use": (listing.field_of_use or "").strip(),
        "term_months": listing.term_months or None,
        "fee_model": str(fee),
        "currency": str(listing.currency),
        "lump_sum_minor": amount("lump_sum_minor"),
        "entry_fee_minor": amount("entry_fee_minor"),
        "minimum_annual_royalty_minor": 0,
        "royalty_rate_bp": amount("royalty_rate_bp"),
        "royalty_base": str(RoyaltyBase.NET_SALES),
        "sublicensing_allowed": False,
        "governing_law": str(GoverningLaw.PRC),
        "valid_until": now + datetime.timedelta(days=validity_days),
        "note": "",
    }


def _label_of(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def display_value(field: str, terms: dict) -> str:
    """One term in words, in the active language."""
    value = terms.get(field)
    if field in AMOUNT_FIELDS:
        return format_money(value or 0, terms.get("currency") or Currency.CNY)
    if field == "royalty_rate_bp":
        return format_rate(value or 0)
    if field == "term_months":
        if value is None:
            return _("Until the last patent expires")
        return ngettext("%(months)d month", "%(months)d months", value) % {"months": value}
    if field == "territory":
        try:
            return territories.display(value or [])
        except ValueError:
            return ", ".join(map(str, value or []))
    if field == "sublicensing_allowed":
        return _("Yes") if value else _("No")
    if field == "field_of_use":
        return value or _("All fields of use")
    if field == "valid_until":
        if not value:
            return ""
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    choices = {"licence_kind": LicenceKind, "fee_model": FeeModel, "currency": Currency, "royalty_base": RoyaltyBase,
               "governing_law": GoverningLaw}
    if field in choices:
        return _label_of(choices[field], value)
    return "" if value is None else str(value)


def relevant_fields(terms: dict) -> list[str]:
    """The fields worth showing for this term sheet: money fields only when its fee model uses them, the minimum
    annual royalty only when there is one, the note only when written."""
    fee = terms.get("fee_model")
    used = USED_BY.get(fee, ())
    shown = []
    for name in TERM_FIELDS:
        if name in (*AMOUNT_FIELDS, "royalty_rate_bp", "royalty_base") and name not in used:
            continue
        if name == "currency" and fee == FeeModel.FREE:
            continue
        if name == "minimum_annual_royalty_minor" and not terms.get(name):
            continue
        if name == "note" and not terms.get(name):
            continue
        shown.append(name)
    return shown


def summary(terms: dict, *, validity: bool = True) -> list[tuple[str, str]]:
    """(label, value) rows for showing a term sheet; ``validity`` False leaves out "Valid until" (a version
    accepted, superseded, withdrawn or closed is no longer waiting for an answer, so its expiry means nothing)."""
    return [(label(name), display_value(name, terms)) for name in relevant_fields(terms)
            if validity or name != "valid_until"]


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: str
    new: str

    def __str__(self):
        return f"{self.label}: {self.old or '—'} → {self.new or '—'}"


def _same(field: str, previous: dict, current: dict) -> bool:
    old, new = previous.get(field), current.get(field)
    if field == "territory":
        return sorted(old or []) == sorted(new or [])
    if field in ("field_of_use", "note"):
        return (old or "").strip() == (new or "").strip()
    return old == new


# A version's own words and its validity belong to that version, not to the deal's terms: each version shows
# them, and a diff that listed them would show a "change" nobody made to the terms.
VERSION_FIELDS = ("valid_until", "note")


def _shown(name: str, terms: dict, relevant: list[str]) -> str:
    """The value as the version shows it; "" for a field its fee model does not use (shown as —)."""
    return display_value(name, terms) if name in relevant else ""


def diff(previous: dict | None, current: dict) -> list[Change]:
    """What changed in the terms from one version to the next, field by field in display order (``[]`` for a
    first one): the fields whose text changed, so an amount whose number stayed but whose currency changed is
    listed too. A field the fee model of a version does not use reads "" there (a lump sum dropped for a
    royalty: "¥80,000.00 → —"); the validity and the note are the version's own (``VERSION_FIELDS``)."""
    if previous is None:
        return []
    changes = []
    before, after = relevant_fields(previous), relevant_fields(current)
    for name in TERM_FIELDS:
        if name in VERSION_FIELDS:
            continue
        old, new = _shown(name, previous, before), _shown(name, current, after)
        if old == new or (_same(name, previous, current) and not previous.get(name)):
            continue  # reads the same (an amount of 0 in another currency is still nothing)
        changes.append(Change(name, label(name), old, new))
    return changes
