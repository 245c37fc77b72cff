"""Deal-room forms: amounts and rates typed by people become exact minor units and basis points."""

import datetime
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.datastructures import MultiValueDict

from negotiations.forms import DeclineForm, MessageForm, OfferForm, end_of_day

NOW = datetime.datetime(2026, 12, 3, 6, 0, tzinfo=datetime.timezone.utc)
PDF_BYTES = b"%PDF-1.7\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def posted(**changes):
    data = {
        "licence_kind": "non_exclusive", "territory": ["CN"], "field_of_use": "", "term_months": "36",
        "fee_model": "lump_sum", "currency": "CNY", "lump_sum": "200000", "entry_fee": "", "royalty_rate": "",
        "royalty_base": "net_sales", "minimum_annual_royalty": "", "valid_until": "2026-12-17", "note": "",
        "expected_version": "3",
    }
    data.update(changes)
    return MultiValueDict({key: value if isinstance(value, list) else [value] for key, value in data.items()})


def offer(**changes) -> OfferForm:
    form = OfferForm(posted(**changes), now=NOW)
    form.is_valid()
    return form


@pytest.mark.parametrize("typed, minor", [("1234.56", 123456), ("0.01", 1), ("1,234,567.8", 123456780), ("7", 700)])
def test_amounts_become_minor_units(typed, minor):
    form = offer(lump_sum=typed)
    assert form.errors == {}
    assert form.terms()["lump_sum_minor"] == minor


@pytest.mark.parametrize("typed, bp", [("3.5", 350), ("3.5 %", 350), ("0.01", 1), ("100", 10_000), ("12.25", 1225)])
def test_rates_in_percent_become_basis_points(typed, bp):
    form = offer(fee_model="royalty", lump_sum="", royalty_rate=typed)
    assert form.errors == {}
    assert form.terms()["royalty_rate_bp"] == bp


@pytest.mark.parametrize("typed, words", [("100.01", "above 100 %"), ("-1", "negative"), ("3.125", "decimal"),
                                          ("lots", "percentage such as 3.5")])
def test_wrong_rates_are_refused_on_the_rate(typed, words):
    form = offer(fee_model="royalty", lump_sum="", royalty_rate=typed)
    assert list(form.errors) == ["royalty_rate"] and words in form.errors["royalty_rate"][0]


def test_wrong_amounts_are_refused_on_the_amount():
    assert "decimal places" in offer(lump_sum="10.005").errors["lump_sum"][0]
    assert "negative" in offer(lump_sum="-5").errors["lump_sum"][0]


def test_term_rules_attach_to_their_fields():
    form = offer(lump_sum="0")
    assert list(form.errors) == ["lump_sum"] and "Needed above 0" in form.errors["lump_sum"][0]
    form = offer(fee_model="free")
    assert "free licence has no fees" in form.errors["lump_sum"][0]
    form = offer(entry_fee="500")
    assert "Not part of the fee model" in form.errors["entry_fee"][0]
    form = offer(minimum_annual_royalty="500")
    assert "needs a fee model with a royalty" in form.errors["minimum_annual_royalty"][0]
    form = offer(territory=[])
    assert list(form.errors) == ["territory"]
    form = offer(territory=["CN", "XX"])
    assert list(form.errors) == ["territory"]
    form = offer(valid_until="2026-12-02")
    assert list(form.errors) == ["valid_until"] and "future" in form.errors["valid_until"][0]


def test_the_term_is_months_or_until_the_last_patent_expires():
    assert offer(term_months="", until_last_patent_expires="on").terms()["term_months"] is None
    assert offer(term_months="120").terms()["term_months"] == 120
    assert "not both" in offer(until_last_patent_expires="on").errors["term_months"][0]
    assert "Enter the term" in offer(term_months="").errors["term_months"][0]
    assert list(offer(term_months="601").errors) == ["term_months"]


def test_valid_until_is_the_end_of_that_day_in_the_site_time_zone(settings):
    terms = offer(valid_until="2026-12-17").terms()
    shanghai = terms["valid_until"].astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
    assert (shanghai.date(), shanghai.hour, shanghai.minute) == (datetime.date(2026, 12, 17), 23, 59)
    assert terms["valid_until"] == end_of_day(datetime.date(2026, 12, 17))


