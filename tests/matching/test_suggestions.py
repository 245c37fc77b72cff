"""Suggestion statuses: the funnel, dismissal, the saved flag, who may change them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from marketplace.actions import ActionError, NotAllowed
from marketplace.models import AuditEntry
from marketplace.states import IllegalTransition, check_transition
from matching import actions
from matching.models import Suggestion, SuggestionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def suggestion(sme, sme_user, publish):
    need = actions.create_need(sme, actor=sme_user, title="Cathode coating")
    listing = publish("Cathode coating")
    # Publishing pushes the listing to the matching need; the fixture only fills in when it did not.
    suggestion, _ = Suggestion.objects.get_or_create(
        need=need, listing=listing, defaults={"score": 0.5, "reasons": ["free licence"], "pushed_at": timezone.now()}
    )
    return suggestion


def test_transition_table():
    check_transition(SuggestionStatus, "pushed", "viewed")
    check_transition(SuggestionStatus, "contacted", "dismissed")
    for current, target in [("pushed", "licensed"), ("viewed", "pushed"), ("licensed", "dismissed"),
                            ("dismissed", "viewed")]:
        with pytest.raises(IllegalTransition):
            check_transition(SuggestionStatus, current, target)


def test_funnel_steps_are_stamped(suggestion, sme_user):
    actions.mark_viewed(suggestion, actor=sme_user)
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.VIEWED and suggestion.viewed_at is not None
    first_view = suggestion.viewed_at
    actions.mark_viewed(suggestion, actor=sme_user)  # viewed again: no-op
    suggestion.refresh_from_db()
    assert suggestion.viewed_at == first_view
    actions.mark_contacted(suggestion, actor=sme_user)
    actions.mark_licensed(suggestion)
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.LICENSED
    assert suggestion.contacted_at and suggestion.licensed_at
    assert list(AuditEntry.objects.for_target(suggestion).order_by("id").values_list("action", flat=True)) == [
        "suggestion.viewed", "suggestion.contacted", "suggestion.licensed"]
    with pytest.raises(IllegalTransition):
        actions.dismiss_suggestion(suggestion, actor=sme_user)


def test_contacted_passes_through_viewed(suggestion, sme_user):
    actions.mark_contacted(suggestion, actor=sme_user)
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.CONTACTED
    assert suggestion.viewed_at is not None and suggestion.contacted_at is not None


def test_dismissed_is_final(suggestion, sme_user):
    actions.save_suggestion(suggestion, actor=sme_user)
    actions.dismiss_suggestion(suggestion, actor=sme_user)
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.DISMISSED and suggestion.dismissed_at and not suggestion.saved
    for action in (actions.mark_viewed, actions.mark_contacted, actions.dismiss_suggestion):
        with pytest.raises(IllegalTransition):
            action(suggestion, actor=sme_user)
    with pytest.raises(ActionError):
        actions.save_suggestion(suggestion, actor=sme_user)
    assert Suggestion.objects.open().count() == 0


def test_saved_flag_is_separate(suggestion, sme_user):
    actions.save_suggestion(suggestion, actor=sme_user)
    actions.mark_viewed(suggestion, actor=sme_user)
    suggestion.refresh_from_db()
    assert suggestion.saved and suggestion.status == SuggestionStatus.VIEWED
    actions.save_suggestion(suggestion, actor=sme_user, saved=False)
    suggestion.refresh_from_db()
    assert not suggestion.saved


def test_only_members_of_the_sme(suggestion, outsider, owner):
    for user in (outsider, owner):  # owner: a member of the listing's organisation, not of the SME
        with pytest.raises(NotAllowed):
            actions.dismiss_suggestion(suggestion, actor=user)
        with pytest.raises(NotAllowed):
            actions.mark_viewed(suggestion, actor=user)
        with pytest.raises(NotAllowed):
            actions.save_suggestion(suggestion, actor=user)
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.PUSHED and not suggestion.saved


def test_record_suggestions_updates_open_ones(catalogue, sme, sme_user):
    need = actions.create_need(sme, actor=sme_user, title="Lithium cathode coating", ipc_codes=["H01M 10/052"])
    created = actions.record_suggestions(need)
    assert created and all(s.status == SuggestionStatus.PUSHED and s.pushed_at for s in created)
    top = max(created, key=lambda s: s.score)
    assert top.listing_id == catalogue["cathode"].pk
    assert "shares IPC H01M 10/052" in top.reasons and top.reasons_display() == top.reasons
    Suggestion.objects.filter(pk=top.pk).update(score=0.0, reasons=[])
    assert actions.record_suggestions(need) == []
    top.refresh_from_db()
    assert top.score > 0 and top.reasons
