"""Ranking listings for a need: candidates from the search index, then one documented formula.

Public interface:

    match_need(need, limit=10) -> list[Match]
    match_text(text, *, ipc=(), budget_minor=None, currency="CNY", free_only=False, licence_kinds=(),
               province="", exclude_owner=None, exclude_listing_ids=(), limit=10) -> list[Match]
    key_terms(text) -> list[(term, surface word, weight)]   (what step 1 picks; for explanations/tests)
    render_reasons(reason_codes) -> list[str]     (in the active language)

How it works
------------
1. *Key terms.* The need text (English and/or Chinese) is analysed like the index analyses queries
   (English: Whoosh's stemming analyzer; Chinese: OpenCC t2s + jieba precise cut, a word the index does not
   know replaced by its known sub-words). Each term gets ``(1 + ln tf) × ln(1 + N / df)`` with ``df`` from
   the live index; terms unknown to the index are dropped, and terms in more than ``COMMON_DF_FRACTION`` of
   the documents are used only when fewer than ``MIN_KEY_TERMS`` others remain. The best ``KEY_TERMS``
   (10) are kept: a long text never becomes a plain OR query (STACK-NOTES: a 50-word OR query takes 20 s).
2. *Candidates.* Documents having any key term (OR semantics, BM25 impacts summed exactly as
   ``listings.search`` scores relevance) plus documents sharing one of the need's IPC codes at subclass
   level or deeper. The best ``POOL`` (300) by a cheap pre-score (text + IPC part of the formula) are
   mapped to listings, filtered in the database (browsable only, not the SME's own organisation, not
   excluded/dismissed, free or donated only when asked) and the best ``RERANK`` (200) are scored fully.
3. *Formula* (all weights in ``WEIGHTS`` below; each part is in [0, 1] except budget, in [-1, 1])::

       score = text     × (½ · Σₜ wₜ · bm25ₜ(listing) / max bm25ₜ  +  ½ · Σₜ∈listing wₜ) / Σₜ wₜ
             + ipc      × IPC_LEVELS[best level shared with any of the need's codes]
                          (same subgroup 1.0 > main group 0.7 > subclass 0.4 > class 0.15 > none 0)
             + budget   × (+1 if upfront price ≤ budget (same currency) or free; −1 if above; 0 without budget)
             + licence  × (1 if the listing offers one of the preferred licence kinds, else 0)
             + province × (1 if the owner is in the need's province, else 0)
             + free     × (1 if the listing is free or donates licences to small enterprises, else 0)
             + fresh    × 0.5 ** (days since published / FRESH_HALF_LIFE_DAYS)

   *3b. IPC feedback* (needs without IPC codes only; pseudo-relevance feedback, no labels read): the
   ``IPC_FEEDBACK_DOCS`` best candidates by the text part vote for their IPC main groups and subclasses,
   each vote weighted by its text part; a code's *support* is its votes over all votes, in [0, 1]. Then
   ``ipc = IPC_FEEDBACK_SHARE × max over the listing's codes of support × IPC_LEVELS[level]`` (main group
   0.7, subclass 0.4). Measured on bench/matching_quality.py (abstract-only needs, relevant = shared main
   group): it is what lifts the matcher above plain BM25 — listings in the field of the best matches rise
   over ones that merely share words.

   ``wₜ`` is the key-term weight of step 1 and ``bm25ₜ`` the term's BM25 impact (title ×3) as the index
   computes it, divided by the term's best impact in the index: each key term counts by its weight, so one
   title hit on a moderately common word cannot outweigh the need's rare, repeated words (seen on the
   100,000-listing bench: "washing machines" beat lithium cathodes with raw BM25 sums). The first half
   grades how well each term matches, the second (coverage) only whether it is there; both are absolute in
   [0, 1], so a score can later be compared with a threshold (digests). Ties: newer listing first, then id.
4. *Reasons.* Every match carries structured reasons (``reason_codes``: ``{"code", "params"}``) and their
   rendering in the active language (``reasons``), e.g. "shares IPC H01M 10/052", "matches: lithium,
   cathode", "free licence", "within your budget", "offers a non-exclusive licence", "owner in Guangdong".

Index access: ``listings.search`` has no public API yet for term statistics or per-term postings, so this
module uses its read-only internals (``_LOCK``, ``_state()``, ``_State.doc_frequency/word/ipc_prefix``,
``reader.stored_fields``) in the ``_index_*`` functions below and nowhere else — the same calls
``search.more_like_this`` makes. If they are missing or fail, matching falls back to the public ``search()``
with an OR query of the key terms (no "matches: …" reason then).
"""

