"""The matching pages: needs (list, new, edit, close), suggestions (save, dismiss, request licence), quick match."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from marketplace import actions as org_actions
from marketplace.models import MemberRole
from matching import actions
from matching.models import ContactRequest, Need, Suggestion, SuggestionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def sme_client(client, sme_user, sme):
    client.force_login(sme_user)
    return client


@pytest.fixture
def need(sme, sme_user):
    return actions.create_need(sme, actor=sme_user, title="Cathode coating for lithium batteries",
                               description="We need a lithium iron phosphate cathode coating.",
                               keywords="cathode, lithium", ipc_codes=["H01M 4/136"])


@pytest.fixture
def suggestion(need, catalogue):
    actions.record_suggestions(need)
    return Suggestion.objects.get(need=need, listing=catalogue["cathode"])


def _urls(sme, need, suggestion):
    args = [sme.slug, need.pk]
    sargs = [*args, suggestion.pk]
    return {
        "list": ("get", reverse("need_list", args=[sme.slug])),
        "new": ("get", reverse("need_create", args=[sme.slug])),
        "new-post": ("post", reverse("need_create", args=[sme.slug])),
        "detail": ("get", reverse("need_detail", args=args)),
        "edit": ("get", reverse("need_edit", args=args)),
        "edit-post": ("post", reverse("need_edit", args=args)),
        "deactivate": ("post", reverse("need_deactivate", args=args)),
        "save": ("post", reverse("suggestion_save", args=sargs)),
        "dismiss": ("post", reverse("suggestion_dismiss", args=sargs)),
        "contact": ("get", reverse("suggestion_contact", args=sargs)),
        "contact-post": ("post", reverse("suggestion_contact", args=sargs)),
    }


URL_NAMES = ["list", "new", "new-post", "detail", "edit", "edit-post", "deactivate", "save", "dismiss", "contact",
             "contact-post"]


@pytest.mark.parametrize("name", URL_NAMES)
def test_non_member_gets_404(client, outsider, staff, sme, need, suggestion, name):
    method, url = _urls(sme, need, suggestion)[name]
    data = {"title": "Hijack", "message": "Hello"}
    for user in (outsider, staff):
        client.force_login(user)
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 404, (name, user)
    need.refresh_from_db()
    suggestion.refresh_from_db()
    assert need.active and need.title != "Hijack"
    assert suggestion.status == SuggestionStatus.PUSHED and not suggestion.saved
    assert not ContactRequest.objects.exists()


@pytest.mark.parametrize("name", URL_NAMES)
def test_anonymous_is_sent_to_login(client, sme, need, suggestion, name):
    method, url = _urls(sme, need, suggestion)[name]
    response = getattr(client, method)(url)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_member_of_a_non_sme_gets_404(client, owner, holder):
    client.force_login(owner)
    assert client.get(reverse("need_list", args=[holder.slug])).status_code == 404


def test_need_of_another_sme_is_404(sme_client, make_org, make_user, need):
    other_user = make_user("other-sme@example.com")
    from marketplace.models import OrganisationKind

    other = make_org("Other Firm", kind=OrganisationKind.SME, owner=other_user, verified=True)
    theirs = actions.create_need(other, actor=other_user, title="Tea")
    assert sme_client.get(reverse("need_detail", args=[need.organisation.slug, theirs.pk])).status_code == 404


def test_create_need_via_the_form(sme_client, sme, catalogue):
    response = sme_client.post(reverse("need_create", args=[sme.slug]), {
        "title": "  Better cathodes ",
        "description": "磷酸铁锂正极材料的碳包覆",
        "keywords": "cathode coating",
        "ipc_codes": "h01m4/136; H01M,H01M 4/136",
        "budget": "12,000.50",
        "licence_kinds": ["non_exclusive", "sole"],
        "province": "GD",
        "free_or_donated_only": "",
    })
    need = Need.objects.get(organisation=sme)
    assert response.status_code == 302 and response["Location"] == reverse("need_detail", args=[sme.slug, need.pk])
    assert need.title == "Better cathodes"
    assert need.budget_minor == 1_200_050 and isinstance(need.budget_minor, int)
    assert need.currency == "CNY"
    assert need.ipc_codes == ["H01M 4/136", "H01M"]
    assert need.licence_kinds == ["non_exclusive", "sole"]
    assert need.province == "GD" and need.free_or_donated_only is False
    assert need.created_by.email == "sme@example.com"


@pytest.mark.parametrize("field, value, expected", [
    ("ipc_codes", "H01M 4/136; XYZ 1", "“XYZ 1” is not an IPC code"),
    ("budget", "-5", "cannot be negative"),
    ("budget", "12.345", "at most 2 decimal places"),
    ("budget", "1e5", "Enter an amount"),
    ("title", "   ", "This field is required"),
])
def test_need_form_errors(sme_client, sme, field, value, expected):
    data = {"title": "A need", "ipc_codes": "", "budget": "", field: value}
    response = sme_client.post(reverse("need_create", args=[sme.slug]), data)
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert not Need.objects.exists()


def test_edit_need_shows_yuan_and_saves(sme_client, sme, need):
    actions.update_need(need, actor=need.created_by, budget_minor=500_000)
    url = reverse("need_edit", args=[sme.slug, need.pk])
    page = sme_client.get(url).content.decode()
    assert 'value="5000.00"' in page and "H01M 4/136" in page
    response = sme_client.post(url, {"title": "Renamed", "budget": "", "ipc_codes": "H01M"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.title == "Renamed" and need.budget_minor is None and need.ipc_codes == ["H01M"]


def test_a_budget_in_dollars_stays_in_dollars(sme_client, sme, need):
    url = reverse("need_edit", args=[sme.slug, need.pk])
    response = sme_client.post(url, {"title": need.title, "budget": "5000.50", "currency": "USD"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.budget_minor, need.currency) == (500_050, "USD")
    page = sme_client.get(url).content.decode()
    assert 'value="5000.50"' in page and '<option value="USD" selected>' in page
    response = sme_client.post(url, {"title": need.title, "budget": "12.345", "currency": "USD"})
    assert response.status_code == 200 and "Use at most 2 decimal places." in response.content.decode()


def test_deactivate_need(sme_client, sme, need):
    response = sme_client.post(reverse("need_deactivate", args=[sme.slug, need.pk]))
    assert response.status_code == 302
    need.refresh_from_db()
    assert not need.active
    # closed: editing redirects to the need, the list shows it as closed
    assert sme_client.get(reverse("need_edit", args=[sme.slug, need.pk])).status_code == 302
    assert "Closed" in sme_client.get(reverse("need_list", args=[sme.slug])).content.decode()


def test_suggestions_page_shows_reasons_and_marks_viewed(sme_client, sme, need, catalogue):
    response = sme_client.get(reverse("need_detail", args=[sme.slug, need.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    cathode = Suggestion.objects.get(need=need, listing=catalogue["cathode"])
    assert f'id="suggestion-{cathode.pk}"' in page
    assert catalogue["cathode"].get_absolute_url() in page
    assert "same IPC main group H01M 4/00" in page or "shares IPC H01M 4/136" in page
    assert "matches:" in page and "cathode" in page
    assert "Tea leaf rolling machine" not in page
    # ranked: the cathode listing comes first
    assert page.index(f'id="suggestion-{cathode.pk}"') < min(
        page.index(f'id="suggestion-{s.pk}"') for s in need.suggestions.exclude(pk=cathode.pk))
    assert set(need.suggestions.values_list("status", flat=True)) == {SuggestionStatus.VIEWED}
    cathode.refresh_from_db()
    assert cathode.viewed_at is not None


def test_listings_no_longer_offered_leave_the_suggestions(sme_client, sme, sme_user, need, catalogue, owner,
                                                          django_capture_on_commit_callbacks):
    """A paused or withdrawn listing is not suggested any more — unless a licence request about it is under
    way, which stays visible (marked "no longer offered") so the SME can follow or withdraw it."""
    from listings import actions as listing_actions

    actions.record_suggestions(need)
    separator = Suggestion.objects.get(need=need, listing=catalogue["separator"])
    cathode = Suggestion.objects.get(need=need, listing=catalogue["cathode"])
    actions.request_licence(cathode, actor=sme_user, message="We would like a non-exclusive licence.")
    with django_capture_on_commit_callbacks(execute=True):
        listing_actions.pause_listing(catalogue["separator"], actor=owner)
        listing_actions.withdraw_listing(catalogue["cathode"], actor=owner)
    page = sme_client.get(reverse("need_detail", args=[sme.slug, need.pk])).content.decode()
    assert f'id="suggestion-{separator.pk}"' not in page
    assert f'id="suggestion-{cathode.pk}"' in page and "No longer offered" in page
    listed = sme_client.get(reverse("need_list", args=[sme.slug])).content.decode()
    assert listed.count("Ceramic separator membrane") == 0


def test_a_page_of_new_suggestions_is_marked_viewed_in_a_few_queries(sme_client, sme, sme_user, publish,
                                                                     django_assert_max_num_queries):
    need = actions.create_need(sme, actor=sme_user, title="Lithium battery", ipc_codes=["H01M"])
    for i in range(12):
        publish(f"Lithium battery part {i}", ipc_codes=["H01M 50/20"])
    actions.record_suggestions(need, limit=12)
    assert need.suggestions.filter(status=SuggestionStatus.PUSHED).count() == 12
    need.refresh_from_db()
    with django_assert_max_num_queries(40):  # the same with 12 suggestions as with 2: no query per suggestion
        assert sme_client.get(reverse("need_detail", args=[sme.slug, need.pk])).status_code == 200
    assert need.suggestions.filter(status=SuggestionStatus.VIEWED).count() == 12


def test_a_closed_need_offers_no_licence_request(sme_client, sme, sme_user, need, suggestion):
    actions.deactivate_need(need, actor=sme_user)
    page = sme_client.get(reverse("need_detail", args=[sme.slug, need.pk])).content.decode()
    assert f'id="suggestion-{suggestion.pk}"' in page
    assert reverse("suggestion_contact", args=[sme.slug, need.pk, suggestion.pk]) not in page


def test_dismiss_removes_it_for_good(sme_client, sme, need, suggestion):
    url = reverse("suggestion_dismiss", args=[sme.slug, need.pk, suggestion.pk])
    assert sme_client.post(url).status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.DISMISSED
    detail = reverse("need_detail", args=[sme.slug, need.pk])
    Need.objects.filter(pk=need.pk).update(last_matched_at=None)  # force a refresh of the suggestions
    page = sme_client.get(detail).content.decode()
    assert f'id="suggestion-{suggestion.pk}"' not in page
    assert 'data-listing="%d"' % suggestion.listing_id not in page
    assert Suggestion.objects.filter(need=need, listing=suggestion.listing).count() == 1
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.DISMISSED
    # a dismissed one cannot be contacted or saved
    assert sme_client.get(reverse("suggestion_contact", args=[sme.slug, need.pk, suggestion.pk])).status_code == 404
    sme_client.post(reverse("suggestion_save", args=[sme.slug, need.pk, suggestion.pk]))
    suggestion.refresh_from_db()
    assert not suggestion.saved


def test_save_and_unsave(sme_client, sme, need, suggestion):
    url = reverse("suggestion_save", args=[sme.slug, need.pk, suggestion.pk])
    sme_client.post(url, {"saved": "1"})
    suggestion.refresh_from_db()
    assert suggestion.saved
    saved_page = sme_client.get(reverse("need_detail", args=[sme.slug, need.pk]) + "?saved=1").content.decode()
    assert f'id="suggestion-{suggestion.pk}"' in saved_page and saved_page.count('class="card mb-3 suggestion"') == 1
    sme_client.post(url, {"saved": "0"})
    suggestion.refresh_from_db()
    assert not suggestion.saved


def test_request_licence(sme_client, sme, sme_user, need, suggestion, owner, make_user, holder,
                         django_capture_on_commit_callbacks):
    colleague = make_user("colleague@example.com", full_name="Chen Colleague", language="zh-hans")
    org_actions.add_member(holder, user=colleague, role=MemberRole.MEMBER, actor=None, operator=True)
    mail.outbox.clear()
    url = reverse("suggestion_contact", args=[sme.slug, need.pk, suggestion.pk])
    assert "Message to the owner" in sme_client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = sme_client.post(url, {"message": "We make e-bike batteries and want a non-exclusive licence."})
    assert response.status_code == 302
    contact = ContactRequest.objects.get()
    assert (contact.need, contact.listing, contact.created_by) == (need, suggestion.listing, sme_user)
    assert contact.status == "open" and contact.message.startswith("We make e-bike batteries")
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.CONTACTED and suggestion.contacted_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == ["colleague@example.com", "owner@example.com"]
    english = next(m for m in mail.outbox if m.to == ["owner@example.com"])
    assert "Tiny Cells Ltd" in english.subject and suggestion.listing.title[:30] in english.subject
    assert "We make e-bike batteries" in english.body
    assert "sme@example.com" in english.body and need.title in english.body
    assert suggestion.listing.get_absolute_url() in english.body
    # a second request for the same listing and need is refused, without mail
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sme_client.post(url, {"message": "Again"})
    assert ContactRequest.objects.count() == 1 and not mail.outbox
    page = sme_client.get(reverse("need_detail", args=[sme.slug, need.pk])).content.decode()
    assert "Licence requested" in page


def test_request_licence_needs_a_message(sme_client, sme, need, suggestion):
    mail.outbox.clear()
    url = reverse("suggestion_contact", args=[sme.slug, need.pk, suggestion.pk])
    response = sme_client.post(url, {"message": "   "})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not ContactRequest.objects.exists() and not mail.outbox
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.PUSHED


def test_nav_links(sme_client, sme):
    page = sme_client.get(reverse("home")).content.decode()
    assert reverse("need_list", args=[sme.slug]) in page and "Our needs" in page
    assert reverse("quick_match") in page


# --- quick match ----------------------------------------------------------------------------
def test_the_home_page_has_the_quick_match_box(client, catalogue):
    page = client.get(reverse("home")).content.decode()
    box = page[page.rindex("<form", 0, page.index('id="quick-match-box"')):]
    box = box[:box.index("</form>")]
    assert f'action="{reverse("quick_match")}"' in box and 'name="q"' in box
    result = client.get(reverse("quick_match"), {"q": "a lithium iron phosphate cathode coating"}).content.decode()
    assert catalogue["cathode"].get_absolute_url() in result  # what the box submits finds the listing


def test_quick_match_for_anonymous(client, catalogue):
    response = client.get(reverse("quick_match"), {"q": "lithium iron phosphate cathode coating"})
    page = response.content.decode()
    assert response.status_code == 200
    assert catalogue["cathode"].get_absolute_url() in page
    assert "matches:" in page and "free licence" in page
    assert page.index(catalogue["cathode"].title) < page.index("Ceramic separator membrane") \
        if "Ceramic separator membrane" in page else True
    assert "Tea leaf rolling machine" not in page


def test_quick_match_never_offers_the_visitors_own_listings(client, owner, catalogue):
    client.force_login(owner)  # a member of the two organisations holding the catalogue
    page = client.get(reverse("quick_match"), {"q": "lithium iron phosphate cathode coating"}).content.decode()
    assert catalogue["cathode"].get_absolute_url() not in page
    client.logout()
    page = client.get(reverse("quick_match"), {"q": "lithium iron phosphate cathode coating"}).content.decode()
    assert catalogue["cathode"].get_absolute_url() in page


def test_quick_match_by_ipc_only(client, catalogue):
    page = client.get(reverse("quick_match"), {"q": "", "ipc": "H01M 10/052"}).content.decode()
    assert catalogue["cathode"].title in page and "shares IPC H01M 10/052" in page


def test_quick_match_chinese_text(client, publish):
    listing = publish("锂电池正极材料", abstract="一种磷酸铁锂正极材料的碳包覆方法。", language="zh-Hans")
    page = client.get(reverse("quick_match"), {"q": "磷酸铁锂正极"}).content.decode()
    assert listing.get_absolute_url() in page


@pytest.mark.parametrize("params, expected", [
    ({"q": "   "}, "Describe your product or problem"),
    ({"q": "", "ipc": ""}, "Describe your product or problem"),
    ({"q": "battery", "ipc": "not-a-code"}, "“not-a-code” is not an IPC code"),
    ({"q": "x" * 5001}, "at most 5000 characters"),
])
def test_quick_match_bad_input(client, catalogue, params, expected):
    response = client.get(reverse("quick_match"), params)
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert 'class="card mb-3 result"' not in response.content.decode()


def test_quick_match_no_results_and_blank_page(client, catalogue):
    assert "Describe your product" not in client.get(reverse("quick_match")).content.decode()
    page = client.get(reverse("quick_match"), {"q": "zzyzx qwertyuiop"}).content.decode()
    assert 'id="no-matches"' in page
