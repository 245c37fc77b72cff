"""First-hour polish of the site frame: the favicon and role-appropriate empty notification pages."""

import pytest
from django.urls import reverse

from marketplace.models import OrganisationKind


@pytest.mark.django_db
def test_favicon_is_served_as_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")
    body = b"".join(response) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    home = client.get(reverse("home")).content.decode()
    assert 'rel="icon"' in home and "favicon.ico" in home


@pytest.mark.django_db
@pytest.mark.parametrize("kind, expected, unexpected", [
    (OrganisationKind.IP_AGENCY, "News for you and your organisation appears here.", "your needs"),
    (OrganisationKind.UNIVERSITY, "Licence requests for your listings", "your needs"),
    (OrganisationKind.SME, "matches one of your needs", "Licence requests for your listings"),
])
def test_empty_notification_page_speaks_to_the_role(client, make_user, make_org, kind, expected, unexpected):
    user = make_user()
    make_org("Some Organisation", kind=kind, owner=user, verified=True)
    client.force_login(user)
    html = client.get(reverse("notifications")).content.decode()
    assert 'id="notifications-empty"' in html
    assert expected in html and unexpected not in html


@pytest.mark.django_db
def test_messages_about_a_company_add_no_second_full_stop(client, make_user, make_org,
                                                          django_capture_on_commit_callbacks):
    """Company names often end with a full stop ("Co., Ltd."): no message puts another one after them."""
    import re

    from django.core import mail

    owner = make_user("boss@example.com")
    org = make_org("Shenzhen Lingxi Battery Technology Co., Ltd.", kind=OrganisationKind.SME, owner=owner,
                   verified=True)
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("organisation_invite", args=[org.slug]), {"email": "new@example.com", "role": "member"})
    link = re.search(r"https?://[^/\s]+(/invitations/\S+)", mail.outbox[-1].body).group(1)
    client.logout()
    pages = [client.get(link, follow=True).content.decode()]  # "To join …, sign in as …"
    newcomer = make_user("new@example.com")
    client.force_login(newcomer)
    pages.append(client.get(reverse("profile")).content.decode())  # "… invited you to become a member."
    pages.append(client.post(link, follow=True).content.decode())  # "Welcome: you are now a member of …"
    from marketplace.models import Membership

    membership = Membership.objects.get(user=newcomer, organisation=org)
    client.force_login(owner)
    pages.append(client.post(reverse("remove_member", args=[org.slug, membership.pk]), follow=True).content.decode())
    for html in pages:
        assert "Co., Ltd." in html
        assert "Ltd.." not in html


def test_no_message_ends_with_an_organisation_name_and_a_full_stop():
    """``Co., Ltd.`` + ``.`` reads "Co., Ltd.." : no English message of the catalogue puts a full stop right
    after a name placeholder (organisation, person, listing)."""
    import re
    from pathlib import Path

    from django.conf import settings

    po = (Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text("utf-8")
    msgids = [" ".join(re.findall(r'"(.*)"', block)) for block in re.findall(r'^msgid ((?:".*"\n)+)', po, re.M)]
    ends_with_name = re.compile(r"(%\((org|organisation|name|owner|licensor|licensee|sme)\)s|"
                                r"\{\{ ?(org|organisation|name|owner) ?\}\})\.$")
    offenders = [msgid for msgid in msgids if ends_with_name.search(msgid.strip())]
    assert offenders == []


def test_admin_names_default_terms_once(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "Default licence terms" in page and "termss" not in page
