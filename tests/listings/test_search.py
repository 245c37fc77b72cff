"""``listings.search``: analysis (English stems, Chinese both scripts, IPC prefixes), keeping the index in step
with listing states, filters, facet counts, sorts, pages, malformed queries, the atomic rebuild and similar
listings. Small data only: speed is measured by bench/search.py."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from listings import actions, search
from listings.models import FeeModel, Listing, ListingState
from marketplace.models import OrganisationKind

pytestmark = pytest.mark.django_db


def run(text="", **options) -> search.SearchResults:
    return search.search(search.SearchQuery(text=text, **options))


def found(text="", **options) -> list[int]:
    results = run(text, **options)
    assert not results.error, results.error
    return [hit.listing_id for hit in results.hits]


@pytest.fixture
def publish(verified_holder, patent_factory, listing_factory):
    """``publish(title, number, org=..., abstract=..., ipc_codes=..., language=..., **terms)`` → Listing."""
    counter = iter(range(1, 1000))

    def make(title, *, org=None, abstract="", ipc_codes=(), language="en", number=None, publish=True, **terms):
        org = org or verified_holder
        number = number or f"CN1{next(counter):08d}A"
        patent = patent_factory(org, number, title=title, abstract=abstract, ipc_codes=list(ipc_codes),
                                language=language)
        return listing_factory(org, [patent], publish=publish, **terms)

    return make


# --- analysis ----------------------------------------------------------------------------
def test_english_words_match_their_stems_and_are_highlighted(publish):
    listing = publish("Lithium batteries with a ceramic separator", abstract="Separators for rechargeable cells.")
    publish("Wind turbine blade")
    results = run("battery")
    assert [hit.listing_id for hit in results.hits] == [listing.pk]
    assert results.hits[0].title_html == "Lithium <mark>batteries</mark> with a ceramic separator"
    assert found("separators ceramic") == [listing.pk]
    assert "<mark>Separators</mark>" in run("separator").hits[0].snippet_html


def test_chinese_words_find_simplified_and_traditional_titles(publish):
    simplified = publish("一种锂离子电池的制备方法", language="zh-Hans")
    traditional = publish("鋰離子電池正極材料及其製造方法", language="zh-Hant")
    publish("风力发电机叶片", language="zh-Hans")
    assert set(found("电池")) == {simplified.pk, traditional.pk}
    assert found("正极材料") == [traditional.pk]  # a Simplified query finds a Traditional title
    assert set(found("鋰離子電池")) == {simplified.pk, traditional.pk}  # and the other way round
    marked = {hit.listing_id: hit.title_html for hit in run("电池").hits}
    assert marked[simplified.pk] == "一种锂离子<mark>电池</mark>的制备方法"
    assert marked[traditional.pk] == "鋰離子<mark>電池</mark>正極材料及其製造方法"


def test_mixed_language_title_finds_by_its_latin_word(publish):
    listing = publish("一种基于GCC抽象语法树的漏洞检测方法", language="zh-Hans")
    assert found("gcc") == [listing.pk]


@pytest.mark.parametrize("text", ["H01M", "h01m", "H01M 10", "H01M 10/052", "H01M10/052", "H01M 10/00",
                                  "H01M battery"])
def test_ipc_codes_and_prefixes_find_the_listing(publish, text):
    listing = publish("Battery electrode", ipc_codes=["H01M 10/052", "Y02E 60/10"])
    publish("Wind turbine blade", ipc_codes=["F03D 1/06"])
    assert found(text) == [listing.pk]


@pytest.mark.parametrize("text", ["H01L", "H01M 4", "H01M 10/054", "F03D 1/06 battery"])
def test_other_ipc_codes_do_not_match(publish, text):
    publish("Battery electrode", ipc_codes=["H01M 10/052"])
    assert found(text) == [] or text.startswith("F03D")


# --- kept in step with the database -------------------------------------------------------
def test_index_follows_publish_pause_republish_withdraw(publish, owner, django_capture_on_commit_callbacks):
    draft = publish("Graphene heat spreader", publish=False)
    assert run("graphene").hits == []  # no index yet: nothing was ever published
    with django_capture_on_commit_callbacks(execute=True):
        actions.publish_listing(draft, actor=owner)
    assert found("graphene") == [draft.pk]
    with django_capture_on_commit_callbacks(execute=True):
        actions.pause_listing(draft, actor=owner)
    assert found("graphene") == []
    with django_capture_on_commit_callbacks(execute=True):
        actions.publish_listing(draft, actor=owner)
    assert found("graphene") == [draft.pk]
    with django_capture_on_commit_callbacks(execute=True):
        actions.withdraw_listing(draft, actor=owner)
    assert found("graphene") == []


def test_index_follows_expiry_and_edits(publish, owner, django_capture_on_commit_callbacks):
    listing = publish("Graphene heat spreader")
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_listing(listing, actor=owner, title="Copper heat spreader")
    assert found("copper") == [listing.pk]
    with django_capture_on_commit_callbacks(execute=True):
        actions.expire_listing(listing)
    assert found("copper") == [] and found("spreader") == []


def test_update_listings_creates_a_missing_index_and_drops_unknown_ids(publish, settings):
    listing = publish("Graphene heat spreader")
    search.update_listings([listing.pk, 999_999])
    assert found("graphene") == [listing.pk]


@pytest.mark.django_db(transaction=True)
def test_update_listings_from_many_threads(publish):
    listings = [publish(f"Sensor number {word}") for word in ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")]
    search.rebuild_index()
    Listing.objects.filter(pk__in=[x.pk for x in listings]).update(title="Renamed sensor")
    errors = []

    def work(listing):
        try:
            search.update_listings([listing.pk])
        except Exception as exc:  # pragma: no cover - shown in the assertion
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=work, args=(x,)) for x in listings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(found("renamed", per_page=50)) == sorted(x.pk for x in listings)
    assert run("sensor").total == 6


# --- filters, facets, sorts, pages ---------------------------------------------------------
@pytest.fixture
def catalogue(publish, make_org, owner):
    university = make_org("Coast University", owner=owner, verified=True, kind=OrganisationKind.UNIVERSITY,
                          province="GD")
    return {
        "free": publish("Battery cooling plate", ipc_codes=["H01M 10/60"], fee_model=FeeModel.FREE,
                        open_licence=True),
        "lump": publish("Battery housing", ipc_codes=["H01M 50/20", "B60L 50/64"], fee_model=FeeModel.LUMP_SUM,
                        lump_sum_minor=50_000_00, offers_exclusive=True, offers_non_exclusive=False),
        "royalty": publish("Battery charger", org=university, ipc_codes=["H02J 7/00"], fee_model=FeeModel.ROYALTY,
                           royalty_rate_bp=300),
        "entry": publish("Battery recycling", org=university, fee_model=FeeModel.ENTRY_FEE_ROYALTY,
                         entry_fee_minor=2_000_000_00, royalty_rate_bp=200, offers_sole=True),
    }


def test_facet_counts_cover_the_whole_result_set(catalogue):
    results = run("battery", per_page=1)
    assert results.total == 4 and len(results.hits) == 1
    facets = results.facets
    assert set(facets) == set(search.FACETS)
    assert dict(facets["fee_model"]) == {"free": 1, "lump_sum": 1, "royalty": 1, "entry_fee_royalty": 1}
    assert dict(facets["owner_kind"]) == {"research_institute": 2, "university": 2}
    assert dict(facets["province"]) == {"BJ": 2, "GD": 2}
    assert dict(facets["open_licence"]) == {"yes": 1, "no": 3}
    assert dict(facets["price_band"]) == {"none": 2, "10k_100k": 1, "over_1m": 1}
    assert dict(facets["licence_kinds"]) == {"non_exclusive": 3, "exclusive": 1, "sole": 1}
    assert dict(facets["ipc_section"]) == {"H": 3, "B": 1}
    assert dict(facets["ipc_class"]) == {"H01": 2, "H02": 1, "B60": 1}
    assert dict(facets["ipc_subclass"]) == {"H01M": 2, "H02J": 1, "B60L": 1}
    assert dict(facets["ipc_main_group"]) == {"H01M 10/00": 1, "H01M 50/00": 1, "H02J 7/00": 1, "B60L 50/00": 1}
    assert facets["fee_model"][0][1] >= facets["fee_model"][-1][1]  # sorted by count
    assert run("battery", facets=False).facets == {}
    assert run("").facets == facets  # an empty query browses everything


@pytest.mark.parametrize("options, expected", [
    ({"free_only": True}, {"free"}),
    ({"open_only": True}, {"free"}),
    ({"price_min_minor": 1, "price_max_minor": 100_000_00}, {"lump"}),
    ({"price_min_minor": 1_000_000_00}, {"entry"}),
    ({"price_max_minor": 0}, {"free", "royalty"}),
    ({"filters": {"fee_model": ["royalty", "lump_sum"]}}, {"royalty", "lump"}),
    ({"filters": {"province": ["GD"]}}, {"royalty", "entry"}),
    ({"filters": {"owner_kind": ["university"], "fee_model": ["royalty"]}}, {"royalty"}),
    ({"filters": {"licence_kinds": ["sole"]}}, {"entry"}),
    ({"filters": {"open_licence": ["no"]}}, {"lump", "royalty", "entry"}),
    ({"filters": {"price_band": ["over_1m", "10k_100k"]}}, {"lump", "entry"}),
    ({"filters": {"ipc_section": ["B"]}}, {"lump"}),
    ({"filters": {"ipc_class": ["H01"]}}, {"free", "lump"}),
    ({"filters": {"ipc_subclass": ["H02J"]}}, {"royalty"}),
    ({"filters": {"ipc_main_group": ["H01M 10/00"]}}, {"free"}),
    ({"filters": {"fee_model": ["free"]}, "free_only": True, "open_only": True}, {"free"}),
    ({"filters": {"fee_model": ["royalty"]}, "free_only": True}, set()),
    ({"filters": {"unknown_facet": ["x"], "province": []}}, {"free", "lump", "royalty", "entry"}),
])
def test_filters(catalogue, options, expected):
    names = {listing.pk: name for name, listing in catalogue.items()}
    for text in ("battery", ""):
        results = run(text, **options)
        assert {names[hit.listing_id] for hit in results.hits} == expected
        assert results.total == len(expected)
        if expected:
            assert sum(count for _value, count in results.facets["fee_model"]) == len(expected)


def test_sorts(catalogue):
    by = {listing.pk: name for name, listing in catalogue.items()}
    assert [by[i] for i in found("battery", sort="newest")] == ["entry", "royalty", "lump", "free"]
    assert [by[i] for i in found("", sort="newest")] == ["entry", "royalty", "lump", "free"]
    assert [by[i] for i in found("battery", sort="price_desc")] == ["entry", "lump", "royalty", "free"]
    assert [by[i] for i in found("battery", sort="price_asc")][-2:] == ["lump", "entry"]
    assert found("battery", sort="no-such-sort") != []  # falls back to relevance


def test_relevance_prefers_title_matches_and_more_words(publish):
    in_abstract = publish("Thermal management unit", abstract="Cooling for a battery pack and its cells.")
    in_title = publish("Battery pack cooling", abstract="A plate.")
    only_one = publish("Battery pack housing")
    assert found("battery cooling")[:2] == [in_title.pk, in_abstract.pk]
    assert only_one.pk not in found("battery cooling")
    # no listing has every word: any of them will do
    results = run("battery zeppelin")
    assert results.total == 3 and not results.error


def test_pages(publish):
    made = [publish(f"Sensor array {i}") for i in range(5)]
    first, second, third = (run("sensor", per_page=2, page=p, sort="newest") for p in (1, 2, 3))
    assert first.total == 5 and first.pages == 3
    pages = [[h.listing_id for h in r.hits] for r in (first, second, third)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sum(pages, []) == [x.pk for x in reversed(made)]
    assert run("sensor", per_page=2, page=9).hits == []
    assert run("sensor", per_page=2, page=9).total == 5
    assert len(run("sensor", per_page=0).hits) == 1  # clamped to at least one
    assert run("sensor", page="x").page == 1


def test_highlight_escapes_html(publish):
    publish("<b>Battery</b> & charger", abstract="Use <script>alert(1)</script> a battery.")
    hit = run("battery").hits[0]
    assert hit.title_html == "&lt;b&gt;<mark>Battery</mark>&lt;/b&gt; &amp; charger"
    assert "<script>" not in hit.snippet_html and "<mark>battery</mark>" in hit.snippet_html
    assert run("battery", highlight=False).hits[0].title_html == ""


# --- bad input ----------------------------------------------------------------------------------
MALFORMED = [
    '"unbalanced quote', 'battery "', "AND", "OR", "NOT", "-", "--", "+", "(((", ")))", "()", "*", "?", "~",
    "battery AND", "AND battery", "battery OR", "-battery", "battery -", "\x00\x01\x02", "battery\x00\x7f",
    "x" * 10_000, "battery " * 2_000, "电池 " * 3_000, "H01M/", "H01M 10/", "H01M 99999/9999999", "🔋",
    "title:battery", "battery^3", "bat*", "\u200b\ufeff", "  ", "\\", "%_", "'; DROP TABLE listings;--",
    "ＢＡＴＴＥＲＹ", "the", "的",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_queries_never_raise(publish, text):
    battery = publish("Battery electrode", ipc_codes=["H01M 10/052"])
    results = run(text)
    assert isinstance(results, search.SearchResults)
    assert results.error or results.total >= 0
    if results.error:
        assert results.total == 0 and results.hits == []
    if "battery" in text.lower() and not text.lstrip().startswith("-") or "ＢＡＴＴＥＲＹ" in text:
        assert battery.pk in [hit.listing_id for hit in results.hits]


def test_queries_without_words_say_so(publish):
    publish("Battery electrode")
    for text in ("AND", "(((", "-", "the"):
        results = run(text)
        assert "no words" in results.error
    assert found("-battery") == []  # only an exclusion: everything but the batteries


def test_missing_index_gives_a_friendly_error():
    results = run("battery")
    assert results.total == 0 and results.hits == []
    assert results.error == "The search index is being built; try again in a minute."
    assert search.more_like_this(1) == []


def test_an_unexpected_failure_is_an_error_not_an_exception(publish, monkeypatch):
    publish("Battery electrode")
    monkeypatch.setattr(search, "_match", lambda *a: 1 / 0)
    results = run("battery")
    assert results.error == "Search is not available right now; please try again later."


# --- rebuild -----------------------------------------------------------------------------------
def test_rebuild_swaps_atomically_and_replays_updates(publish, owner, settings, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    old = publish("Graphene heat spreader")
    paused_meanwhile = publish("Graphene ink")
    # listings the index has not seen (changed behind its back)
    unseen = [publish(f"Graphene sheet {i}", publish=False) for i in range(3)]
    Listing.objects.filter(pk__in=[x.pk for x in unseen]).update(state=ListingState.PUBLISHED)
    assert sorted(found("graphene")) == sorted([old.pk, paused_meanwhile.pk])
    monkeypatch.setattr(search, "BUILD_CHUNK", 2)
    seen_during_build, calls = [], []

    def progress(done, total):
        calls.append((done, total))
        if done and len(calls) == 2:
            seen_during_build.append(sorted(found("graphene")))  # the old index still answers
            with django_capture_on_commit_callbacks(execute=True):
                actions.pause_listing(paused_meanwhile, actor=owner)
            seen_during_build.append(sorted(found("graphene")))  # and still follows updates

    count = search.rebuild_index(progress=progress)
    assert count == 5
    assert calls[0] == (0, 5) and calls[-1] == (5, 5)
    assert seen_during_build == [sorted([old.pk, paused_meanwhile.pk]), [old.pk]]
    assert sorted(found("graphene")) == sorted([old.pk] + [x.pk for x in unseen])  # and was replayed
    generations = sorted(p.name for p in settings.SEARCH_INDEX_DIR.glob("gen-*"))
    current = (settings.SEARCH_INDEX_DIR / "CURRENT").read_text().strip()
    assert current in generations and len(generations) == 2
    search.rebuild_index()
    search.rebuild_index()
    assert len(list(settings.SEARCH_INDEX_DIR.glob("gen-*"))) == 2  # the live one and the one before
    assert not (settings.SEARCH_INDEX_DIR / "REBUILDING").exists()


def test_failed_rebuild_keeps_the_old_index(publish, monkeypatch, settings):
    listing = publish("Graphene heat spreader")
    before = (settings.SEARCH_INDEX_DIR / "CURRENT").read_text()

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(search, "_iter_docs", broken)
    with pytest.raises(RuntimeError):
        search.rebuild_index()
    assert (settings.SEARCH_INDEX_DIR / "CURRENT").read_text() == before
    assert found("graphene") == [listing.pk]
    assert len(list(settings.SEARCH_INDEX_DIR.glob("gen-*"))) == 1


def test_rebuild_of_an_empty_catalogue():
    assert search.rebuild_index() == 0
    results = run("")
    assert results.total == 0 and not results.error


def test_rebuild_index_command(publish):
    publish("Graphene heat spreader")
    out, err = StringIO(), StringIO()
    call_command("rebuild_index", stdout=out, stderr=err)
    assert "Indexed 1 listings in" in out.getvalue()
    assert "Indexing" in err.getvalue()  # the progress bar
    call_command("rebuild_index", "--no-progress", stdout=out, stderr=StringIO())


# --- similar listings ----------------------------------------------------------------------------
def test_more_like_this(publish, owner, django_capture_on_commit_callbacks):
    electrode = publish("Lithium battery electrode coating",
                        abstract="A silicon anode coating for lithium battery electrodes.")
    separator = publish("Lithium battery separator", abstract="A ceramic separator for lithium battery cells.")
    anode = publish("Silicon anode for lithium cells", abstract="Silicon anode particles with a carbon coating.")
    publish("Wind turbine blade", abstract="A blade for a wind turbine.")
    paused = publish("Lithium battery electrode", abstract="Lithium battery electrode coating.")
    with django_capture_on_commit_callbacks(execute=True):
        actions.pause_listing(paused, actor=owner)
    similar = search.more_like_this(electrode.pk, limit=5)
    assert set(similar) == {separator.pk, anode.pk}
    assert electrode.pk not in similar and paused.pk not in similar
    assert search.more_like_this(electrode.pk, limit=1) in ([separator.pk], [anode.pk])
    assert search.more_like_this(paused.pk)[0] == electrode.pk  # works for a listing not in the index
    assert search.more_like_this(987_654) == []


def _fake_docs(count):
    """(pk, document) pairs made without the database, for the forked workers."""
    import datetime

    published = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    return [
        (pk, search._make_doc(
            (pk, f"Battery module {pk}" if pk % 2 else f"鋰電池模組 {pk}", "", "free", False, False, False, True,
             False, 0, published, "university", "BJ"),
            [("", "A module of cells.", "", "", ["H01M 10/052"])],
        ))
        for pk in range(1, count + 1)
    ]


def test_parallel_build_writes_one_segment_per_worker(settings, monkeypatch):
    docs = _fake_docs(30)
    monkeypatch.setattr(search, "_iter_docs", lambda pk__gte, pk__lte: (
        (pk, doc) for pk, doc in docs if pk__gte <= pk <= pk__lte))
    base = settings.SEARCH_INDEX_DIR
    gen_dir = search._new_generation(base)
    progress = []
    count = search._build_parallel(gen_dir, [(1, 10), (11, 20), (21, 30)], 2, 30,
                                   lambda done, total: progress.append((done, total)))
    assert count == 30 and progress[-1] == (30, 30)
    search._write_current(base, gen_dir)
    assert run("").total == 30
    assert run("battery").total == 15 and run("电池").total == 15 and run("H01M").total == 30
    assert len(search._STATE.state.leaves) == 2


def test_a_failing_worker_fails_the_build(settings, monkeypatch):
    def broken(**_filter):
        raise ValueError("no database in this worker")

    monkeypatch.setattr(search, "_iter_docs", broken)
    gen_dir = search._new_generation(settings.SEARCH_INDEX_DIR)
    with pytest.raises(RuntimeError, match="no database in this worker"):
        search._build_parallel(gen_dir, [(1, 10), (11, 20)], 2, 20, None)


def test_a_description_copied_onto_many_listings_does_not_make_them_similar(publish, make_org, owner):
    """The demo's donor puts one description on all its listings; "similar listings" of its Chinese
    "基于变量关联树的基本类型重构方法" were its own sitagliptin assay and paving material (walk, issue 9)."""
    blurb = "Demonstration enterprise licence, free of charge to eligible small enterprises, with one consultation."
    titles = ["Wind turbine blade", "Sitagliptin assay", "Paving material for roads", "Rice wine brewing",
              "Solar sail deployment", "Humidity film", "Joint brace", "Fish oil extraction"]
    for title in titles:
        publish(title, description=blurb)
    target = publish("Variable association tree type reconstruction", description=blurb)
    other = publish("Type reconstruction from a variable association tree",
                    org=make_org("Other Institute", owner=owner, verified=True, slug="other-institute"))
    assert search.more_like_this(target.pk, limit=5) == [other.pk]
