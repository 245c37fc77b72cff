"""``/listings/ipc/search.json``: IPC codes by code prefix or title words, bounded, public."""

import pytest
from django.urls import reverse

from listings import ipc, ipc_search


def _codes(client, q):
    response = client.get(reverse("ipc_search"), {"q": q})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    return [r["code"] for r in data["results"]], data


@pytest.mark.django_db
@pytest.mark.parametrize("query, first", [
    ("H01M", "H01M"),
    ("h01m 10", "H01M 10/00"),
    ("H01M10/05", "H01M 10/05"),
    ("H01M 10/052", "H01M 10/052"),
])
def test_a_code_prefix_lists_codes_from_it_in_scheme_order(client, query, first):
    codes, data = _codes(client, query)
    assert codes[0] == first and len(codes) <= ipc_search.MAX_RESULTS
    prefix = query.upper().replace(" ", "")
    assert all(code.replace(" ", "").startswith(prefix) for code in codes)


@pytest.mark.django_db
def test_title_words_find_codes_broader_first(client):
    codes, data = _codes(client, "battery")
    assert "H01M" in codes  # "PROCESSES OR MEANS, e.g. BATTERIES, ..."
    assert data["more"] is True and len(codes) == ipc_search.MAX_RESULTS
    codes, _ = _codes(client, "lithium battery")
    assert codes and all(code.startswith("H01M") for code in codes)
    [hit] = [r for r in _codes(client, "H01M")[1]["results"] if r["code"] == "H01M"]
    assert "batteries" in hit["title"].lower() and hit["level"] == "subclass"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", " ", "x", "zzzzqqq", "电池", "%" * 500])  # 电池: no patents yet
def test_nothing_or_junk_gives_an_empty_answer(client, query):
    codes, data = _codes(client, query)
    assert codes == [] and data["more"] is False


@pytest.mark.django_db
def test_the_listing_form_wires_the_ipc_field_to_the_endpoint(client, owner, verified_holder):
    client.force_login(owner)
    html = client.get(reverse("owner_listing_create", args=[verified_holder.slug])).content.decode()
    assert f'data-ipc-search="{reverse("ipc_search")}"' in html and "js/ipc_picker.js" in html


@pytest.mark.django_db
def test_chinese_words_give_the_codes_of_published_patents_with_them(client, verified_holder, patent_factory,
                                                                     listing_factory):
    published = patent_factory(verified_holder, "CN112345678B", title="一种锂電池正极材料",  # mixed scripts
                               ipc_codes=["H01M 4/58", "H01M 10/0525"])
    draft = patent_factory(verified_holder, "CN112345679B", title="电池隔膜", ipc_codes=["C08J 5/18"])
    listing_factory(verified_holder, [published], publish=True)
    listing_factory(verified_holder, [draft])
    codes, _data = _codes(client, "电池")
    assert codes[0] == "H01M" and {"H01M 4/00", "H01M 10/00"} <= set(codes)
    assert not any(code.startswith("C08J") for code in codes)  # a draft's codes are not shown


@pytest.mark.django_db
def test_titles_in_the_readers_language(client):
    """In Chinese the picker showed "H01 — Basic electric elements" though classes have Chinese titles; WIPO's
    English (subclasses and below) is marked as such, as on listing pages."""
    client.cookies["django_language"] = "zh-hans"
    results = {r["code"]: r for r in client.get(reverse("ipc_search"), {"q": "H01"}).json()["results"]}
    assert results["H01"]["title"] == ipc.zh_title("H01") and results["H01"]["title"] != "Basic electric elements"
    assert results["H01"]["lang"] == "zh-Hans" and results["H01"]["note"] == ""
    subclass = client.get(reverse("ipc_search"), {"q": "H01M"}).json()["results"][0]
    assert subclass["code"] == "H01M" and subclass["lang"] == "en" and subclass["note"] == "（英文）"
    client.cookies["django_language"] = "en"
    results = {r["code"]: r for r in client.get(reverse("ipc_search"), {"q": "H01"}).json()["results"]}
    assert results["H01"]["title"] == "Basic electric elements" and results["H01B"]["note"] == ""
