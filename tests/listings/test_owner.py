"""The owner dashboard (/owner/<slug>/...): access, creating and editing listings, state changes,
money parsing and default terms — through the pages an owner clicks."""

from decimal import Decimal

import pytest
from django import forms
from django.urls import reverse

from listings import actions
from listings.forms import ListingForm, TermsForm, parse_amount, to_minor
from listings.models import FeeModel, Listing, ListingState, OrganisationTerms, Patent
from marketplace import actions as org_actions
from marketplace.models import AuditEntry, MemberRole, OrganisationKind

TERMS = {
    "licence_kinds": ["non_exclusive"],
    "fee_model": "free",
    "currency": "CNY",
    "lump_sum": "",
    "entry_fee": "",
    "royalty_rate": "",
    "territory": "Mainland China",
    "term_months": "36",
    "field_of_use": "",
}


def listing_post(**overrides):
    data = {**TERMS, "title": "", "description": "", "new_number": "", "new_title": "", "new_abstract": "",
            "new_ipc_codes": "", "new_legal_status": "granted", "new_language": "en"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def patent(verified_holder, patent_factory):
    return patent_factory(verified_holder, "CN112345678B", title="Lithium battery cathode",
                          abstract="A cathode for lithium-ion batteries.", ipc_codes=["H01M 10/052"])


@pytest.fixture
def colleague(make_user, verified_holder):
    """A plain member (not an owner) of verified_holder."""
    user = make_user("colleague@example.com", full_name="Chen Colleague")
    org_actions.add_member(verified_holder, user=user, role=MemberRole.MEMBER, actor=None, operator=True)
    return user


@pytest.fixture
def draft(verified_holder, owner, patent):
    return actions.create_listing(verified_holder, actor=owner, patents=[patent], title="Cathode licence")


# --- access ---------------------------------------------------------------------------------
OWNER_URLS = [
    ("owner_listings", "get", False),
    ("owner_listing_create", "get", False),
    ("owner_listing_create", "post", False),
    ("owner_default_terms", "get", False),
    ("owner_default_terms", "post", False),
    ("owner_listing_edit", "get", True),
    ("owner_listing_edit", "post", True),
    ("owner_listing_publish", "post", True),
    ("owner_listing_pause", "post", True),
    ("owner_listing_resume", "post", True),
    ("owner_listing_withdraw", "post", True),
]


@pytest.mark.parametrize("who", ["outsider", "staff", "other_org_owner"])
@pytest.mark.parametrize("url_name, method, needs_listing", OWNER_URLS)
def test_nobody_outside_the_organisation_can_see_or_change_anything(
    client, request, make_user, make_org, verified_holder, draft, who, url_name, method, needs_listing
):
    if who == "other_org_owner":
        user = make_user("rival@example.com")
        make_org("Rival Institute", owner=user, verified=True)
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)
    args = [verified_holder.slug, draft.pk] if needs_listing else [verified_holder.slug]
    before = AuditEntry.objects.count()
    response = getattr(client, method)(reverse(url_name, args=args), listing_post(title="Hijacked"))
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.state == ListingState.DRAFT and draft.title == "Cathode licence"
    assert Listing.objects.count() == 1
    assert not OrganisationTerms.objects.exists()
    assert AuditEntry.objects.count() == before


