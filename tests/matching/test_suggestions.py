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
    for action in (actions.mark_viewed, actions.mark_contacted):
        with pytest.raises(IllegalTransition):
            action(suggestion, actor=sme_user)
    with pytest.raises(ActionError):
        actions.save_suggestion(suggestion, actor=sme_user)
    assert Suggestion.objects.open().count() == 0
    # a second "dismiss" (a double click, a colleague at the same time) changes nothing and records nothing
    dismissed_at = suggestion.dismissed_at
    actions.dismiss_suggestion(suggestion, actor=sme_user)
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.dismissed_at) == (SuggestionStatus.DISMISSED, dismissed_at)
    assert AuditEntry.objects.filter(action="suggestion.dismissed").count() == 1


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


def test_editing_a_need_rescores_all_its_suggestions(catalogue, sme, sme_user):
    """After an edit, a suggestion the new text no longer supports keeps no stale reason and sinks."""
    need = actions.create_need(sme, actor=sme_user, title="Lithium cathode coating", ipc_codes=["H01M 10/052"])
    actions.record_suggestions(need, limit=1)
    cathode = Suggestion.objects.get(need=need, listing=catalogue["cathode"])
    assert "shares IPC H01M 10/052" in cathode.reasons
    need = actions.update_need(need, actor=sme_user, title="Tea leaf rolling", ipc_codes=["A23F 3/06"])
    actions.record_suggestions(need, limit=1)  # the tea listing is the new top match; cathode is not in it
    cathode.refresh_from_db()
    tea = Suggestion.objects.get(need=need, listing=catalogue["tea"])
    assert not any("H01M" in reason or "lithium" in reason for reason in cathode.reasons)
    assert tea.score > cathode.score


def test_editing_a_need_forgets_the_ipc_fields_it_learnt(catalogue, sme, sme_user):
    need = actions.create_need(sme, actor=sme_user, title="Lithium cathode coating")
    actions.record_suggestions(need)
    need.refresh_from_db()
    assert need.ipc_feedback
    need = actions.update_need(need, actor=sme_user, province="BJ")  # not the text: the votes stay
    assert need.ipc_feedback
    need = actions.update_need(need, actor=sme_user, title="Tea leaf rolling")
    assert need.ipc_feedback == []


def test_closed_need_gets_no_suggestions_and_sends_no_requests(suggestion, sme_user):
    need = actions.deactivate_need(suggestion.need, actor=sme_user)
    assert actions.record_suggestions(need) == []
    with pytest.raises(ActionError, match="This need is closed"):
        actions.request_licence(suggestion, actor=sme_user, message="We would like a licence.")


def test_marking_a_page_of_suggestions_viewed_skips_those_moved_meanwhile(catalogue, sme, sme_user,
                                                                           django_assert_max_num_queries):
    need = actions.create_need(sme, actor=sme_user, title="Lithium battery separator", ipc_codes=["H01M"])
    actions.record_suggestions(need)
    shown = list(Suggestion.objects.filter(need=need).order_by("pk"))
    assert len(shown) == 3
    actions.dismiss_suggestion(Suggestion.objects.get(pk=shown[0].pk), actor=sme_user)  # a colleague, meanwhile
    with django_assert_max_num_queries(8):
        assert actions.mark_viewed_many(shown, actor=sme_user) == 2
    statuses = dict(Suggestion.objects.filter(need=need).values_list("pk", "status"))
    assert statuses == {shown[0].pk: "dismissed", shown[1].pk: "viewed", shown[2].pk: "viewed"}
    assert AuditEntry.objects.filter(action="suggestion.viewed").count() == 2
    assert actions.mark_viewed_many(shown, actor=sme_user) == 0  # shown again: nothing to do
