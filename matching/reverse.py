"""Reverse matching: the SMEs' active needs a listing answers well ("SMEs that may want this").

Public interface:

    needs_for_listing(listing, limit=10) -> list[NeedMatch]     (best first)
    reasons_for_owner(reason_codes) -> list[str]                 (in the active language)

One listing against many needs is what ``matching.push`` does when a listing is published, so this uses the
same pieces and shows the owner the same scores the SMEs get:

1. *Candidates*: ``push.candidate_needs`` over ``push.eligible_needs(listing, include_suggested=True)``:
   active needs of other small enterprises that share one of the listing's IPC subclasses or one of its
   distinctive terms, minus needs that dismissed this listing and "free or donated only" needs when the
   listing is neither. Unlike push, needs that already have this listing as a suggestion are kept.
2. *Score*: ``scoring.score_listing`` (the formula with the listing's real BM25 impacts). A listing not in
   the index (a draft, a paused listing, the index being rebuilt) is never waited for: it is scored with
   coverage standing in for the BM25 half of the text part, an approximation on the same scale.
3. *Good enough*: a score of at least ``push.THRESHOLD`` (the push threshold: text or IPC evidence is needed
   to reach it). At most ``limit`` (10), best first.

Reasons are re-phrased for the owner ("within their budget", "prefers owners in Guangdong"); reasons about
the listing itself (free, donated, recent) are left out: the owner knows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from listings import search as search_module
from listings.models import LicenceKind, Listing
from marketplace.models import Province
from matching import push, scoring
from matching.models import Need

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


def needs_for_listing(listing: Listing, limit: int = DEFAULT_LIMIT) -> list[NeedMatch]:
    """Active needs of other SMEs that this listing matches well, best first (at most ``limit``)."""
    terms = search_module.listing_terms(listing.pk)
    profiles = push.candidate_needs(listing, push.eligible_needs(listing, include_suggested=True),
                                    listing_terms=terms)
    scores = scoring.score_listing(listing, profiles, listing_terms=terms)
    good = sorted(((nid, m) for nid, m in scores.items() if m.score >= push.THRESHOLD),
                  key=lambda item: (-item[1].score, -item[0]))[:limit]
    needs = Need.objects.select_related("organisation__sme_profile").in_bulk([nid for nid, _m in good])
    results = []
    for nid, match in good:
        if nid not in needs:
            continue
        codes = list(match.reason_codes)
        if match.parts.get("budget", 0) > 0 and not any(r.get("code") == "budget" for r in codes):
            codes.append({"code": "budget", "params": {}})  # a free listing: scoring says "free licence" instead
        results.append(NeedMatch(need=needs[nid], score=match.score, reason_codes=codes, parts=match.parts))
    return results
