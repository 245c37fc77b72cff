"""Ranking listings for a need, and needs for a listing: one documented formula, explained by reasons.

Public interface:

    match_text(text, *, ipc=(), budget_minor=None, currency="CNY", free_only=False, licence_kinds=(),
               province="", exclude_owner=None, exclude_listing_ids=(), limit=10) -> list[Match]
    match_need(need, limit=10) -> list[Match]        a stored need: its preferences, exclusions, dismissals
    rank_need(need, limit=10) -> Ranking             the same, plus the IPC fields inferred (step 3b) to store
    score_listing(listing, profiles) -> {need id: Match}           ONE listing against many needs (push, reverse)
    score_listing_for_needs(listing, needs) -> {need id: Match}    the same for ``Need`` rows
    score_listings(profile, listing_ids) -> {listing id: Match}    ONE need against given listings
    NeedProfile.of_need(need) / NeedProfile.of_text(text, ...)     what the formula reads of a need
    key_terms(text) -> list[KeyTerm(term, word, weight)]           step 1, for explanations and tests
    render_reasons(reason_codes) -> list[str]                      in the active language
    ipc_proximity(need codes, listing codes) -> (level, shared code)

The index is read only through ``listings.search``'s public term API (``query_terms``, ``listing_terms``,
``sub_words``, ``term_index``).

How it works
------------
1. *Key terms.* The need text (English and/or Chinese) is analysed as the index analyses queries
   (``search.query_terms``: English stems; Chinese: OpenCC t2s + jieba precise cut, a word the index does not
   know replaced by its known sub-words); stop words and patent boilerplate (``listings.stopwords``, shared
   with search: "more", "keeps", "wherein", "一种", "及其制备方法") and words of the request rather than the
   technology (``REQUEST_WORDS``: "want", "license", "granted patent", "寻找", "专利许可") are dropped, so a
   reason never reads "matches: keeps" or "matches: 制备, 及其". Each term gets
   ``(1 + ln tf) × ln(1 + N / df)`` with ``df`` from the live index and ``N`` the documents that could hold it
   (``corpus_size``: for a Chinese word, those with Chinese text); terms unknown to the index are dropped, and
   terms in more than ``COMMON_DF_FRACTION`` of those documents are used only when fewer than
   ``MIN_KEY_TERMS`` others remain. The best ``KEY_TERMS``
   (20) are kept: a long text never becomes a plain OR query (STACK-NOTES: a 50-word OR query takes 20 s).
2. *Candidates* (one need against the catalogue). Documents having any key term (OR semantics); only for a
   need without key terms (codes only, or words the index does not know), documents sharing one of its IPC
   codes at subclass level or deeper. Text before codes: a listing whose only evidence is a shared code is not
   a suggestion for a need that says what it wants. The best ``POOL`` (300) by a
   cheap pre-score (the text and IPC parts of the formula) are mapped to listings, filtered in the database
   (browsable only, not the SME's own organisation, not excluded/dismissed, free or donated only when asked)
   and the best ``RERANK`` (200) are scored fully.
3. *Formula* (all weights in ``WEIGHTS`` below; each part is in [0, 1] except budget, in [-1, 1])::

       score = text     × (½ · Σₜ wₜ · bm25ₜ(listing) / max bm25ₜ  +  ½ · Σₜ∈listing wₜ) / Σₜ wₜ
             + ipc      × IPC_LEVELS[best level shared with any of the need's codes] × min(1, text / IPC_FULL_TEXT)
                          (same subgroup 1.0 > main group 0.7 > subclass 0.4 > class 0.15 > none 0; ``text``
                          the text part below in [0, 1]; the last factor is 1 for a need without key terms)
             + budget   × (+1 if upfront price ≤ budget (same currency) or free; −1 if above; 0 without budget)
             + licence  × (1 if the listing offers one of the preferred licence kinds, else 0)
             + province × (1 if the owner is in the need's province, else 0)
             + free     × (1 if the listing is free or donates licences to small enterprises, else 0)
             + fresh    × 0.5 ** (days since published / FRESH_HALF_LIFE_DAYS)
       (the five preference parts budget … fresh × (PREFERENCE_FLOOR + (1 − PREFERENCE_FLOOR) × min(1, text /
        IPC_FULL_TEXT)): they rank text matches, and a free listing sharing two generic words with the need
        does not outrank paid listings about its subject)

   ``wₜ`` is the key-term weight of step 1 and ``bm25ₜ`` the term's BM25 impact (title ×3) as the index
   computes it, divided by the term's best impact in the index: each key term counts by its weight, so one
   title hit on a moderately common word cannot outweigh the need's rare, repeated words (seen on the
   100,000-listing bench: "washing machines" beat lithium cathodes with raw BM25 sums). The first half
   grades how well each term matches, the second (coverage) only whether it is there; both are absolute in
   [0, 1], so a score can be compared with a threshold (push). Ties: newer listing first, then id.
   The IPC part grows with the text evidence and is whole from ``IPC_FULL_TEXT`` (0.3) on: a shared subclass
   with one weak word in common no longer outranks listings about the need's subject (seen in the demo: a
   battery casing, fuel cells and a humidity film sharing only H01M with a cathode need came first).

   *3b. IPC feedback* (needs without IPC codes only; pseudo-relevance feedback, no labels read): the
   ``IPC_FEEDBACK_DOCS`` best candidates by the text part vote for their IPC main groups and subclasses,
   each vote weighted by its text part; a code's *support* is its votes over all votes, in [0, 1]. Then
   ``ipc = IPC_FEEDBACK_SHARE × max over the listing's codes of support × IPC_LEVELS[level]`` (main group
   0.7, subclass 0.4; ``IPC_FEEDBACK_SHARE`` 1.0: with the stop lists, 0.5 lost 0.02–0.03 P@10 strict on the
   bench, 1.0 gains on every figure; scaling it with the text part like stated codes lost 0.03–0.13), for
   listings with text evidence only (a listing sharing no key term is not made a
   match by its field alone; in a search such a listing is not even a candidate). Measured on bench/matching_quality.py (abstract-only needs, relevant = shared main
   group): it is what lifts the matcher above plain BM25 — listings in the field of the best matches rise
   over ones that merely share words. ``rank_need`` returns the votes so ``record_suggestions`` stores them
   on the need (``Need.ipc_feedback``): scoring one new listing against many needs (push) reads them there
   instead of searching the whole catalogue again for every need.
4. *One listing against many needs* (``score_listing``): the same key terms per need; the listing's own
   BM25 impact per key term and the term's best impact from the index; the rest of the formula is the same
   function. So a pushed suggestion carries the score and reasons the need's own search gives it (up to the
   stored IPC votes, as fresh as the need's last refresh). A listing not in the index (a draft, a paused
   listing, the index being rebuilt) is scored with coverage standing in for both halves of the text part:
   an approximation on the same scale.
5. *Reasons.* Every match carries structured reasons (``reason_codes``: ``{"code", "params"}``) and their
   rendering in the active language (``reasons``), e.g. "shares IPC H01M 10/052", "matches: lithium,
   cathode", "free licence", "within your budget", "offers a non-exclusive licence", "owner in Guangdong".
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from listings import numbers, stopwords
from listings import search as search_module
from listings.models import Currency, FeeModel, LicenceKind, Listing
from marketplace import wording
from marketplace.models import Province


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
KEY_TERMS = 20  # 10 → 20: +0.01 P@10 on abstracts, +0.09 with classification titles (bench), p95 +15 ms at 100k
MIN_KEY_TERMS = 3
COMMON_DF_FRACTION = 0.2  # terms in more than this share of documents are weak evidence
COMMON_DF_MIN = 50  # ... but never call a term common below this many documents
POOL = 300  # candidates taken from the index
RERANK = 200  # candidates scored with the full formula
MAX_TEXT_CHARS = 20_000
MAX_REASON_WORDS = 5
IPC_FULL_TEXT = 0.3  # text part from which a shared IPC code counts in full (below: in proportion)
PREFERENCE_PARTS = ("budget", "licence", "province", "free", "fresh")  # scaled like the IPC part, from ...
PREFERENCE_FLOOR = 0.5  # ... this share at no text evidence (0 lost 0.007 P@10 judged on +titles: bench)
# IPC feedback for needs without IPC codes (step 3b): the codes of the best text matches vote
IPC_FEEDBACK_DOCS = 10  # how many of the best text matches vote
IPC_FEEDBACK_SHARE = 1.0  # an inferred code counts this much of a stated one (0.5 → 1.0 with the stop lists: bench)
IPC_FEEDBACK_REASON = 0.3  # support above which the inferred code is shown as a reason
IPC_FEEDBACK_KEPT = 20  # votes stored on a need (the strongest)
CHUNK = 1000  # needs scored per hold of the search lock (score_listing)


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


@dataclass
class Ranking:
    matches: list[Match]
    ipc_feedback: list[dict]  # step 3b's votes, strongest first, as stored in Need.ipc_feedback
    profile: "NeedProfile | None" = None  # what was scored, with this search's votes (for score_listings)


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
    if code == "keywords":  # stop words are never key terms; suggestions stored before that drop them here
        words = [w for w in params.get("words") or () if not stopwords.is_stop_word(str(w))]
        return _("matches: %(words)s") % {"words": wording.enumeration(words)} if words else ""
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


# --- IPC codes -------------------------------------------------------------------------------
_LEVEL_ORDER = list(IPC_LEVELS)


def ipc_proximity(need_codes: list[numbers.IPCCode], listing_codes: list[numbers.IPCCode]):
    """The best (level, shared code text) between two code lists, or (None, "")."""
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
            if best[0] is None or _LEVEL_ORDER.index(level) < _LEVEL_ORDER.index(best[0]):
                best = (level, shared)
                if level == "subgroup":
                    return best
    return best


def _ipc_prefixes(codes: list[numbers.IPCCode]) -> list[tuple[str, str]]:
    """(index prefix, level) pairs for recall: the exact code, its main group and its subclass."""
    out = []
    for code in codes:
        if code.group is not None:
            out.append((search_module.ipc_token(str(code)), "subgroup"))
            out.append((f"{code.subclass.lower()}{code.group}/", "main_group"))
        out.append((code.subclass.lower(), "subclass"))
    return list(dict.fromkeys(out))


def _feedback_keys(code: numbers.IPCCode) -> list[tuple[str, str]]:
    keys = [(code.subclass, "subclass")]
    if code.group is not None:
        keys.insert(0, (code.main_group, "main_group"))
    return keys


# --- the need's side ------------------------------------------------------------------------
# Words of the request, not of the technology: how SMEs write a need ("we want to license a granted patent",
# "寻找…的专利许可"). Rare in patent texts, so their idf would make them key terms; they are never looked for.
REQUEST_WORDS = (
    "want wants wanted need needs needed looking seek seeking find license licence licenses licences licensing "
    "licensed licensee patent patents patented granted buy acquire company companies firm interested offer "
    "offers would like hope please know how "
    "寻找 需要 需求 希望 想要 求购 购买 引进 我们 我司 公司 企业 专利 许可 转让 合作 感兴趣"
)
REQUEST_TERMS = frozenset(term for term, _word in search_module.query_terms(REQUEST_WORDS))


class KeyTerm(NamedTuple):
    term: str  # as indexed, e.g. "batteri"
    word: str  # as the need wrote it, e.g. "batteries" (for "matches: …")
    weight: float


def _pick_key_terms(index, pairs: list[tuple[str, str]]) -> list[KeyTerm]:
    """Step 1: the best KEY_TERMS terms of an analysed text by (1 + ln tf) × idf (``index``: a TermIndex)."""
    pairs = [(term, word) for term, word in pairs if not stopwords.is_stop_word(word)]
    tf = Counter(term for term, _s in pairs if term not in REQUEST_TERMS)
    surface = {}
    for term, word in pairs:
        surface.setdefault(term, word)
    strong, weak = [], []
    for term, count in tf.items():
        dfs = [(term, index.doc_frequency(term))]
        if dfs[0][1] == 0:  # a Chinese word cut differently from the documents: use its known sub-words
            dfs = [(p, index.doc_frequency(p)) for p in search_module.sub_words(term)
                   if p not in REQUEST_TERMS and not stopwords.is_stop_word(p)]
        for t, df in dfs:
            if df <= 0 or (len(t) < 2 and search_module.has_han(t)):
                continue
            n = max(1, index.corpus_size(t))  # Chinese words: among the documents with Chinese text
            weight = (1 + math.log(count)) * math.log(1 + n / df)
            (weak if df > max(COMMON_DF_MIN, int(n * COMMON_DF_FRACTION)) else strong).append(
                (weight, t, surface.get(t, t)))
    strong.sort(reverse=True)
    weak.sort(reverse=True)
    chosen = strong[:KEY_TERMS]
    if len(chosen) < MIN_KEY_TERMS:
        chosen += weak[:MIN_KEY_TERMS - len(chosen)]
    seen, out = set(), []
    for weight, term, word in chosen:
        if term not in seen:
            seen.add(term)
            out.append(KeyTerm(term, word, weight))
    return out


def key_terms(text: str) -> list[KeyTerm]:
    """The key terms ``match_text`` would query for ``text`` (empty without an index)."""
    pairs = search_module.query_terms(text, MAX_TEXT_CHARS)
    with search_module.term_index() as index:
        return _pick_key_terms(index, pairs) if index is not None else []


def _decode_feedback(stored) -> dict:
    out = {}
    for item in stored or ():
        try:
            out[(str(item["code"]), str(item["level"]))] = float(item["support"])
        except (KeyError, TypeError, ValueError):
            continue
    return {key: value for key, value in out.items() if key[1] in IPC_LEVELS}


def _encode_feedback(feedback: dict) -> list[dict]:
    best = sorted(feedback.items(), key=lambda kv: (-kv[1], kv[0]))[:IPC_FEEDBACK_KEPT]
    return [{"code": code, "level": level, "support": round(support, 4)} for (code, level), support in best]


@dataclass
class NeedProfile:
    """What the formula reads of a need (or of a text typed into quick match)."""

    pairs: list  # the analysed text: [(term, surface word)]
    codes: list = field(default_factory=list)  # parsed IPC codes
    budget_minor: int | None = None
    currency: str = Currency.CNY
    licence_kinds: list = field(default_factory=list)  # LicenceKind values
    province: str = ""
    free_only: bool = False
    feedback: dict = field(default_factory=dict)  # {(code text, level): support}, needs without codes only
    need_id: int | None = None

    @classmethod
    def of_text(cls, text: str, *, ipc=(), budget_minor=None, currency=Currency.CNY, free_only=False,
                licence_kinds=(), province="", pairs=None) -> "NeedProfile":
        return cls(pairs=search_module.query_terms(text, MAX_TEXT_CHARS) if pairs is None else pairs,
                   codes=numbers.parse_ipc_codes(ipc), budget_minor=budget_minor, currency=currency, free_only=bool(free_only),
                   licence_kinds=[str(k) for k in licence_kinds or ()], province=province or "")

    @classmethod
    def of_need(cls, need, pairs=None) -> "NeedProfile":
        """A stored need, with the IPC votes of its last refresh (``rank_need``)."""
        profile = cls.of_text(need.text, ipc=need.ipc_codes, budget_minor=need.budget_minor, currency=need.currency,
                              free_only=need.free_or_donated_only, licence_kinds=need.licence_kinds,
                              province=need.province, pairs=pairs)
        profile.need_id = need.pk
        if not profile.codes:
            profile.feedback = _decode_feedback(need.ipc_feedback)
        return profile


@dataclass
class _Text:
    """The text evidence of one listing for one need: the two halves of the text part, and the words."""

    relevance: float = 0.0  # Σ wₜ · bm25ₜ / max bm25ₜ over Σ wₜ
    coverage: float = 0.0  # Σ wₜ of the terms present over Σ wₜ
    words: list = field(default_factory=list)  # surface words present, heaviest first
    asked: bool = False  # the need has key terms (else its IPC codes are all the evidence there can be)

    @property
    def part(self) -> float:
        return 0.5 * self.relevance + 0.5 * self.coverage

    @property
    def ipc_scale(self) -> float:
        """How much of the IPC part a listing earns: in proportion to its text evidence, in full from
        ``IPC_FULL_TEXT`` on; in full for a need without key terms (step 3)."""
        return min(1.0, self.part / IPC_FULL_TEXT) if self.asked else 1.0


_NO_TEXT = _Text()


# --- the listing's side ------------------------------------------------------------------------
_FACT_FIELDS = ("pk", "fee_model", "donation_quota", "upfront_price_minor", "currency", "published_at",
                "offers_exclusive", "offers_sole", "offers_non_exclusive", "offers_assignment", "owner__province")


class _Facts:
    """What the formula reads of a listing, from one ``values()`` row and its patents (no model instances)."""

    __slots__ = ("pk", "fee_model", "donation_quota", "upfront_price_minor", "currency", "published_at",
                 "licence_kinds", "province", "patent", "codes")

    def __init__(self, row: dict, patents: list):
        self.pk = row["pk"]
        self.fee_model = row["fee_model"]
        self.donation_quota = row["donation_quota"]
        self.upfront_price_minor = row["upfront_price_minor"]
        self.currency = row["currency"]
        self.published_at = row["published_at"]
        self.province = row["owner__province"]
        flags = ((LicenceKind.EXCLUSIVE, row["offers_exclusive"]), (LicenceKind.SOLE, row["offers_sole"]),
                 (LicenceKind.NON_EXCLUSIVE, row["offers_non_exclusive"]),
                 (LicenceKind.ASSIGNMENT, row["offers_assignment"]))
        self.licence_kinds = [str(kind) for kind, offered in flags if offered]
        self.patent = patents[0][0] if patents else ""  # canonical number of the first patent
        self.codes = numbers.parse_ipc_codes(code for _number, codes in patents for code in codes)

    @property
    def free(self) -> bool:
        return self.fee_model == FeeModel.FREE

    @property
    def published_ts(self) -> float:
        return self.published_at.timestamp() if self.published_at else 0.0


def _facts(ids) -> dict[int, _Facts]:
    """``{listing id: _Facts}`` in two queries (whatever the listings' states)."""
    ids = list(ids)
    patents: dict[int, list] = {}
    for lid, office, number, kind, codes in (
        Listing.patents.through.objects.filter(listing_id__in=ids).order_by("listing_id", "id")
        .values_list("listing_id", "patent__office", "patent__number", "patent__kind", "patent__ipc_codes")
    ):
        patents.setdefault(lid, []).append((" ".join(p for p in (office, number, kind) if p), codes or []))
    return {row["pk"]: _Facts(row, patents.get(row["pk"], []))
            for row in Listing.objects.filter(pk__in=ids).values(*_FACT_FIELDS)}


# --- the formula --------------------------------------------------------------------------------
def _score(facts: _Facts, text: _Text, profile: NeedProfile, now) -> Match:
    """Step 3 for one (listing, need) pair: the score, its weighted parts and the structured reasons."""
    w = WEIGHTS
    reasons: list[dict] = []
    parts: dict = {}

    def reason(reason_code, **params):
        reasons.append({"code": reason_code, "params": params})

    # IPC proximity: to the need's codes, or (without any) to the codes inferred from its best matches
    level, shared = ipc_proximity(profile.codes, facts.codes)
    parts["ipc"] = w.ipc * IPC_LEVELS[level] * text.ipc_scale if level else 0.0
    if level:
        reason(f"ipc_{level}", code=shared)
    elif profile.feedback and text.part > 0:  # the votes rank text matches; they never recall a listing alone
        feedback = profile.feedback
        best, best_key = 0.0, None
        for code in facts.codes:
            for key in _feedback_keys(code):
                value = feedback.get(key, 0.0) * IPC_LEVELS[key[1]]
                if value > best:
                    best, best_key = value, key
        parts["ipc"] = w.ipc * IPC_FEEDBACK_SHARE * best
        if best_key and feedback[best_key] >= IPC_FEEDBACK_REASON:
            reason("ipc_inferred", code=best_key[0])
    # text
    parts["text"] = w.text * text.part
    if text.words:
        reason("keywords", words=text.words[:MAX_REASON_WORDS])
    # free / donated
    parts["free"] = w.free if (facts.free or facts.donation_quota > 0) else 0.0
    if facts.free:
        reason("free")
    if facts.donation_quota > 0:
        reason("donation", count=facts.donation_quota)
    # budget
    upfront = facts.upfront_price_minor or 0
    parts["budget"] = 0.0
    if profile.budget_minor is not None:
        if facts.free:
            parts["budget"] = w.budget  # the "free licence" reason says it already
        elif upfront == 0 or facts.currency == profile.currency:
            if upfront <= profile.budget_minor:
                parts["budget"] = w.budget
                reason("budget")
            else:
                parts["budget"] = -w.budget
    # licence kinds
    wanted = [k for k in profile.licence_kinds if k in facts.licence_kinds]
    parts["licence"] = w.licence if wanted else 0.0
    if wanted:
        reason("licence_kind", kind=wanted[0])
    # province
    parts["province"] = w.province if profile.province and facts.province == profile.province else 0.0
    if parts["province"]:
        reason("province", province=profile.province)
    # freshness
    parts["fresh"] = 0.0
    if facts.published_at:
        age_days = max(0.0, (now - facts.published_at).total_seconds() / 86400)
        parts["fresh"] = w.fresh * 0.5 ** (age_days / FRESH_HALF_LIFE_DAYS)
        if age_days <= RECENT_DAYS:
            reason("recent", days=RECENT_DAYS)
    # The preferences (free, budget, licence kind, province, freshness) rank text matches; on weak text evidence
    # they count in proportion, like a shared code: a free "Magic trick device" sharing only "coating, material"
    # outranked paid lithium-battery listings for a cathode text in quick match (walk, issue 9).
    scale = PREFERENCE_FLOOR + (1 - PREFERENCE_FLOOR) * text.ipc_scale
    for name in PREFERENCE_PARTS:
        parts[name] *= scale
    score = sum(parts.values())
    return Match(listing_id=facts.pk, patent=facts.patent, score=round(score, 4), reason_codes=reasons,
                 parts={k: round(v, 4) for k, v in parts.items()})


def _finish(matches: list[Match]) -> list[Match]:
    for m in matches:
        m.reasons = render_reasons(m.reason_codes)  # rendered only for the matches returned
    return matches


# --- one need against the catalogue (steps 1-3) ------------------------------------------------------
@dataclass
class _Pool:
    text: dict  # listing id -> _Text
    order: list  # listing ids, best pre-score first


def _pool(profile: NeedProfile) -> _Pool:
    """Step 2: the best POOL candidates from the live index (empty without one)."""
    with search_module.term_index() as index:
        if index is None:
            return _Pool({}, [])
        terms = _pick_key_terms(index, profile.pairs)
        lists = [(t.word, t.weight, index.impacts(t.term)) for t in terms]
        total = sum(t.weight for t in terms) or 1.0
        relevance: dict = {}  # docnum -> Σ key-term weight × impact / the term's best impact, over Σ weights
        coverage: dict = {}  # docnum -> Σ key-term weight of the terms present, over Σ weights
        for _word, weight, impacts in lists:
            if not impacts:
                continue
            scale = weight / total / (max(impacts.values()) or 1.0)
            share = weight / total
            get_r, get_c = relevance.get, coverage.get
            for doc, value in impacts.items():
                relevance[doc] = get_r(doc, 0.0) + value * scale
                coverage[doc] = get_c(doc, 0.0) + share
        ipc_level: dict = {}
        for prefix, level in _ipc_prefixes(profile.codes):
            value = IPC_LEVELS[level]
            for doc in index.ipc_docs(prefix):
                if ipc_level.get(doc, 0.0) < value:
                    ipc_level[doc] = value
        # text before codes: with key terms, only listings having one are candidates (codes rank them)
        docs = set(relevance) if terms else set(ipc_level)
        if not docs:
            return _Pool({}, [])
        full = IPC_FULL_TEXT if terms else 0.0

        def pre_score(d):
            part = 0.5 * (relevance.get(d, 0.0) + coverage.get(d, 0.0))
            return WEIGHTS.text * part + WEIGHTS.ipc * ipc_level.get(d, 0.0) * (min(1.0, part / full) if full else 1.0)

        pre = {d: pre_score(d) for d in docs}
        published = index.published
        pool = _Pool({}, [])
        for doc in heapq.nlargest(POOL, docs, key=lambda d: (pre[d], published(d), -d)):
            lid = index.listing_id(doc)
            if not lid:
                continue
            present = sorted(((weight, word) for word, weight, impacts in lists if doc in impacts), reverse=True)
            pool.text[lid] = _Text(relevance.get(doc, 0.0), coverage.get(doc, 0.0),
                                   list(dict.fromkeys(word for _w, word in present)), asked=bool(terms))
            pool.order.append(lid)
        return pool


def _ipc_feedback(ids: list[int], pool: _Pool, facts: dict) -> dict:
    """Step 3b: {(code text, level): support in [0, 1]} voted by the best text matches."""
    if not IPC_FEEDBACK_DOCS:
        return {}
    top = heapq.nlargest(IPC_FEEDBACK_DOCS, ids, key=lambda lid: (pool.text[lid].part, -lid))
    votes: Counter = Counter()
    total = 0.0
    for lid in top:
        weight = pool.text[lid].part
        if weight <= 0:
            continue
        total += weight
        for key in {k for code in facts[lid].codes for k in _feedback_keys(code)}:
            votes[key] += weight
    return {key: value / total for key, value in votes.items()} if total else {}


def _rank(profile: NeedProfile, *, exclude_owner=None, exclude_listing_ids=(), limit: int = 10) -> Ranking:
    limit = min(int(limit), RERANK)
    nothing = Ranking([], [], replace(profile, feedback={}))  # no matches: no votes, as stored
    if limit <= 0 or (not profile.pairs and not profile.codes):
        return nothing
    pool = _pool(profile)
    if not pool.order:
        return nothing
    queryset = Listing.objects.browsable().filter(pk__in=pool.order)
    if exclude_owner is not None:
        owners = exclude_owner if isinstance(exclude_owner, (list, tuple, set, frozenset)) else [exclude_owner]
        queryset = queryset.exclude(owner_id__in=[getattr(owner, "pk", owner) for owner in owners])
    if exclude_listing_ids:
        queryset = queryset.exclude(pk__in=list(exclude_listing_ids))
    if profile.free_only:
        queryset = queryset.filter(Q(fee_model=FeeModel.FREE) | Q(donation_quota__gt=0))
    allowed = set(queryset.values_list("pk", flat=True))
    ids = [lid for lid in pool.order if lid in allowed][:RERANK]
    facts = _facts(ids)
    ids = [lid for lid in ids if lid in facts]
    feedback = {} if profile.codes else _ipc_feedback(ids, pool, facts)
    profile = replace(profile, feedback=feedback)  # the votes of this search, not the stored ones
    now = timezone.now()
    matches = [_score(facts[lid], pool.text[lid], profile, now) for lid in ids]
    matches.sort(key=lambda m: (-m.score, -facts[m.listing_id].published_ts, m.listing_id))
    return Ranking(_finish(matches[:limit]), _encode_feedback(feedback), profile)


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
    ``exclude_owner``: an Organisation (or its id), or a list of them, whose listings are never suggested."""
    profile = NeedProfile.of_text(text or "", ipc=ipc, budget_minor=budget_minor, currency=currency,
                                  free_only=free_only, licence_kinds=licence_kinds, province=province)
    return _rank(profile, exclude_owner=exclude_owner, exclude_listing_ids=exclude_listing_ids, limit=limit).matches


def rank_need(need, limit: int = 10) -> Ranking:
    """A stored need's matches (never the SME's own listings, never listings it dismissed for this need) and
    the IPC votes of its best text matches (step 3b; empty for a need with IPC codes)."""
    from matching.models import SuggestionStatus

    dismissed = need.suggestions.filter(status=SuggestionStatus.DISMISSED).values_list("listing_id", flat=True)
    return _rank(NeedProfile.of_need(need), exclude_owner=need.organisation_id, exclude_listing_ids=list(dismissed), limit=limit)


def match_need(need, limit: int = 10) -> list[Match]:
    """Matches for a stored need: never the SME's own listings, never listings it dismissed for this need."""
    return rank_need(need, limit).matches


