"""Read API (/api/v1/...): visibility, pagination, filters (database and full text), errors, schema."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import yaml
from django.core.cache import cache

from listings import actions, api, search
from listings.models import FeeModel, Listing, ListingState, Patent
from marketplace import actions as org_actions
from marketplace.models import OrganisationKind

LISTINGS = "/api/v1/listings/"
PATENTS = "/api/v1/patents/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()  # the API throttles anonymous clients (120/min); counts live in the cache
    yield
    cache.clear()


def _patent(org, owner, number, title, codes=(), **fields):
    patent, _ = actions.save_patent(org, actor=owner, number=number, title=title, ipc_codes=list(codes), **fields)
    return patent


def _listing(org, owner, patents, *, state=ListingState.PUBLISHED, **terms):
    listing = actions.create_listing(org, actor=owner, patents=patents, **terms)
    if state != ListingState.DRAFT:
        actions.publish_listing(listing, actor=owner)
    if state == ListingState.PAUSED:
        actions.pause_listing(listing, actor=owner)
    if state == ListingState.WITHDRAWN:
        actions.withdraw_listing(listing, actor=owner)
    listing.refresh_from_db()
    return listing


@pytest.fixture
def catalogue(make_org, make_user, owner, staff):
    """Three verified owners (institute/BJ, university/GD, state enterprise/LN) with six published
    listings of varied terms, plus listings nobody may browse (draft, paused, withdrawn, rejected owner)."""
    institute = make_org("Battery Institute", owner=owner, verified=True, province="BJ")
    uni_owner, sx_owner, rejected_owner = make_user(), make_user(), make_user()
    university = make_org("Pearl River University", owner=uni_owner, verified=True, province="GD",
                          kind=OrganisationKind.UNIVERSITY)
    enterprise = make_org("Northern Grid Group", owner=sx_owner, verified=True, province="LN",
                          kind=OrganisationKind.STATE_ENTERPRISE)
    rejected = make_org("Revoked Labs", owner=rejected_owner, verified=True, province="SH")

    c = SimpleNamespace(institute=institute, university=university, enterprise=enterprise)
    c.cathode_patent = _patent(institute, owner, "CN112345678B", "Lithium battery cathode material",
                               ["H01M 10/052", "H01M 4/36"], abstract="A layered oxide cathode for lithium-ion cells.",
                               applicants="Battery Institute\nSecond Applicant")
    c.cathode = _listing(institute, owner, [c.cathode_patent], title="Lithium battery cathode material",
                         fee_model=FeeModel.LUMP_SUM, lump_sum_minor=200_000_00, offers_exclusive=True,
                         territory="Mainland China", idle_declared=True)
    c.electrolyte = _listing(
        institute, owner, [_patent(institute, owner, "CN113000001A", "Solid electrolyte for sodium batteries",
                                   ["H01M 10/0562"], legal_status="pending")],
        fee_model=FeeModel.ROYALTY, royalty_rate_bp=350, open_licence=True,
    )
    c.accelerator = _listing(
        university, uni_owner, [_patent(university, uni_owner, "US10123456B2", "Neural network accelerator chip",
                                        ["G06N 3/063"])],
        fee_model=FeeModel.ENTRY_FEE_ROYALTY, entry_fee_minor=50_000_00, royalty_rate_bp=200,
        offers_non_exclusive=False, offers_sole=True, term_months=36,
    )
    c.irrigation = _listing(
        university, uni_owner, [_patent(university, uni_owner, "CN114000002B", "Drip irrigation controller",
                                        ["A01G 25/16"])],
        fee_model=FeeModel.FREE, open_licence=True,
    )
    c.transformer = _listing(
        enterprise, sx_owner, [_patent(enterprise, sx_owner, "CN115000003B", "Transformer oil cooling system",
                                       ["H01F 27/10"])],
        fee_model=FeeModel.FREE, donation_quota=10,
    )
    c.blade = _listing(
        enterprise, sx_owner,
        [_patent(enterprise, sx_owner, "CN116000004B", "Wind turbine blade de-icing coating",
                 ["C09D 5/00", "F03D 80/40"])],
        fee_model=FeeModel.LUMP_SUM, lump_sum_minor=1_500_000_00, offers_non_exclusive=False,
        offers_assignment=True,
    )
    c.browsable = [c.cathode, c.electrolyte, c.accelerator, c.irrigation, c.transformer, c.blade]
    c.draft = _listing(institute, owner, [_patent(institute, owner, "CN117000005B", "Draft cathode coating",
                                                  ["H01M 4/36"])], state=ListingState.DRAFT)
    c.paused = _listing(institute, owner, [_patent(institute, owner, "CN117000006B", "Paused anode binder",
                                                   ["H01M 4/62"])], state=ListingState.PAUSED)
    c.withdrawn = _listing(institute, owner, [_patent(institute, owner, "CN117000007B", "Withdrawn separator",
                                                      ["H01M 50/40"])], state=ListingState.WITHDRAWN)
    c.revoked = _listing(rejected, rejected_owner, [_patent(rejected, rejected_owner, "CN117000008B",
                                                            "Revoked owner's battery")])
    org_actions.reject_organisation(rejected, actor=staff, reason="Registration number does not match")
    c.hidden = [c.draft, c.paused, c.withdrawn, c.revoked]
    return c


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def newest_first(listings):
    return [x.pk for x in sorted(listings, key=lambda x: (x.published_at, x.pk), reverse=True)]


# --- visibility and shape ---------------------------------------------------------------
def test_list_shows_only_browsable_listings_newest_first(client, catalogue):
    response = client.get(LISTINGS)
    assert ids(response) == newest_first(catalogue.browsable)
    assert response.json()["count"] == 6


def test_listing_fields_use_integer_minor_units(client, catalogue):
    data = client.get(f"{LISTINGS}{catalogue.cathode.pk}/").json()
    assert data["url"] == f"http://testserver{LISTINGS}{catalogue.cathode.pk}/"
    assert data["web_url"] == f"http://testserver/listings/{catalogue.cathode.pk}/"
    assert data["state"] == "published" and data["idle_declared"] is True and data["donation_quota"] == 0
    assert data["owner"] == {"slug": catalogue.institute.slug, "name": "Battery Institute",
                             "kind": "research_institute", "province": "BJ"}
    assert data["patents"] == [{
        "id": catalogue.cathode_patent.pk, "url": f"http://testserver{PATENTS}{catalogue.cathode_patent.pk}/",
        "number": "CN 112345678 B", "title": "Lithium battery cathode material",
        "ipc_codes": ["H01M 10/052", "H01M 4/36"],
    }]
    assert data["terms"] == {
        "licence_kinds": ["exclusive", "non_exclusive"], "fee_model": "lump_sum", "currency": "CNY",
        "lump_sum_minor": 20_000_000, "entry_fee_minor": None, "royalty_rate_bp": None,
        "upfront_price_minor": 20_000_000, "territory": "Mainland China", "term_months": None,
        "field_of_use": "", "open_licence": False,
    }
    assert isinstance(data["terms"]["lump_sum_minor"], int)
    assert data["published_at"] and data["view_count"] == 0


def test_entry_fee_and_royalty_terms(client, catalogue):
    terms = client.get(f"{LISTINGS}{catalogue.accelerator.pk}/").json()["terms"]
    assert terms["entry_fee_minor"] == 5_000_000 and terms["royalty_rate_bp"] == 200
    assert terms["upfront_price_minor"] == 5_000_000 and terms["lump_sum_minor"] is None
    assert terms["licence_kinds"] == ["sole"] and terms["term_months"] == 36


@pytest.mark.parametrize("name", ["draft", "paused", "withdrawn", "revoked"])
def test_listing_that_is_not_browsable_is_404(client, catalogue, name):
    listing = getattr(catalogue, name)
    assert client.get(f"{LISTINGS}{listing.pk}/").status_code == 404
    assert listing.pk not in ids(client.get(LISTINGS))


def test_staff_and_members_see_the_same_public_api(client, catalogue, owner):
    client.force_login(owner)  # the owner of the draft: still only browsable listings
    assert client.get(f"{LISTINGS}{catalogue.draft.pk}/").status_code == 404
    assert len(ids(client.get(LISTINGS))) == 6


def test_api_is_read_only(client, catalogue):
    assert client.post(LISTINGS, {"title": "x"}).status_code == 405
    assert client.delete(f"{LISTINGS}{catalogue.cathode.pk}/").status_code == 405


def test_list_query_count_does_not_grow_with_rows(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # count, page, owners (joined), patents (prefetched)
        assert len(ids(client.get(LISTINGS))) == 6


# --- pagination -------------------------------------------------------------------------
@pytest.fixture
def many_listings(make_org, owner):
    """105 published listings, written in bulk (the API only reads them)."""
    org = make_org("Bulk Institute", owner=owner, verified=True)
    patents = Patent.objects.bulk_create(
        Patent(owner=org, office="CN", number=f"2{i:08d}", title=f"Patent {i}") for i in range(105)
    )
    listings = Listing.objects.bulk_create(
        Listing(owner=org, title=f"Listing {i}", state=ListingState.PUBLISHED, published_at=p.created_at)
        for i, p in enumerate(patents)
    )
    Listing.patents.through.objects.bulk_create(
        Listing.patents.through(listing_id=listing.pk, patent_id=patent.pk)
        for listing, patent in zip(listings, patents)
    )
    return listings


def test_pagination_count_next_previous(client, many_listings):
    first = client.get(LISTINGS).json()
    assert first["count"] == 105 and len(first["results"]) == 20 and first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/listings/?page=2"
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 20 and second["previous"] == "http://testserver/api/v1/listings/"
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    last = client.get(LISTINGS, {"page": 6}).json()
    assert len(last["results"]) == 5 and last["next"] is None
    assert client.get(LISTINGS, {"page": 7}).status_code == 404


def test_page_size_is_at_most_100(client, many_listings):
    assert len(client.get(LISTINGS, {"page_size": 7}).json()["results"]) == 7
    assert len(client.get(LISTINGS, {"page_size": 100}).json()["results"]) == 100
    response = client.get(LISTINGS, {"page_size": 1000})  # documented maximum: an error, not silently 100
    assert response.status_code == 400 and "“page_size”" in response.json()["detail"]


# --- filters (database) -----------------------------------------------------------------
@pytest.mark.parametrize(
    "params, expected",
    [
        ({"ipc": "H"}, ["cathode", "electrolyte", "transformer"]),
        ({"ipc": "h01"}, ["cathode", "electrolyte", "transformer"]),
        ({"ipc": "H01M"}, ["cathode", "electrolyte"]),
        ({"ipc": "H01M 10/00"}, ["cathode", "electrolyte"]),
        ({"ipc": "H01M10"}, ["cathode", "electrolyte"]),
        ({"ipc": "H01M 4/00"}, ["cathode"]),
        ({"ipc": "F03D"}, ["blade"]),
        ({"fee_model": "free"}, ["irrigation", "transformer"]),
        ({"fee_model": "lump_sum,royalty"}, ["cathode", "electrolyte", "blade"]),
        ({"fee_model": ["royalty", "entry_fee_royalty"]}, ["electrolyte", "accelerator"]),
        ({"licence_kind": "sole"}, ["accelerator"]),
        ({"licence_kind": "exclusive,assignment"}, ["cathode", "blade"]),
        ({"owner_kind": "university"}, ["accelerator", "irrigation"]),
        ({"owner_kind": "state_enterprise,research_institute"},
         ["cathode", "electrolyte", "transformer", "blade"]),
        ({"province": "GD"}, ["accelerator", "irrigation"]),
        ({"province": "LN,BJ"}, ["cathode", "electrolyte", "transformer", "blade"]),
        ({"open_licence": "true"}, ["electrolyte", "irrigation"]),
        ({"open_licence": "false"}, ["cathode", "accelerator", "transformer", "blade"]),
        ({"free_only": "true"}, ["irrigation", "transformer"]),
        ({"free_only": "false"}, ["cathode", "electrolyte", "accelerator", "irrigation", "transformer", "blade"]),
        ({"price_min": 1}, ["cathode", "accelerator", "blade"]),
        ({"price_min": 5_000_000, "price_max": 20_000_000}, ["cathode", "accelerator"]),
        ({"price_max": 0}, ["electrolyte", "irrigation", "transformer"]),
        ({"ipc": "H01M", "open_licence": "true", "fee_model": "royalty"}, ["electrolyte"]),
        ({"ipc": "G06F"}, []),
    ],
)
def test_filters(client, catalogue, params, expected):
    assert sorted(ids(client.get(LISTINGS, params))) == sorted(getattr(catalogue, name).pk for name in expected)


def test_ordering(client, catalogue):
    c = catalogue
    assert ids(client.get(LISTINGS, {"ordering": "newest"})) == newest_first(c.browsable)
    by_price = ids(client.get(LISTINGS, {"ordering": "price"}))
    assert by_price[3:] == [c.accelerator.pk, c.cathode.pk, c.blade.pk]  # three free/royalty-only first
    assert ids(client.get(LISTINGS, {"ordering": "-price"}))[:3] == [c.blade.pk, c.cathode.pk, c.accelerator.pk]


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"fee_model": "banana"}, "fee_model"),
        ({"licence_kind": "free-for-all"}, "licence_kind"),
        ({"owner_kind": "sme,alien"}, "owner_kind"),
        ({"province": "ZZ"}, "province"),
        ({"open_licence": "maybe"}, "open_licence"),
        ({"free_only": "2"}, "free_only"),
        ({"price_min": "abc"}, "price_min"),
        ({"price_min": "-1"}, "price_min"),
        ({"price_max": "12.5"}, "price_max"),
        ({"price_min": 100, "price_max": 10}, "price_max"),
        ({"ipc": "battery"}, "ipc"),
        ({"ipc": "H01M 10/052"}, "ipc"),  # a subgroup: filter by its main group
        ({"ordering": "sideways"}, "ordering"),
        ({"q": "x" * 301}, "q"),
    ],
)
def test_invalid_filter_is_400_naming_the_parameter(client, catalogue, params, parameter):
    response = client.get(LISTINGS, params)
    assert response.status_code == 400
    body = response.json()
    assert f"“{parameter}”" in body["detail"] and list(body["errors"]) == [parameter]


def test_subgroup_error_suggests_the_main_group(client, catalogue):
    assert "H01M 10/00" in client.get(LISTINGS, {"ipc": "H01M 10/052"}).json()["detail"]


# --- full text (listings.search) --------------------------------------------------------
@pytest.fixture
def indexed(catalogue):
    search.rebuild_index()
    return catalogue


def test_q_searches_the_index_in_relevance_order(client, indexed):
    response = client.get(LISTINGS, {"q": "lithium cathode"})
    assert ids(response)[0] == indexed.cathode.pk
    assert indexed.draft.pk not in ids(response) and indexed.paused.pk not in ids(response)
    body = response.json()
    assert body["count"] == len(body["results"]) and body["next"] is None
    assert body["results"][0]["terms"]["lump_sum_minor"] == 20_000_000


def test_q_with_filters_and_ordering(client, indexed):
    c = indexed
    assert ids(client.get(LISTINGS, {"q": "battery", "open_licence": "true"})) == [c.electrolyte.pk]
    assert ids(client.get(LISTINGS, {"q": "battery", "fee_model": "lump_sum"})) == [c.cathode.pk]
    assert ids(client.get(LISTINGS, {"q": "battery", "ipc": "H01M 10/00", "ordering": "-price"})) == [
        c.cathode.pk, c.electrolyte.pk]
    assert ids(client.get(LISTINGS, {"q": "irrigation", "province": "BJ"})) == []


def test_q_paginates_through_the_search(client, indexed):
    first = client.get(LISTINGS, {"q": "battery", "page_size": 1}).json()
    assert first["count"] == 2 and len(first["results"]) == 1 and first["previous"] is None
    assert "page=2" in first["next"]
    second = client.get(first["next"]).json()
    assert second["next"] is None and second["previous"] is not None
    assert {first["results"][0]["id"], second["results"][0]["id"]} == {indexed.cathode.pk, indexed.electrolyte.pk}
    assert client.get(LISTINGS, {"q": "battery", "page_size": 1, "page": 3}).status_code == 404


def test_published_listing_is_found_once_its_index_task_ran(client, catalogue, owner,
                                                            django_capture_on_commit_callbacks):
    patent = _patent(catalogue.institute, owner, "CN118000009B", "Graphene supercapacitor electrode", ["H01G 11/36"])
    with django_capture_on_commit_callbacks(execute=True):
        listing = _listing(catalogue.institute, owner, [patent])
    assert ids(client.get(LISTINGS, {"q": "supercapacitor"})) == [listing.pk]


def test_index_lag_never_leaks_a_listing_that_is_no_longer_browsable(client, indexed, owner):
    Listing.objects.filter(pk=indexed.cathode.pk).update(state=ListingState.PAUSED)  # index not told
    assert indexed.cathode.pk not in ids(client.get(LISTINGS, {"q": "lithium cathode"}))


def test_malformed_q_is_400_with_a_friendly_message(client, catalogue, monkeypatch):
    monkeypatch.setattr(search, "search", lambda query: search.SearchResults(
        total=0, hits=[], error="The search could not understand “(battery”: close the parenthesis."))
    response = client.get(LISTINGS, {"q": "(battery"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The search could not understand “(battery”: close the parenthesis.",
        "errors": {"q": ["The search could not understand “(battery”: close the parenthesis."]},
    }


@pytest.mark.parametrize("text", ["(((", "-", "AND OR", "!!!"])
def test_q_without_searchable_words_is_400_with_the_search_message(client, indexed, text):
    response = client.get(LISTINGS, {"q": text})
    assert response.status_code == 400
    body = response.json()
    assert "no words we can look for" in body["detail"] and list(body["errors"]) == ["q"]


def test_q_before_the_index_is_built_is_503(client, catalogue):
    response = client.get(LISTINGS, {"q": "battery"})  # nothing indexed in this test's index folder
    assert response.status_code == 503 and "being built" in response.json()["detail"]
    assert client.get(LISTINGS).status_code == 200  # browsing without q still works


def test_q_when_the_index_is_unavailable_is_503(client, catalogue, monkeypatch):
    def unavailable(query):
        raise search.SearchUnavailable("no index")

    monkeypatch.setattr(search, "search", unavailable)
    response = client.get(LISTINGS, {"q": "battery"})
    assert response.status_code == 503 and "q" in response.json()["detail"]


def test_q_past_the_search_result_window_is_404_with_a_hint(client, catalogue, monkeypatch):
    monkeypatch.setattr(search, "search", lambda query: search.SearchResults(total=50_000, hits=[]))
    response = client.get(LISTINGS, {"q": "battery", "page": 600})
    assert response.status_code == 404 and "add words or filters" in response.json()["detail"]


def test_filters_are_passed_to_the_search_as_facets(client, catalogue, monkeypatch):
    seen = []

    def fake(query):
        seen.append(query)
        return search.SearchResults(total=0, hits=[])

    monkeypatch.setattr(search, "search", fake)
    client.get(LISTINGS, {"q": " battery ", "ipc": "h01m10", "fee_model": "royalty,free", "licence_kind": "sole",
                          "owner_kind": "university", "province": "GD", "open_licence": "false",
                          "free_only": "true", "price_min": 5, "price_max": 9, "ordering": "price",
                          "page": 1, "page_size": 7})
    query = seen[0]
    assert query.text == "battery" and query.sort == "price_asc" and (query.page, query.per_page) == (1, 7)
    assert query.filters == {"ipc_main_group": ["H01M 10/00"], "fee_model": ["royalty", "free"],
                             "licence_kinds": ["sole"], "owner_kind": ["university"], "province": ["GD"],
                             "open_licence": ["no"]}
    assert query.free_only and not query.open_only
    assert (query.price_min_minor, query.price_max_minor) == (5, 9)
    client.get(LISTINGS, {"q": "battery", "open_licence": "true"})
    assert seen[1].open_only and "open_licence" not in seen[1].filters and seen[1].sort == "relevance"


# --- patents ----------------------------------------------------------------------------
def test_patents_are_those_of_browsable_listings(client, catalogue):
    numbers = [row["number"] for row in client.get(PATENTS).json()["results"]]
    assert numbers == ["CN 112345678 B", "CN 113000001 A", "CN 114000002 B", "CN 115000003 B", "CN 116000004 B",
                       "US 10123456 B2"]


def test_patent_fields(client, catalogue):
    data = client.get(f"{PATENTS}{catalogue.cathode_patent.pk}/").json()
    assert data["number"] == "CN 112345678 B" and (data["office"], data["kind"]) == ("CN", "B")
    assert data["applicants"] == ["Battery Institute", "Second Applicant"] and data["inventors"] == []
    assert data["ipc_codes"] == ["H01M 10/052", "H01M 4/36"] and data["legal_status"] == "granted"
    assert data["owner"] == catalogue.institute.slug and data["language"] == "en"
    assert data["listings"] == [{"id": catalogue.cathode.pk, "title": "Lithium battery cathode material",
                                 "url": f"http://testserver{LISTINGS}{catalogue.cathode.pk}/"}]


def test_patent_only_in_hidden_listings_is_404(client, catalogue):
    for listing in catalogue.hidden:
        assert client.get(f"{PATENTS}{listing.patents.get().pk}/").status_code == 404


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"ipc": "H01M"}, ["CN 112345678 B", "CN 113000001 A"]),
        ({"ipc": "G"}, ["US 10123456 B2"]),
        ({"office": "us"}, ["US 10123456 B2"]),
        ({"legal_status": "pending"}, ["CN 113000001 A"]),
        ({"q": "batter"}, ["CN 112345678 B", "CN 113000001 A"]),
        ({"q": "BATTERIES sodium"}, ["CN 113000001 A"]),
    ],
)
def test_patent_filters(client, catalogue, params, expected):
    assert [row["number"] for row in client.get(PATENTS, params).json()["results"]] == expected


@pytest.mark.parametrize("params, parameter", [
    ({"office": "U5"}, "office"), ({"legal_status": "alive"}, "legal_status"), ({"ipc": "nope"}, "ipc"),
])
def test_invalid_patent_filter_is_400(client, catalogue, params, parameter):
    response = client.get(PATENTS, params)
    assert response.status_code == 400 and f"“{parameter}”" in response.json()["detail"]


@pytest.mark.parametrize("spelling", ["CN112345678B", "cn 112345678 b", "CN 112345678", "ZL112345678",
                                      "CN112345678A"])
def test_patent_by_number_normalises(client, catalogue, spelling):
    response = client.get(f"{PATENTS}by-number/{spelling}/")
    assert response.status_code == 200 and response.json()["id"] == catalogue.cathode_patent.pk


def test_patent_by_number_with_commas_and_kind(client, catalogue):
    assert client.get(f"{PATENTS}by-number/US 10,123,456 B2/").json()["number"] == "US 10123456 B2"


@pytest.mark.parametrize("number", ["CN999999999B", "CN117000005B", "not-a-number", "XX123"])
def test_patent_by_number_unknown_hidden_or_malformed_is_404(client, catalogue, number):
    response = client.get(f"{PATENTS}by-number/{number}/")
    assert response.status_code == 404 and response.json()["detail"]


# --- schema and docs --------------------------------------------------------------------
def test_schema_is_openapi_with_both_collections(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/listings/", "/api/v1/listings/{id}/", "/api/v1/patents/", "/api/v1/patents/{id}/",
            "/api/v1/patents/by-number/{number}/"} <= set(schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/v1/listings/"]["get"]["parameters"]}
    assert {"q", "ipc", "fee_model", "licence_kind", "owner_kind", "province", "open_licence", "free_only",
            "price_min", "price_max", "ordering", "page", "page_size"} <= params
    as_json = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    assert as_json["paths"].keys() == schema["paths"].keys()


def test_docs_page_lists_endpoints_without_loading_anything_from_the_internet(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/listings/" in html and "/api/v1/patents/by-number/{number}/" in html and "/api/schema/" in html
    assert "price_min" in html
    for external in ('src="http', "src='http", 'href="https://cdn', "//cdn.", "unpkg", "jsdelivr"):
        assert external not in html


def test_api_root_and_browsable_pages_render(client, catalogue):
    assert client.get("/api/v1/", HTTP_ACCEPT="application/json").json()["listings"].endswith("/api/v1/listings/")
    page = client.get(LISTINGS, {"fee_model": "free"}, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"Drip irrigation controller" in page.content


def test_max_page_size_is_100():
    assert api.Pagination.max_page_size == 100