from __future__ import annotations

import heapq
import logging
import math
import re
import unicodedata
import weakref
from collections import Counter
from dataclasses import asdict, dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from listings import numbers
from listings import search as search_module
from listings.models import Currency, FeeModel, LicenceKind, Listing
from marketplace.models import Province

log = logging.getLogger(__name__)


# --- the formula: every weight and constant in one place ---------------------------------------
@dataclass(frozen=True)
class Weights:
    text: float = 0.40
    ipc: float = 0.30
    budget: float = 0.08
    licence: float = 0.07
    province: float = 0.05
    free: float = 0.05
    fresh: float = 0.05


WEIGHTS = Weights()
IPC_LEVELS = {"subgroup": 1.0, "main_group": 0.7, "subclass": 0.4, "class": 0.15}
FRESH_HALF_LIFE_DAYS = 180
RECENT_DAYS = 30  # "published in the last 30 days" reason
KEY_TERMS = 10
MIN_KEY_TERMS = 3
COMMON_DF_FRACTION = 0.2  # terms in more than this share of documents are weak evidence
COMMON_DF_MIN = 50  # ... but never call a term common below this many documents
POOL = 300  # candidates taken from the index
RERANK = 200  # candidates scored with the full formula
MAX_TEXT_CHARS = 20_000
MAX_REASON_WORDS = 5
# IPC feedback for needs without IPC codes (step 3b): the codes of the best text matches vote
IPC_FEEDBACK_DOCS = 10  # how many of the best text matches vote
IPC_FEEDBACK_SHARE = 0.5  # an inferred code counts this much of a stated one
IPC_FEEDBACK_REASON = 0.3  # support above which the inferred code is shown as a reason


@dataclass
class Match:
    listing_id: int
    patent: str  # canonical number of the listing's first patent, e.g. "CN 112345678 B"
    score: float
    reasons: list[str] = field(default_factory=list)
    reason_codes: list[dict] = field(default_factory=list)
    parts: dict = field(default_factory=dict)  # each weighted part of the score, for explanations/benchmarks

    def as_dict(self) -> dict:
        return asdict(self)


# --- reasons ---------------------------------------------------------------------------------
_LICENCE_REASON = {
    LicenceKind.EXCLUSIVE: lambda: _("offers an exclusive licence"),
    LicenceKind.SOLE: lambda: _("offers a sole licence"),
    LicenceKind.NON_EXCLUSIVE: lambda: _("offers a non-exclusive licence"),
    LicenceKind.ASSIGNMENT: lambda: _("offers assignment of the patents"),
}