def test_a_listing_of_another_organisation_is_404_even_for_a_member_of_this_one(
    client, owner, make_org, make_user, patent_factory, verified_holder
):
    rival_owner = make_user("rival@example.com")
    rival = make_org("Rival", owner=rival_owner, verified=True)
    theirs = actions.create_listing(rival, actor=rival_owner,
                                    patents=[patent_factory(rival, "CN100000001A", actor=rival_owner)])
    client.force_login(owner)  # a member of verified_holder, asking about rival's listing through its own slug
    for name in ("owner_listing_edit", "owner_listing_publish", "owner_listing_withdraw"):
        assert client.post(reverse(name, args=[verified_holder.slug, theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == ListingState.DRAFT


def test_anonymous_visitors_are_sent_to_log_in(client, verified_holder):
    response = client.get(reverse("owner_listings", args=[verified_holder.slug]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- dashboard --------------------------------------------------------------------------------
def test_dashboard_lists_listings_with_state_and_views(client, colleague, verified_holder, draft):
    Listing.objects.filter(pk=draft.pk).update(view_count=17)
    client.force_login(colleague)
    page = client.get(reverse("owner_listings", args=[verified_holder.slug])).content.decode()
    assert "Cathode licence" in page
    assert "CN 112345678 B" in page
    assert ">Draft</span>" in page
    assert ">17</td>" in page
    assert reverse("owner_listing_publish", args=[verified_holder.slug, draft.pk]) in page
    assert reverse("owner_default_terms", args=[verified_holder.slug]) in page


def test_dashboard_filters_by_state(client, owner, verified_holder, patent_factory):
    first = actions.create_listing(verified_holder, actor=owner, title="Draft one",
                                   patents=[patent_factory(verified_holder, "CN100000001A")])
    second = actions.create_listing(verified_holder, actor=owner, title="Withdrawn one",
                                    patents=[patent_factory(verified_holder, "CN100000002A")])
    actions.withdraw_listing(second, actor=owner)
    client.force_login(owner)
    page = client.get(reverse("owner_listings", args=[verified_holder.slug]), {"state": "withdrawn"}).content.decode()
    assert "Withdrawn one" in page and first.title not in page


# --- creating and editing -----------------------------------------------------------------------
def test_member_creates_a_listing_from_existing_patents(client, colleague, verified_holder, patent, patent_factory):
    second = patent_factory(verified_holder, "CN100000002A", title="Second")
    client.force_login(colleague)
    response = client.post(
        reverse("owner_listing_create", args=[verified_holder.slug]),
        listing_post(patents=[patent.pk, second.pk], title="Battery bundle", description="Know-how included",
                     idle_declared="on", fee_model="lump_sum", lump_sum="120000.50",
                     licence_kinds=["non_exclusive", "exclusive"]),
        follow=True,
    )
    listing = Listing.objects.get()
    assert listing.title == "Battery bundle" and listing.state == ListingState.DRAFT
    assert set(listing.patents.all()) == {patent, second}
    assert listing.lump_sum_minor == 12000050 and listing.upfront_price_minor == 12000050
    assert listing.offers_exclusive and listing.offers_non_exclusive and not listing.offers_sole
    assert listing.idle_declared and listing.term_months == 36 and listing.created_by == colleague
    assert AuditEntry.objects.filter(action="listing.created", actor=colleague, target_id=str(listing.pk)).exists()
    assert "saved as a draft" in response.content.decode()


def test_member_creates_a_listing_with_a_new_patent_in_the_same_form(client, owner, verified_holder):
    client.force_login(owner)
    client.post(
        reverse("owner_listing_create", args=[verified_holder.slug]),
        listing_post(new_number="cn 201010110545.x", new_title="Solar cell coating", new_abstract="A coating.",
                     new_ipc_codes="H01L31/0216; H01L 31/18,C09D 5/00", new_filing_date="2010-03-01",
                     new_grant_date="2012-05-02", new_expiry_date="2030-03-01", new_legal_status="granted",
                     new_language="en", fee_model="royalty", royalty_rate="3.5"),
    )
    patent = Patent.objects.get()
    assert patent.display_number == "CN 201010110545.X" and patent.owner == verified_holder
    assert patent.ipc_codes == ["H01L 31/0216", "H01L 31/18", "C09D 5/00"]
    assert str(patent.expiry_date) == "2030-03-01"
    listing = Listing.objects.get()
    assert list(listing.patents.all()) == [patent]
    assert listing.title == "Solar cell coating"  # the patent's title when none is given
    assert listing.royalty_rate_bp == 350
    assert AuditEntry.objects.filter(action="patent.created", actor=owner).exists()
    assert AuditEntry.objects.filter(action="listing.created", actor=owner).exists()


def test_create_form_errors_create_nothing(client, owner, verified_holder):
    client.force_login(owner)
    url = reverse("owner_listing_create", args=[verified_holder.slug])
    response = client.post(url, listing_post())  # no patent at all
    assert "Select at least one of your patents or enter a new patent" in response.content.decode()
    response = client.post(url, listing_post(new_number="XX123", new_title="T", new_ipc_codes="not-a-code"))
    page = response.content.decode()
    assert "is not a patent number we recognise" in page and "Not IPC codes: not-a-code" in page
    response = client.post(url, listing_post(new_number="CN100000001A", new_title="T", licence_kinds=[]))
    assert "Offer at least one kind of licence" in response.content.decode()
    assert not Patent.objects.exists() and not Listing.objects.exists()


def test_a_number_the_organisation_already_has_must_be_selected_instead(client, owner, verified_holder, patent):
    client.force_login(owner)
    response = client.post(reverse("owner_listing_create", args=[verified_holder.slug]),
                           listing_post(new_number="CN 112345678 B", new_title="Duplicate"))
    assert "already one of your patents" in response.content.decode()
    assert Patent.objects.get().title == "Lithium battery cathode"


def test_edit_changes_terms_and_is_audited(client, owner, verified_holder, draft):
    client.force_login(owner)
    url = reverse("owner_listing_edit", args=[verified_holder.slug, draft.pk])
    page = client.get(url).content.decode()
    assert 'value="Cathode licence"' in page
    client.post(url, listing_post(patents=[p.pk for p in draft.patents.all()], title="Cathode licence v2",
                                  fee_model="entry_fee_royalty", entry_fee="50,000", royalty_rate="2.25",
                                  currency="USD"))
    draft.refresh_from_db()
    assert draft.title == "Cathode licence v2"
    assert (draft.fee_model, draft.entry_fee_minor, draft.royalty_rate_bp, draft.currency) == (
        FeeModel.ENTRY_FEE_ROYALTY, 5_000_000, 225, "USD")
    entry = AuditEntry.objects.filter(action="listing.updated", actor=owner).get()
    assert entry.after["title"] == "Cathode licence v2"


def test_edit_form_shows_amounts_in_major_units(client, owner, verified_holder, patent):
    listing = actions.create_listing(verified_holder, actor=owner, patents=[patent], fee_model="entry_fee_royalty",
                                     entry_fee_minor=5_000_050, royalty_rate_bp=350)
    client.force_login(owner)
    page = client.get(reverse("owner_listing_edit", args=[verified_holder.slug, listing.pk])).content.decode()
    assert 'value="50000.50"' in page and 'value="3.5"' in page


def test_withdrawn_listing_cannot_be_edited(client, owner, verified_holder, draft):
    actions.withdraw_listing(draft, actor=owner)
    client.force_login(owner)
    response = client.get(reverse("owner_listing_edit", args=[verified_holder.slug, draft.pk]), follow=True)
    assert "cannot be edited" in response.content.decode()


def test_donation_quota_only_for_demonstration_enterprises(owner, verified_holder, make_org):
    assert "donation_quota" not in ListingForm(verified_holder).fields
    donor = make_org("Northern Power", kind=OrganisationKind.STATE_ENTERPRISE, owner=owner, verified=True)
    donor = org_actions.set_demonstration(donor, actor=None, value=True, operator=True)
    assert "donation_quota" in ListingForm(donor).fields


def test_demonstration_enterprise_sets_a_donation_quota(client, owner, make_org, patent_factory):
    donor = make_org("Northern Power", kind=OrganisationKind.STATE_ENTERPRISE, owner=owner, verified=True)
    donor = org_actions.set_demonstration(donor, actor=None, value=True, operator=True)
    patent = patent_factory(donor, "CN100000009A")
    client.force_login(owner)
    page = client.get(reverse("owner_listing_create", args=[donor.slug])).content.decode()
    assert 'name="donation_quota"' in page
    client.post(reverse("owner_listing_create", args=[donor.slug]),
                listing_post(patents=[patent.pk], donation_quota="5"))
    assert Listing.objects.get().donation_quota == 5


# --- money ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, minor", [
    ("120000.50", 12000050), ("120000", 12000000), ("120,000.5", 12000050), (" 0.01 ", 1), ("0", 0),
    ("1,234,567.89", 123456789),
])
def test_amounts_in_major_units_become_integer_minor_units(text, minor):
    amount = parse_amount(text)
    assert isinstance(amount, Decimal)
    assert to_minor(amount, "CNY") == minor


@pytest.mark.parametrize("text, message", [
    ("-5", "cannot be negative"), ("1.234", "at most 2 decimal places"), ("12a", "Enter an amount"),
    ("1e5", "Enter an amount"), ("NaN", "Enter an amount"), ("12,34", "Enter an amount"),
    ("1000000000000", "too large"),
])
def test_bad_amounts_are_refused(text, message):
    with pytest.raises(forms.ValidationError, match=message):
        parse_amount(text)


@pytest.mark.parametrize("field, value, message", [
    ("lump_sum", "-100", "cannot be negative"),
    ("lump_sum", "100.001", "at most 2 decimal places"),
    ("lump_sum", "", "Needed for the fee model"),
])
def test_the_form_refuses_bad_amounts(client, owner, verified_holder, patent, field, value, message):
    client.force_login(owner)
    response = client.post(reverse("owner_listing_create", args=[verified_holder.slug]),
                           listing_post(patents=[patent.pk], fee_model="lump_sum", **{field: value}))
    assert message in response.content.decode()
    assert not Listing.objects.exists()


@pytest.mark.parametrize("value, bp, ok", [
    ("3.5", 350, True), ("3.5 %", 350, True), ("100", 10_000, True), ("0.01", 1, True),
    ("0", None, False), ("101", None, False), ("3.555", None, False), ("-1", None, False), ("abc", None, False),
])
def test_royalty_rate_in_per_cent_becomes_basis_points(value, bp, ok):
    form = TermsForm({**TERMS, "fee_model": "royalty", "royalty_rate": value})
    assert form.is_valid() is ok, form.errors
    if ok:
        assert form.terms()["royalty_rate_bp"] == bp
        assert form.terms()["lump_sum_minor"] is None


# --- state changes -------------------------------------------------------------------------------
def post_action(client, name, listing, **data):
    return client.post(reverse(name, args=[listing.owner.slug, listing.pk]), data, follow=True)


def test_member_publishes_pauses_resumes_and_withdraws_with_audit(client, colleague, verified_holder, draft):
    client.force_login(colleague)
    steps = [
        ("owner_listing_publish", ListingState.PUBLISHED, "listing.published", "is published"),
        ("owner_listing_pause", ListingState.PAUSED, "listing.paused", "is paused"),
        ("owner_listing_resume", ListingState.PUBLISHED, "listing.published", "is published again"),
        ("owner_listing_withdraw", ListingState.WITHDRAWN, "listing.withdrawn", "is withdrawn"),
    ]
    for name, state, audit_action, message in steps:
        response = post_action(client, name, draft)
        draft.refresh_from_db()
        assert draft.state == state
        assert message in response.content.decode()
        assert AuditEntry.objects.filter(action=audit_action, actor=colleague, target_id=str(draft.pk)).exists()
    assert AuditEntry.objects.filter(action="listing.published", target_id=str(draft.pk)).count() == 2


def test_unverified_organisation_cannot_publish(client, owner, make_org, patent_factory):
    pending = make_org("Pending Institute", owner=owner)
    listing = actions.create_listing(pending, actor=owner, patents=[patent_factory(pending, "CN100000001A")])
    client.force_login(owner)
    page = client.get(reverse("owner_listings", args=[pending.slug])).content.decode()
    assert "is not verified yet" in page
    assert "disabled" in page.split(reverse("owner_listing_publish", args=[pending.slug, listing.pk]))[1][:400]
    response = post_action(client, "owner_listing_publish", listing)
    listing.refresh_from_db()
    assert listing.state == ListingState.DRAFT
    assert "only verified organisations can publish listings" in response.content.decode()
    assert not AuditEntry.objects.filter(action="listing.published").exists()


def test_save_and_publish_from_the_form(client, owner, verified_holder, patent):
    client.force_login(owner)
    response = client.post(reverse("owner_listing_create", args=[verified_holder.slug]),
                           listing_post(patents=[patent.pk], publish="1"), follow=True)
    assert Listing.objects.get().state == ListingState.PUBLISHED
    assert "is published" in response.content.decode()


@pytest.mark.parametrize("setup, action, message", [
    ([], "owner_listing_pause", "This listing is draft: only published listings can be paused."),
    ([], "owner_listing_resume", "This listing is draft: only paused listings can be resumed."),
    (["publish"], "owner_listing_resume", "This listing is published: only paused listings can be resumed."),
    (["publish"], "owner_listing_publish", "This listing is published: only drafts and paused listings"),
    (["withdraw"], "owner_listing_publish", "This listing is withdrawn: only drafts and paused listings"),
    (["withdraw"], "owner_listing_withdraw", "This listing is withdrawn: it cannot be withdrawn."),
])
def test_illegal_transitions_show_an_error(client, owner, draft, setup, action, message):
    for step in setup:
        getattr(actions, f"{step}_listing")(draft, actor=owner)
    state = Listing.objects.get(pk=draft.pk).state
    before = AuditEntry.objects.count()
    client.force_login(owner)
    response = post_action(client, action, draft)
    assert message in response.content.decode()
    assert Listing.objects.get(pk=draft.pk).state == state
    assert AuditEntry.objects.count() == before


def test_publishing_a_listing_with_a_lapsed_patent_is_refused(client, owner, verified_holder, draft, patent):
    actions.save_patent(verified_holder, actor=owner, number=patent.display_number, title=patent.title,
                        legal_status="lapsed")
    client.force_login(owner)
    response = post_action(client, "owner_listing_publish", draft)
    assert "expired or lapsed" in response.content.decode()
    assert Listing.objects.get(pk=draft.pk).state == ListingState.DRAFT


def test_actions_answer_405_to_get(client, owner, draft):
    client.force_login(owner)
    assert client.get(reverse("owner_listing_publish", args=[draft.owner.slug, draft.pk])).status_code == 405


# --- default terms -----------------------------------------------------------------------------------
def test_owner_saves_default_terms(client, owner, verified_holder):
    client.force_login(owner)
    url = reverse("owner_default_terms", args=[verified_holder.slug])
    assert "No default terms yet" in client.get(url).content.decode()
    response = client.post(url, {**TERMS, "fee_model": "lump_sum", "lump_sum": "8000", "open_licence": "on",
                                 "licence_kinds": ["non_exclusive", "sole"]}, follow=True)
    terms = OrganisationTerms.objects.get(organisation=verified_holder)
    assert (terms.fee_model, terms.lump_sum_minor, terms.open_licence, terms.offers_sole) == ("lump_sum", 800000, True, True)
    assert "default licence terms" in response.content.decode()
    assert AuditEntry.objects.filter(action="organisation.default_terms_saved", actor=owner).exists()
    assert actions.default_terms_for(verified_holder)["lump_sum_minor"] == 800000
    page = client.get(url).content.decode()
    assert 'value="8000.00"' in page and "Lump sum" in page


def test_plain_member_cannot_change_default_terms(client, colleague, verified_holder):
    client.force_login(colleague)
    url = reverse("owner_default_terms", args=[verified_holder.slug])
    assert "Only owners of the organisation can change" in client.get(url).content.decode()
    response = client.post(url, {**TERMS}, follow=True)
    assert "Only owners of" in response.content.decode()
    assert not OrganisationTerms.objects.exists()


def test_default_terms_refuse_a_royalty_without_rate(client, owner, verified_holder):
    client.force_login(owner)
    response = client.post(reverse("owner_default_terms", args=[verified_holder.slug]),
                           {**TERMS, "fee_model": "royalty"})
    assert "Needed for the fee model" in response.content.decode()
    assert not OrganisationTerms.objects.exists()
