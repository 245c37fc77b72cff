"""Every state change of patents and listings.

validate → lock (select_for_update) → change → audit entry → on commit: search index task and,
when a listing is published, the ``listing_published`` signal (matching's fan-out hooks in there); when the
text, terms or patents of a published listing change, the index task sends ``listing_updated`` once the
index holds the new version (matching fans the listing out again: needs it newly matches are told).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from listings import numbers
from listings.models import (
    FeeModel,
    Listing,
    ListingState,
    ListingView,
    OrganisationTerms,
    Patent,
    PatentClassification,
)
from marketplace import audit
from marketplace.actions import ActionError, NotAllowed, require_can_publish, require_member, require_staff
from marketplace.models import Organisation
from marketplace.states import IllegalTransition, check_transition  # noqa: F401 - re-exported
from marketplace.tasks import enqueue_on_commit

# Sent on commit with ``listing_id`` after a listing becomes published (first time or again).
listing_published = Signal()
# Sent with ``listing_id`` by the index task (``listings.tasks.update_index``) after it indexed a change of a
# published listing's content (its text, terms or patents), so receivers read the new version from the index.
listing_updated = Signal()


def _index_on_commit(listing_ids: list[int], *, updated: bool = False) -> None:
    """Index the listings once committed; ``updated``: their content changed (``listing_updated`` follows)."""
    from listings import tasks

    enqueue_on_commit(tasks.update_index, list(listing_ids), updated=updated)


# --- patents ----------------------------------------------------------------------------
PATENT_FIELDS = (
    "title", "abstract", "claims", "applicants", "inventors", "filing_date", "grant_date", "expiry_date",
    "legal_status", "language", "source", "kind",
)


def set_classifications(patent: Patent, codes: list[str]) -> list[str]:
    """Replace a patent's IPC/CPC codes (normalised, duplicates dropped, order kept)."""
    parsed: list[numbers.IPCCode] = []
    seen = set()
    for raw in codes:
        try:
            code = numbers.normalise_ipc(raw)
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        if str(code) not in seen:
            seen.add(str(code))
            parsed.append(code)
    patent.classifications.all().delete()
    PatentClassification.objects.bulk_create(
        PatentClassification(
            patent=patent, code=str(c), section=c.section, ipc_class=c.ipc_class, subclass=c.subclass,
            main_group=c.main_group, position=i,
        )
        for i, c in enumerate(parsed)
    )
    patent.ipc_codes = [str(c) for c in parsed]
    return patent.ipc_codes


def save_patent(owner: Organisation, *, actor, number: str, office: str | None = None, ipc_codes=(), **fields):
    """Create or update the owner's patent with this number. Returns ``(patent, created)``.

    A number already owned by another organisation is refused.
    """
    unknown = set(fields) - set(PATENT_FIELDS)
    if unknown:
        raise ValueError(f"unknown patent fields: {', '.join(sorted(unknown))}")
    try:
        parsed = numbers.normalise_number(number, default_office=office)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    if not (fields.get("title") or "").strip():
        raise ActionError(_("A patent needs a title."))
    with transaction.atomic():
        if actor is not None:
            require_member(actor, owner)
        patent = Patent.objects.select_for_update().filter(office=parsed.office, number=parsed.number).first()
        created = patent is None
        if patent is not None and patent.owner_id != owner.pk:
            raise ActionError(
                _("%(number)s is already listed by another organisation.") % {"number": str(parsed)}
            )
        before = {} if created else {k: getattr(patent, k) for k in fields} | {"ipc_codes": patent.ipc_codes}
        if created:
            patent = Patent(owner=owner, office=parsed.office, number=parsed.number)
        fields.setdefault("kind", parsed.kind or (patent.kind if not created else ""))
        for key, value in fields.items():
            setattr(patent, key, value)
        patent.save()
        set_classifications(patent, list(ipc_codes))
        patent.save(update_fields=["ipc_codes"])
        audit.record("patent.created" if created else "patent.updated", actor=actor, target=patent,
                     organisation=owner, before=before, after={**fields, "ipc_codes": patent.ipc_codes})
        listing_ids = list(patent.listings.values_list("pk", flat=True))
        if listing_ids:
            _index_on_commit(listing_ids, updated=not created)
    return patent, created


