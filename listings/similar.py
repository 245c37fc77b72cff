"""Similar listings ("More like this" on a listing's page), by the rules matching follows: text before codes.

Public interface:

    similar_listings(listing_id, limit=5) -> list[int]   ids of browsable listings, best first, never itself
                                                         (``listings.search.more_like_this`` calls this)

How it works (only ``listings.search``'s public term API: ``query_terms``, ``term_index``):

1. *Key terms.* The listing's title and its patents' titles and abstracts (its description only for the words
   these hold: owners copy one description onto many listings), analysed as queries are (English stems,
   Chinese words of jieba's precise cut), without the stop words and patent boilerplate of ``listings.stopwords``
   — the words "一种 … 及其制备方法" or "method and apparatus" say nothing about what two
   listings share. Each term gets ``tf × ln(1 + N / df)`` with ``df`` the other listings having it and ``N`` the
   documents that could hold it (for a Chinese word: those with Chinese text, as in ``matching.scoring``); terms
   no other listing has, or more than ``COMMON_FRACTION`` of them (at least ``COMMON_MIN``), are skipped. The
   best ``KEY_TERMS`` are kept (STACK-NOTES: never turn a long text into a plain OR query).
2. *Ranking.* The listings having any key term, by the summed BM25 impacts of the key terms (what search's
   relevance sums), times ``1 + IPC_BONUS[level]`` for the best IPC level shared with the listing (same main
   group, same subclass). Codes only rank listings that share words: a listing sharing only a code is never
   similar. Ties: the newer listing first, then the lower document number.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections import Counter

from listings import numbers, search, stopwords

log = logging.getLogger(__name__)

KEY_TERMS = 10
COMMON_FRACTION = 0.1  # a term in more than this share of the documents is too common to tell
COMMON_MIN = 50  # ... but never call a term common below this many documents
ABSTRACT_CHARS = 3000  # of each patent abstract read
IPC_BONUS = {"main_group": 0.5, "subclass": 0.25}


def _texts(listing_id: int) -> tuple[list[str], list[numbers.IPCCode]] | None:
    from listings.models import Listing

    row = Listing.objects.filter(pk=listing_id).values_list("title", "description").first()
    if row is None:
        return None
    texts = [row[0] or "", row[1] or ""]
    raw_codes: list[str] = []
    for title, abstract, ipc_codes in Listing.patents.through.objects.filter(listing_id=listing_id).values_list(
            "patent__title", "patent__abstract", "patent__ipc_codes"):
        texts.extend((title or "", (abstract or "")[:ABSTRACT_CHARS]))
        raw_codes.extend(ipc_codes or ())
    return texts, numbers.parse_ipc_codes(raw_codes)


def _term_counts(texts) -> Counter:
    return Counter(term for text in texts if text for term, word in search.query_terms(text)
                   if not stopwords.is_stop_word(word))


def _ipc_prefixes(codes) -> list[tuple[str, float]]:
    """(indexed prefix, bonus) for the listing's main groups and subclasses, best bonus first."""
    out = []
    for code in codes:
        if code.group is not None:
            out.append((f"{code.subclass.lower()}{code.group}/", IPC_BONUS["main_group"]))
        out.append((code.subclass.lower(), IPC_BONUS["subclass"]))
    return sorted(dict.fromkeys(out), key=lambda pb: -pb[1])


def similar_listings(listing_id: int, limit: int = 5) -> list[int]:
    """Ids of up to ``limit`` browsable listings similar to ``listing_id`` (never itself), best first; works for
    a listing that is not in the index (a draft, a paused listing) too. Empty without an index."""
    found = _texts(listing_id)
    if found is None:
        return []
    texts, codes = found
    tf = _term_counts(texts[:1] + texts[2:])
    # The listing's description counts for the words it shares with the title and the patents: owners copy one
    # description ("示范企业面向符合条件的小微企业免费许可…", "Know-how transfer available…") onto many
    # listings, and its words made the owner's other listings "similar" to anything.
    tf.update({term: count for term, count in _term_counts(texts[1:2]).items() if term in tf})
    if not tf:
        return []
    with search.term_index() as index:
        if index is None:
            return []
        me = index.docnum(listing_id)
        scored = []
        for term, count in tf.items():
            if len(term) < 2:
                continue
            n = max(1, index.corpus_size(term))
            df = index.doc_frequency(term) - (1 if me is not None else 0)  # other listings having it
            if df <= 0 or df > max(COMMON_MIN, int(n * COMMON_FRACTION)):  # unique to it, or too common to tell
                continue
            scored.append((count * math.log(1 + n / df), term))
        totals: dict = {}
        for _weight, term in heapq.nlargest(KEY_TERMS, scored):
            get = totals.get
            for doc, impact in index.impacts(term).items():
                totals[doc] = get(doc, 0.0) + impact
        totals.pop(me, None)
        if not totals:
            return []
        bonus: dict = {}
        for prefix, value in _ipc_prefixes(codes):
            for doc in index.ipc_docs(prefix):
                if doc in totals and doc not in bonus:  # prefixes come best first
                    bonus[doc] = value
        published = index.published
        best = heapq.nlargest(limit + 1, totals, key=lambda d: (totals[d] * (1 + bonus.get(d, 0.0)), published(d), -d))
        ids = []
        for doc in best:
            lid = index.listing_id(doc)
            if lid and lid != listing_id:
                ids.append(lid)
        return ids[:limit]