def _render(code: str, params: dict) -> str:
    if code == "ipc_subgroup":
        return _("shares IPC %(code)s") % params
    if code == "ipc_main_group":
        return _("same IPC main group %(code)s") % params
    if code == "ipc_subclass":
        return _("same IPC subclass %(code)s") % params
    if code == "ipc_class":
        return _("same IPC class %(code)s") % params
    if code == "ipc_inferred":
        return _("in IPC %(code)s, like your best matches") % params
    if code == "keywords":
        return _("matches: %(words)s") % {"words": ", ".join(params.get("words", []))}
    if code == "free":
        return _("free licence")
    if code == "donation":
        count = int(params.get("count", 0))
        return ngettext("%(count)d licence donated free to small and micro enterprises",
                        "%(count)d licences donated free to small and micro enterprises", count) % {"count": count}
    if code == "budget":
        return _("within your budget")
    if code == "licence_kind":
        maker = _LICENCE_REASON.get(params.get("kind"))
        return maker() if maker else ""
    if code == "province":
        try:
            label = Province(params.get("province")).label
        except ValueError:
            label = params.get("province", "")
        return _("owner in %(province)s") % {"province": label}
    if code == "recent":
        return _("published in the last %(days)d days") % {"days": int(params.get("days", RECENT_DAYS))}
    return ""


def render_reasons(reason_codes: list[dict]) -> list[str]:
    """Structured reasons → human-readable strings in the active language (unknown codes are skipped)."""
    out = []
    for item in reason_codes or ():
        text = _render(item.get("code", ""), item.get("params") or {})
        if text:
            out.append(str(text))
    return out


# --- text analysis (the analyzers listings.search uses) ---------------------------------------
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_EN = search_module.english_analyzer()


def analyse(text: str) -> list[tuple[str, str]]:
    """``text`` → ``[(indexed term, surface word)]`` in order, stop words and bare numbers dropped.

    English terms are stems (``batteries`` → ``batteri``); the surface word is kept for reasons."""
    text = unicodedata.normalize("NFKC", text or "")[:MAX_TEXT_CHARS]
    out: list[tuple[str, str]] = []

    def english(piece: str) -> None:
        for token in _EN(piece, keeporiginal=True):
            term = token.text
            if len(term) < 2 or term.isdigit():
                continue
            out.append((term, (token.original or term).lower()))

    position = 0
    for run in _HAN_RUN.finditer(text):
        if run.start() > position:
            english(text[position:run.start()])
        simplified = search_module.to_simplified(run.group())
        for word in search_module._jieba().cut(simplified):  # precise mode, as the query parser does
            if word and word not in search_module.ZH_STOP_WORDS:
                out.append((word, word))
        position = run.end()
    if position < len(text):
        english(text[position:])
    return out


def _parse_codes(codes) -> list[numbers.IPCCode]:
    parsed = []
    for raw in codes or ():
        try:
            code = numbers.normalise_ipc(str(raw))
        except ValueError:
            continue
        if code not in parsed:
            parsed.append(code)
    return parsed


def ipc_proximity(need_codes: list[numbers.IPCCode], listing_codes: list[numbers.IPCCode]):
    """The best (level, shared code text) between two code lists, or (None, "")."""
    order = list(IPC_LEVELS)
    best = (None, "")
    for a in need_codes:
        for b in listing_codes:
            if a.group is not None and a == b:
                level, shared = "subgroup", str(a)
            elif a.group is not None and b.group is not None and a.subclass == b.subclass and a.group == b.group:
                level, shared = "main_group", a.main_group
            elif a.subclass == b.subclass:
                level, shared = "subclass", a.subclass
            elif a.ipc_class == b.ipc_class:
                level, shared = "class", a.ipc_class
            else:
                continue
            if best[0] is None or order.index(level) < order.index(best[0]):
                best = (level, shared)
                if level == "subgroup":
                    return best
    return best


# --- the index: the only place touching listings.search internals -------------------------------
@dataclass
class _Candidates:
    text: dict  # listing id -> weighted, per-term-normalised BM25 relevance in [0, 1]
    coverage: dict  # listing id -> share of the key-term weight the listing has, in [0, 1]
    matched: dict  # listing id -> [surface words], best first
    order: list  # listing ids, best pre-score first


