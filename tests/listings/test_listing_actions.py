"""Listing life cycle through listings.actions: state table, publish rules, terms, audit."""

import datetime

import pytest

from listings import actions
from listings.models import FeeModel, Listing, ListingState, Patent
from marketplace.actions import ActionError, NotAllowed
from marketplace.models import AuditEntry, OrganisationKind
from marketplace.states import IllegalTransition


@pytest.fixture
def holder(make_org, owner):
    return make_org("Verified Institute", owner=owner, verified=True)


@pytest.fixture
def patent(holder, owner):
    patent, _ = actions.save_patent(
        holder, actor=owner, number="CN112345678B", title="Lithium battery cathode",
        abstract="A cathode for lithium-ion batteries.", ipc_codes=["H01M10/052", "H01M 4/36"],
    )
    return patent


def make_listing(holder, owner, patent, **terms):
    return actions.create_listing(holder, actor=owner, patents=[patent], **terms)


def test_save_patent_normalises_and_splits_codes(patent):
    assert patent.display_number == "CN 112345678 B"
    assert patent.ipc_codes == ["H01M 10/052", "H01M 4/36"]
    assert [(c.subclass, c.main_group) for c in patent.classifications.all()] == [
        ("H01M", "H01M 10/00"), ("H01M", "H01M 4/00")
    ]


def test_same_number_spelled_differently_updates_the_same_patent(holder, owner, patent):
    again, created = actions.save_patent(holder, actor=owner, number="cn 112345678 b", title="New title")
    assert not created and again.pk == patent.pk
    assert Patent.objects.count() == 1
    assert AuditEntry.objects.filter(action="patent.updated").get().before["title"] == "Lithium battery cathode"


def test_another_organisations_number_is_refused(make_org, make_user, patent):
    other_owner = make_user("other@example.com")
    other = make_org("Other", owner=other_owner, verified=True)
    with pytest.raises(ActionError, match="already listed by another organisation"):
        actions.save_patent(other, actor=other_owner, number="CN112345678B", title="Mine")


def test_full_life_cycle_is_audited(holder, owner, patent):
    listing = make_listing(holder, owner, patent)
    assert listing.state == ListingState.DRAFT
    actions.publish_listing(listing, actor=owner)
    actions.pause_listing(listing, actor=owner)
    actions.publish_listing(listing, actor=owner)
    actions.withdraw_listing(listing, actor=owner)
    listing.refresh_from_db()
    assert listing.state == ListingState.WITHDRAWN
    assert list(AuditEntry.objects.for_target(listing).order_by("id").values_list("action", flat=True)) == [
        "listing.created", "listing.published", "listing.paused", "listing.published", "listing.withdrawn",
    ]


@pytest.mark.parametrize(
    "path, illegal",
    [
        ([], "pause"),  # draft cannot be paused
        (["publish", "withdraw"], "publish"),  # withdrawn is final
        (["publish"], "publish"),  # already published
    ],
)
def test_illegal_transitions_raise(holder, owner, patent, path, illegal):
    listing = make_listing(holder, owner, patent)
    steps = {"publish": actions.publish_listing, "pause": actions.pause_listing,
             "withdraw": actions.withdraw_listing}
    for step in path:
        steps[step](listing, actor=owner)
    with pytest.raises(IllegalTransition):
        steps[illegal](listing, actor=owner)


def test_unverified_owner_cannot_publish(make_org, owner):
    pending = make_org("Pending Institute", owner=owner)
    patent, _ = actions.save_patent(pending, actor=owner, number="US10123456B2", title="Widget")
    listing = actions.create_listing(pending, actor=owner, patents=[patent])
    with pytest.raises(NotAllowed, match="not verified yet"):
        actions.publish_listing(listing, actor=owner)
    listing.refresh_from_db()
    assert listing.state == ListingState.DRAFT


def test_non_member_cannot_change_a_listing(holder, owner, outsider, patent):
    listing = make_listing(holder, owner, patent)
    for action in (actions.publish_listing, actions.pause_listing, actions.withdraw_listing):
        with pytest.raises(NotAllowed):
            action(listing, actor=outsider)
    with pytest.raises(NotAllowed):
        actions.update_listing(listing, actor=outsider, title="Hijacked")
    listing.refresh_from_db()
    assert listing.title == "Lithium battery cathode" and listing.state == ListingState.DRAFT


@pytest.mark.parametrize("status", ["expired", "lapsed"])
def test_listing_of_dead_patent_cannot_be_published(holder, owner, status):
    patent, _ = actions.save_patent(holder, actor=owner, number="CN100000001C", title="Old", legal_status=status)
    listing = actions.create_listing(holder, actor=owner, patents=[patent])
    with pytest.raises(ActionError, match="expired or lapsed: CN 100000001 C"):
        actions.publish_listing(listing, actor=owner)


def test_patent_past_its_expiry_date_cannot_be_published(holder, owner):
    patent, _ = actions.save_patent(holder, actor=owner, number="CN100000002C", title="Old",
                                    expiry_date=datetime.date(2020, 1, 1))
    listing = actions.create_listing(holder, actor=owner, patents=[patent])
    with pytest.raises(ActionError, match="expired or lapsed"):
        actions.publish_listing(listing, actor=owner)


