"""The read API's contract: the OpenAPI schema documents errors and parameter bounds, and the API
enforces them (empty or invalid parameters are 400 with a message naming the parameter)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.core.cache import cache
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator

from listings import api

LISTINGS = "/api/v1/listings/"
PATENTS = "/api/v1/patents/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def schema():
    with translation.override("en"):
        return SchemaGenerator().get_schema(request=None, public=True)


def parameter(schema, path, name):
    return next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name)


def resolve(schema, ref_or_schema):
    ref = ref_or_schema.get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else ref_or_schema


# --- schema ------------------------------------------------------------------------------
def test_every_operation_documents_404_and_429_with_an_error_body(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code in ("404", "429"):
                response = operation["responses"].get(code)
                assert response, f"{method} {path} documents no {code}"
                body = resolve(schema, response["content"]["application/json"]["schema"])
                assert body["properties"]["detail"]["type"] == "string"


@pytest.mark.parametrize("path", [LISTINGS, PATENTS])
def test_lists_document_400_with_the_errors_by_parameter(schema, path):
    response = schema["paths"][path]["get"]["responses"]["400"]
    body = resolve(schema, response["content"]["application/json"]["schema"])
    assert set(body["required"]) == {"detail", "errors"}
    assert body["properties"]["errors"]["additionalProperties"]["items"]["type"] == "string"
    assert response["description"]


def test_bounds_are_documented(schema):
    assert parameter(schema, LISTINGS, "price_min")["schema"]["minimum"] == 0
    assert parameter(schema, LISTINGS, "price_max")["schema"]["minimum"] == 0
    for path in (LISTINGS, PATENTS):
        page_size = parameter(schema, path, "page_size")["schema"]
        assert (page_size["minimum"], page_size["maximum"]) == (1, api.Pagination.max_page_size)
        assert parameter(schema, path, "page")["schema"]["minimum"] == 1
        assert parameter(schema, path, "q")["schema"]["maxLength"] == api.MAX_QUERY_LENGTH


@pytest.mark.parametrize("value", ["H", "h01", "H01M", "h01m", "H01M10", "H01M 10/00", "H01M 10 / 000", "Y02E",
                                   "G06F 3", "nope", "H01M 10/052", "H01M10/52", "I01", "H0", "H01MM", ""])
def test_the_ipc_pattern_accepts_exactly_what_the_filter_accepts(schema, value):
    pattern = parameter(schema, LISTINGS, "ipc")["schema"]["pattern"]
    assert parameter(schema, PATENTS, "ipc")["schema"]["pattern"] == pattern
    try:
        api.parse_ipc_prefix(value)
        accepted = True
    except forms.ValidationError:
        accepted = False
    assert bool(re.match(pattern, value)) == accepted


def test_the_schema_endpoint_serves_the_same_contract(client):
    data = client.get("/api/schema/", {"format": "json"}).json()
    assert "400" in data["paths"][LISTINGS]["get"]["responses"]
    assert "pattern" in next(p for p in data["paths"][LISTINGS]["get"]["parameters"] if p["name"] == "ipc")["schema"]


# --- behaviour ---------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("path, params, name", [
    (PATENTS, {"legal_status": ""}, "legal_status"),
    (PATENTS, {"legal_status": " "}, "legal_status"),
    (PATENTS, {"office": ""}, "office"),
    (PATENTS, {"ipc": ""}, "ipc"),
    (LISTINGS, {"fee_model": ""}, "fee_model"),
    (LISTINGS, {"open_licence": ""}, "open_licence"),
    (LISTINGS, {"ordering": ""}, "ordering"),
    (LISTINGS, {"price_min": ""}, "price_min"),
    (LISTINGS, {"price_min": "-1"}, "price_min"),
    (LISTINGS, {"page_size": "null"}, "page_size"),
    (LISTINGS, {"page_size": ""}, "page_size"),
    (LISTINGS, {"page_size": "0"}, "page_size"),
    (LISTINGS, {"page_size": "101"}, "page_size"),
    (LISTINGS, {"page_size": "2.5"}, "page_size"),
    (LISTINGS, {"page_size": "²"}, "page_size"),  # str.isdigit() is true for it, int() fails: was a 500
    (LISTINGS, {"page_size": "١٠"}, "page_size"),  # Arabic-Indic digits
    (PATENTS, {"page_size": "null"}, "page_size"),
    (LISTINGS, {"q": "battery", "page_size": "null"}, "page_size"),
    (LISTINGS, {"q": "battery", "licence_kind": ""}, "licence_kind"),
])
def test_empty_or_invalid_parameters_are_400_naming_the_parameter(client, path, params, name):
    response = client.get(path, params)
    assert response.status_code == 400
    body = response.json()
    assert f"“{name}”" in body["detail"] and list(body["errors"]) == [name]


@pytest.mark.django_db
def test_the_message_is_clear_and_translated(client):
    body = client.get(PATENTS, {"legal_status": ""}).json()
    assert body["errors"]["legal_status"] == ["is empty: give a value or leave the parameter out."]
    body = client.get(PATENTS, {"page_size": "null"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert "1" in body["detail"] and "100" in body["detail"] and "null" in body["detail"]
    assert re.search(r"[\u4e00-\u9fff]", body["errors"]["page_size"][0])


@pytest.mark.django_db
@pytest.mark.parametrize("path, params", [
    (LISTINGS, {"q": ""}), (LISTINGS, {"page_size": "1"}), (LISTINGS, {"page_size": "100"}),
    (PATENTS, {"legal_status": "granted,pending"}), (LISTINGS, {"price_min": "0"}),
])
def test_valid_parameters_still_work(client, path, params):
    assert client.get(path, params).status_code == 200
