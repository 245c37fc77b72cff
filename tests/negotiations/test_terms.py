"""Term sheets: validation messages on the right field, defaults from a listing, display and differences."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from negotiations import terms as term_sheet
from negotiations.terms import Change, clean_terms, defaults_from_listing, diff, display_value, summary
from tests.listings.conftest import listing_factory, patent_factory, verified_holder  # noqa: F401 - fixtures

NOW = datetime.datetime(2026, 12, 3, 6, 0, tzinfo=datetime.timezone.utc)


def sheet(**changes):
    base = {
        "licence_kind": "non_exclusive", "territory": ["CN"], "field_of_use": "", "term_months": 36,
        "fee_model": "lump_sum", "currency": "CNY", "lump_sum_minor": 20_000_000, "entry_fee_minor": 0,
        "minimum_annual_royalty_minor": 0, "royalty_rate_bp": 0, "royalty_base": "net_sales",
        "sublicensing_allowed": False, "governing_law": "prc", "valid_until": NOW + datetime.timedelta(days=14),
        "note": "",
    }
    return {**base, **changes}


def errors_of(data) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        clean_terms(data, now=NOW)
    return caught.value.message_dict


def test_a_valid_sheet_is_cleaned():
    cleaned = clean_terms(sheet(territory=["HK", "CN", "HK"], field_of_use="  batteries "), now=NOW)
    assert cleaned["territory"] == ["CN", "HK"]
    assert cleaned["field_of_use"] == "batteries"
    assert set(cleaned) == set(term_sheet.TERM_FIELDS)


@pytest.mark.parametrize("changes, field, words", [
    ({"lump_sum_minor": -1}, "lump_sum_minor", "negative"),
    ({"currency": "JPY"}, "currency", "Unknown currency “JPY”"),
    ({"fee_model": "royalty", "lump_sum_minor": 0, "royalty_rate_bp": 10_001}, "royalty_rate_bp", "above 100 %"),
    ({"fee_model": "free", "lump_sum_minor": 100}, "lump_sum_minor", "free licence has no fees"),
    ({"fee_model": "free", "lump_sum_minor": 0, "royalty_rate_bp": 350}, "royalty_rate_bp", "free licence"),
    ({"lump_sum_minor": 0}, "lump_sum_minor", "Needed above 0 for the fee model “Lump sum”"),
    ({"fee_model": "royalty", "lump_sum_minor": 0}, "royalty_rate_bp", "Needed above 0 for the fee model “Royalty”"),
    ({"fee_model": "entry_fee_royalty", "lump_sum_minor": 0, "royalty_rate_bp": 300}, "entry_fee_minor",
     "Needed above 0"),
    ({"fee_model": "entry_fee_royalty", "lump_sum_minor": 0, "entry_fee_minor": 5}, "royalty_rate_bp",
     "Needed above 0"),
    ({"minimum_annual_royalty_minor": 100}, "minimum_annual_royalty_minor", "needs a fee model with a royalty"),
    ({"entry_fee_minor": 100}, "entry_fee_minor", "Not part of the fee model “Lump sum”"),
    ({"valid_until": NOW - datetime.timedelta(minutes=1)}, "valid_until", "in the future"),
    ({"valid_until": datetime.datetime(2027, 1, 1)}, "valid_until", "date and time"),
    ({"territory": []}, "territory", "at least one territory"),
    ({"territory": ["CN", "XX"]}, "territory", "Unknown territory: XX"),
    ({"territory": "CN"}, "territory", "from the list"),
    ({"term_months": 0}, "term_months", "1 to 600 months"),
    ({"term_months": 601}, "term_months", "1 to 600 months"),
    ({"field_of_use": "x" * 301}, "field_of_use", "At most 300 characters"),
    ({"note": "x" * 2001}, "note", "At most 2000 characters"),
    ({"licence_kind": "forever"}, "licence_kind", "kind of licence"),
    ({"sublicensing_allowed": "yes"}, "sublicensing_allowed", "yes or no"),
])
def test_each_rule_names_its_field(changes, field, words):
    errors = errors_of(sheet(**changes))
    assert list(errors) == [field]
    assert words in errors[field][0]


def test_a_missing_or_unknown_key_is_reported():
    data = sheet(colour="blue")
    del data["note"]
    errors = errors_of(data)
    assert "missing" in errors["note"][0]
    assert "colour" in errors["__all__"][0]


def test_royalty_models_accept_a_minimum_annual_royalty():
    cleaned = clean_terms(sheet(fee_model="royalty", lump_sum_minor=0, royalty_rate_bp=350,
                                minimum_annual_royalty_minor=1_000_000), now=NOW)
    assert cleaned["minimum_annual_royalty_minor"] == 1_000_000


def test_display_values_in_english():
    terms = sheet(territory=["FR", "DE"], term_months=None, sublicensing_allowed=True, royalty_rate_bp=350)
    with translation.override("en"):
        assert display_value("lump_sum_minor", terms) == "¥200,000.00"
        assert display_value("royalty_rate_bp", terms) == "3.5 %"
        assert display_value("term_months", terms) == "Until the last patent expires"
        assert display_value("term_months", sheet(term_months=36)) == "36 months"
        assert display_value("term_months", sheet(term_months=1)) == "1 month"
        assert display_value("territory", terms) == "France, Germany"
        assert display_value("sublicensing_allowed", terms) == "Yes"
        assert display_value("fee_model", terms) == "Lump sum"
        assert display_value("licence_kind", terms) == "Non-exclusive licence"
        assert display_value("field_of_use", terms) == "All fields of use"
        # shown in settings.TIME_ZONE (Asia/Shanghai) with the site's DATETIME_FORMAT
        assert display_value("valid_until", terms) == "2026-12-17 14:00"


def test_display_values_in_chinese():
    with translation.override("zh-hans"):
        assert display_value("territory", sheet(territory=["GBA", "CN-GD"])) == "粤港澳大湾区、广东省"
        assert display_value("sublicensing_allowed", sheet(sublicensing_allowed=True)) == "是"
        assert display_value("lump_sum_minor", sheet()) == "¥200,000.00"


def test_summary_leaves_out_what_the_fee_model_ignores():
    with translation.override("en"):
        lump = dict(summary(sheet()))
        assert lump["Lump sum"] == "¥200,000.00"
        assert "Royalty rate" not in lump and "Entry fee" not in lump and "Note" not in lump
        royalty = dict(summary(sheet(fee_model="royalty", lump_sum_minor=0, royalty_rate_bp=350, note="Net of VAT")))
        assert royalty["Royalty rate"] == "3.5 %" and royalty["Royalty base"] == "Net sales"
        assert royalty["Note"] == "Net of VAT"
        assert "Lump sum" not in royalty and "Minimum annual royalty" not in royalty
        free = [label for label, _value in summary(sheet(fee_model="free", lump_sum_minor=0))]
        assert free == ["Licence", "Territory", "Field of use", "Term", "Fee model", "Sublicensing", "Governing law",
                        "Valid until"]


def test_diff_lists_exactly_the_changed_fields():
    previous = sheet()
    current = sheet(lump_sum_minor=15_000_000, territory=["CN", "HK"])
    with translation.override("en"):
        changes = diff(previous, current)
        assert changes == [
            Change("territory", "Territory", "Mainland China", "Mainland China, Hong Kong"),
            Change("lump_sum_minor", "Lump sum", "¥200,000.00", "¥150,000.00"),
        ]
        assert str(changes[1]) == "Lump sum: ¥200,000.00 → ¥150,000.00"
    with translation.override("zh-hans"):
        changes = diff(previous, current)
        assert [change.field for change in changes] == ["territory", "lump_sum_minor"]
        assert (changes[0].old, changes[0].new) == ("中国大陆", "中国大陆、中国香港")
        assert str(changes[1]).endswith("¥200,000.00 → ¥150,000.00")


def test_diff_of_a_first_offer_or_of_the_same_terms_is_empty():
    assert diff(None, sheet()) == []
    assert diff(sheet(territory=["HK", "CN"]), sheet(territory=["CN", "HK"])) == []
    later = sheet()["valid_until"] + datetime.timedelta(seconds=20)
    assert diff(sheet(), sheet(valid_until=later)) == []  # shown as the same minute
    # A free licence's currency is no term of it (nothing is paid): not a change either.
    assert diff(sheet(fee_model="free", lump_sum_minor=0), sheet(fee_model="free", lump_sum_minor=0,
                                                               currency="EUR")) == []
    # The validity and the note are each version's own, not a change of terms.
    assert diff(sheet(note="Please answer soon"), sheet(note="", valid_until=later + datetime.timedelta(days=3))) == []


def test_diff_shows_a_currency_change_on_the_amounts_it_affects():
    with translation.override("en"):
        changes = diff(sheet(), sheet(currency="USD"))
    assert [(c.field, c.old, c.new) for c in changes] == [
        ("currency", "Chinese yuan (CNY)", "US dollar (USD)"),
        ("lump_sum_minor", "¥200,000.00", "$200,000.00"),
    ]


def test_switching_fee_model_shows_old_and_new_amounts():
    with translation.override("en"):
        changes = diff(sheet(), sheet(fee_model="royalty", lump_sum_minor=0, royalty_rate_bp=350))
    assert [str(c) for c in changes] == [
        "Fee model: Lump sum → Royalty", "Lump sum: ¥200,000.00 → —", "Royalty rate: — → 3.5 %",
        "Royalty base: — → Net sales",
    ]  # a field the fee model does not use reads "—", not ¥0.00


@pytest.mark.django_db
def test_defaults_from_a_listing(verified_holder, patent_factory, listing_factory):  # noqa: F811
    listing = listing_factory(
        verified_holder, [patent_factory(verified_holder, "CN112345678B")], fee_model="entry_fee_royalty",
        entry_fee_minor=5_000_000, royalty_rate_bp=350, lump_sum_minor=999, territory="中国大陆",
        offers_exclusive=True, offers_non_exclusive=True, term_months=0, field_of_use="electric bicycles",
    )
    defaults = defaults_from_listing(listing, now=NOW)
    assert defaults == {
        "licence_kind": "exclusive", "territory": ["CN"], "field_of_use": "electric bicycles", "term_months": None,
        "fee_model": "entry_fee_royalty", "currency": "CNY", "lump_sum_minor": 0, "entry_fee_minor": 5_000_000,
        "minimum_annual_royalty_minor": 0, "royalty_rate_bp": 350, "royalty_base": "net_sales",
        "sublicensing_allowed": False, "governing_law": "prc", "valid_until": NOW + datetime.timedelta(days=14),
        "note": "",
    }
    assert clean_terms(defaults, now=NOW) == defaults


@pytest.mark.django_db
def test_defaults_from_a_listing_with_a_term_and_an_unknown_territory(verified_holder, patent_factory,  # noqa: F811
                                                                     listing_factory):  # noqa: F811
    listing = listing_factory(verified_holder, [patent_factory(verified_holder, "CN112345678B")],
                              territory="Zone 7 of our plant", term_months=24)
    defaults = defaults_from_listing(listing, validity_days=7)
    assert defaults["territory"] == [] and defaults["term_months"] == 24 and defaults["fee_model"] == "free"
    assert defaults["valid_until"] > timezone.now() + datetime.timedelta(days=6)
    assert defaults["licence_kind"] == "non_exclusive"
