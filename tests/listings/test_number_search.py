"""Patent-number search on /listings/ (issue 9, item 1): a query that is (or holds) a patent or application
number puts that listing first, or opens it when it is the only hit and the query is just the number; the
API's ``/api/v1/patents/by-number/`` resolves numbers with the same code (``listings.number_search``).

Real demo rows: US 8088512 B2 (“Self organizing battery structure method”), CN 201810793986.0 (an
application of 北京理工大学) and battery listings around them."""

from __future__ import annotations

import pytest

from listings.models import Listing, ListingState
from tests.listings.demo_subset import load_demo_subset

pytestmark = pytest.mark.django_db

BROWSE = "/listings/"
US_NUMBER, CN_NUMBER = "US8088512B2", "CN201810793986.0"
OTHERS = ("US10434311", "US7314575B2", "US7473466B1")  # real rows whose text mentions batteries, sulfur…


@pytest.fixture
def demo(tmp_path):
    return load_demo_subset(tmp_path, patents=(US_NUMBER, CN_NUMBER, *OTHERS),
                            nasa=("MSC-TOPS-135", "MSC-TOPS-40", "LEW-TOPS-167"))


def result_ids(response) -> list[int]:
    return [row.listing.pk for row in response.context["rows"]]


# --- parsing --------------------------------------------------------------------------------
@pytest.mark.parametrize("text, office, number", [
    ("US 8088512 B2", "US", "8088512"),
    ("US8088512", "US", "8088512"),
    ("US8088512 B2", "US", "8088512"),
    ("us8088512b2", "US", "8088512"),
    ("US 8,088,512 B2", "US", "8088512"),
    ("8088512", "", "8088512"),
    ("8,088,512", "", "8088512"),
    ("CN 201810793986.0", "CN", "201810793986.0"),
    ("CN201810793986", "CN", "201810793986"),
    ("ZL201810793986.0", "CN", "201810793986.0"),
    ("201810793986.0", "", "201810793986.0"),
    ("EP0473-8766.7", "EP", "04738766.7"),
    ("ＵＳ８０８８５１２", "US", "8088512"),  # full-width, as a Chinese input method types it
    ("TW KG-0029B987-B1E1-4B71-AD0A-22BED858E9FC", "TW", "KG-0029B987-B1E1-4B71-AD0A-22BED858E9FC"),
])
def test_a_query_that_is_a_number_is_recognised(text, office, number):
    from listings import number_search

    found = number_search.split_query(text)
    assert [(n.office, n.number) for n in found.numbers] == [(office, number)]
    assert found.only_numbers and found.rest == ""


@pytest.mark.parametrize("text", ["lithium cathode", "H01M 10/052", "H01M", "2019", "battery 2020",
                                  "us 2020", "in 1234", "锂电池", "B2 bomber", ""])
def test_words_codes_and_short_numbers_are_not_patent_numbers(text):
    from listings import number_search

    assert number_search.split_query(text).numbers == []


def test_a_number_inside_a_longer_query_is_split_from_the_words():
    from listings import number_search

    found = number_search.split_query("battery US 8088512 B2 structure")
    assert [str(n) for n in found.numbers] == ["US 8088512 B2"]
    assert found.rest == "battery structure" and not found.only_numbers


# --- browse --------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["US 8088512 B2", "US8088512", "8088512", "us 8,088,512 b2"])
def test_the_number_alone_opens_the_listing(client, demo, query):
    response = client.get(BROWSE, {"q": query})
    assert response.status_code == 302
    assert response["Location"] == demo[US_NUMBER].get_absolute_url()


@pytest.mark.parametrize("query", ["CN 201810793986.0", "CN201810793986", "ZL201810793986.0", "201810793986"])
def test_a_chinese_application_number_with_or_without_check_digit_opens_the_listing(client, demo, query):
    response = client.get(BROWSE, {"q": query})
    assert response.status_code == 302
    assert response["Location"] == demo[CN_NUMBER].get_absolute_url()


def test_a_number_with_words_comes_first_then_the_text_results(client, demo):
    response = client.get(BROWSE, {"q": "US8088512 battery"})
    assert response.status_code == 200
    ids = result_ids(response)
    assert ids[0] == demo[US_NUMBER].pk
    assert demo["MSC-TOPS-40"].pk in ids[1:]  # “Battery Management System”: a text result
    assert ids.count(demo[US_NUMBER].pk) == 1
    assert 'data-number-match="US 8088512 B2"' in response.content.decode()


def test_a_bare_number_matches_every_office(client, demo, verified_holder, patent_factory, listing_factory):
    twin = listing_factory(verified_holder, [patent_factory(verified_holder, "JP8088512A", title="A twin number")],
                           publish=True, title="A twin number")
    response = client.get(BROWSE, {"q": "8088512"})
    assert response.status_code == 200  # two hits: a list, not a redirect
    assert set(result_ids(response)[:2]) == {demo[US_NUMBER].pk, twin.pk}
    assert response.context["total"] == 2
    # with the office, only that office's patent
    assert client.get(BROWSE, {"q": "JP 8088512 A"})["Location"] == twin.get_absolute_url()


def test_an_unknown_number_says_so_instead_of_showing_unrelated_listings(client, demo):
    response = client.get(BROWSE, {"q": "US 9999999 B2"})
    assert response.status_code == 200
    assert result_ids(response) == []
    assert "No listing offers patent US 9999999 B2." in response.content.decode()


def test_number_search_never_reveals_a_listing_that_is_not_public(client, demo, owner):
    listing = demo[US_NUMBER]
    Listing.objects.filter(pk=listing.pk).update(state=ListingState.DRAFT)
    response = client.get(BROWSE, {"q": "US8088512"})
    assert response.status_code == 200 and listing.pk not in result_ids(response)
    assert client.get(listing.get_absolute_url()).status_code == 404


def test_the_filters_still_apply_to_a_number_hit(client, demo):
    listing = demo[US_NUMBER]
    other_fee = "free" if listing.fee_model != "free" else "royalty"
    response = client.get(BROWSE, {"q": "US8088512", "fee_model": other_fee})
    assert response.status_code == 200 and listing.pk not in result_ids(response)


# --- the API resolves numbers with the same code ------------------------------------------
@pytest.mark.parametrize("spelling", ["US8088512B2", "US 8088512", "8088512"])
def test_api_by_number_finds_the_same_patents(client, demo, spelling):
    response = client.get(f"/api/v1/patents/by-number/{spelling}/")
    assert response.status_code == 200 and response.json()["number"] == "US 8088512 B2"


def test_api_by_number_accepts_an_application_number_without_its_check_digit(client, demo):
    response = client.get("/api/v1/patents/by-number/CN201810793986/")
    assert response.status_code == 200 and response.json()["number"] == "CN 201810793986.0"


def test_a_page_past_the_end_keeps_the_whole_query_in_the_form(client, demo):
    response = client.get(BROWSE, {"q": "US8088512 battery", "page": 99})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="sort_q" value="US8088512 battery"' in html and 'value="US8088512 battery"' in html
