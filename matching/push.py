"""Push: when a listing is published, suggest it to every active need it matches and tell the SMEs.

Public interface:

    on_listing_published(sender, listing_id, **kwargs)   the ``listings.actions.listing_published`` receiver
                                                         (connected in ``MatchingConfig.ready``): enqueues
    fan_out(listing_id) -> FanOut                        the work (task ``matching.fan_out_listing``)
    candidate_needs(listing, needs=None) -> [(need, terms)]      the pre-filter (step 2 below)
    score_candidates(listing, candidates) -> {need id: Match}    step 3 for those
    score_listing_for_needs(listing, needs) -> {need id: Match}  ONE listing against given needs, no pre-filter
    record_pushed(listing, matches) -> list[Suggestion]  the bulk action: validate, bulk_create, one audit entry

Threshold
---------
A need gets the listing when its score (``matching.scoring``'s formula, the number ``match_need``
gives this pair) is at least ``THRESHOLD`` = 0.35. The parts of the formula that do not depend on the
text or the IPC codes (budget 0.08 + licence kind 0.07 + province 0.05 + free 0.05 + freshness 0.05) add up
to at most 0.30, so a pushed listing always shares real evidence with the need: at least a same-subclass IPC
code with most of the other parts, or a good share of the need's key terms. On the demo catalogue a need
and the listing written for it score 0.5–0.9; unrelated pairs 0.05–0.25.

Fan-out design (one listing against all needs; 50,000 needs in 1–4 s)
------------------------------------------------------------------------
A full search per need would be 50,000 searches. Instead the ONE listing is scored against the needs that
can reach the threshold, with an inverted view of the listing instead of an index of needs:

1. *The listing's side.* Its text (title, description, and each patent's title, abstract, claims and
   applicants: what the index holds) is analysed with the index's analyzers (English stems; Chinese jieba
   precise and search-mode words). From the live index: its document number and each term's document
   frequency. Its *distinctive* terms are those in at most ``DISTINCTIVE_DF_FRACTION`` (1 %) of the index
   (or ``scoring.COMMON_DF_MIN`` documents).
2. *Pre-filter.* Without text or IPC evidence a need stays below the threshold (see above). Candidates are
   the eligible needs (active, not the owner's organisation, never suggested this listing — so dismissed
   ones stay dismissed —, not "free only" for a paid listing) that share the listing's IPC subclass or one
   of its distinctive terms. Stage 1 runs one compiled regex over the raw title/description/keywords of every
   eligible need (English stems by prefix at a word start, Chinese words in Simplified and Traditional
   characters; one query streaming (id, texts, codes) tuples); stage 2 analyses only those needs (``analyse``
   here: ``scoring.analyse`` without Whoosh's per-token generators, tested to give the same terms) and keeps
   the ones whose analysed terms really contain a distinctive term. The one approximation: a need sharing
   only words common in the catalogue (> 1 %) and no IPC subclass is not considered — such a need can only
   pass the threshold when nearly all of its few key terms are common words.
3. *Score the candidates.* Holding the index lock in chunks of ``CHUNK`` needs, each candidate's key terms
   are picked exactly as ``scoring`` picks them (document frequencies cached between fan-outs, see
   ``_Index``), and for the key terms the listing has, the listing's BM25 impact and the term's best impact
   come from the index's word cache. That gives the text relevance, coverage and "matches: …" words
   ``match_need`` computes for this listing; the rest of the formula is ``scoring._score`` itself (IPC
   proximity, budget, licence, province, free, freshness), so a pushed suggestion carries the score and
   reasons the need's own search would give it — except for needs without IPC codes: ``scoring``'s IPC
   feedback (step 3b there) infers codes from the need's ten best matches in the whole index, which only a
   search per need can know, so the fan-out leaves that part out (at most ``WEIGHTS.ipc ×
   IPC_FEEDBACK_SHARE`` = 0.15 × the level). Such a need is pushed on its own evidence; the next
   ``record_suggestions`` of the need refreshes the score to the full value.
4. *Record.* ``record_pushed`` creates the ``pushed`` suggestions in bulk (one audit entry per fan-out), and
   every member of each need's SME gets a ``match.new_listing`` notification (in their language, with the
   reasons) through ``marketplace.notifications.deliver`` — live events and instant emails go out on commit.

Measured on the 100,000-listing bench catalogue (``var/bench/search-100000``) with 50,000 needs written from
the demo patents (English and Chinese), 2 cores, SQLite: 150–1,200 candidates per listing, 0.5–3.5 s per
fan-out, including the notifications (the first one in a process also warms the document-frequency cache).

If the listing is not in the index yet (the index task runs in another worker), the fan-out waits up to
``INDEX_WAIT_SECONDS`` for it, then gives up with a warning.
"""