def _key_terms(state, pairs: list[tuple[str, str]]) -> list[tuple[str, str, float]]:
    """[(term, surface, weight)]: the best KEY_TERMS terms of the text by (1 + ln tf) × idf."""
    tf = Counter(term for term, _s in pairs)
    surface = {}
    for term, word in pairs:
        surface.setdefault(term, word)
    n = max(1, state.n_live)
    common = max(COMMON_DF_MIN, int(n * COMMON_DF_FRACTION))
    strong, weak = [], []
    for term, count in tf.items():
        dfs = [(term, state.doc_frequency(term))]
        if dfs[0][1] == 0 and search_module.has_han(term) and len(term) > 2:
            # cut differently from the documents: use its known sub-words (jieba search mode)
            dfs = [(p, state.doc_frequency(p)) for p in search_module._jieba().cut_for_search(term)
                   if p != term and len(p) > 1 and search_module.has_han(p)]
        for t, df in dfs:
            if df <= 0 or (search_module.has_han(t) and len(t) < 2):
                continue
            weight = (1 + math.log(count)) * math.log(1 + n / df)
            (weak if df > common else strong).append((weight, t, surface.get(t, t)))
    strong.sort(reverse=True)
    weak.sort(reverse=True)
    chosen = strong[:KEY_TERMS]
    if len(chosen) < MIN_KEY_TERMS:
        chosen += weak[:MIN_KEY_TERMS - len(chosen)]
    seen, out = set(), []
    for weight, term, word in chosen:
        if term not in seen:
            seen.add(term)
            out.append((term, word, weight))
    return out


def key_terms(text: str) -> list[tuple[str, str, float]]:
    """The key terms ``match_text`` would query for ``text``: [(indexed term, surface word, weight)]."""
    pairs = analyse(text)
    with search_module._LOCK:
        state = search_module._state()
        return _key_terms(state, pairs) if state is not None else []


def _ipc_prefixes(codes: list[numbers.IPCCode]) -> list[tuple[str, str]]:
    """(index prefix, level) pairs for recall: the exact code, its main group and its subclass."""
    out = []
    for code in codes:
        if code.group is not None:
            out.append((search_module.ipc_token(str(code)), "subgroup"))
            out.append((f"{code.subclass.lower()}{code.group}/", "main_group"))
        out.append((code.subclass.lower(), "subclass"))
    return list(dict.fromkeys(out))


_DOC_LISTING: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # index state -> {docnum: listing id}


def _doc_listing_ids(state) -> dict:
    """The per-index-version cache of docnum → listing id (stored-field reads are done once per document)."""
    try:
        cache = _DOC_LISTING.get(state)
        if cache is None:
            cache = _DOC_LISTING[state] = {}
    except TypeError:  # not weak-referenceable: no cache
        cache = {}
    return cache


def _index_candidates(text: str, codes: list[numbers.IPCCode]) -> _Candidates | None:
    """Candidates from the live index, or None when there is no index."""
    pairs = analyse(text)
    with search_module._LOCK:
        state = search_module._state()
        if state is None:
            return None
        terms = _key_terms(state, pairs)
        dicts = [(term, word, weight, state.word(term)) for term, word, weight in terms]
        total_weight = sum(weight for _t, _w, weight, _d in dicts) or 1.0
        relevance: dict = {}  # Σ key-term weight × impact / the term's best impact, over Σ key-term weights
        coverage: dict = {}  # Σ key-term weight of the terms present, over Σ key-term weights
        for _t, _w, weight, impacts in dicts:
            if not impacts:
                continue
            scale = weight / total_weight / (max(impacts.values()) or 1.0)
            share = weight / total_weight
            get_r, get_c = relevance.get, coverage.get
            for doc, value in impacts.items():
                relevance[doc] = get_r(doc, 0.0) + value * scale
                coverage[doc] = get_c(doc, 0.0) + share
        ipc_level: dict = {}
        for prefix, level in _ipc_prefixes(codes):
            value = IPC_LEVELS[level]
            for doc in state.ipc_prefix(prefix):
                if ipc_level.get(doc, 0.0) < value:
                    ipc_level[doc] = value
        docs = set(relevance) | set(ipc_level)
        if not docs:
            return _Candidates({}, {}, {}, [])
        pre = {d: WEIGHTS.text * 0.5 * (relevance.get(d, 0.0) + coverage.get(d, 0.0))
               + WEIGHTS.ipc * ipc_level.get(d, 0.0) for d in docs}
        pool = heapq.nlargest(POOL, docs, key=lambda d: (pre[d], state.pub[d], -d))
        result = _Candidates({}, {}, {}, [])
        lids = _doc_listing_ids(state)
        for doc in pool:
            lid = lids.get(doc)
            if lid is None:
                stored = state.reader.stored_fields(doc).get("st") or {}
                lid = lids[doc] = int(stored.get("l", 0))
            if not lid:
                continue
            matched = [(weight, word) for _t, word, weight, impacts in dicts if doc in impacts]
            matched.sort(reverse=True)
            result.text[lid] = relevance.get(doc, 0.0)
            result.coverage[lid] = coverage.get(doc, 0.0)
            result.matched[lid] = list(dict.fromkeys(word for _w, word in matched))
            result.order.append(lid)
        return result