# --- listings ---------------------------------------------------------------------------
def _validate_terms(terms: dict) -> None:
    kinds = [terms.get(k) for k in ("offers_exclusive", "offers_sole", "offers_non_exclusive", "offers_assignment")]
    if not any(kinds):
        raise ActionError(_("Offer at least one kind of licence (exclusive, sole, non-exclusive or assignment)."))
    fee = terms.get("fee_model", FeeModel.FREE)
    if fee not in FeeModel.values:
        raise ActionError(_("Unknown fee model “%(fee)s”.") % {"fee": fee})
    for name in ("lump_sum_minor", "entry_fee_minor", "royalty_rate_bp", "term_months"):
        value = terms.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ActionError(_("%(field)s must be a whole number of at least 0.") % {"field": name})
    if fee == FeeModel.LUMP_SUM and not terms.get("lump_sum_minor"):
        raise ActionError(_("A lump-sum licence needs the amount."))
    if fee in (FeeModel.ROYALTY, FeeModel.ENTRY_FEE_ROYALTY) and not terms.get("royalty_rate_bp"):
        raise ActionError(_("A royalty licence needs the royalty rate."))
    if fee == FeeModel.ENTRY_FEE_ROYALTY and not terms.get("entry_fee_minor"):
        raise ActionError(_("An entry fee + royalty licence needs the entry fee."))
    if (terms.get("royalty_rate_bp") or 0) > 10_000:
        raise ActionError(_("The royalty rate cannot exceed 100 %."))
    if terms.get("open_licence") and not terms.get("offers_non_exclusive"):
        raise ActionError(_("An open licence is a non-exclusive licence: offer a non-exclusive licence, or untick "
                            "the open licence."))


def _clean_terms(terms: dict) -> dict:
    """Drop amounts the fee model does not use, so stored terms never contradict each other."""
    fee = terms.get("fee_model", FeeModel.FREE)
    if fee != FeeModel.LUMP_SUM:
        terms["lump_sum_minor"] = None
    if fee != FeeModel.ENTRY_FEE_ROYALTY:
        terms["entry_fee_minor"] = None
    if fee not in (FeeModel.ROYALTY, FeeModel.ENTRY_FEE_ROYALTY):
        terms["royalty_rate_bp"] = None
    return terms


# Who may accept the open licence / claim a donated licence (negotiations.eligibility applies them).
ELIGIBILITY_FIELDS = ("open_licence_sme_only", "open_licence_provinces", "donation_sme_only", "donation_industries",
                      "donation_provinces")
LISTING_FIELDS = (set(Listing.TERM_FIELDS) | {"title", "description", "idle_declared", "donation_quota"}
                  | set(ELIGIBILITY_FIELDS))


def _validate_eligibility(fields: dict) -> None:
    """Province and industry lists of known codes (stored sorted, once each). The donation quota itself is offered
    to demonstration enterprises only by the owner's form (``listings.forms.ListingForm``)."""
    from marketplace import sme
    from marketplace.models import Province

    known = {"open_licence_provinces": set(Province.values), "donation_provinces": set(Province.values),
             "donation_industries": set(sme.industries())}
    for name, codes in known.items():
        if name not in fields:
            continue
        value = fields[name]
        if not isinstance(value, (list, tuple)) or any(str(code) not in codes for code in value):
            raise ActionError(_("%(field)s: unknown codes %(codes)s.")
                              % {"field": name, "codes": ", ".join(str(c) for c in value if str(c) not in codes)})
        fields[name] = sorted({str(code) for code in value})


def _apply(listing: Listing, fields: dict) -> None:
    was_open = bool(listing.open_licence) and listing.pk is not None
    for key, value in fields.items():
        setattr(listing, key, value)
    listing.upfront_price_minor = listing.upfront_minor
    # When the open licence was published: kept while it stands, cleared when it is withdrawn (licences already
    # granted on it are deals of their own and stay as they are).
    if not listing.open_licence:
        listing.open_licence_since = None
    elif not was_open or listing.open_licence_since is None:
        listing.open_licence_since = timezone.now()


