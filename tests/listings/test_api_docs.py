"""The API reference page renders its Markdown and is available in English and Simplified Chinese."""

import re

import pytest
from django.core.cache import cache

from listings import api, api_docs, minimarkdown


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    api_docs._schema.cache_clear()
    yield
    cache.clear()


def docs(client, language):
    response = client.get("/api/docs/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<main") if "<main" in html else 0:]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_docs_page_shows_rendered_markdown_not_raw(client, language):
    html = docs(client, language)
    assert re.search(r"<h2[ >]", html) and "<code>" in html and "<ul>" in html and "<strong>400</strong>" in html
    assert "<code>lump_sum</code>" in html  # the enum lists spectacular writes in Markdown
    assert "`" not in html
    assert "##" not in html
    assert not re.search(r"^\s*\* ", html, re.MULTILINE)


@pytest.mark.django_db
def test_docs_page_is_in_simplified_chinese(client):
    html = docs(client, "zh-hans")
    for chinese in ("概述", "分页", "错误", "可浏览的挂牌", "按号码查找可许可的专利", "参数", "类型", "最小值", "对象"):
        assert chinese in html, chinese
    for english in ("Overview", "Browsable listings", "A patent on offer, by its number", ">Parameter<",
                    "Lists are paginated", "minimum:"):
        assert english not in html, english


@pytest.mark.django_db
def test_docs_page_documents_the_error_answers_and_bounds(client):
    html = docs(client, "en")
    assert "<code>400</code>" in html and "<code>404</code>" in html
    assert "maximum: <code>100</code>" in html


def test_docs_page_size_figures_match_the_api():
    assert api_docs.MAX_PAGE_SIZE == api.Pagination.max_page_size
    assert api_docs.DEFAULT_PAGE_SIZE == api.Pagination.page_size


def test_markdown_is_escaped_before_it_is_rendered():
    html = minimarkdown.render("## Title <script>\n\nUse `<b>` and **bold** [home](/) [x](javascript:alert(1))\n\n* one\n* two")
    assert "<h2>Title &lt;script&gt;</h2>" in html
    assert "<code>&lt;b&gt;</code>" in html and "<strong>bold</strong>" in html and '<a href="/">home</a>' in html
    assert 'href="javascript' not in html
    assert "<ul><li>one</li><li>two</li></ul>" in html


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    """Every app's endpoints in one schema without drf-spectacular warnings (`check --deploy` fails on them):
    choice sets shared by several fields have one name (``SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]``)."""
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text(encoding="utf-8")
    assert "/api/v1/deals/" in schema and "DealStateEnum" in schema and "State706Enum" not in schema