from __future__ import annotations

import logging
import math
import re
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from listings import search as search_module
from listings.models import FeeModel, Listing
from marketplace import audit, notifications
from marketplace.models import Membership
from matching import scoring
from matching.models import Need, Suggestion, SuggestionStatus

log = logging.getLogger(__name__)

THRESHOLD = 0.35  # see the module docstring: above what budget/licence/province/free/freshness alone give
DISTINCTIVE_DF_FRACTION = 0.01  # a listing term in at most 1 % of the index (or COMMON_DF_MIN docs) selects needs
CHUNK = 1000  # candidate needs scored per hold of the index lock
INDEX_WAIT_SECONDS = 30.0
MAX_AUDIT_IDS = 1000  # need ids listed in the fan-out's audit entry (the count is always there)
NOTIFICATION_KIND = "match.new_listing"


@dataclass
class FanOut:
    listing_id: int
    candidates: int = 0
    matched: int = 0
    suggestions: list = field(default_factory=list)
    notifications: int = 0
    seconds: float = 0.0


# --- the receiver and the task ------------------------------------------------------------------
def on_listing_published(sender, listing_id, **kwargs):
    """``listing_published`` is sent on commit: enqueue the fan-out (the task mode decides where it runs)."""
    from marketplace.tasks import enqueue
    from matching import tasks

    enqueue(tasks.fan_out_listing, listing_id)


# --- the listing's side -------------------------------------------------------------------------
def _listing_texts(listing: Listing) -> list[str]:
    texts = [listing.title or "", listing.description or ""]
    for title, abstract, claims, applicants in Listing.patents.through.objects.filter(listing_id=listing.pk) \
            .values_list("patent__title", "patent__abstract", "patent__claims", "patent__applicants"):
        texts.extend((title or "", abstract or "", claims or "", applicants or ""))
    return [t for t in texts if t]


def _listing_terms(listing: Listing) -> Counter:
    """term → count, with the analyzers of the index (Chinese: precise and search-mode words)."""
    counts: Counter = Counter()
    for text in _listing_texts(listing):
        counts.update(term for term, _surface in scoring.analyse(text))
        if search_module.has_han(text):
            for run in scoring._HAN_RUN.findall(text):
                for word in search_module._jieba().cut_for_search(search_module.to_simplified(run)):
                    if len(word) > 1 and word not in search_module.ZH_STOP_WORDS:
                        counts[word] += 0  # known to be in the document; counted once by the precise cut
    return counts


_DF_CACHE: dict = {"epoch": None, "n": 0, "df": {}}
DF_CACHE_DRIFT = 0.02  # reuse cached document frequencies until the index grows or shrinks by 2 %
DF_CACHE_MAX = 500_000