def _public_candidates(text: str, codes: list[numbers.IPCCode]) -> _Candidates:
    """Fallback through the public ``search()``: an OR query of the most frequent terms (no idf)."""
    counts = Counter(word for _term, word in analyse(text))
    words = [w for w, _c in counts.most_common(KEY_TERMS) if re.fullmatch(r"\w+", w)]
    words += [str(c) for c in codes]
    if not words:
        return _Candidates({}, {}, {}, [])
    result = _Candidates({}, {}, {}, [])
    query = " OR ".join(words)
    for page in (1, 2):
        found = search_module.search(search_module.SearchQuery(
            text=query, page=page, per_page=search_module.MAX_PER_PAGE, facets=False, highlight=False))
        if found.error or not found.hits:
            break
        for hit in found.hits:
            result.order.append(hit.listing_id)
            result.text[hit.listing_id] = hit.score
            result.coverage[hit.listing_id] = 0.0
            result.matched[hit.listing_id] = []
    best = max(result.text.values(), default=0.0) or 1.0
    result.text = {k: v / best for k, v in result.text.items()}
    return result


def _candidates(text: str, codes: list[numbers.IPCCode]) -> _Candidates:
    try:
        found = _index_candidates(text, codes)
    except (AttributeError, TypeError) as exc:  # listings.search internals changed: use the public API
        log.warning("matching: index internals unavailable (%s); using search()", exc)
        return _public_candidates(text, codes)
    return found if found is not None else _Candidates({}, {}, {}, [])