def test_the_whole_sheet_and_the_expected_version():
    form = offer(territory=["GBA", "CN-GD"], sublicensing_allowed="on", note=" Net of VAT ")
    assert form.is_valid(), form.errors
    terms = form.terms()
    assert terms["territory"] == ["CN-GD", "GBA"] and terms["sublicensing_allowed"] is True
    assert terms["note"] == "Net of VAT" and terms["royalty_base"] == "net_sales"
    assert form.cleaned_data["expected_version"] == 3


def test_an_invalid_form_has_no_terms():
    form = offer(lump_sum="-1")
    with pytest.raises(ValueError):
        form.terms()


def as_post(initial: dict) -> MultiValueDict:
    """What a browser sends back for a form shown with this initial data."""
    data = {}
    for key, value in initial.items():
        if value is False:
            continue  # an unticked checkbox is not sent
        if isinstance(value, list):
            data[key] = [str(item) for item in value]
        elif isinstance(value, datetime.date):
            data[key] = [value.isoformat()]
        else:
            data[key] = ["on" if value is True else "" if value is None else str(value)]
    return MultiValueDict(data)


@pytest.mark.parametrize("changes", [
    {"fee_model": "entry_fee_royalty", "lump_sum": "", "entry_fee": "50000.5", "royalty_rate": "3.5",
     "minimum_annual_royalty": "1000", "territory": ["EU", "US"]},
    {"term_months": "", "until_last_patent_expires": "on", "sublicensing_allowed": "on", "note": "Net of VAT"},
])
def test_initial_from_terms_round_trips(changes):
    terms = offer(**changes).terms()
    initial = OfferForm.initial_from_terms(terms)
    assert initial["valid_until"] == datetime.date(2026, 12, 17)
    form = OfferForm(as_post(initial), now=NOW)
    assert form.is_valid(), form.errors
    assert form.terms() == terms


def test_initial_from_terms_shows_major_units_and_percent():
    terms = offer(fee_model="entry_fee_royalty", lump_sum="", entry_fee="50000.5", royalty_rate="3.5").terms()
    initial = OfferForm.initial_from_terms(terms)
    assert str(initial["entry_fee"]) == "50000.50" and str(initial["royalty_rate"]) == "3.5"
    assert initial["lump_sum"] is None and initial["until_last_patent_expires"] is False


def test_territory_choices_follow_the_language():
    with translation.override("zh-hans"):
        html = str(OfferForm()["territory"])
    assert "广东省" in html and "粤港澳大湾区" in html


def test_message_form_checks_body_and_attachments(settings):
    settings.DEAL_MESSAGE_MAX_CHARS = 100
    assert MessageForm({"body": "Hello"}).is_valid()
    assert "body" in MessageForm({"body": "x" * 101}).errors
    assert MessageForm({"body": " "}).errors["__all__"] == ["Write a message or attach a file."]
    files = MultiValueDict({"attachments": [SimpleUploadedFile("offer.pdf", PDF_BYTES),
                                            SimpleUploadedFile("plan.png", PNG_BYTES)]})
    form = MessageForm({"body": ""}, files)
    assert form.is_valid(), form.errors
    assert [checked.content_type for _upload, checked in form.checked] == ["application/pdf", "image/png"]
    files = MultiValueDict({"attachments": [SimpleUploadedFile("offer.pdf", PDF_BYTES),
                                            SimpleUploadedFile("scan.pdf", PNG_BYTES)]})
    form = MessageForm({"body": "See attached"}, files)
    assert not form.is_valid()
    assert form.errors["attachments"] == ["“scan.pdf” is really a PNG image: rename it to end in .png."]


def test_decline_reason_is_optional_and_limited():
    assert DeclineForm({}).is_valid()
    assert DeclineForm({"reason": "Too expensive"}).is_valid()
    assert "reason" in DeclineForm({"reason": "x" * 1001}).errors