class _Index:
    """Memoised access to the live index for one fan-out. Use inside ``search_module._LOCK``.

    Document frequencies are kept between fan-outs (per index generation, until the number of live
    documents drifts by ``DF_CACHE_DRIFT``): reading one from Whoosh costs up to a millisecond, and a
    listing published later changes a word's weight by far less than the drift allows."""

    def __init__(self, listing_terms=None):
        self.state = None
        self.docnum = None
        self.listing_terms = set(listing_terms) if listing_terms is not None else None  # None: look every term up
        self.impact: dict = {}  # term -> (listing's impact, best impact)

    def refresh(self, listing_id: int) -> bool:
        state = search_module._state()
        if state is None:
            self.state = None
            return False
        if state is not self.state:
            self.state, self.impact = state, {}
            self.docnum = state.searcher.document_number(id=str(listing_id))
            cache = _DF_CACHE
            epoch = str(state.gen_dir)
            if (cache["epoch"] != epoch or abs(state.n_live - cache["n"]) > DF_CACHE_DRIFT * max(1, cache["n"])
                    or len(cache["df"]) > DF_CACHE_MAX):
                cache.update(epoch=epoch, n=state.n_live, df={})
        return self.docnum is not None

    # what scoring._key_terms reads
    @property
    def n_live(self) -> int:
        return self.state.n_live

    def doc_frequency(self, term: str) -> int:
        df = _DF_CACHE["df"]
        value = df.get(term)
        if value is None:
            value = df[term] = self.state.doc_frequency(term)
        return value

    def impacts(self, term: str) -> tuple[float, float]:
        """(the listing's BM25 impact for the term, the term's best impact); (0, 1) when it lacks the term."""
        value = self.impact.get(term)
        if value is None:
            if self.listing_terms is not None and term not in self.listing_terms:
                return (0.0, 1.0)
            postings = self.state.word(term)
            mine = postings.get(self.docnum, 0.0)
            value = self.impact[term] = (mine, (max(postings.values()) or 1.0) if mine else 1.0)
        return value


# --- fast analysis of need texts (the same output as scoring.analyse, 20-50 x faster) -------------
_EN_PARTS = search_module.english_analyzer()
_TOKEN = _EN_PARTS.items[0].expression
_STOPS = _EN_PARTS.items[2].stops
_stem = search_module.stem_word  # the analyzer's Porter stemmer, with the search module's cache


def analyse(text: str) -> list[tuple[str, str]]:
    """``scoring.analyse(text)`` without Whoosh's per-token generator chain (tested to give the same pairs)."""
    if not text:
        return []
    if scoring._HAN_RUN.search(text):
        return scoring.analyse(text)
    text = unicodedata.normalize("NFKC", text)[:scoring.MAX_TEXT_CHARS]
    if scoring._HAN_RUN.search(text):
        return scoring.analyse(text)
    out = []
    for match in _TOKEN.finditer(text):
        word = match.group().lower()
        if len(word) < 2 or word in _STOPS:
            continue
        term = _stem(word)
        if len(term) < 2 or term.isdigit():
            continue
        out.append((term, word))
    return out


def _wait_for_index(index: _Index, listing_id: int) -> bool:
    from django.conf import settings

    # eager tasks: the index task ran just before, in this thread; nothing to wait for
    deadline = time.monotonic() + (0 if settings.TASKS_MODE == "eager" else INDEX_WAIT_SECONDS)
    while True:
        with search_module._LOCK:
            if index.refresh(listing_id):
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)


# --- pre-filter and scoring ONE listing against many needs -----------------------------------------
NEED_FIELDS = ("pk", "title", "description", "keywords", "ipc_codes", "budget_minor", "currency", "licence_kinds",
               "province", "organisation_id", "free_or_donated_only")


def eligible_needs(listing: Listing):
    """Active needs that may get this listing at all: not the owner's, never suggested it before (dismissed
    ones stay dismissed), and not "free or donated only" when the listing is neither."""
    queryset = (Need.objects.active().exclude(organisation_id=listing.owner_id)
                .exclude(pk__in=Suggestion.objects.filter(listing=listing).values("need_id")))
    if not (listing.fee_model == FeeModel.FREE or listing.donation_quota > 0):
        queryset = queryset.filter(free_or_donated_only=False)
    return queryset.only(*NEED_FIELDS).order_by("pk")


def _distinctive(index: _Index, terms) -> set:
    n = max(1, index.n_live)
    limit = max(scoring.COMMON_DF_MIN, int(n * DISTINCTIVE_DF_FRACTION))
    out = set()
    for term in terms:
        df = index.doc_frequency(term)
        if 0 < df <= limit:
            out.add(term)
    return out