def test_bundle_cannot_mix_owners(make_org, make_user, holder, owner, patent):
    other_owner = make_user("o2@example.com")
    other = make_org("Other", owner=other_owner, verified=True)
    foreign, _ = actions.save_patent(other, actor=other_owner, number="US9999999B1", title="Foreign")
    with pytest.raises(ActionError, match="only bundle patents of its own organisation"):
        actions.create_listing(holder, actor=owner, patents=[patent, foreign])


class TestTerms:
    def test_free_non_exclusive_by_default(self, holder, owner, patent):
        listing = make_listing(holder, owner, patent)
        assert listing.licence_kinds == ["non_exclusive"]
        assert listing.is_free and listing.upfront_price_minor == 0

    def test_lump_sum_sets_the_upfront_price_and_drops_unused_amounts(self, holder, owner, patent):
        listing = make_listing(holder, owner, patent, fee_model=FeeModel.LUMP_SUM, lump_sum_minor=12_000_050,
                               entry_fee_minor=500, royalty_rate_bp=300)
        assert listing.upfront_price_minor == 12_000_050
        assert listing.entry_fee_minor is None and listing.royalty_rate_bp is None
        assert listing.price_band == "100k_1m"

    def test_entry_fee_plus_royalty(self, holder, owner, patent):
        listing = make_listing(holder, owner, patent, fee_model=FeeModel.ENTRY_FEE_ROYALTY,
                               entry_fee_minor=5_000_000, royalty_rate_bp=350)
        assert (listing.upfront_price_minor, listing.royalty_rate_bp) == (5_000_000, 350)

    @pytest.mark.parametrize(
        "terms, message",
        [
            ({"offers_non_exclusive": False}, "at least one kind of licence"),
            ({"fee_model": "lump_sum"}, "needs the amount"),
            ({"fee_model": "royalty"}, "needs the royalty rate"),
            ({"fee_model": "entry_fee_royalty", "royalty_rate_bp": 100}, "needs the entry fee"),
            ({"fee_model": "royalty", "royalty_rate_bp": 10_001}, "cannot exceed 100"),
            ({"fee_model": "lump_sum", "lump_sum_minor": 10.5}, "whole number"),
            ({"fee_model": "barter"}, "Unknown fee model"),
        ],
    )
    def test_inconsistent_terms_are_refused(self, holder, owner, patent, terms, message):
        with pytest.raises(ActionError, match=message):
            make_listing(holder, owner, patent, **terms)
        assert not Listing.objects.exists()

    def test_default_terms_fall_back_to_free_non_exclusive(self, holder, owner):
        assert actions.default_terms_for(holder)["fee_model"] == "free"
        actions.save_default_terms(holder, actor=owner, fee_model="royalty", royalty_rate_bp=250,
                                   offers_exclusive=True)
        holder.refresh_from_db()
        terms = actions.default_terms_for(holder)
        assert (terms["fee_model"], terms["royalty_rate_bp"], terms["offers_exclusive"]) == ("royalty", 250, True)


def test_published_signal_fires_on_commit(holder, owner, patent, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, listing_id, **kwargs):
        received.append(listing_id)

    actions.listing_published.connect(receiver)
    try:
        listing = make_listing(holder, owner, patent)
        with django_capture_on_commit_callbacks(execute=True):
            actions.publish_listing(listing, actor=owner)
            assert received == []  # nothing before the commit
        assert received == [listing.pk]
    finally:
        actions.listing_published.disconnect(receiver)


def test_sme_cannot_publish_listings(make_org, owner):
    sme = make_org("Tiny", kind=OrganisationKind.SME, owner=owner, verified=True)
    patent, _ = actions.save_patent(sme, actor=owner, number="CN123456789A", title="Thing")
    listing = actions.create_listing(sme, actor=owner, patents=[patent])
    with pytest.raises(NotAllowed, match="cannot publish patent listings"):
        actions.publish_listing(listing, actor=owner)


def test_licensed_out_and_expired_are_final(holder, owner, patent):
    listing = make_listing(holder, owner, patent)
    actions.publish_listing(listing, actor=owner)
    actions.mark_licensed_out(listing)
    with pytest.raises(IllegalTransition):
        actions.expire_listing(listing)
    with pytest.raises(ActionError, match="cannot be edited"):
        actions.update_listing(listing, actor=owner, title="x")


def test_staff_moderation_edit_is_audited_with_the_staff_actor(holder, owner, patent, staff, outsider):
    listing = make_listing(holder, owner, patent)
    with pytest.raises(NotAllowed):
        actions.update_listing(listing, actor=outsider, operator=True, title="Spam")
    actions.update_listing(listing, actor=staff, operator=True, title="Lithium battery cathode (corrected)")
    entry = AuditEntry.objects.filter(action="listing.updated").latest("id")
    assert entry.actor == staff
    assert entry.after == {"title": "Lithium battery cathode (corrected)"}


def test_bad_ipc_code_is_a_clear_action_error(holder, owner):
    with pytest.raises(ActionError, match="unknown IPC format 'battery'"):
        actions.save_patent(holder, actor=owner, number="CN123123123A", title="X", ipc_codes=["battery"])
    assert not Patent.objects.exists()
