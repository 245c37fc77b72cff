"""The donor's impact page (/donations/impact/): who may see it (per persona, and the same rule for the CSV and
the PDF), what it shows (figures, tables by province and industry, the inline SVG chart with its bars and table
fallback), the year filter, and the links from the navigation and the owner's listings."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.negotiations.donations import donate, donors, on  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

PAGE = "/donations/impact/"


@pytest.fixture
def claimed(donors):
    d = donors
    donate(d.battery, d.tiny, at=on(2025, 3))
    donate(d.battery, d.byte, at=on(2026, 2))
    donate(d.battery, d.mill, at=on(2026, 2, 20))
    donate(d.turbine, d.tiny, at=on(2026, 7))
    donate(d.steel, d.byte, at=on(2026, 5), value_forgone_minor=9_999_900)  # the other donor's
    return d


def _login(client, user):
    client.force_login(user)
    return client


def _urls():
    return [PAGE, reverse("donation_impact_csv"), reverse("donation_impact_report", args=[2026])]


def test_urls():
    assert _urls() == [PAGE, "/donations/impact.csv", "/donations/impact/2026.pdf"]


@pytest.mark.parametrize("url", _urls())
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("url", _urls())
def test_sme_members_get_404(client, claimed, url):
    _login(client, claimed.tiny.owner_user)
    assert client.get(url).status_code == 404
    assert client.get(url, {"organisation": claimed.donor.slug}).status_code == 404


@pytest.mark.parametrize("url", _urls())
def test_members_of_an_ordinary_enterprise_get_404(client, claimed, url):
    _login(client, claimed.pat)
    assert client.get(url).status_code == 404
    assert client.get(url, {"organisation": claimed.plain.slug}).status_code == 404


@pytest.mark.parametrize("url", _urls())
def test_another_donors_members_get_404_for_this_donor(client, claimed, url):
    _login(client, claimed.ed)
    assert client.get(url, {"organisation": claimed.donor.slug}).status_code == 404


def test_staff_without_membership_get_404_without_any_demonstration_enterprise(client, make_user):
    _login(client, make_user("staff-only@example.com", staff=True))
    assert client.get(PAGE).status_code == 404


def test_staff_may_view_any_donor(client, claimed, staff):
    _login(client, staff)
    response = client.get(PAGE, {"organisation": claimed.other.slug})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Eastern Steel Works" in html and "¥99,999.00" in html
    assert client.get(PAGE, {"organisation": claimed.plain.slug}).status_code == 404  # not a donor


def test_donor_member_sees_the_figures(client, claimed):
    _login(client, claimed.dora)
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'id="figure-licences">4<', html)
    assert re.search(r'id="figure-smes">3<', html)
    assert "¥150,000.00" in html and "$2,000.00" in html
    assert "¥99,999.00" not in html and "Low-carbon rebar" not in html  # nothing of the other donor
    province = html[html.index('id="by-province"'):html.index('id="by-industry"')]
    assert "Guangdong" in province and "Zhejiang" in province
    industry = html[html.index('id="by-industry"'):html.index('id="by-listing"')]
    assert "Software and information technology services" in industry
    listing = html[html.index('id="by-listing"'):]
    assert "4 of 5" not in listing and "3 of 5" in listing and "1 of 3" in listing
    assert "Micro Mill" in html


def test_year_filter(client, claimed):
    _login(client, claimed.dora)
    html = client.get(PAGE, {"year": 2025}).content.decode()
    assert re.search(r'id="figure-licences">1<', html)
    assert "¥50,000.00" in html and "$2,000.00" not in html
    assert '<option value="2025" selected>' in html and '<option value="2026">' in html
    assert "/donations/impact.csv?organisation=northern-power-group&amp;year=2025" in html
    empty = client.get(PAGE, {"year": 2024}).content.decode()
    assert 'id="no-donations"' in empty and re.search(r'id="figure-licences">0<', empty)
    # nonsense is all time
    assert re.search(r'id="figure-licences">4<', client.get(PAGE, {"year": "abc"}).content.decode())


def test_chart_is_inline_svg_with_the_right_bars(client, claimed):
    _login(client, claimed.dora)
    html = client.get(PAGE, {"year": 2026}).content.decode()
    svg = html[html.index("<svg class=\"impact-chart\""):html.index("</svg>", html.index("impact-chart"))]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    bars = re.findall(r'<g class="bar" data-label="([^"]+)" data-licences="(\d+)">', svg)
    assert len(bars) == 12
    assert bars[1] == ("2026-02", "2") and bars[6] == ("2026-07", "1") and bars[0] == ("2026-01", "0")
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert heights[1] == 2 * heights[6] > 0 and heights[0] == 0
    assert "2026-02: 2 licences" in svg
    table = html[html.index('id="chart-table"'):]
    assert "<td>2026-02</td><td class=\"text-end\">2</td>" in table
    assert "<script" not in svg and "cdn" not in html.lower()


def test_member_of_two_donors_picks(client, claimed):
    from marketplace import actions as org_actions
    from marketplace.models import MemberRole

    org_actions.add_member(claimed.other, user=claimed.dora, role=MemberRole.MEMBER, actor=None, operator=True)
    _login(client, claimed.dora)
    html = client.get(PAGE).content.decode()
    assert 'id="id_organisation"' in html
    assert "Eastern Steel Works" in html  # a choice
    other = client.get(PAGE, {"organisation": claimed.other.slug}).content.decode()
    assert "¥99,999.00" in other and "Grid battery management" not in other


def test_page_renders_in_chinese(client, claimed):
    _login(client, claimed.dora)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(PAGE).content.decode()
    assert "软件和信息技术服务业" in html


def test_navigation_and_owner_listings_link_to_the_page(client, claimed):
    _login(client, claimed.dora)
    home = client.get("/").content.decode()
    assert f'href="{PAGE}?organisation={claimed.donor.slug}"' in home
    dashboard = client.get(reverse("owner_listings", args=[claimed.donor.slug])).content.decode()
    assert f'href="{PAGE}?organisation={claimed.donor.slug}"' in dashboard
    detail = client.get(claimed.battery.get_absolute_url()).content.decode()
    assert f'href="{PAGE}?organisation={claimed.donor.slug}"' in detail


def test_no_link_for_members_of_other_organisations(client, claimed):
    _login(client, claimed.pat)
    assert PAGE not in client.get("/").content.decode()
    assert PAGE not in client.get(reverse("owner_listings", args=[claimed.plain.slug])).content.decode()
