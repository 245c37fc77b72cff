"""The listing form's patent picker (``listings.patent_picker``): the search endpoint, the typed-numbers path
that works without JavaScript, and a form page that no longer lists the whole portfolio."""

import pytest
from django.urls import reverse

from listings import actions, patent_picker
from listings.models import Listing
from tests.listings.test_owner import listing_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(verified_holder, patent_factory):
    return {
        "cathode": patent_factory(verified_holder, "CN112345678B", title="Lithium battery cathode",
                                  ipc_codes=["H01M 10/052"]),
        "brace": patent_factory(verified_holder, "CN112345679B", title="Joint brace for knees",
                                ipc_codes=["A61F 5/01"]),
        "taiwan": patent_factory(verified_holder, "TW201234567A", title="廢鋰鐵電池正極材料資源回收方法",
                                 ipc_codes=["H01M 10/54"], language="zh-Hant"),
        "us": patent_factory(verified_holder, "US8088512B2", title="Self organizing battery structure method",
                             ipc_codes=["H01M 10/02"]),
    }


def _search(client, org, q):
    response = client.get(reverse("owner_patent_search", args=[org.slug]), {"q": q})
    assert response.status_code == 200, response.content
    data = response.json()
    return [r["number"] for r in data["results"]], data


@pytest.mark.parametrize("query, expected", [
    ("battery", ["US 8088512 B2", "CN 112345678 B"]),
    ("lithium cathode", ["CN 112345678 B"]),
    ("电池", ["TW 201234567 A"]),  # Simplified characters find a Traditional title
    ("H01M", ["US 8088512 B2", "TW 201234567 A", "CN 112345678 B"]),
    ("A61F", ["CN 112345679 B"]),
    ("US 8,088,512", ["US 8088512 B2"]),
    ("8088512", ["US 8088512 B2"]),
    ("ZL201010110545", []),
])
def test_search_finds_the_organisations_patents(client, owner, verified_holder, portfolio, query, expected):
    client.force_login(owner)
    found, _data = _search(client, verified_holder, query)
    assert sorted(found) == sorted(expected)


@pytest.mark.parametrize("query", ["h01m10", "H01M10/", "h01m 10"])
def test_an_ipc_code_is_read_as_the_ipc_picker_reads_it(client, owner, verified_holder, portfolio, query):
    """Written without the space (or in lower case), a main group still finds its patents."""
    client.force_login(owner)
    found, _data = _search(client, verified_holder, query)
    assert sorted(found) == ["CN 112345678 B", "TW 201234567 A", "US 8088512 B2"]


def test_an_exact_number_comes_first_with_its_fields(client, owner, verified_holder, portfolio):
    client.force_login(owner)
    found, data = _search(client, verified_holder, "CN 112345678 B")
    assert found[0] == "CN 112345678 B"
    assert data["results"][0] == {"id": portfolio["cathode"].pk, "number": "CN 112345678 B",
                                  "title": "Lithium battery cathode", "ipc": ["H01M 10/052"], "alive": True}


def test_results_are_bounded(client, owner, verified_holder, patent_factory):
    for i in range(patent_picker.MAX_RESULTS + 5):
        patent_factory(verified_holder, f"CN1123456{i:02d}A", title=f"Battery module {i}")
    client.force_login(owner)
    found, data = _search(client, verified_holder, "battery")
    assert len(found) == patent_picker.MAX_RESULTS and data["more"] is True
    found, data = _search(client, verified_holder, "")
    assert found == [] and data["more"] is False


