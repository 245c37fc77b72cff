"""Need actions: who may state needs, validation, audit entries."""

from __future__ import annotations

import pytest

from marketplace.actions import ActionError, NotAllowed
from marketplace.models import AuditEntry
from matching import actions
from matching.models import Need

pytestmark = pytest.mark.django_db


def test_member_creates_need_with_normalised_fields_and_audit(sme, sme_user):
    need = actions.create_need(sme, actor=sme_user, title="  Cathode coating  ", description="锂电池正极",
                               ipc_codes=["h01m10/052", "H01M", "H01M 10/052"], budget_minor=500_000,
                               licence_kinds=["non_exclusive"], province="GD")
    assert need.title == "Cathode coating"
    assert need.ipc_codes == ["H01M 10/052", "H01M"]
    assert need.active and need.created_by == sme_user and need.currency == "CNY"
    entry = AuditEntry.objects.for_target(need).get()
    assert entry.action == "need.created" and entry.actor == sme_user and entry.organisation == sme
    assert entry.after["ipc_codes"] == ["H01M 10/052", "H01M"]


def test_non_member_refused(sme, outsider):
    with pytest.raises(NotAllowed):
        actions.create_need(sme, actor=outsider, title="Anything")
    assert not Need.objects.exists()


def test_only_smes_state_needs(holder, owner):
    with pytest.raises(NotAllowed):
        actions.create_need(holder, actor=owner, title="Anything")


@pytest.mark.parametrize("fields", [
    {"title": ""},
    {"title": "x", "ipc_codes": ["not a code"]},
    {"title": "x", "budget_minor": -1},
    {"title": "x", "budget_minor": 1.5},
    {"title": "x", "currency": "GBP"},
    {"title": "x", "licence_kinds": ["lease"]},
    {"title": "x", "province": "ZZ"},
])
def test_invalid_fields(sme, sme_user, fields):
    with pytest.raises(ActionError):
        actions.create_need(sme, actor=sme_user, **fields)


def test_update_need_audits_changes_only(sme, sme_user, outsider):
    need = actions.create_need(sme, actor=sme_user, title="Cathode", budget_minor=100)
    with pytest.raises(NotAllowed):
        actions.update_need(need, actor=outsider, title="Hijacked")
    need = actions.update_need(need, actor=sme_user, title="Cathode", budget_minor=200, ipc_codes="H01M; H01B")
    assert need.budget_minor == 200 and need.ipc_codes == ["H01M", "H01B"]
    entry = AuditEntry.objects.for_target(need).filter(action="need.updated").get()
    assert entry.before == {"budget_minor": 100, "ipc_codes": []}
    assert entry.after == {"budget_minor": 200, "ipc_codes": ["H01M", "H01B"]}


def test_deactivate_need(sme, sme_user, outsider):
    need = actions.create_need(sme, actor=sme_user, title="Cathode")
    with pytest.raises(NotAllowed):
        actions.deactivate_need(need, actor=outsider)
    need = actions.deactivate_need(need, actor=sme_user)
    assert not need.active and need.deactivated_at is not None
    assert not Need.objects.active().exists()
    assert AuditEntry.objects.for_target(need).filter(action="need.deactivated").count() == 1
    actions.deactivate_need(need, actor=sme_user)  # again: nothing to do, no second entry
    assert AuditEntry.objects.for_target(need).filter(action="need.deactivated").count() == 1
    with pytest.raises(ActionError):
        actions.update_need(need, actor=sme_user, title="Revived")
    assert actions.record_suggestions(need) == []