# --- one listing against many needs (step 4) -----------------------------------------------------
def score_listing(listing, profiles, *, listing_terms: set | None = None) -> dict:
    """``{need id: Match}``: ``listing`` scored for each ``NeedProfile`` (which must have ``need_id``) with the
    formula above — what ``match_need`` gives the pair, up to the stored IPC votes. No filtering here: the
    caller decides which needs may see the listing. ``listing_terms``: ``search.listing_terms(listing.pk)``,
    when the caller has them already."""
    profiles = list(profiles)
    facts = _facts([listing.pk]).get(listing.pk)
    if facts is None or not profiles:
        return {}
    if listing_terms is None:
        listing_terms = search_module.listing_terms(listing.pk)
    now = timezone.now()
    out = {}
    for start in range(0, len(profiles), CHUNK):
        chunk = profiles[start:start + CHUNK]
        texts = []
        with search_module.term_index() as index:
            docnum = index.docnum(listing.pk) if index is not None else None
            for profile in chunk:
                texts.append(_text_evidence(index, _pick_key_terms(index, profile.pairs), docnum, listing_terms)
                             if index is not None else _NO_TEXT)
        for profile, text in zip(chunk, texts):
            out[profile.need_id] = _finish([_score(facts, text, profile, now)])[0]
    return out


