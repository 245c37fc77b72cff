"""Push: when a listing is published, suggest it to every active need it matches and tell the SMEs.

Public interface:

    on_listing_published(sender, listing_id, **kwargs)   the ``listings.actions.listing_published`` receiver
                                                         (connected in ``MatchingConfig.ready``): enqueues
    fan_out(listing_id) -> FanOut                        the work (task ``matching.fan_out_listing``)
    eligible_needs(listing, include_suggested=False)     the needs that may get the listing at all
    candidate_needs(listing, needs=None) -> [NeedProfile]    the pre-filter (step 2 below)
    record_pushed(listing, matches) -> list[Suggestion]  the bulk action: validate, bulk_create, one audit entry

Scoring is ``matching.scoring.score_listing`` (one listing against many needs); ``matching.reverse`` uses the
same pre-filter and scores for "SMEs that may want this".

Threshold
---------
A need gets the listing when its score (``matching.scoring``'s formula, the number ``match_need``
gives this pair) is at least ``THRESHOLD`` = 0.35. The parts of the formula that do not depend on the
text or the IPC codes (budget 0.08 + licence kind 0.07 + province 0.05 + free 0.05 + freshness 0.05) add up
to at most 0.30, so a pushed listing always shares real evidence with the need: at least a same-subclass IPC
code with most of the other parts, or a good share of the need's key terms. On the demo catalogue a need
and the listing written for it score 0.5–0.9; unrelated pairs 0.05–0.25.

Fan-out design (one listing against all needs)
----------------------------------------------
A full search per need would be 50,000 searches. Instead the ONE listing is scored against the needs that
can reach the threshold:

1. *The listing's side.* The terms the index holds for it (``search.listing_terms``: of its title,
   description, and each patent's title, abstract, claims and applicants), each term's document frequency,
   and its *distinctive* terms: those in at most ``DISTINCTIVE_DF_FRACTION`` (1 %) of the index (or
   ``scoring.COMMON_DF_MIN`` documents).
2. *Pre-filter.* Without text or IPC evidence a need stays below the threshold (see above). Candidates are
   the eligible needs (active, of a small enterprise, not the owner's organisation, never suggested this
   listing — so dismissed ones stay dismissed —, not "free only" for a paid listing) that share the
   listing's IPC subclass or one of its distinctive terms. Stage 1 runs one compiled regex over the raw
   title/description/keywords of every eligible need (English stems by prefix at a word start, Chinese words
   in Simplified and Traditional characters; one query streaming (id, texts, codes) tuples); stage 2
   analyses only those needs (``search.query_terms``) and keeps the ones whose terms really contain a
   distinctive term. The one approximation: a need sharing only words common in the catalogue (> 1 %) and no
   IPC subclass is not considered — such a need can only pass the threshold when nearly all of its few key
   terms are common words.
3. *Score the candidates* with ``scoring.score_listing``: each need's key terms picked as its own search
   picks them, the listing's BM25 impacts from the index, the need's stored IPC votes (``Need.ipc_feedback``,
   from its last refresh) for needs without IPC codes — so a pushed suggestion carries the score and reasons
   the need's own search gives it.
4. *Record.* ``record_pushed`` creates the ``pushed`` suggestions in bulk (one audit entry per fan-out), and
   every member of each need's SME gets a ``match.new_listing`` notification (in their language, with the
   reasons) through ``marketplace.notifications.deliver`` — live events and instant emails go out on commit.

Measured with ``bench/matching_speed.py`` (100,000-listing catalogue, 50,000 needs, 2 cores, SQLite): see
the README; well under a second per fan-out, including the notifications.

If the listing is not in the index yet (the index task runs in another worker), the fan-out waits up to
``INDEX_WAIT_SECONDS`` for it, then gives up with a warning.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from listings import numbers
from listings import search as search_module
from listings.models import FeeModel, Listing
from marketplace import audit, notifications, wording
from marketplace.models import Membership, OrganisationKind
from matching import scoring
from matching.models import Need, Suggestion, SuggestionStatus

log = logging.getLogger(__name__)

THRESHOLD = 0.35  # see the module docstring: above what budget/licence/province/free/freshness alone give
DISTINCTIVE_DF_FRACTION = 0.01  # a listing term in at most 1 % of the index (or COMMON_DF_MIN docs) selects needs
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


def _in_index(listing_id: int) -> bool:
    with search_module.term_index() as index:
        return index is not None and index.docnum(listing_id) is not None


def _wait_for_index(listing_id: int) -> bool:
    from django.conf import settings

    # eager tasks: the index task ran just before, in this thread; nothing to wait for
    deadline = time.monotonic() + (0 if settings.TASKS_MODE == "eager" else INDEX_WAIT_SECONDS)
    while not _in_index(listing_id):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)
    return True


# --- which needs may get a listing ---------------------------------------------------------------
NEED_FIELDS = ("pk", "title", "description", "keywords", "ipc_codes", "budget_minor", "currency", "licence_kinds",
               "province", "organisation_id", "free_or_donated_only", "ipc_feedback", "updated_at")
NEED_TERMS_CACHED = 20_000  # analysed need texts kept per process (a Chinese text costs jieba ~3 ms)


def eligible_needs(listing: Listing, *, include_suggested: bool = False):
    """Active needs of small enterprises that may get this listing at all: not the owner's, not "free or
    donated only" when the listing is neither, and never suggested it before (``include_suggested``: only
    never dismissed it — for reverse matching, which shows needs already suggested the listing)."""
    suggested = Suggestion.objects.filter(listing=listing)
    if include_suggested:
        suggested = suggested.filter(status=SuggestionStatus.DISMISSED)
    queryset = (Need.objects.active().filter(organisation__kind=OrganisationKind.SME)
                .exclude(organisation_id=listing.owner_id)
                .exclude(pk__in=suggested.values("need_id")))
    if not (listing.fee_model == FeeModel.FREE or listing.donation_quota > 0):
        queryset = queryset.filter(free_or_donated_only=False)
    return queryset.only(*NEED_FIELDS).order_by("pk")


# --- the pre-filter ----------------------------------------------------------------------------
def _distinctive(index, terms) -> set:
    """The listing's terms in at most DISTINCTIVE_DF_FRACTION of the documents that could hold them."""
    out = set()
    for term in terms:
        limit = max(scoring.COMMON_DF_MIN, int(index.corpus_size(term) * DISTINCTIVE_DF_FRACTION))
        if 0 < index.doc_frequency(term) <= limit:
            out.add(term)
    return out


