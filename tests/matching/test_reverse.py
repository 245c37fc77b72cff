"""Reverse matching on the listing page: "SMEs that may want this", for members of the owner only."""

from __future__ import annotations

import pytest
from django.utils import timezone

from marketplace import actions as org_actions
from marketplace.models import OrganisationKind
from matching import actions
from matching.models import Suggestion
from matching.reverse import needs_for_listing, reasons_for_owner

pytestmark = pytest.mark.django_db

SECTION = "SMEs that may want this"


@pytest.fixture
def small_sme(sme, sme_user):
    """``sme`` classified small (industry: 50 employees, ¥10M revenue)."""
    org_actions.save_sme_profile(sme, actor=sme_user, industry="02", employees=50, annual_revenue_cny=10_000_000,
                                 total_assets_cny=None)
    sme.refresh_from_db()
    return sme


@pytest.fixture
def cathode_need(small_sme, sme_user):
    return actions.create_need(small_sme, actor=sme_user, title="Cathode coating for e-bike batteries",
                               description="Our lithium iron phosphate cathodes fade; we want a better coating.",
                               keywords="cathode, coating", ipc_codes=["H01M 4/136"], budget_minor=1_000_000,
                               licence_kinds=["non_exclusive"], province="GD")


@pytest.fixture
def tea_need(make_org, make_user):
    user = make_user("tea@example.com")
    org = make_org("Hill Tea Co", kind=OrganisationKind.SME, owner=user, verified=True)
    return actions.create_need(org, actor=user, title="Tea leaf rolling", description="Rolling green tea leaves.",
                               ipc_codes=["A23F 3/06"])


def test_owner_member_sees_matching_needs_with_reasons(client, owner, catalogue, cathode_need, tea_need):
    client.force_login(owner)
    response = client.get(catalogue["cathode"].get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert SECTION in page and 'id="reverse-estimate"' not in page  # published: exact scores
    section = page[page.index('id="reverse-matches"'):]
    section = section[:section.index("</section>")]
    assert cathode_need.title in section and "Tiny Cells Ltd" in section
    assert "Small" in section and "eligible" in section  # size class badge
    assert "shares IPC H01M 4/136" in section
    assert "matches:" in section and "cathode" in section
    assert "within their budget" in section  # the cathode listing is free
    assert "prefers owners in Guangdong" in section
    assert "wants a licence you offer: Non-exclusive licence" in section
    assert tea_need.title not in section


def test_outsiders_do_not_see_the_section(client, outsider, sme_user, catalogue, cathode_need):
    url = catalogue["cathode"].get_absolute_url()
    for user in (None, outsider, sme_user):
        client.logout()
        if user:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert SECTION not in page and cathode_need.title not in page


def test_member_of_another_owner_sees_nothing_for_this_listing(client, owner, member, catalogue, cathode_need):
    """``member`` belongs to Acme Institute, not to the cathode listing's owner."""
    client.force_login(member)
    assert SECTION not in client.get(catalogue["cathode"].get_absolute_url()).content.decode()


def test_empty_state(client, owner, catalogue, tea_need):
    client.force_login(owner)
    page = client.get(catalogue["cathode"].get_absolute_url()).content.decode()
    assert SECTION in page and "No active need" in page and tea_need.title not in page


def test_excluded_needs(catalogue, cathode_need, sme_user, tea_need):
    listing = catalogue["cathode"]
    assert [m.need for m in needs_for_listing(listing)] == [cathode_need]
    assert [m.need for m in needs_for_listing(catalogue["tea"])] == [tea_need]
    # the SME dismissed this listing for its need: not shown to the owner
    suggestion = Suggestion.objects.create(need=cathode_need, listing=listing, score=0.5, pushed_at=timezone.now())
    actions.dismiss_suggestion(suggestion, actor=sme_user)
    assert needs_for_listing(listing) == []


def test_closed_and_free_only_needs(catalogue, cathode_need, sme_user, small_sme):
    separator = catalogue["separator"]  # paid (¥900,000), same subclass H01M
    free_only = actions.create_need(small_sme, actor=sme_user, title="Separator membrane, free only",
                                    keywords="separator membrane", free_or_donated_only=True)
    paid_ok = actions.create_need(small_sme, actor=sme_user, title="Ceramic separator", keywords="ceramic separator")
    needs = [m.need for m in needs_for_listing(separator)]
    assert paid_ok in needs and free_only not in needs
    actions.deactivate_need(paid_ok, actor=sme_user)
    assert paid_ok not in [m.need for m in needs_for_listing(separator)]


def test_own_needs_are_excluded(publish, make_org, owner, sme_user):
    """An SME that is both the owner of a listing and has a need does not see its own need."""
    org = make_org("Dual Firm", kind=OrganisationKind.SME, owner=owner, verified=True)
    actions.create_need(org, actor=owner, title="Lithium cathode coating", ipc_codes=["H01M 4/136"])
    listing = publish("Lithium cathode coating", ipc_codes=["H01M 4/136"])
    listing.owner = org  # pretend the SME owns it
    assert needs_for_listing(listing) == []


def test_cap_at_ten(catalogue, small_sme, sme_user):
    for i in range(12):
        actions.create_need(small_sme, actor=sme_user, title=f"Cathode coating {i}", ipc_codes=["H01M 4/136"])
    assert len(needs_for_listing(catalogue["cathode"])) == 10


def test_reasons_for_owner_skip_listing_facts():
    codes = [{"code": "free", "params": {}}, {"code": "recent", "params": {"days": 30}},
             {"code": "ipc_subclass", "params": {"code": "H01M"}}, {"code": "budget", "params": {}}]
    assert reasons_for_owner(codes) == ["same IPC subclass H01M", "within their budget"]


def test_draft_listing_uses_the_approximation(client, owner, publish, cathode_need, tea_need):
    """A draft is not in the index: scored without BM25 (coverage only), never waited for."""
    draft = publish("Lithium iron phosphate cathode coating", publish=False,
                    abstract="A carbon coating for lithium iron phosphate cathode particles.",
                    ipc_codes=["H01M 4/136"])
    rows = needs_for_listing(draft)
    assert [m.need for m in rows] == [cathode_need]
    assert "shares IPC H01M 4/136" in rows[0].reasons_display()
    client.force_login(owner)
    page = client.get(draft.get_absolute_url()).content.decode()
    assert SECTION in page and cathode_need.title in page and tea_need.title not in page
    assert 'id="reverse-estimate"' in page  # the owner is told the scores of a draft are estimates


def test_indexed_score_is_the_push_score(catalogue, cathode_need):
    """The owner sees the score the SME's own search gives the pair (and the fan-out pushed)."""
    from matching import scoring

    listing = catalogue["cathode"]
    [row] = needs_for_listing(listing)
    assert row.score == scoring.score_listing_for_needs(listing, [cathode_need])[cathode_need.pk].score
    own = {m.listing_id: m for m in scoring.match_need(cathode_need)}[listing.pk]
    assert row.score == pytest.approx(own.score, abs=1e-3)