def score_listings(profile: NeedProfile, listing_ids) -> dict:
    """``{listing id: Match}``: ONE need against given listings (re-scoring a need's stored suggestions), with
    the formula above. Listings not in the index (not browsable) are left out."""
    facts = _facts(listing_ids)
    if not facts:
        return {}
    texts = {}
    with search_module.term_index() as index:
        if index is None:
            return {}
        terms = _pick_key_terms(index, profile.pairs)
        for lid in facts:
            docnum = index.docnum(lid)
            if docnum is not None:
                texts[lid] = _text_evidence(index, terms, docnum)
    now = timezone.now()
    return {lid: _finish([_score(facts[lid], text, profile, now)])[0] for lid, text in texts.items()}


def _text_evidence(index, terms: list[KeyTerm], docnum, listing_terms: set | None = None) -> _Text:
    """The text evidence of one listing for one need's key terms, inside ``term_index()``. Not in the index
    (``docnum`` None): coverage over ``listing_terms`` stands in for the BM25 half."""
    total = sum(t.weight for t in terms) or 1.0
    text = _Text(asked=bool(terms))
    present = []
    for term, word, weight in terms:
        if listing_terms is not None and term not in listing_terms:
            continue
        if docnum is None:
            mine = best = 1.0
        else:
            mine = index.impacts(term).get(docnum, 0.0)
            if not mine:
                continue
            best = index.best_impact(term)
        text.relevance += weight / total * mine / best
        text.coverage += weight / total
        present.append((weight, word))
    present.sort(reverse=True)
    text.words = list(dict.fromkeys(word for _w, word in present))
    return text


def score_listing_for_needs(listing, needs) -> dict:
    """``score_listing`` for ``Need`` rows (analysing their texts)."""
    return score_listing(listing, [NeedProfile.of_need(need) for need in needs])
