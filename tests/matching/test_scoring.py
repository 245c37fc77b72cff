"""``matching.scoring``: reasons, ranking, exclusions and key-term selection, over the real search index."""

from __future__ import annotations

import pytest
from django.utils import timezone

from listings import actions as listing_actions
from matching import actions, scoring
from matching.models import Suggestion, SuggestionStatus

pytestmark = pytest.mark.django_db

QUERY = "lithium cathode coating"


def by_id(matches):
    return {m.listing_id: m for m in matches}


def test_ipc_proximity_levels_and_keywords_in_reasons(catalogue):
    matches = by_id(scoring.match_text(QUERY, ipc=["H01M10/052"]))
    cathode, electrolyte, separator = (matches[catalogue[k].pk] for k in ("cathode", "electrolyte", "separator"))
    assert "shares IPC H01M 10/052" in cathode.reasons
    assert "same IPC main group H01M 10/00" in electrolyte.reasons
    assert "same IPC subclass H01M" in separator.reasons
    keywords = next(r for r in cathode.reasons if r.startswith("matches: "))
    assert set(keywords.removeprefix("matches: ").split(", ")) == {"lithium", "cathode", "coating"}
    assert cathode.patent == "CN 100000001 B"
    assert cathode.score > electrolyte.score > 0
    assert catalogue["tea"].pk not in matches  # nothing in common


def test_ipc_class_level_and_ipc_only_need(catalogue):
    matches = by_id(scoring.match_text("ceramic separator", ipc=["H01B"]))
    assert "same IPC class H01" in matches[catalogue["separator"].pk].reasons
    # a need with codes and no words still finds the listings of that subclass
    assert set(by_id(scoring.match_text("", ipc=["H01M"]))) == {
        catalogue[k].pk for k in ("cathode", "electrolyte", "separator")}


def test_budget_free_licence_kind_province_reasons(catalogue, publish):
    donated = publish("Lithium battery recycling process", fee_model="lump_sum", lump_sum_minor=5_000_000,
                      donation_quota=3, offers_exclusive=True)
    matches = by_id(scoring.match_text("lithium battery", budget_minor=3_000_000, licence_kinds=["exclusive"],
                                       province="GD"))
    cathode, electrolyte = matches[catalogue["cathode"].pk], matches[catalogue["electrolyte"].pk]
    assert "free licence" in cathode.reasons
    assert "owner in Guangdong" in cathode.reasons
    assert "within your budget" in electrolyte.reasons  # 20,000.00 ≤ 30,000.00
    assert "owner in Guangdong" not in electrolyte.reasons  # Beijing
    assert "within your budget" not in matches[donated.pk].reasons  # 50,000.00 > 30,000.00
    assert "3 licences donated free to small and micro enterprises" in matches[donated.pk].reasons
    assert "offers an exclusive licence" in matches[donated.pk].reasons
    assert "offers an exclusive licence" not in cathode.reasons
    # the structured form renders to the same strings
    assert scoring.render_reasons(cathode.reason_codes) == cathode.reasons


def test_free_only_keeps_free_and_donated_listings(catalogue, publish):
    donated = publish("Lithium battery recycling process", fee_model="lump_sum", lump_sum_minor=5_000_000,
                      donation_quota=1)
    found = {m.listing_id for m in scoring.match_text("lithium battery separator", free_only=True)}
    assert found == {catalogue["cathode"].pk, donated.pk}


def test_subgroup_and_keywords_outrank_unrelated(catalogue):
    matches = scoring.match_text("lithium cathode coating machine", ipc=["H01M 10/052"], limit=10)
    ranked = [m.listing_id for m in matches]
    assert ranked[0] == catalogue["cathode"].pk
    assert ranked.index(catalogue["cathode"].pk) < ranked.index(catalogue["tea"].pk)  # tea shares "machine"
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_limit(catalogue):
    assert len(scoring.match_text("lithium", ipc=["H01M"], limit=2)) == 2