def _shares_subclass(need_codes, subclasses: set) -> bool:
    return any(str(code)[:4].upper() in subclasses for code in need_codes or ())


def _listing_parts(listing: Listing):
    patents = list(Listing.patents.through.objects.filter(listing_id=listing.pk).order_by("id")
                   .values_list("patent__office", "patent__number", "patent__kind", "patent__ipc_codes"))
    patent_number = " ".join(p for p in patents[0][:3] if p) if patents else ""
    listing_codes = scoring._parse_codes(code for *_n, codes in patents for code in codes or ())
    return patent_number, listing_codes


def _score_candidates(listing: Listing, candidates, index: _Index) -> dict:
    """``[(need, analysed pairs)]`` → ``{need id: Match}`` (``index`` must know the listing's terms)."""
    patent_number, listing_codes = _listing_parts(listing)
    now = timezone.now()
    out = {}
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start:start + CHUNK]
        found = []
        with search_module._LOCK:
            if not index.refresh(listing.pk):
                log.warning("push: listing %s left the index during its fan-out", listing.pk)
                return out
            for _need, pairs in chunk:
                terms = scoring._key_terms(index, pairs)
                total = sum(weight for _t, _w, weight in terms) or 1.0
                relevance = coverage = 0.0
                matched = []
                for term, word, weight in terms:
                    mine, best = index.impacts(term)
                    if mine:
                        relevance += weight / total * mine / best
                        coverage += weight / total
                        matched.append((weight, word))
                matched.sort(reverse=True)
                found.append(scoring._Candidates(
                    text={listing.pk: relevance}, coverage={listing.pk: coverage},
                    matched={listing.pk: list(dict.fromkeys(w for _w, w in matched))}, order=[listing.pk]))
        for (need, _pairs), candidate in zip(chunk, found):
            match = scoring._score(listing, patent_number, listing_codes, candidate,
                                   scoring._parse_codes(need.ipc_codes), need.budget_minor, need.currency,
                                   [str(k) for k in need.licence_kinds or ()], need.province, now)
            match.parts.pop("_published", None)
            out[need.pk] = match
    return out


def score_listing_for_needs(listing: Listing, needs, index: _Index | None = None) -> dict:
    """``{need id: Match}``: this listing scored for each need with ``matching.scoring``'s formula (what
    ``match_need`` gives the pair; see step 3 for needs without IPC codes), without any pre-filter.
    ``listing`` needs its ``owner`` loaded. Empty when the listing is not in the index."""
    if index is None or index.listing_terms is None:
        index = _Index(_listing_terms(listing))
    with search_module._LOCK:
        if not index.refresh(listing.pk):
            return {}
    return _score_candidates(listing, [(need, analyse(need.text)) for need in needs], index)


# Kept for matching.reverse (written against an earlier draft); new code uses candidate_needs().
PREFILTER_TERMS = 32


def _prefilter_terms(index: _Index, terms) -> list[str]:
    """The listing's ``PREFILTER_TERMS`` most distinctive terms by tf × idf (inside the index lock)."""
    n = max(1, index.n_live)
    common = max(scoring.COMMON_DF_MIN, int(n * scoring.COMMON_DF_FRACTION))
    scored = []
    for term, count in Counter(terms).items():
        df = index.doc_frequency(term) if len(term) > 1 else 0
        if 0 < df <= common:
            scored.append(((1 + math.log(max(1, count))) * math.log(1 + n / df), term))
    scored.sort(reverse=True)
    return [term for _s, term in scored[:PREFILTER_TERMS]]


def _pattern(term: str) -> str:
    """What a need's text must contain to possibly have this term (English: the stem less its last letter)."""
    return term if search_module.has_han(term) else (term[:-1] if len(term) >= 5 else term)


