"""No silent AND → OR (issue 9, item 3). In the demo, “battery cathode” finds 2 listings and “battery cathode
sulfur” used to find 60 without a word: no listing has all three. Now the page and the API say so, and the
listings having more of the words come first (coordination), whatever their word weights.

Real demo rows: ThermoArc (MSC-TOPS-135) has battery and cathode; the lithium-sulfur battery portfolio
(LEW-TOPS-167) has battery and sulfur; “Battery Management System” (MSC-TOPS-40) has only battery, though in
its title; two US patents (US7314575B2, US7473466B1) have only sulfur."""

from __future__ import annotations

import pytest

from listings import search
from tests.listings.demo_subset import load_demo_subset

pytestmark = pytest.mark.django_db

BROWSE = "/listings/"
API = "/api/v1/listings/"
NOTICE = "No listing has all of: battery, cathode, sulfur. Showing listings with most of them."


@pytest.fixture
def demo(tmp_path):
    return load_demo_subset(tmp_path, patents=("US7314575B2", "US7473466B1", "US8088512B2"),
                            nasa=("MSC-TOPS-135", "LEW-TOPS-167", "MSC-TOPS-40"))


def run(text, **options):
    return search.search(search.SearchQuery(text=text, **options))


def test_all_words_found_is_not_flagged(demo):
    results = run("battery cathode")
    assert not results.partial
    assert [h.listing_id for h in results.hits] == [demo["MSC-TOPS-135"].pk]


def test_a_query_no_listing_fully_matches_is_flagged_with_its_words(demo):
    results = run("battery cathode sulfur")
    assert results.partial
    assert results.words == ["battery", "cathode", "sulfur"]


def test_listings_with_more_of_the_words_come_first(demo):
    order = [h.listing_id for h in run("battery cathode sulfur", per_page=50).hits]
    two_words = {demo["MSC-TOPS-135"].pk, demo["LEW-TOPS-167"].pk}
    one_word = {demo["MSC-TOPS-40"].pk, demo["US7314575B2"].pk, demo["US7473466B1"].pk}
    assert set(order[:2]) == two_words, order
    assert one_word <= set(order[2:])


def test_the_page_says_when_no_listing_has_every_word(client, demo):
    assert NOTICE not in client.get(BROWSE, {"q": "battery cathode"}).content.decode()
    page = client.get(BROWSE, {"q": "battery cathode sulfur"}).content.decode()
    assert NOTICE in page and 'id="partial-match"' in page


def test_the_notice_is_in_chinese_for_chinese_readers(client, demo):
    client.cookies["django_language"] = "zh-hans"
    page = client.get(BROWSE, {"q": "battery cathode sulfur"}).content.decode()
    assert "没有挂牌同时包含：battery、cathode、sulfur" in page
    assert "No listing has all of" not in page


def test_the_api_search_says_whether_every_word_matched(client, demo):
    assert client.get(API, {"q": "battery cathode"}).json()["all_words_matched"] is True
    body = client.get(API, {"q": "battery cathode sulfur"}).json()
    assert body["all_words_matched"] is False and body["count"] >= 5
    assert body["results"][0]["id"] in {demo["MSC-TOPS-135"].pk, demo["LEW-TOPS-167"].pk}


def test_the_schema_documents_the_flag(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    ok = schema["paths"]["/api/v1/listings/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    ref = ok["$ref"].rsplit("/", 1)[-1]
    assert "all_words_matched" in schema["components"]["schemas"][ref]["properties"]


def test_more_words_matched_outrank_heavier_single_words(verified_holder, patent_factory, listing_factory):
    """Word weights alone (BM25) put a listing with one rare word in its title above one having two common
    words in its text; coordination ranks by how many words match first."""
    def publish(number, title, abstract):
        patent = patent_factory(verified_holder, number, title=title, abstract=abstract)
        return listing_factory(verified_holder, [patent], publish=True, title=title)

    for i in range(8):  # battery and cathode are common words of this catalogue
        publish(f"CN1000000{i:02d}A", f"Battery cathode variant {i}", "A battery with a cathode.")
    one_word = publish("CN100000100A", "Sulfur recovery from sulfur", "Sulfur is recovered.")
    two_words = publish("CN100000101A", "Thermal runaway test rig",
                        "A rig that heats a battery until its cathode fails, for testing cell designs.")
    results = run("battery cathode sulfur", per_page=50)
    order = [hit.listing_id for hit in results.hits]
    assert order.index(two_words.pk) < order.index(one_word.pk), [h.score for h in results.hits]
    assert results.partial