@pytest.mark.parametrize("change", ["pause", "withdraw", "expire", "draft"])
def test_only_browsable_listings(catalogue, publish, owner, django_capture_on_commit_callbacks, change):
    if change == "draft":
        target = publish("Lithium cathode coating draft", ipc_codes=["H01M 10/052"], publish=False)
    else:
        target = catalogue["cathode"]
        with django_capture_on_commit_callbacks(execute=True):
            if change == "pause":
                listing_actions.pause_listing(target, actor=owner)
            elif change == "withdraw":
                listing_actions.withdraw_listing(target, actor=owner)
            else:
                listing_actions.expire_listing(target)
    found = {m.listing_id for m in scoring.match_text(QUERY, ipc=["H01M 10/052"])}
    assert target.pk not in found
    assert catalogue["electrolyte"].pk in found


def test_stale_index_entry_is_still_filtered(catalogue, owner):
    """Even when the index lags behind the database, a paused listing is not suggested."""
    listing_actions.pause_listing(catalogue["cathode"], actor=owner)  # on-commit index task not run
    assert catalogue["cathode"].pk not in {m.listing_id for m in scoring.match_text(QUERY)}


def test_own_organisation_and_excluded_ids(catalogue, holder):
    found = {m.listing_id for m in scoring.match_text(QUERY, ipc=["H01M"], exclude_owner=holder)}
    assert found == {catalogue["electrolyte"].pk}
    found = {m.listing_id for m in scoring.match_text(QUERY, ipc=["H01M"],
                                                       exclude_listing_ids=[catalogue["cathode"].pk])}
    assert catalogue["cathode"].pk not in found and catalogue["separator"].pk in found


def test_dismissed_suggestions_never_come_back(catalogue, sme, sme_user):
    need = actions.create_need(sme, actor=sme_user, title="Cathode coating", description="lithium cathode",
                               ipc_codes=["H01M 10/052"])
    created = actions.record_suggestions(need)
    assert {s.listing_id for s in created} >= {catalogue["cathode"].pk, catalogue["electrolyte"].pk}
    cathode = Suggestion.objects.get(need=need, listing=catalogue["cathode"])
    actions.dismiss_suggestion(cathode, actor=sme_user)
    assert catalogue["cathode"].pk not in {m.listing_id for m in scoring.match_need(need)}
    assert actions.record_suggestions(need) == []  # nothing new; the dismissed one stays dismissed
    cathode.refresh_from_db()
    assert cathode.status == SuggestionStatus.DISMISSED
    need.refresh_from_db()
    assert need.last_matched_at is not None


def test_match_need_uses_its_preferences(catalogue, sme, sme_user):
    need = actions.create_need(sme, actor=sme_user, title="Lithium battery parts", keywords="lithium separator",
                               free_or_donated_only=True, province="GD")
    matches = scoring.match_need(need)
    assert [m.listing_id for m in matches] == [catalogue["cathode"].pk]
    assert "owner in Guangdong" in matches[0].reasons


def test_long_text_is_reduced_to_key_terms(catalogue):
    text = " ".join(["lithium cathode coating separator electrolyte ceramic membrane machine tea leaves",
                     "rolling pressure carbon particles phosphate iron sulfide ionic conductivity metal",
                     "temperature polyolefin shrinking rate capability green adjustable battery"] * 3)
    terms = scoring.key_terms(text)
    assert 0 < len(terms) <= scoring.KEY_TERMS
    assert all(weight > 0 for _t, _w, weight in terms)
    assert scoring.match_text(text)  # OR semantics: still finds listings


def test_freshness_breaks_ties(publish):
    old = publish("Graphene heat spreader film")
    new = publish("Graphene heat spreader film")
    from listings.models import Listing

    Listing.objects.filter(pk=old.pk).update(published_at=timezone.now() - timezone.timedelta(days=400))
    ranked = [m.listing_id for m in scoring.match_text("graphene heat spreader")]
    assert ranked == [new.pk, old.pk]


def test_no_index_or_no_words(db):
    assert scoring.match_text("lithium") == []  # no index built yet
    assert scoring.match_text("   ") == []


def test_chinese_need_matches_chinese_listing(publish, catalogue):
    zh = publish("锂离子电池正极材料", abstract="一种用于锂离子电池的高镍正极材料及其制备方法。",
                 ipc_codes=["H01M 4/525"], language="zh-Hans")
    matches = scoring.match_text("我们需要锂电池正极材料的制备技术")
    assert matches and matches[0].listing_id == zh.pk
    assert any(r.startswith("matches: ") and "正极" in r for r in matches[0].reasons)


