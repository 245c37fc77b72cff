"""Reverse matching: the SMEs' active needs a listing answers well ("SMEs that may want this").

Public interface:

    needs_for_listing(listing, limit=10) -> list[NeedMatch]     (best first)
    reasons_for_owner(reason_codes) -> list[str]                 (in the active language)

One listing against many needs is what ``matching.push`` does when a listing is published, so this reuses
its pieces and shows the owner the same scores the SMEs get:

1. *Candidates* (SQL, as ``push.candidate_needs``): active needs of other SME organisations that share one of
   the listing's IPC subclasses or mention one of its most distinctive terms (``push._prefilter_terms``),
   minus needs that dismissed this listing and "free or donated only" needs when the listing is neither.
   Unlike push, needs that already have this listing as a suggestion are kept. At most ``MAX_CANDIDATES``
   (the most recently updated) are scored.
2. *Score*: ``push.score_listing_for_needs`` (``matching.scoring``'s formula with the listing's real BM25
   impacts). When the listing is not in the index (a draft, a paused listing, the index being rebuilt) it is
   never waited for: the text part falls back to coverage only (the share of the need's key-term weight the
   listing's text has) for both halves, an approximation on the same scale.
3. *Good enough*: a score of at least ``push.THRESHOLD`` (the push threshold: text or IPC evidence is needed
   to reach it). At most ``limit`` (10), best first.

Reasons are re-phrased for the owner ("within their budget", "prefers owners in Guangdong"); reasons about
the listing itself (free, donated, recent) are left out: the owner knows them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from listings import search as search_module
from listings.models import FeeModel, LicenceKind, Listing
from marketplace.models import OrganisationKind, Province
from matching import push, scoring
from matching.models import Need, Suggestion, SuggestionStatus

MAX_CANDIDATES = 2000
DEFAULT_LIMIT = 10
OWNER_REASON_CODES = ("ipc_subgroup", "ipc_main_group", "ipc_subclass", "ipc_class", "keywords", "budget",
                      "licence_kind", "province")


@dataclass
class NeedMatch:
    need: Need
    score: float
    reason_codes: list[dict] = field(default_factory=list)
    parts: dict = field(default_factory=dict)

    @property
    def organisation(self):
        return self.need.organisation

    @property
    def size_class(self) -> str | None:
        return self.need.organisation.size_class

    @property
    def size_label(self) -> str:
        profile = getattr(self.need.organisation, "sme_profile", None)
        return profile.get_size_class_display() if profile else ""

    @property
    def is_eligible(self) -> bool:
        profile = getattr(self.need.organisation, "sme_profile", None)
        return bool(profile and profile.is_eligible)

    def reasons_display(self) -> list[str]:
        return reasons_for_owner(self.reason_codes)


def reasons_for_owner(reason_codes: list[dict]) -> list[str]:
    out = []
    for item in reason_codes or ():
        code, params = item.get("code", ""), item.get("params") or {}
        if code not in OWNER_REASON_CODES:
            continue
        if code == "budget":
            text = _("within their budget")
        elif code == "province":
            try:
                label = Province(params.get("province")).label
            except ValueError:
                label = params.get("province", "")
            text = _("prefers owners in %(province)s") % {"province": label}
        elif code == "licence_kind":
            try:
                label = LicenceKind(params.get("kind")).label
            except ValueError:
                continue
            text = _("wants a licence you offer: %(kind)s") % {"kind": label}
        else:
            rendered = scoring.render_reasons([item])
            text = rendered[0] if rendered else ""
        if text:
            out.append(str(text))
    return out


def _candidate_needs(listing: Listing, patterns: list[str], subclasses: list[str]):
    match = Q()
    for pattern in dict.fromkeys(patterns):
        match |= Q(title__icontains=pattern) | Q(description__icontains=pattern) | Q(keywords__icontains=pattern)
    for subclass in dict.fromkeys(subclasses):
        match |= Q(ipc_text__contains=subclass)
    if not match:
        return Need.objects.none()
    dismissed = Suggestion.objects.filter(listing=listing, status=SuggestionStatus.DISMISSED).values("need_id")
    needs = (Need.objects.active()
             .filter(organisation__kind=OrganisationKind.SME)
             .exclude(organisation_id=listing.owner_id)
             .exclude(pk__in=dismissed)
             .annotate(ipc_text=Cast("ipc_codes", TextField())).filter(match)
             .select_related("organisation__sme_profile")
             .order_by("-updated_at", "-id"))
    if not (listing.fee_model == FeeModel.FREE or listing.donation_quota > 0):
        needs = needs.filter(free_or_donated_only=False)
    return needs


def _approximate_scores(listing: Listing, needs: list[Need]) -> dict:
    """``{need id: Match}`` without the listing in the index: coverage stands in for BM25 relevance."""
    listing_terms = set(push._listing_terms(listing))
    patents = list(listing.patents.all())
    listing_codes = scoring._parse_codes(code for p in patents for code in (p.ipc_codes or []))
    patent_number = patents[0].display_number if patents else ""
    now = timezone.now()
    out = {}
    for need in needs:
        terms = scoring.key_terms(need.text)
        total = sum(weight for _t, _w, weight in terms) or 1.0
        present = sorted(((weight, word) for term, word, weight in terms if term in listing_terms), reverse=True)
        coverage = sum(weight for weight, _word in present) / total
        found = scoring._Candidates(
            text={listing.pk: coverage}, coverage={listing.pk: coverage},
            matched={listing.pk: list(dict.fromkeys(word for _w, word in present))}, order=[listing.pk],
        )
        match = scoring._score(listing, patent_number, listing_codes, found, scoring._parse_codes(need.ipc_codes),
                               need.budget_minor, need.currency, [str(k) for k in need.licence_kinds or ()],
                               need.province, now)
        match.parts.pop("_published", None)
        out[need.pk] = match
    return out


def needs_for_listing(listing: Listing, limit: int = DEFAULT_LIMIT) -> list[NeedMatch]:
    """Active needs of other SMEs that this listing matches well, best first (at most ``limit``)."""
    terms = push._listing_terms(listing)  # analysis: outside the index lock
    index = push._Index()
    with search_module._LOCK:
        indexed = index.refresh(listing.pk)
        if indexed:
            prefilter = push._prefilter_terms(index, terms)
    if not indexed:  # no document frequencies: the listing's most frequent words
        prefilter = [t for t, _c in Counter({t: c for t, c in terms.items() if len(t) > 2}).most_common(
            push.PREFILTER_TERMS)]
    subclasses = [code.subclass for code in scoring._parse_codes(
        code for patent in listing.patents.all() for code in (patent.ipc_codes or []))]
    needs = list(_candidate_needs(listing, [push._pattern(t) for t in prefilter], subclasses)[:MAX_CANDIDATES])
    if not needs:
        return []
    scores = push.score_listing_for_needs(listing, needs, index) if indexed else {}
    if indexed and not scores:  # left the index meanwhile
        indexed = False
    if not indexed:
        scores = _approximate_scores(listing, needs)
    results = []
    for need in needs:
        match = scores.get(need.pk)
        if match is None or match.score < push.THRESHOLD:
            continue
        codes = list(match.reason_codes)
        if match.parts.get("budget", 0) > 0 and not any(r.get("code") == "budget" for r in codes):
            codes.append({"code": "budget", "params": {}})  # a free listing: scoring says "free licence" instead
        results.append(NeedMatch(need=need, score=match.score, reason_codes=codes, parts=match.parts))
    results.sort(key=lambda m: (-m.score, -m.need.pk))
    return results[:limit]
