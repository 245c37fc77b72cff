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