def create_listing(owner: Organisation, *, actor, patents: list[Patent], **fields) -> Listing:
    unknown = set(fields) - LISTING_FIELDS
    if unknown:
        raise ValueError(f"unknown listing fields: {', '.join(sorted(unknown))}")
    if not patents:
        raise ActionError(_("A listing needs at least one patent."))
    if any(p.owner_id != owner.pk for p in patents):
        raise ActionError(_("A listing can only bundle patents of its own organisation."))
    terms = _clean_terms({**Listing().terms_dict(), **{k: v for k, v in fields.items() if k in Listing.TERM_FIELDS}})
    _validate_terms(terms)
    fields = {**fields, **terms}
    _validate_eligibility(fields)
    fields.setdefault("title", patents[0].title)
    with transaction.atomic():
        if actor is not None:
            require_member(actor, owner)
        listing = Listing(owner=owner, created_by=actor if actor is not None else None)
        _apply(listing, fields)
        listing.save()
        listing.patents.set(patents)
        audit.record("listing.created", actor=actor, target=listing, organisation=owner,
                     after={**fields, "patents": [p.display_number for p in patents]})
    return listing


def update_listing(
    listing: Listing, *, actor, patents: list[Patent] | None = None, operator: bool = False, **fields
) -> Listing:
    """Edit a listing. ``operator=True``: staff moderation (admin) — no membership needed, still audited."""
    unknown = set(fields) - LISTING_FIELDS
    if unknown:
        raise ValueError(f"unknown listing fields: {', '.join(sorted(unknown))}")
    if operator:
        require_staff(actor)
    with transaction.atomic():
        if actor is not None and not operator:
            require_member(actor, listing.owner)
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        if locked.state in (ListingState.WITHDRAWN, ListingState.LICENSED_OUT, ListingState.EXPIRED):
            raise ActionError(_("A %(state)s listing cannot be edited.") % {"state": locked.get_state_display()})
        terms = _clean_terms({**locked.terms_dict(), **{k: v for k, v in fields.items() if k in Listing.TERM_FIELDS}})
        _validate_terms(terms)
        fields = {**fields, **terms}
        _validate_eligibility(fields)
        claims = getattr(locked, "donation_claims", None)  # negotiations' donated licences, when installed
        claimed = claims.count() if claims is not None and "donation_quota" in fields else 0
        if claimed and (fields["donation_quota"] or 0) < claimed:
            raise ActionError(_("%(n)s donated licences are already claimed: the quota cannot be lower.")
                              % {"n": claimed})
        before = {key: getattr(locked, key) for key in fields}
        _apply(locked, fields)
        locked.save()
        if patents is not None:
            if not patents or any(p.owner_id != locked.owner_id for p in patents):
                raise ActionError(_("A listing can only bundle patents of its own organisation."))
            before["patents"] = [p.display_number for p in locked.patents.all()]
            locked.patents.set(patents)
            fields["patents"] = [p.display_number for p in patents]
        changed = {k: v for k, v in fields.items() if before.get(k) != v}
        audit.record("listing.updated", actor=actor, target=locked, organisation=locked.owner,
                     before={k: before.get(k) for k in changed}, after=changed)
        if locked.state in (ListingState.PUBLISHED, ListingState.PAUSED):
            _index_on_commit([locked.pk], updated=bool(changed))
    return locked


def _change_state(listing: Listing, *, actor, target: str, action_name: str, publishing: bool = False,
                  operator: bool = False) -> Listing:
    with transaction.atomic():
        locked = Listing.objects.select_for_update().select_related("owner").get(pk=listing.pk)
        if not operator:
            if publishing:
                require_can_publish(actor, locked.owner)
            else:
                require_member(actor, locked.owner)
        check_transition(ListingState, locked.state, target, "listing")
        if target == ListingState.PUBLISHED:
            dead = [p.display_number for p in locked.patents.all() if not p.is_alive]
            if dead:
                raise ActionError(
                    _("Cannot publish: these patents are expired or lapsed: %(numbers)s.")
                    % {"numbers": ", ".join(dead)}
                )
            if not locked.owner.can_publish:
                raise NotAllowed(_("Only verified organisations can publish listings."))
        before = {"state": locked.state}
        now = timezone.now()
        locked.state = target
        locked.state_changed_at = now
        update = ["state", "state_changed_at", "updated_at"]
        if target == ListingState.PUBLISHED and locked.published_at is None:
            locked.published_at = now
            update.append("published_at")
        locked.save(update_fields=update)
        audit.record(action_name, actor=actor, target=locked, organisation=locked.owner, before=before,
                     after={"state": target})
        _index_on_commit([locked.pk])
        if target == ListingState.PUBLISHED:
            listing_id = locked.pk
            transaction.on_commit(lambda: listing_published.send(sender=Listing, listing_id=listing_id))
    listing.state, listing.published_at = locked.state, locked.published_at
    return locked


