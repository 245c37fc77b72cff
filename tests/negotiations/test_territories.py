"""Structured licence territories: keys, overlaps, names in both languages, listing texts."""

import pytest
from django.utils import translation

from negotiations import territories


def test_every_grouping_member_is_a_known_place_and_the_memberships_are_complete():
    places = territories.places()
    for place in places.values():
        assert all(member in places for member in place.members), place.key
    assert len(places["EU"].members) == 27
    assert len(places["EPC"].members) == 39
    assert len(places["CN"].members) == 31
    assert set(places["GBA"].members) == {"CN-GD", "HK", "MO"}
    assert set(places["YRD"].members) == {"CN-SH", "CN-JS", "CN-ZJ", "CN-AH"}
    assert set(places["JJJ"].members) == {"CN-BJ", "CN-TJ", "CN-HE"}


@pytest.mark.parametrize("a, b, expected", [
    (["WORLD"], ["CN-GD"], True),
    (["TW"], ["WORLD"], True),
    (["CN"], ["CN-GD"], True),
    (["GBA"], ["HK"], True),
    (["EU"], ["FR"], True),
    (["FR"], ["DE"], False),
    (["CN"], ["HK"], False),  # mainland China does not include Hong Kong
    (["YRD"], ["GBA"], False),
    (["EPC"], ["EU"], True),
    (["WORLD"], [], False),
])
def test_overlaps(a, b, expected):
    assert territories.overlaps(a, b) is expected
    assert territories.overlaps(b, a) is expected


def test_overlap_names_the_shared_places():
    assert territories.overlap(["CN"], ["GBA"]) == ["CN-GD"]
    assert territories.overlap(["GBA"], ["WORLD"]) == ["HK", "MO", "CN-GD"]  # display order
    assert territories.overlap(["WORLD"], ["CN", "US"]) == ["CN", "US"]  # 31 provinces read as mainland China
    assert territories.overlap(["WORLD"], ["WORLD"]) == ["WORLD"]
    assert territories.overlap(["FR"], ["DE"]) == []
    with translation.override("en"):
        assert territories.display(territories.overlap(["CN"], ["GBA"])) == "Guangdong Province"


def test_expand():
    assert territories.expand(["GBA", "HK"]) == {"CN-GD", "HK", "MO"}
    assert territories.expand(["WORLD"]) == {territories.EVERYWHERE}
    assert "CN-XJ" in territories.expand(["CN"]) and "CN" not in territories.expand(["CN"])


def test_display_in_english_and_chinese():
    with translation.override("en"):
        assert territories.display(["DE", "FR"]) == "France, Germany"
        assert territories.display(["CN-GD", "HK", "WORLD"]) == "Worldwide, Hong Kong, Guangdong Province"
    with translation.override("zh-hans"):
        assert territories.display(["DE", "FR"]) == "法国、德国"
        assert territories.display(["CN-GD", "HK"]) == "中国香港、广东省"
        assert territories.display(["GBA"]) == "粤港澳大湾区"


def test_normalise_sorts_deduplicates_and_names_unknown_keys():
    assert territories.normalise(["FR", "EU", "FR", " DE "]) == ["DE", "EU", "FR"]
    with pytest.raises(ValueError) as caught:
        territories.normalise(["FR", "XX", "CN-ZZ"])
    assert "XX" in str(caught.value) and "CN-ZZ" in str(caught.value) and "FR" not in str(caught.value)


def test_choices_start_with_worldwide_and_follow_the_language():
    with translation.override("en"):
        options = territories.choices()
        assert options[0] == ("WORLD", "Worldwide")
        groups = {label: dict(items) for label, items in options[1:]}
        assert groups["Groupings"]["EU"] == "European Union"
        assert groups["Countries and regions"]["CN"] == "Mainland China"
        assert groups["Provinces of mainland China"]["CN-GD"] == "Guangdong Province"
    with translation.override("zh-hans"):
        options = territories.choices()
        assert options[0] == ("WORLD", "全球")
        assert dict(options[3][1])["CN-GD"] == "广东省"


@pytest.mark.parametrize("text, keys", [
    ("Mainland China", ["CN"]),
    ("中国大陆", ["CN"]),
    ("Worldwide", ["WORLD"]),
    ("粤港澳大湾区", ["GBA"]),
    ("European Union", ["EU"]),
    ("美国", ["US"]),
    ("United States and Canada", ["CA", "US"]),
    ("Mainland China, Hong Kong and Macao", ["CN", "HK", "MO"]),
    ("Guangdong", ["CN-GD"]),
    ("China", ["CN"]),  # a Chinese patent covers the mainland
    ("Greater China", ["CN", "HK", "MO", "TW"]),
    ("Southeast Asia", ["ASEAN"]),
    ("Zone 7 of our plant", []),
    ("France and Atlantis", []),
    ("", []),
])
def test_from_listing_text(text, keys):
    assert territories.from_listing_text(text) == keys