# --- the bulk action -------------------------------------------------------------------------
def _validate(listing: Listing, matches: dict) -> dict:
    """Drop what must never be pushed: below threshold, inactive needs, the owner's own needs,
    free-only needs for a paid listing, needs that already have (or dismissed) this listing."""
    if not Listing.objects.browsable().filter(pk=listing.pk).exists():
        return {}
    free = listing.fee_model == FeeModel.FREE or listing.donation_quota > 0
    ids = [nid for nid, m in matches.items() if m.score >= THRESHOLD]
    needs = Need.objects.active().filter(pk__in=ids).exclude(organisation_id=listing.owner_id) \
        .exclude(pk__in=Suggestion.objects.filter(listing=listing).values("need_id"))
    if not free:
        needs = needs.filter(free_or_donated_only=False)
    allowed = set(needs.values_list("pk", flat=True))
    return {nid: m for nid, m in matches.items() if nid in allowed}


def record_pushed(listing: Listing, matches: dict) -> list[Suggestion]:
    """Store ``{need id: Match}`` as ``pushed`` suggestions of this listing and notify the SMEs' members.

    System action: validate → lock the listing (fan-outs of one listing take turns) → bulk_create →
    one audit entry → notifications (live events and instant emails on commit). Returns the new suggestions.
    """
    return _record(listing, matches)[0]


def _record(listing: Listing, matches: dict) -> tuple[list[Suggestion], int]:
    with transaction.atomic():
        locked = Listing.objects.select_for_update().select_related("owner").get(pk=listing.pk)
        matches = _validate(locked, matches)
        if not matches:
            return [], 0
        now = timezone.now()
        Suggestion.objects.bulk_create(
            [Suggestion(need_id=nid, listing=locked, score=m.score, reasons=m.reasons,
                        reason_codes=m.reason_codes, status=SuggestionStatus.PUSHED, pushed_at=now, notified_at=now)
             for nid, m in matches.items()],
            batch_size=500, ignore_conflicts=True,  # a concurrent record_suggestions may have added one
        )
        created = list(Suggestion.objects.filter(listing=locked, need_id__in=list(matches), pushed_at=now)
                       .select_related("need__organisation"))
        if not created:
            return [], 0
        need_ids = sorted(s.need_id for s in created)
        audit.record("listing.suggestions_pushed", target=locked, organisation=locked.owner,
                     after={"count": len(need_ids), "needs": need_ids[:MAX_AUDIT_IDS], "threshold": THRESHOLD})
        sent = _notify_members(locked, created)
    return created, sent


def _notify_members(listing: Listing, suggestions: list[Suggestion]) -> int:
    by_org: dict[int, list[Suggestion]] = {}
    for s in suggestions:
        by_org.setdefault(s.need.organisation_id, []).append(s)
    members = Membership.objects.filter(organisation_id__in=list(by_org), user__is_active=True) \
        .select_related("user")
    url = listing.get_absolute_url()
    rendered: dict = {}  # (suggestion id, language) -> (title, body, data)
    batch = []
    for membership in members:
        user = membership.user
        for s in by_org[membership.organisation_id]:
            key = (s.pk, user.language)
            if key not in rendered:
                with translation.override(user.language):
                    reasons = s.reasons_display()
                    title = _("New listing matches your need “%(need)s”") % {"need": s.need.title}
                    body = "\n".join([listing.title, *reasons])
                rendered[key] = (title, body, {"need_id": s.need_id, "need_title": s.need.title,
                                               "listing_id": listing.pk, "listing_title": listing.title,
                                               "suggestion_id": s.pk, "score": s.score, "reasons": reasons})
            title, body, data = rendered[key]
            batch.append(notifications.build(user, NOTIFICATION_KIND, title, body, url,
                                             organisation=s.need.organisation, data=data))
    notifications.deliver(batch)
    return len(batch)


# --- the whole fan-out ------------------------------------------------------------------------
_S2T = None


def _traditional(word: str) -> str:
    global _S2T
    if _S2T is None:
        import opencc

        _S2T = opencc.OpenCC("s2t")
    return _S2T.convert(word)