# --- re-ranking --------------------------------------------------------------------------------
def match_text(
    text: str,
    *,
    ipc=(),
    budget_minor: int | None = None,
    currency: str = Currency.CNY,
    free_only: bool = False,
    licence_kinds=(),
    province: str = "",
    exclude_owner=None,
    exclude_listing_ids=(),
    limit: int = 10,
) -> list[Match]:
    """The best ``limit`` browsable listings for a free text and preferences, best first.

    ``ipc``: codes in any form ``normalise_ipc`` accepts (unparseable ones are ignored);
    ``exclude_owner``: an Organisation (or its id) whose listings are never suggested."""
    limit = max(1, min(int(limit), RERANK))
    codes = _parse_codes(ipc)
    if not (text or "").strip() and not codes:
        return []
    found = _candidates(text or "", codes)
    if not found.order:
        return []
    queryset = Listing.objects.browsable().filter(pk__in=found.order)
    if exclude_owner is not None:
        queryset = queryset.exclude(owner_id=getattr(exclude_owner, "pk", exclude_owner))
    if exclude_listing_ids:
        queryset = queryset.exclude(pk__in=list(exclude_listing_ids))
    if free_only:
        queryset = queryset.filter(Q(fee_model=FeeModel.FREE) | Q(donation_quota__gt=0))
    allowed = set(queryset.values_list("pk", flat=True))
    ids = [lid for lid in found.order if lid in allowed][:RERANK]
    listings = {row["pk"]: _Row(row) for row in Listing.objects.filter(pk__in=ids).values(*_ROW_FIELDS)}
    patents: dict[int, list] = {}
    for lid, office, number, kind, ipc_codes in (
        Listing.patents.through.objects.filter(listing_id__in=ids).order_by("listing_id", "id")
        .values_list("listing_id", "patent__office", "patent__number", "patent__kind", "patent__ipc_codes")
    ):
        patents.setdefault(lid, []).append((" ".join(p for p in (office, number, kind) if p), ipc_codes or []))
    now = timezone.now()
    kinds = [str(k) for k in licence_kinds or ()]
    codes_of = {lid: _parse_codes(code for _n, codes_ in patents.get(lid, []) for code in codes_) for lid in ids}
    feedback = {} if codes else _ipc_feedback([lid for lid in ids if lid in listings], found, codes_of)
    matches = []
    for lid in ids:
        listing = listings.get(lid)
        if listing is None:
            continue
        mine = patents.get(lid, [])
        matches.append(_score(listing, mine[0][0] if mine else "", codes_of[lid], found, codes,
                              budget_minor, currency, kinds, province, now, feedback, render=False))
    matches.sort(key=lambda m: (-m.score, -(m.parts.get("_published") or 0), m.listing_id))
    matches = matches[:limit]
    for m in matches:
        m.parts.pop("_published", None)
        m.reasons = render_reasons(m.reason_codes)  # rendered only for the matches returned
    return matches


_ROW_FIELDS = ("pk", "fee_model", "donation_quota", "upfront_price_minor", "currency", "published_at",
               "offers_exclusive", "offers_sole", "offers_non_exclusive", "offers_assignment", "owner__province")


class _Owner:
    __slots__ = ("province",)

    def __init__(self, province):
        self.province = province


class _Row:
    """The Listing fields ``_score`` reads, from one ``values()`` row (no model instances, no owner rows)."""

    __slots__ = ("pk", "fee_model", "donation_quota", "upfront_price_minor", "currency", "published_at",
                 "licence_kinds", "owner")

    def __init__(self, row: dict):
        self.pk = row["pk"]
        self.fee_model = row["fee_model"]
        self.donation_quota = row["donation_quota"]
        self.upfront_price_minor = row["upfront_price_minor"]
        self.currency = row["currency"]
        self.published_at = row["published_at"]
        self.owner = _Owner(row["owner__province"])
        flags = ((LicenceKind.EXCLUSIVE, row["offers_exclusive"]), (LicenceKind.SOLE, row["offers_sole"]),
                 (LicenceKind.NON_EXCLUSIVE, row["offers_non_exclusive"]),
                 (LicenceKind.ASSIGNMENT, row["offers_assignment"]))
        self.licence_kinds = [str(kind) for kind, offered in flags if offered]


def _text_part(found: _Candidates, lid: int) -> float:
    return 0.5 * found.text.get(lid, 0.0) + 0.5 * found.coverage.get(lid, 0.0)


def _feedback_keys(code: numbers.IPCCode) -> list[tuple[str, str]]:
    keys = [(code.subclass, "subclass")]
    if code.group is not None:
        keys.insert(0, (code.main_group, "main_group"))
    return keys


def _ipc_feedback(ids: list[int], found: _Candidates, codes_of: dict) -> dict:
    """{(code text, level): support in [0, 1]} voted by the best text matches (step 3b)."""
    if not IPC_FEEDBACK_DOCS:
        return {}
    top = heapq.nlargest(IPC_FEEDBACK_DOCS, ids, key=lambda lid: (_text_part(found, lid), -lid))
    votes: Counter = Counter()
    total = 0.0
    for lid in top:
        weight = _text_part(found, lid)
        if weight <= 0:
            continue
        total += weight
        for key in {k for code in codes_of.get(lid, ()) for k in _feedback_keys(code)}:
            votes[key] += weight
    return {key: value / total for key, value in votes.items()} if total else {}