def test_one_title_hit_does_not_beat_the_needs_main_terms(publish):
    """Raw BM25 sums would rank a title hit (×3) on one word above a body match of two key terms."""
    washing = publish("Washing machine drum", abstract="A drum with ribs.")
    cathode = publish("Energy storage improvement", abstract="A lithium cathode with a coated surface.")
    ranked = [m.listing_id for m in scoring.match_text("lithium cathode produced with a washing step")]
    assert ranked == [cathode.pk, washing.pk]


def test_words_of_the_request_are_not_key_terms(catalogue):
    """An SME writes what it wants besides what it needs: the request words never decide a match."""
    text = "We want to license a granted patent: looking for a lithium cathode coating. 寻找专利许可。"
    terms = {t.term for t in scoring.key_terms(text)}
    assert {"lithium", "cathod", "coat"} <= terms
    assert not terms & {"want", "licens", "grant", "patent", "look", "寻找", "专利", "许可"}
    cathode = by_id(scoring.match_text(text))[catalogue["cathode"].pk]
    assert set(next(r for r in cathode.reasons if r.startswith("matches: ")).removeprefix("matches: ").split(", ")) \
        == {"lithium", "cathode", "coating"}


class _FakeIndex:
    """What key-term selection reads of a TermIndex: 10,000 documents, 1,000 of them with Chinese text."""

    n_live = 10_000
    df = {"材料": 1_500, "锂离子": 12, "电池": 300, "正极": 40, "lithium": 1_500}

    def corpus_size(self, term):
        return 1_000 if any("\u4e00" <= ch <= "\u9fff" for ch in term) else self.n_live

    def doc_frequency(self, term):
        return self.df.get(term, 0)


def test_a_word_common_among_chinese_records_is_weak():
    """Chinese records are a minority: a word posted 1,500 times among 1,000 of them ("材料") is common
    there — used only when too few other words remain — though it would be rare among all 10,000."""
    pairs = [(w, w) for w in ("锂离子", "电池", "正极", "材料")]
    assert [t.word for t in scoring._pick_key_terms(_FakeIndex(), pairs)] == ["锂离子", "正极", "电池"]
    # the same share of English words stays strong: "lithium" in 15 % of all documents
    assert [t.word for t in scoring._pick_key_terms(_FakeIndex(), [("lithium", "lithium")] + pairs[:1])] == [
        "锂离子", "lithium"]
    # and with fewer than MIN_KEY_TERMS distinctive words, the common one fills in, weakest last
    assert [t.word for t in scoring._pick_key_terms(_FakeIndex(), [("正极", "正极"), ("材料", "材料")])] == [
        "正极", "材料"]


def test_stored_reasons_drop_stop_words_when_rendered():
    """Suggestions stored before the stop lists keep their reason codes: they render without the stop words."""
    stored = [{"code": "keywords", "params": {"words": ["keeps", "cathode", "more"]}},
              {"code": "keywords", "params": {"words": ["制备", "及其"]}}, {"code": "free", "params": {}}]
    assert scoring.render_reasons(stored) == ["matches: cathode", "free licence"]


def test_matched_words_are_listed_with_the_readers_separator():
    from django.utils import translation

    stored = [{"code": "keywords", "params": {"words": ["锂离子", "电池"]}}]
    with translation.override("zh-hans"):
        assert scoring.render_reasons(stored) == ["匹配关键词：锂离子、电池"]
    with translation.override("en"):
        assert scoring.render_reasons(stored) == ["matches: 锂离子, 电池"]


def test_ipc_part_grows_with_text_evidence(catalogue):
    """A shared subclass adds to a text match in proportion to its text part; alone it is no suggestion."""
    matches = by_id(scoring.match_text("ceramic separator", ipc=["H01M"]))
    separator = matches[catalogue["separator"].pk]
    text_part = separator.parts["text"] / scoring.WEIGHTS.text
    expected = scoring.WEIGHTS.ipc * scoring.IPC_LEVELS["subclass"] * min(1.0, text_part / scoring.IPC_FULL_TEXT)
    assert separator.parts["ipc"] == pytest.approx(expected, abs=1e-3)
    assert catalogue["cathode"].pk not in matches and catalogue["electrolyte"].pk not in matches  # H01M, no word