def _quick_pattern(distinctive: set):
    """One regex finding, in a need's raw text, any word that may analyse to a distinctive term: English
    stems by prefix at a word start (the stem less its last letter: ``batteri`` → ``batter`` finds "battery"),
    Chinese words as written, in Simplified and Traditional characters. A cheap superset test; the exact one
    (the analysed terms) follows for the needs it lets through."""
    parts = set()
    for term in distinctive:
        if search_module.has_han(term):
            parts.add(re.escape(term))
            parts.add(re.escape(_traditional(term)))
        else:
            parts.add(r"\b" + re.escape(term[:-1] if len(term) >= 5 else term))
    if not parts:
        return None
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE)


def candidate_needs(listing: Listing, needs=None, *, index: _Index | None = None) -> list[tuple[Need, list]]:
    """``[(need, analysed terms)]``: the needs among ``needs`` (default ``eligible_needs(listing)``) that
    share the listing's IPC subclass or one of its distinctive terms (module docstring, step 2). The listing
    must be in the index (else: ``[]``). Pass the result to ``score_candidates``."""
    if index is None or index.listing_terms is None:
        index = _Index(_listing_terms(listing))
    with search_module._LOCK:
        if not index.refresh(listing.pk):
            return []
        distinctive = _distinctive(index, index.listing_terms)
    _number, codes = _listing_parts(listing)
    subclasses = {code.subclass for code in codes}
    quick = _quick_pattern(distinctive)
    needs = eligible_needs(listing) if needs is None else needs
    # stage 1: a regex over the raw texts (and the IPC codes) of all eligible needs
    maybe, by_ipc = [], set()
    for pk, title, description, keywords, ipc_codes in needs.values_list(
            "pk", "title", "description", "keywords", "ipc_codes").iterator(chunk_size=5000):
        if _shares_subclass(ipc_codes, subclasses):
            maybe.append(pk)
            by_ipc.add(pk)
        elif quick is not None and (quick.search(title) or quick.search(description) or quick.search(keywords)):
            maybe.append(pk)
    # stage 2: the analysed terms of those needs
    candidates = []
    loaded = Need.objects.select_related("organisation").in_bulk(maybe)
    for pk in maybe:
        need = loaded.get(pk)
        if need is None:
            continue
        pairs = analyse(need.text)
        if pk in by_ipc or any(term in distinctive for term, _w in pairs):
            candidates.append((need, pairs))
    return candidates


def score_candidates(listing: Listing, candidates, index: _Index | None = None) -> dict:
    """``{need id: Match}`` for ``candidate_needs``' output."""
    if index is None or index.listing_terms is None:
        index = _Index(_listing_terms(listing))
    return _score_candidates(listing, candidates, index)


def fan_out(listing_id: int) -> FanOut:
    """Suggest a (newly) published listing to every active need it matches at ``THRESHOLD`` or above."""
    started = time.monotonic()
    result = FanOut(listing_id)
    listing = Listing.objects.browsable().select_related("owner").filter(pk=listing_id).first()
    if listing is None:
        return result  # withdrawn or paused meanwhile
    if not Need.objects.active().exclude(organisation_id=listing.owner_id).exists():
        return result
    terms = _listing_terms(listing)
    index = _Index(terms)
    if not _wait_for_index(index, listing_id):
        log.warning("push: listing %s is not in the search index after %ss; no fan-out", listing_id,
                    INDEX_WAIT_SECONDS)
        return result
    candidates = candidate_needs(listing, index=index)
    result.candidates = len(candidates)
    scores = _score_candidates(listing, candidates, index)
    matches = {nid: m for nid, m in scores.items() if m.score >= THRESHOLD}
    result.matched = len(matches)
    if matches:
        result.suggestions, result.notifications = _record(listing, matches)
    result.seconds = time.monotonic() - started
    log.info("push: listing %s: %d candidate needs, %d matched, %d suggestions in %.2fs", listing_id,
             result.candidates, result.matched, len(result.suggestions), result.seconds)
    return result