def test_only_members_may_search_and_never_see_other_patents(client, owner, verified_holder, portfolio,
                                                             make_user, make_org, patent_factory, staff):
    rival_owner = make_user("rival@example.com")
    rival = make_org("Rival Institute", owner=rival_owner, verified=True)
    patent_factory(rival, "CN999999999B", title="Rival battery", actor=rival_owner)
    url = reverse("owner_patent_search", args=[verified_holder.slug])

    response = client.get(url, {"q": "battery"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for outsider in (rival_owner, staff):
        client.force_login(outsider)
        assert client.get(url, {"q": "battery"}).status_code == 404
    client.force_login(owner)
    found, _data = _search(client, verified_holder, "battery")
    assert "CN 999999999 B" not in found


# --- without JavaScript -----------------------------------------------------------------------------
def test_the_form_page_lists_only_chosen_patents_never_the_portfolio(client, owner, verified_holder, portfolio):
    client.force_login(owner)
    html = client.get(reverse("owner_listing_create", args=[verified_holder.slug])).content.decode()
    assert "<option value=\"%d\"" % portfolio["cathode"].pk not in html
    assert "Lithium battery cathode" not in html
    assert 'name="add_patents"' in html and 'id="patent-picker"' in html

    listing = actions.create_listing(verified_holder, actor=owner, patents=[portfolio["brace"]])
    html = client.get(reverse("owner_listing_edit", args=[verified_holder.slug, listing.pk])).content.decode()
    assert f'name="patents" value="{portfolio["brace"].pk}"' in html and "Joint brace for knees" in html
    assert "Lithium battery cathode" not in html


def test_typed_numbers_make_the_listing(client, owner, verified_holder, portfolio):
    client.force_login(owner)
    url = reverse("owner_listing_create", args=[verified_holder.slug])
    response = client.post(url, listing_post(add_patents="CN 112345678 B\nus 8,088,512 b2; CN112345678B",
                                             title="Battery bundle"))
    assert response.status_code == 302, response.content.decode()[:2000]
    listing = Listing.objects.get(title="Battery bundle")
    assert set(listing.patents.all()) == {portfolio["cathode"], portfolio["us"]}


def test_typed_numbers_are_read_as_the_search_box_reads_them(client, owner, verified_holder, patent_factory):
    """An application number without its check digit names the stored one, as on /listings/ and in the API."""
    application = patent_factory(verified_holder, "CN201810793986.0", title="Cathode slurry mixer")
    client.force_login(owner)
    url = reverse("owner_listing_create", args=[verified_holder.slug])
    response = client.post(url, listing_post(add_patents="CN 201810793986", title="Mixer"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(Listing.objects.get(title="Mixer").patents.all()) == [application]


def test_a_posted_patent_id_that_is_no_number_is_a_form_error_not_a_crash(client, owner, verified_holder, portfolio):
    client.force_login(owner)
    url = reverse("owner_listing_create", args=[verified_holder.slug])
    response = client.post(url, listing_post(patents=["²"], title="Odd"))  # "²".isdigit() is true, int("²") fails
    assert response.status_code == 200
    assert not Listing.objects.filter(title="Odd").exists()


def test_typed_and_ticked_patents_are_combined(client, owner, verified_holder, portfolio):
    client.force_login(owner)
    url = reverse("owner_listing_create", args=[verified_holder.slug])
    client.post(url, listing_post(patents=[portfolio["brace"].pk], add_patents="CN112345678B", title="Both"))
    assert set(Listing.objects.get(title="Both").patents.all()) == {portfolio["brace"], portfolio["cathode"]}


def test_unknown_or_foreign_numbers_are_refused_with_the_numbers_named(client, owner, verified_holder, portfolio,
                                                                      make_user, make_org, patent_factory):
    rival_owner = make_user("rival@example.com")
    rival = make_org("Rival Institute", owner=rival_owner, verified=True)
    patent_factory(rival, "CN999999999B", title="Rival battery", actor=rival_owner)
    client.force_login(owner)
    url = reverse("owner_listing_create", args=[verified_holder.slug])
    response = client.post(url, listing_post(add_patents="CN112345678B\nCN 999999999 B\nnot a number",
                                             title="Refused"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Not among your organisation’s patents: CN 999999999 B; not a number." in html
    assert "CN112345678B" in html  # what was typed stays in the field
    assert not Listing.objects.filter(title="Refused").exists()