def _subclass_needles(subclasses: set) -> tuple:
    """What a need's IPC codes, as stored JSON text (``["H01M 10/052", "H01M"]``), contain when one of them is
    in one of ``subclasses``: the codes are stored normalised, so a quote and the subclass."""
    return tuple(f'"{subclass}' for subclass in sorted(subclasses))


_need_terms: OrderedDict = OrderedDict()  # (need id, updated_at) -> analysed text
_need_terms_lock = threading.Lock()  # fan-outs may run in threads of one process


def _analysed(need) -> list:
    """``search.query_terms(need.text)``, cached per process until the need changes."""
    key = (need.pk, need.updated_at)
    with _need_terms_lock:
        pairs = _need_terms.get(key)
        if pairs is not None:
            _need_terms.move_to_end(key)
            return pairs
    pairs = search_module.query_terms(need.text, scoring.MAX_TEXT_CHARS)
    with _need_terms_lock:
        _need_terms[key] = pairs
        while len(_need_terms) > NEED_TERMS_CACHED:
            _need_terms.popitem(last=False)
    return pairs


_TRADITIONAL = []  # OpenCC converters: Traditional characters, their Taiwan and their Hong Kong standards


def _spellings(word: str) -> set:
    """A Simplified word as it may be written in Traditional characters (OpenCC s2t, s2tw, s2hk: 面条 → 麪條,
    麵條), itself included."""
    if not _TRADITIONAL:
        import opencc

        _TRADITIONAL.extend(opencc.OpenCC(config) for config in ("s2t", "s2tw", "s2hk"))
    return {word, *(converter.convert(word) for converter in _TRADITIONAL)}


def _quick_pattern(distinctive: set):
    """One regex finding, in a need's raw text, any word that may analyse to a distinctive term: English
    stems by prefix at a word start (the Porter stem changes only a word's ending, and its final ``i`` may be a
    ``y``: ``batteri`` → ``batter`` finds "battery", ``copi`` → ``cop`` finds "copy"), Chinese words as
    written, in Simplified and Traditional characters (``_spellings``). A cheap superset test; the exact one
    (the analysed terms) follows for the needs it lets through."""
    parts = set()
    for term in distinctive:
        if search_module.has_han(term):
            parts.update(re.escape(spelling) for spelling in _spellings(term))
        else:
            parts.add(r"\b" + re.escape(term[:-1] if len(term) >= 5 or term.endswith("i") else term))
    if not parts:
        return None
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE)


def _reaches(term: str, distinctive: set) -> bool:
    """Whether a need's term is, or (a Chinese word the index may hold only in parts, as key-term selection
    splits it: 电线电缆 → 电缆) contains, one of the listing's distinctive terms."""
    if term in distinctive:
        return True
    return search_module.has_han(term) and any(part in distinctive for part in search_module.sub_words(term))