def _score(listing, patent_number, listing_codes, found, codes, budget_minor, currency, kinds, province, now,
           feedback=None, render=True):
    w = WEIGHTS
    reasons: list[dict] = []
    parts: dict = {}

    def reason(reason_code, **params):
        reasons.append({"code": reason_code, "params": params})

    # IPC proximity: to the need's codes, or (without any) to the codes inferred from the best matches
    level, shared = ipc_proximity(codes, listing_codes)
    parts["ipc"] = w.ipc * IPC_LEVELS[level] if level else 0.0
    if level:
        reason(f"ipc_{level}", code=shared)
    elif feedback:
        best, best_key = 0.0, None
        for code in listing_codes:
            for key in _feedback_keys(code):
                value = feedback.get(key, 0.0) * IPC_LEVELS[key[1]]
                if value > best:
                    best, best_key = value, key
        parts["ipc"] = w.ipc * IPC_FEEDBACK_SHARE * best
        if best_key and feedback[best_key] >= IPC_FEEDBACK_REASON:
            reason("ipc_inferred", code=best_key[0])
    # text
    parts["text"] = w.text * _text_part(found, listing.pk)
    words = found.matched.get(listing.pk) or []
    if words:
        reason("keywords", words=words[:MAX_REASON_WORDS])
    # free / donated
    free = listing.fee_model == FeeModel.FREE
    parts["free"] = w.free if (free or listing.donation_quota > 0) else 0.0
    if free:
        reason("free")
    if listing.donation_quota > 0:
        reason("donation", count=listing.donation_quota)
    # budget
    upfront = listing.upfront_price_minor or 0
    parts["budget"] = 0.0
    if budget_minor is not None:
        if free:
            parts["budget"] = w.budget  # the "free licence" reason says it already
        elif upfront == 0 or listing.currency == currency:
            if upfront <= budget_minor:
                parts["budget"] = w.budget
                reason("budget")
            else:
                parts["budget"] = -w.budget
    # licence kinds
    offered = listing.licence_kinds
    wanted = [k for k in kinds if k in offered]
    parts["licence"] = w.licence if wanted else 0.0
    if wanted:
        reason("licence_kind", kind=wanted[0])
    # province
    parts["province"] = w.province if province and listing.owner.province == province else 0.0
    if parts["province"]:
        reason("province", province=province)
    # freshness
    published = listing.published_at
    if published:
        age_days = max(0.0, (now - published).total_seconds() / 86400)
        parts["fresh"] = w.fresh * 0.5 ** (age_days / FRESH_HALF_LIFE_DAYS)
        if age_days <= RECENT_DAYS:
            reason("recent", days=RECENT_DAYS)
    else:
        parts["fresh"] = 0.0
    score = sum(parts.values())
    parts = {k: round(v, 4) for k, v in parts.items()}
    parts["_published"] = published.timestamp() if published else 0
    return Match(listing_id=listing.pk, patent=patent_number, score=round(score, 4),
                 reasons=render_reasons(reasons) if render else [], reason_codes=reasons, parts=parts)


def match_need(need, limit: int = 10) -> list[Match]:
    """Matches for a stored need: never the SME's own listings, never listings it dismissed for this need."""
    from matching.models import SuggestionStatus

    dismissed = need.suggestions.filter(status=SuggestionStatus.DISMISSED).values_list("listing_id", flat=True)
    return match_text(
        need.text,
        ipc=need.ipc_codes,
        budget_minor=need.budget_minor,
        currency=need.currency,
        free_only=need.free_or_donated_only,
        licence_kinds=need.licence_kinds,
        province=need.province,
        exclude_owner=need.organisation_id,
        exclude_listing_ids=list(dismissed),
        limit=limit,
    )
