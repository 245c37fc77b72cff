"""Browse (/listings/) with the real search index, and the listing page (/listings/<id>/)."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from listings import actions, search, views
from listings.models import Listing
from marketplace.models import OrganisationKind

BROWSE = "/listings/"


@pytest.fixture
def university(make_org, make_user):
    rector = make_user("rector@example.com", full_name="Rita Rector")
    return make_org("South China University", kind=OrganisationKind.UNIVERSITY, owner=rector, verified=True,
                    province="GD")


@pytest.fixture
def catalogue(verified_holder, university, make_org, make_user, patent_factory, listing_factory):
    """Four public listings with different terms, owners and classes, plus three that are not public."""
    rector = university.memberships.get().user
    cathode = listing_factory(
        verified_holder,
        [patent_factory(verified_holder, "CN112345678B", title="Lithium battery cathode material",
                        abstract="A cathode for lithium-ion batteries with a long cycle life.",
                        ipc_codes=["H01M 10/052", "H01M 4/36"], applicants="Verified Battery Institute")],
        publish=True, title="Lithium battery cathode material", open_licence=True, term_months=36,
        field_of_use="electric bicycles",
    )
    solar = listing_factory(
        verified_holder,
        [patent_factory(verified_holder, "CN201010110545.X", title="Solar cell anti-reflection coating",
                        abstract="A coating that lowers reflection losses of solar cells.",
                        ipc_codes=["H01L 31/18", "C09D 5/00"])],
        publish=True, title="Solar cell anti-reflection coating", fee_model="lump_sum",
        lump_sum_minor=12_000_000, offers_exclusive=True, offers_non_exclusive=False,
    )
    neural = listing_factory(
        university,
        [patent_factory(university, "US10123456B2", title="Neural network accelerator", actor=rector,
                        abstract="A hardware accelerator for convolutional neural networks.",
                        ipc_codes=["G06N 3/063"])],
        publish=True, actor=rector, title="Neural network accelerator", fee_model="royalty", royalty_rate_bp=350,
        offers_sole=True,
    )
    bms = listing_factory(
        university,
        [patent_factory(university, "CN109876543A", title="Battery management system", actor=rector,
                        abstract="Balancing the cells of a battery pack.", ipc_codes=["H01M 10/44", "H02J 7/00"])],
        publish=True, actor=rector, title="Battery management system", fee_model="entry_fee_royalty",
        entry_fee_minor=5_000_000, royalty_rate_bp=250,
    )
    pending_owner = make_user("pending@example.com")
    pending = make_org("Pending Institute", owner=pending_owner)
    hidden_unverified = listing_factory(
        pending, [patent_factory(pending, "CN100000001A", title="Battery recycling", actor=pending_owner)],
        actor=pending_owner, title="Battery recycling",
    )
    hidden_draft = listing_factory(
        verified_holder, [patent_factory(verified_holder, "CN100000002A", title="Battery draft")],
        title="Battery draft",
    )
    paused = listing_factory(
        verified_holder, [patent_factory(verified_holder, "CN100000003A", title="Battery separator film")],
        publish=True, title="Battery separator film",
    )
    return {
        "cathode": cathode, "solar": solar, "neural": neural, "bms": bms, "unverified": hidden_unverified,
        "draft": hidden_draft, "paused": paused,
    }


@pytest.fixture
def public(catalogue, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.pause_listing(catalogue["paused"], actor=owner)
    return catalogue


def shown(response) -> list[int]:
    return [row.listing.pk for row in response.context["rows"]]


def ids(catalogue, *names) -> set[int]:
    return {catalogue[name].pk for name in names}


def group(response, facet) -> dict[str, tuple[int, bool]]:
    for facet_group in response.context["facet_groups"]:
        if facet_group.name == facet:
            return {o.value: (o.count, o.checked) for o in facet_group.options}
    return {}


# --- results and filters ------------------------------------------------------------------------
def test_browse_shows_only_public_listings(client, public):
    response = client.get(BROWSE)
    assert response.status_code == 200
    assert set(shown(response)) == ids(public, "cathode", "solar", "neural", "bms")
    page = response.content.decode()
    assert "4 listings" in page
    assert "Battery recycling" not in page and "Battery draft" not in page and "Battery separator film" not in page


def test_text_search(client, public):
    response = client.get(BROWSE, {"q": "battery"})
    assert set(shown(response)) == ids(public, "cathode", "bms")
    assert "<mark>" in response.content.decode()  # highlighted, from the search's escaped HTML


def test_text_search_in_chinese(client, verified_holder, patent_factory, listing_factory):
    patent = patent_factory(verified_holder, "CN111111111A", title="一种锂电池正极材料及其制备方法",
                            abstract="本发明公开了一种锂电池正极材料。", language="zh-Hans", ipc_codes=["H01M 4/36"])
    listing = listing_factory(verified_holder, [patent], publish=True, title="锂电池正极材料")
    assert shown(client.get(BROWSE, {"q": "锂电池"})) == [listing.pk]


@pytest.mark.parametrize("params, expected", [
    ({"fee_model": "free"}, {"cathode"}),
    ({"fee_model": ["royalty", "lump_sum"]}, {"neural", "solar"}),
    ({"licence_kinds": "exclusive"}, {"solar"}),
    ({"licence_kinds": "sole"}, {"neural"}),
    ({"owner_kind": "university"}, {"neural", "bms"}),
    ({"province": "BJ"}, {"cathode", "solar"}),
    ({"price_band": "100k_1m"}, {"solar"}),
    ({"price_band": "10k_100k"}, {"bms"}),
    ({"open_licence": "yes"}, {"cathode"}),
    ({"free": "1"}, {"cathode"}),
    ({"open": "1"}, {"cathode"}),
    ({"price_min": "100000"}, {"solar"}),
    ({"price_min": "40000", "price_max": "100,000.00"}, {"bms"}),
    ({"price_max": "0"}, {"cathode", "neural"}),
    ({"ipc": "H"}, {"cathode", "solar", "bms"}),
    ({"ipc": "H01M"}, {"cathode", "bms"}),
    ({"ipc": "h01m10/00"}, {"cathode", "bms"}),
    ({"ipc": "H01M 4/00"}, {"cathode"}),
    ({"ipc": "G"}, {"neural"}),
    ({"q": "battery", "owner_kind": "university"}, {"bms"}),
    ({"ipc": "H01M", "fee_model": "free"}, {"cathode"}),
])
def test_each_filter_narrows_the_results(client, public, params, expected):
    response = client.get(BROWSE, params)
    assert response.status_code == 200
    assert set(shown(response)) == ids(public, *expected)


def test_the_same_filters_work_without_the_search_index(client, public, monkeypatch):
    def unavailable(query):
        raise search.SearchUnavailable("no index")

    monkeypatch.setattr(search, "search", unavailable)
    response = client.get(BROWSE, {"ipc": "H01M", "owner_kind": "university"})
    assert response.status_code == 200
    assert "Full-text search is being prepared" in response.content.decode()
    assert shown(response) == [public["bms"].pk]
    assert set(shown(client.get(BROWSE, {"q": "battery"}))) == ids(public, "cathode", "bms")
    assert set(shown(client.get(BROWSE, {"price_band": "100k_1m"}))) == ids(public, "solar")


def test_browsing_without_text_survives_an_index_failure(client, public, monkeypatch):
    monkeypatch.setattr(search, "search", lambda query: search.SearchResults(
        total=0, hits=[], error="The search index is being built; try again in a minute."))
    response = client.get(BROWSE, {"fee_model": "free"})
    assert response.status_code == 200
    assert "Full-text search is being prepared" in response.content.decode()
    assert shown(response) == [public["cathode"].pk]


# --- facet counts ----------------------------------------------------------------------------------
def test_facet_counts_are_shown_next_to_each_option(client, public):
    response = client.get(BROWSE)
    assert group(response, "fee_model") == {
        "free": (1, False), "lump_sum": (1, False), "royalty": (1, False), "entry_fee_royalty": (1, False)}
    assert group(response, "owner_kind") == {"research_institute": (2, False), "university": (2, False)}
    assert group(response, "province") == {"BJ": (2, False), "GD": (2, False)}
    assert group(response, "licence_kinds")["non_exclusive"] == (3, False)
    page = response.content.decode()
    assert re.search(r'id="f-owner_kind-university">\s*<label[^>]*>\s*<span>University</span>'
                     r'<span class="text-body-secondary facet-count">2</span>', page)
    assert "Entry fee + royalty" in page and "Guangdong" in page


def test_counts_of_a_selected_facet_still_show_the_alternatives(client, public):
    response = client.get(BROWSE, {"owner_kind": "university"})
    assert group(response, "owner_kind") == {"research_institute": (2, False), "university": (2, True)}
    assert group(response, "province") == {"GD": (2, False)}  # other facets count within the results


# --- the IPC browser -------------------------------------------------------------------------------
def browser_nodes(response) -> dict[str, tuple[str, int]]:
    return {node.code: (node.title, node.count) for node in response.context["ipc_browser"]["nodes"]}


def test_ipc_browser_walks_section_class_subclass_main_group(client, public):
    top = browser_nodes(client.get(BROWSE))
    assert top["H"] == ("Electricity", 3) and top["G"] == ("Physics", 1) and top["A"][1] == 0
    assert len(top) == 8

    response = client.get(BROWSE, {"ipc": "H"})
    assert browser_nodes(response) == {"H01": ("Basic electric elements", 3), "H02": (
        "Generation, conversion, or distribution of electric power", 1)}
    assert "Electricity" in response.content.decode()

    response = client.get(BROWSE, {"ipc": "H01"})
    nodes = browser_nodes(response)
    assert nodes["H01M"][1] == 2 and nodes["H01L"][1] == 1
    assert nodes["H01M"][0].startswith("Processes or means, e.g. batteries")

    response = client.get(BROWSE, {"ipc": "H01M"})
    nodes = browser_nodes(response)
    assert nodes == {"H01M 4/00": (nodes["H01M 4/00"][0], 1), "H01M 10/00": ("Secondary cells; Manufacture thereof", 2)}
    trail = [node.code for node in response.context["ipc_browser"]["trail"]]
    assert trail == ["H", "H01", "H01M"]

    response = client.get(BROWSE, {"ipc": "H01M 10/00"})
    assert response.context["ipc_browser"]["nodes"] == []
    page = response.content.decode()
    assert "Secondary cells; Manufacture thereof" in page
    assert set(shown(response)) == ids(public, "cathode", "bms")


def test_ipc_links_keep_the_other_filters(client, public):
    response = client.get(BROWSE, {"fee_model": "free"})
    h = [node for node in response.context["ipc_browser"]["nodes"] if node.code == "H"][0]
    assert "fee_model=free" in h.url and "ipc=H" in h.url


# --- sorting and paging ----------------------------------------------------------------------------
def test_sort_by_price_and_newest(client, public):
    asc = shown(client.get(BROWSE, {"sort": "price_asc"}))
    assert asc[-2:] == [public["bms"].pk, public["solar"].pk]
    desc = shown(client.get(BROWSE, {"sort": "price_desc"}))
    assert desc[:2] == [public["solar"].pk, public["bms"].pk]
    newest = shown(client.get(BROWSE, {"sort": "newest"}))
    assert newest == [public[name].pk for name in ("bms", "neural", "solar", "cathode")]


def test_pagination(client, public, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 3)
    first = client.get(BROWSE, {"sort": "newest"})
    second = client.get(BROWSE, {"sort": "newest", "page": "2"})
    assert len(shown(first)) == 3 and len(shown(second)) == 1
    assert set(shown(first)) | set(shown(second)) == ids(public, "cathode", "solar", "neural", "bms")
    page = first.content.decode()
    assert 'href="?sort=newest&amp;page=2"' in page
    assert "4 listings" in second.content.decode()
    beyond = client.get(BROWSE, {"sort": "newest", "page": "99"})  # past the end: the last page
    assert shown(beyond) == shown(second)


def test_browse_needs_a_bounded_number_of_queries(client, public, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get(BROWSE)
    assert len(shown(response)) == 4


# --- bad input ------------------------------------------------------------------------------------------
def test_a_query_search_cannot_understand_shows_the_friendly_message(client, public, monkeypatch):
    monkeypatch.setattr(search, "search", lambda query: search.SearchResults(
        total=0, hits=[], error="We could not understand this search: check the quotes and brackets."))
    response = client.get(BROWSE, {"q": 'title:"unbalanced'})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="search-error"' in page and "We could not understand this search" in page
    assert shown(response) == []


@pytest.mark.parametrize("q", ['"((( ]]', "*", "-"])
def test_a_query_without_searchable_words_shows_the_real_friendly_message(client, public, q):
    response = client.get(BROWSE, {"q": q})
    assert response.status_code == 200
    assert response.context["error"]
    page = response.content.decode()
    assert 'id="search-error"' in page and escape(str(response.context["error"])) in page
    assert shown(response) == [] and "No listings match" not in page


@pytest.mark.parametrize("q", ['"unbalanced', "title:(", "((( AND", "OR", "*", "H01M 10/", "\\", "[to}"])
def test_odd_queries_never_fail(client, public, q):
    response = client.get(BROWSE, {"q": q})
    assert response.status_code == 200
    error = response.context["error"]
    if error:
        assert 'id="search-error"' in response.content.decode()


def test_invalid_filters_are_reported_and_ignored(client, public):
    response = client.get(BROWSE, {"fee_model": "bogus", "page": "abc", "ipc": "ZZZ", "price_min": "-5",
                                   "owner_kind": "university"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Some filters could not be understood" in page
    assert "is not an IPC class" in page
    assert set(shown(response)) == ids(public, "neural", "bms")  # the valid filter still applies


# --- the listing page --------------------------------------------------------------------------------
def test_listing_page_explains_the_terms_in_plain_words(client, public):
    page = client.get(public["cathode"].get_absolute_url()).content.decode()
    assert "Non-exclusive licence, free of charge, in Mainland China, for 36 months, field of use: electric bicycles." in page
    assert "Open licence: any eligible enterprise may accept these standard terms at once" in page
    assert "CN 112345678 B" in page and "Lithium battery cathode material" in page
    assert "H01M 10/052" in page and "Secondary cells; Manufacture thereof — Li-accumulators" in page
    assert "Verified Battery Institute" in page and "Research institute" in page and "Beijing" in page

    assert "Lump sum ¥120,000.00" in client.get(public["solar"].get_absolute_url()).content.decode()
    assert "3.5 % royalty on net sales" in client.get(public["neural"].get_absolute_url()).content.decode()
    page = client.get(public["bms"].get_absolute_url()).content.decode()
    assert "Entry fee ¥50,000.00 plus 2.5 % royalty on net sales" in page
    assert "Non-exclusive licence, for an entry fee of ¥50,000.00 plus a royalty of 2.5 % of net sales" in page


def test_listing_page_shows_the_donation_quota(client, owner, make_org, patent_factory, listing_factory):
    from marketplace import actions as org_actions

    donor = make_org("Northern Power", kind=OrganisationKind.STATE_ENTERPRISE, owner=owner, verified=True)
    org_actions.set_demonstration(donor, actor=None, value=True, operator=True)
    listing = listing_factory(donor, [patent_factory(donor, "CN100000007A", title="Turbine blade")], publish=True,
                              donation_quota=3)
    page = client.get(listing.get_absolute_url()).content.decode()
    assert "The owner donates up to 3 free licences to eligible small and micro enterprises." in page


@pytest.mark.parametrize("name", ["draft", "unverified", "paused"])
def test_unpublished_listings_are_404_for_outsiders_but_visible_to_members(client, public, outsider, owner, name):
    listing = public[name]
    url = listing.get_absolute_url()
    assert client.get(url).status_code == 404
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    member = listing.owner.memberships.get().user
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 200
    assert "This listing is not public" in response.content.decode()


def test_views_are_counted_for_visitors_not_for_members(client, public, outsider, owner):
    listing = public["cathode"]
    client.get(listing.get_absolute_url())
    client.force_login(outsider)
    response = client.get(listing.get_absolute_url())
    assert Listing.objects.get(pk=listing.pk).view_count == 2
    assert re.search(r'id="view-count">2<', response.content.decode())
    client.force_login(owner)
    client.get(listing.get_absolute_url())
    assert Listing.objects.get(pk=listing.pk).view_count == 2


def test_similar_listings(client, public, verified_holder, patent_factory, listing_factory):
    for i in range(10):  # similarity ignores words found in more than a fifth of the listings
        listing_factory(verified_holder, [patent_factory(verified_holder, f"CN2000000{i:02d}A",
                                                         title=f"Irrigation valve model {i}",
                                                         abstract="A valve for drip irrigation of orchards.")],
                        publish=True, title=f"Irrigation valve model {i}")
    sibling = listing_factory(
        verified_holder,
        [patent_factory(verified_holder, "CN100000008A", title="Lithium battery anode material",
                        abstract="An anode for lithium-ion batteries with a long cycle life.",
                        ipc_codes=["H01M 10/052"])],
        publish=True, title="Lithium battery anode material",
    )
    response = client.get(public["cathode"].get_absolute_url())
    similar = [listing.pk for listing in response.context["similar"]]
    assert similar and similar[0] == sibling.pk
    assert public["cathode"].pk not in similar
    assert all(pk not in similar for pk in ids(public, "draft", "unverified", "paused"))
    assert reverse("listing_detail", args=[sibling.pk]) in response.content.decode()
