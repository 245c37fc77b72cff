"""``listings.search``'s term API for rankers outside the module (matching): text analysed as the index
analyses it, and the read-only ``term_index()`` view (document frequencies, BM25 impacts, IPC prefixes,
listing ids), kept exact across updates."""

from __future__ import annotations

import pytest
from whoosh import analysis

from listings import actions, search

pytestmark = pytest.mark.django_db


@pytest.fixture
def publish(verified_holder, patent_factory, listing_factory):
    counter = iter(range(1, 1000))

    def make(title, *, abstract="", ipc_codes=(), claims="", publish=True, **terms):
        patent = patent_factory(verified_holder, f"CN1{next(counter):08d}A", title=title, abstract=abstract,
                                ipc_codes=list(ipc_codes), claims=claims)
        return listing_factory(verified_holder, [patent], publish=publish, **terms)

    return make


def _whoosh_query_terms(text: str) -> list[tuple[str, str]]:
    """The reference: Whoosh's own StemmingAnalyzer token chain (with originals), jieba's precise cut for Han."""
    import re
    import unicodedata

    import jieba

    text = unicodedata.normalize("NFKC", text)
    han = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
    english = analysis.StemmingAnalyzer()
    out, position = [], 0

    def latin(piece):
        for token in english(piece, keeporiginal=True):
            if len(token.text) >= 2 and not token.text.isdigit():
                out.append((token.text, token.original.lower()))

    for run in han.finditer(text):
        latin(text[position:run.start()])
        out.extend((w, w) for w in jieba.cut(search.to_simplified(run.group())) if w not in search.ZH_STOP_WORDS)
        position = run.end()
    latin(text[position:])
    return out


@pytest.mark.parametrize("text", [
    "Better cathodes for our e-bike batteries: lithium, cathode, coating (H01M 10/052) — 2.5 V cells",
    "锂离子电池正极材料的包覆方法 with carbon coating",
    "鋰離子電池正極材料",
    "Ｆｕｌｌ-width ｌｅｔｔｅｒｓ and the batteries' capability, 3.5mm x2 A* b",
    "",
])
def test_query_terms_are_the_analyzers_terms(text):
    assert search.query_terms(text) == _whoosh_query_terms(text)


def test_query_terms_keep_the_surface_word_and_cut_long_texts():
    assert search.query_terms("Batteries!") == [("batteri", "batteries")]
    assert search.query_terms("lithium " * 10, max_chars=16) == [("lithium", "lithium")] * 2


def test_document_terms_are_exactly_what_the_index_holds(publish):
    listing = publish("Lithium batteries", abstract="一种锂离子电池正极材料及其制备方法，使用 carbon 包覆。",
                      claims="1. A cathode comprising coated particles.", description="For e-bikes")
    texts = [listing.title, listing.description]
    patent = listing.patents.get()
    texts += [patent.title, patent.abstract, patent.claims, patent.applicants]
    with search.term_index() as index:
        reader = index._state.reader
        indexed = {text.decode() if isinstance(text, bytes) else text
                   for field, text in reader.all_terms() if field in dict(search.TEXT_FIELDS)}
    assert search.document_terms(*texts) == indexed
    assert search.listing_terms(listing.pk) == indexed  # the same texts, read from the database
    assert {"lithium", "batteri", "cathod", "锂离子", "离子", "carbon"} <= indexed


def test_sub_words():
    assert set(search.sub_words("锂离子电池")) >= {"离子", "电池"}
    assert "锂离子电池" not in search.sub_words("锂离子电池")
    assert search.sub_words("电池") == [] and search.sub_words("battery") == []


def test_term_index_statistics_and_listing_ids(publish):
    cathode = publish("Lithium cathode coating", abstract="A lithium cathode.", ipc_codes=["H01M 4/136"])
    battery = publish("Battery housing", abstract="A lithium battery housing.", ipc_codes=["H01M 50/20"])
    publish("Tea leaf rolling machine", ipc_codes=["A23F 3/06"])
    with search.term_index() as index:
        assert index.n_live == 3
        # postings over the fields: "lithium" in one title and two bodies, "cathod" in one title and body
        assert index.doc_frequency("lithium") == 3 and index.doc_frequency("cathod") == 2
        assert index.doc_frequency("graphen") == 0
        docs = {index.listing_id(d): d for d in index.impacts("lithium")}
        assert set(docs) == {cathode.pk, battery.pk}
        assert index.docnum(cathode.pk) == docs[cathode.pk]
        # the title hit (×3) outweighs a body hit; the best impact is the highest one
        impacts = index.impacts("cathod")
        assert list(impacts) == [docs[cathode.pk]]
        assert index.best_impact("lithium") == max(index.impacts("lithium").values())
        assert index.best_impact("graphen") == 1.0 and index.impacts("graphen") == {}
        assert {index.listing_id(d) for d in index.ipc_docs("h01m")} == {cathode.pk, battery.pk}
        assert {index.listing_id(d) for d in index.ipc_docs("h01m4/")} == {cathode.pk}
        assert index.published(docs[cathode.pk]) == int(cathode.published_at.timestamp())
        # the same numbers the search ranks by
        hits = search.search(search.SearchQuery(text="cathode")).hits
        assert hits[0].score == pytest.approx(impacts[docs[cathode.pk]], abs=1e-3)


def test_term_index_follows_updates_exactly(publish, owner, django_capture_on_commit_callbacks):
    first = publish("Lithium cathode coating")
    with search.term_index() as index:
        before = index.version
        assert index.doc_frequency("graphen") == 0  # looked up (and memoised) while absent
    graphene = publish("Graphene heat spreader")
    with search.term_index() as index:
        assert index.version != before
        assert index.doc_frequency("graphen") == 1
        assert index.docnum(graphene.pk) is not None
    with django_capture_on_commit_callbacks(execute=True):
        actions.withdraw_listing(first, actor=owner)
    with search.term_index() as index:
        assert index.docnum(first.pk) is None  # a withdrawn listing is no longer a live document
        assert index.n_live == 1


def test_term_index_without_an_index_and_outside_its_block(db, publish):
    with search.term_index() as index:
        assert index is None
    publish("Lithium cathode coating")
    with search.term_index() as index:
        assert index.n_live == 1
    with pytest.raises(RuntimeError):
        index.doc_frequency("lithium")  # the view is only lent for the block


def test_corpus_size_counts_the_documents_with_chinese_text(publish, owner, django_capture_on_commit_callbacks):
    publish("Lithium cathode coating")
    publish("Battery housing", abstract="A housing; 电池外壳。")  # English title, a Chinese piece in the body
    chinese = publish("锂离子电池正极材料")
    with search.term_index() as index:
        assert (index.corpus_size("lithium"), index.corpus_size("电池")) == (3, 2)
    with django_capture_on_commit_callbacks(execute=True):
        actions.withdraw_listing(chinese, actor=owner)
    with search.term_index() as index:
        assert (index.corpus_size("lithium"), index.corpus_size("电池")) == (2, 1)
