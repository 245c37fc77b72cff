"""In 简体中文, IPC sections and classes have Chinese titles (data: listings/data/ipc_titles_zh.csv), finer
levels keep WIPO's English marked as English, and licence territories are named in the reader's language."""

from __future__ import annotations

import csv
import gzip
import io
import re

import pytest
from django.utils import translation

from listings import ipc, territories

BROWSE = "/listings/"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _scheme_codes(*levels):
    with gzip.open(ipc.SCHEME_FILE, "rb") as raw:
        return [row["code"] for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))
                if row["level"] in levels]


def test_every_section_and_class_of_the_scheme_has_a_chinese_title():
    codes = _scheme_codes(ipc.SECTION, ipc.CLASS)
    assert len(codes) == 139 and len([c for c in codes if len(c) == 1]) == 8
    missing = [code for code in codes if not CJK.search(ipc.zh_title(code))]
    assert missing == []
    assert ipc.zh_title("A") == "人类生活必需" and ipc.zh_title("H01") == "基本电气元件"
    assert ipc.zh_title("H01M") == ""  # subclasses stay English


def test_local_title_follows_the_active_language():
    with translation.override("zh-hans"):
        assert ipc.local_title("H") == "电学" and ipc.local_title("H").lang == "zh-Hans"
        sub = ipc.local_title("H01M")
        assert sub.lang == "en" and sub.startswith("Processes or means")
    with translation.override("en"):
        assert ipc.local_title("H") == "Electricity" and ipc.local_title("H").lang == "en"


@pytest.fixture
def battery_listing(verified_holder, patent_factory, listing_factory):
    patent = patent_factory(verified_holder, "US8088512B2", title="Lithium battery cathode material",
                            abstract="A cathode for lithium-ion batteries.", ipc_codes=["H01M 10/052"])
    return listing_factory(verified_holder, [patent], publish=True, title="Lithium battery cathode material",
                           territory="United States", fee_model="free")


def test_browse_in_chinese_shows_chinese_sections_and_classes_and_marks_english_subclasses(client, battery_listing):
    client.cookies["django_language"] = "zh-hans"
    page = client.get(BROWSE).content.decode()
    assert "电学" in page and "人类生活必需" in page
    assert "Electricity" not in page and "Human necessities" not in page
    page = client.get(BROWSE, {"ipc": "H01"}).content.decode()
    assert "基本电气元件" in page and "Basic electric elements" not in page
    # the subclass below is WIPO's English, marked as such
    assert re.search(r'<span lang="en">Processes or means[^<]*</span> <small[^>]*>（英文）</small>', page)


def test_browse_in_english_is_unchanged(client, battery_listing):
    page = client.get(BROWSE, {"ipc": "H01"}).content.decode()
    assert "Basic electric elements" in page and "Processes or means" in page
    assert 'lang="en">Processes' not in page and "(in English)" not in page


def test_listing_page_names_the_territory_and_classes_in_the_readers_language(client, battery_listing):
    client.cookies["django_language"] = "zh-hans"
    page = client.get(battery_listing.get_absolute_url()).content.decode()
    assert "许可地域：美国" in page and "United States" not in page
    assert '<span lang="en">Secondary cells' in page  # the subgroup's English title, marked
    client.cookies["django_language"] = "en"
    page = client.get(battery_listing.get_absolute_url()).content.decode()
    assert "in United States" in page


@pytest.mark.parametrize("typed, english, chinese", [
    ("United States", "United States", "美国"),
    ("USA", "United States", "美国"),
    ("mainland china", "Mainland China", "中国大陆"),
    ("美国和加拿大", "United States and Canada", "美国和加拿大"),
    ("Mainland China, Hong Kong and Macao", "Mainland China, Hong Kong and Macao", "中国大陆、香港和澳门"),
    ("Japan, South Korea and Singapore", "Japan, South Korea and Singapore", "日本、韩国和新加坡"),
    ("EPC member states", "EPC member states", "欧洲专利组织成员国"),
    ("Worldwide", "Worldwide", "全球"),
    ("Our two plants in Ningbo", "Our two plants in Ningbo", "Our two plants in Ningbo"),  # the owner's words
])
def test_territories_are_shown_in_the_readers_language(typed, english, chinese):
    with translation.override("en"):
        assert territories.display(typed) == english
    with translation.override("zh-hans"):
        assert territories.display(typed) == chinese


def test_every_demo_territory_has_both_names():
    from listings import demo

    names = {name for table in (*demo.TERRITORIES.values(), *demo.OFFICE_TERRITORIES.values()) for name, _w in table}
    assert names and all(territories.names(name) for name in names), [n for n in names if not territories.names(n)]