def publish_listing(listing: Listing, *, actor, operator: bool = False) -> Listing:
    """draft/paused → published. Needs a verified patent-holding owner and live patents."""
    return _change_state(listing, actor=actor, target=ListingState.PUBLISHED, action_name="listing.published",
                         publishing=True, operator=operator)


def pause_listing(listing: Listing, *, actor) -> Listing:
    return _change_state(listing, actor=actor, target=ListingState.PAUSED, action_name="listing.paused")


def withdraw_listing(listing: Listing, *, actor) -> Listing:
    return _change_state(listing, actor=actor, target=ListingState.WITHDRAWN, action_name="listing.withdrawn")


def mark_licensed_out(listing: Listing, *, actor=None) -> Listing:
    """Called by negotiations when an exclusive licence or an assignment closes."""
    return _change_state(listing, actor=actor, target=ListingState.LICENSED_OUT,
                         action_name="listing.licensed_out", operator=True)


def expire_listing(listing: Listing) -> Listing:
    return _change_state(listing, actor=None, target=ListingState.EXPIRED, action_name="listing.expired",
                         operator=True)


def expire_due_listings(today=None) -> list[int]:
    """Move every draft/published/paused listing with an expired or lapsed patent to ``expired``.

    Safe to run repeatedly (``manage.py expire_listings`` runs it daily).
    """
    today = today or timezone.localdate()
    from django.db.models import Q

    dead = Q(patents__legal_status__in=["lapsed", "expired"]) | Q(patents__expiry_date__lt=today)
    candidates = (
        Listing.objects.filter(state__in=[ListingState.DRAFT, ListingState.PUBLISHED, ListingState.PAUSED])
        .filter(dead)
        .values_list("pk", flat=True)
        .distinct()
    )
    expired = []
    for pk in list(candidates):
        try:
            expire_listing(Listing.objects.get(pk=pk))
        except IllegalTransition:
            continue  # changed state meanwhile
        expired.append(pk)
    return expired


def record_view(listing: Listing, *, visitor_hash: str, day: date) -> bool:
    """Count a view once per visitor and day (``listings.visits`` makes the hash); True when counted.

    The count rises only when the (listing, visitor, day) row is new, so reloads and concurrent
    requests of one visitor count once. Not audited: it changes no state anyone acts on.
    """
    try:
        with transaction.atomic():
            ListingView.objects.create(listing=listing, visitor_hash=visitor_hash, day=day)
            Listing.objects.filter(pk=listing.pk).update(view_count=F("view_count") + 1)
            ListingView.objects.filter(listing=listing, day__lt=day - timedelta(days=1)).delete()
    except IntegrityError:
        return False
    return True


def save_default_terms(organisation: Organisation, *, actor, operator: bool = False, **terms) -> OrganisationTerms:
    unknown = set(terms) - set(OrganisationTerms.TERM_FIELDS)
    if unknown:
        raise ValueError(f"unknown term fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        if not operator:
            require_member(actor, organisation, owner=True)
        current = OrganisationTerms.objects.select_for_update().filter(organisation=organisation).first()
        base = current.terms_dict() if current else OrganisationTerms().terms_dict()
        merged = _clean_terms({**base, **terms})
        _validate_terms(merged)
        if current is None:
            current = OrganisationTerms(organisation=organisation)
        for key, value in merged.items():
            setattr(current, key, value)
        current.save()
        audit.record("organisation.default_terms_saved", actor=actor, target=organisation, before=base, after=merged)
    return current


def default_terms_for(organisation: Organisation) -> dict:
    """The owner's default terms, or free non-exclusive when none are set."""
    terms = getattr(organisation, "default_terms", None)
    return terms.terms_dict() if terms else OrganisationTerms().terms_dict()
