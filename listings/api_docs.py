"""The API reference page (``/api/docs/``): generated from the OpenAPI schema, in the reader's
language, with the descriptions' Markdown rendered (``listings.minimarkdown``). No JavaScript and
nothing from a CDN."""

from __future__ import annotations

import functools

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from listings import minimarkdown

# Strings of Django REST framework that its own catalogue leaves in English (see locale/).
gettext_noop("unique integer value")
gettext_noop("A {value_type} identifying this {name}.")

MAX_PAGE_SIZE = 100  # listings.api.Pagination.max_page_size (checked by a test)
DEFAULT_PAGE_SIZE = 20

INTRODUCTION = gettext_lazy(
    "## Overview\n"
    "\n"
    "Public, read-only JSON for the published listings of verified owners and the patents they offer. "
    "Money is in integer minor units (fen, cents) with a currency code; royalty rates are basis points "
    "(350 = 3.5 %%).\n"
    "\n"
    "## Pagination\n"
    "\n"
    "Lists are paginated with `page` (from 1) and `page_size` (from 1 to %(max)s, default %(default)s). "
    "An answer holds `count`, `next`, `previous` and `results`.\n"
    "\n"
    "## Errors\n"
    "\n"
    "* **400**: a parameter is invalid, or given without a value (leave it out instead); the body is "
    "`{\"detail\": \"…\", \"errors\": {\"parameter\": [\"…\"]}}`.\n"
    "* **404**: not found, not browsable, or a page beyond the last; the body is `{\"detail\": \"…\"}`.\n"
    "* **429**: too many requests; wait for the seconds in the `Retry-After` header.\n"
    "* **503**: full-text search (`q`) is unavailable for a moment; try again later or without `q`.\n"
    "\n"
    "Messages follow the `Accept-Language` header: English (`en`) or Simplified Chinese (`zh-hans`)."
)

# Endpoints of higher apps (a deal room's parties) say in their own descriptions who may call them.
ACCESS = gettext_lazy(
    "## Access\n"
    "\n"
    "Listings and patents are public. Endpoints about an organisation's own business (such as its deals) "
    "answer only a signed-in member of that organisation, through the site's session; for anyone else the "
    "item does not exist (404) and lists are empty of it."
)


@functools.lru_cache(maxsize=8)
def _schema(language: str) -> dict:
    """The OpenAPI schema, generated once per language (the descriptions are translatable)."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _type_of(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema:
        return " & ".join(_type_of(s) for s in schema["allOf"])
    if "oneOf" in schema:
        return " | ".join(_type_of(s) for s in schema["oneOf"])
    kind = schema.get("type", "")
    if kind == "array":
        kind = _("array of %(type)s") % {"type": _type_of(schema.get("items", {}))}
    elif schema.get("format"):
        kind = f"{kind} ({schema['format']})"
    return _("%(type)s, nullable") % {"type": kind} if schema.get("nullable") else kind


def _constraints(schema: dict) -> list[tuple[str, str]]:
    labels = {"minimum": _("minimum"), "maximum": _("maximum"), "maxLength": _("at most characters"),
              "pattern": _("pattern"), "default": _("default")}
    return [(labels[key], str(schema[key])) for key in labels if key in schema]


def _operations(schema: dict) -> list[dict]:
    operations = []
    for route, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            parameters = []
            for p in op.get("parameters", []):
                p_schema = p.get("schema", {})
                parameters.append({
                    "name": p["name"], "in": p["in"], "type": _type_of(p_schema),
                    "description": minimarkdown.render(p.get("description", "")),
                    "constraints": _constraints(p_schema),
                })
            responses = [{"code": code, "description": minimarkdown.render(str(answer.get("description", "")))}
                         for code, answer in op.get("responses", {}).items()]
            operations.append({
                "method": method.upper(), "path": route, "summary": op.get("summary", ""),
                "description": minimarkdown.render(op.get("description", ""), heading_offset=2),
                "parameters": parameters, "responses": responses,
            })
    return operations


def _components(schema: dict) -> list[dict]:
    return [
        {"name": name, "fields": [{"name": field, "type": _type_of(spec),
                                   "description": minimarkdown.render(spec.get("description", ""))}
                                  for field, spec in body.get("properties", {}).items()]}
        for name, body in schema.get("components", {}).get("schemas", {}).items()
        if body.get("properties")
    ]


def api_docs(request):
    """A readable reference generated from the OpenAPI schema, styled like the site."""
    schema = _schema(get_language() or "")
    introduction = str(INTRODUCTION) % {"max": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE} + "\n\n" + str(ACCESS)
    return render(request, "listings/api_docs.html", {
        "version": schema.get("info", {}).get("version", ""),
        "introduction": minimarkdown.render(introduction),
        "operations": _operations(schema),
        "components": _components(schema),
        "schema_url": reverse("api-schema"),
        "root_url": reverse("api-root"),
    })