def candidate_needs(listing: Listing, needs=None, *, listing_terms: set | None = None) -> list:
    """``[NeedProfile]`` of the needs among ``needs`` (default ``eligible_needs(listing)``; a queryset) that
    share the listing's IPC subclass or one of its distinctive terms (module docstring, step 2). Without a
    search index only the IPC subclass selects. Pass the result to ``scoring.score_listing``."""
    if listing_terms is None:
        listing_terms = search_module.listing_terms(listing.pk)
    with search_module.term_index() as index:
        distinctive = _distinctive(index, listing_terms) if index is not None else set()
    subclasses = {code.subclass for code in numbers.parse_ipc_codes(
        code for codes in listing.patents.values_list("ipc_codes", flat=True) for code in codes or ())}
    needles = _subclass_needles(subclasses)
    quick = _quick_pattern(distinctive)
    needs = eligible_needs(listing) if needs is None else needs
    # stage 1: a regex over the raw texts (and the IPC codes as JSON text) of all eligible needs
    maybe, by_ipc = [], set()
    rows = needs.annotate(codes_text=Cast("ipc_codes", TextField())).values_list(
        "pk", "title", "description", "keywords", "codes_text")
    for pk, title, description, keywords, codes_text in rows.iterator(chunk_size=5000):
        if needles and any(needle in codes_text for needle in needles):
            maybe.append(pk)
            by_ipc.add(pk)
        elif quick is not None and (quick.search(title) or quick.search(description) or quick.search(keywords)):
            maybe.append(pk)
    # stage 2: the analysed terms of those needs
    profiles = []
    loaded = Need.objects.only(*NEED_FIELDS).in_bulk(maybe)
    for pk in maybe:
        need = loaded.get(pk)
        if need is None:
            continue
        pairs = _analysed(need)
        if pk in by_ipc or any(_reaches(term, distinctive) for term, _w in pairs):
            profiles.append(scoring.NeedProfile.of_need(need, pairs))
    return profiles


# --- the whole fan-out ------------------------------------------------------------------------
def fan_out(listing_id: int) -> FanOut:
    """Suggest a (newly) published listing to every active need it matches at ``THRESHOLD`` or above."""
    started = time.monotonic()
    result = FanOut(listing_id)
    listing = Listing.objects.browsable().select_related("owner").filter(pk=listing_id).first()
    if listing is None:
        return result  # withdrawn or paused meanwhile
    if not eligible_needs(listing).exists():
        return result
    if not _wait_for_index(listing_id):
        log.warning("push: listing %s is not in the search index after %ss; no fan-out", listing_id,
                    INDEX_WAIT_SECONDS)
        return result
    terms = search_module.listing_terms(listing.pk)
    candidates = candidate_needs(listing, listing_terms=terms)
    result.candidates = len(candidates)
    scores = scoring.score_listing(listing, candidates, listing_terms=terms)
    matches = {nid: m for nid, m in scores.items() if m.score >= THRESHOLD}
    result.matched = len(matches)
    if matches:
        result.suggestions, result.notifications = _record(listing, matches)
    result.seconds = time.monotonic() - started
    log.info("push: listing %s: %d candidate needs, %d matched, %d suggestions in %.2fs", listing_id,
             result.candidates, result.matched, len(result.suggestions), result.seconds)
    return result


# --- the bulk action -------------------------------------------------------------------------
def _validate(listing: Listing, matches: dict) -> dict:
    """Drop what must never be pushed: below threshold, needs not (or no longer) eligible for the listing."""
    if not Listing.objects.browsable().filter(pk=listing.pk).exists():
        return {}
    ids = [nid for nid, m in matches.items() if m.score >= THRESHOLD]
    allowed = set(eligible_needs(listing).filter(pk__in=ids).values_list("pk", flat=True))
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
                with wording.in_language_of(user):
                    reasons = s.reasons_display()
                    title = _("New listing matches your need “%(need)s”") % {"need": s.need.title}
                    body = "\n".join([listing.title, *reasons])
                rendered[key] = (title, body, {"need_id": s.need_id, "need_title": s.need.title,
                                               "listing_id": listing.pk, "listing_title": listing.title,
                                               "suggestion_id": s.pk, "score": s.score, "reasons": reasons,
                                               "reason_codes": s.reason_codes or []})
            title, body, data = rendered[key]
            batch.append(notifications.build(user, NOTIFICATION_KIND, title, body, url,
                                             organisation=s.need.organisation, data=data))
    notifications.deliver(batch)
    return len(batch)
