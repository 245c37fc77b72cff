"""Demo listings (listings.demo, manage.py load_demo_listings): spread, terms, idempotency, wiring."""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from listings import demo, search
from listings.models import FeeModel, Listing, ListingState, Patent, PatentClassification
from marketplace.models import AuditEntry, Organisation

DEMO_ORGS = ("zgc-materials-institute", "south-china-tech-university", "northern-power-group",
             "nasa-technology-transfer")


@pytest.fixture
def demo_orgs(db):
    call_command("load_demo")  # organisations and logins; its on-commit listing load does not run here
    assert not Listing.objects.exists()
    return {org.slug: org for org in Organisation.objects.filter(slug__in=DEMO_ORGS)}


def load(*args):
    call_command("load_demo_listings", *args)


def snapshot():
    return (
        sorted(Patent.objects.values_list("office", "number", "owner__slug", "title")),
        sorted(Listing.objects.values_list("owner__slug", "title", "state", "fee_model", "lump_sum_minor",
                                           "entry_fee_minor", "royalty_rate_bp", "donation_quota")),
        Listing.patents.through.objects.count(),
        PatentClassification.objects.count(),
        AuditEntry.objects.count(),
    )


def test_subset_gives_every_demo_org_listings_with_varied_fee_models(demo_orgs, capsys):
    load("--limit", "120")
    out = capsys.readouterr().out
    assert "Demo listings:" in out and "nasa-technology-transfer" in out
    for slug in DEMO_ORGS:
        listings = Listing.objects.filter(owner__slug=slug)
        assert listings.filter(state=ListingState.PUBLISHED).count() >= 5, slug
        assert len(set(listings.values_list("fee_model", flat=True))) >= 3, slug
    assert Patent.objects.filter(office="NASA").count() == 120
    assert set(Listing.objects.values_list("fee_model", flat=True)) == set(FeeModel.values)
    assert Listing.objects.filter(open_licence=True).exists() and Listing.objects.filter(idle_declared=True).exists()


def test_running_twice_changes_nothing(demo_orgs):
    load("--limit", "60")
    first = snapshot()
    assert AuditEntry.objects.filter(action="demo.listings_loaded").count() == 4
    load("--limit", "60")
    assert snapshot() == first


def test_a_larger_run_adds_only_the_missing_rows(demo_orgs):
    load("--limit", "30")
    before = dict(Listing.objects.filter(import_patent__isnull=False).values_list("import_patent__number", "fee_model"))
    load("--limit", "90")
    after = dict(Listing.objects.filter(import_patent__isnull=False).values_list("import_patent__number", "fee_model"))
    assert len(after) > len(before) and all(after[number] == fee for number, fee in before.items())
    assert Listing.objects.filter(import_patent__isnull=False).count() == Patent.objects.count()


def test_terms_are_consistent_and_money_is_integer_minor_units(demo_orgs):
    load("--limit", "150")
    for listing in Listing.objects.all():
        fee = listing.fee_model
        assert (listing.lump_sum_minor is not None) == (fee == FeeModel.LUMP_SUM)
        assert (listing.entry_fee_minor is not None) == (fee == FeeModel.ENTRY_FEE_ROYALTY)
        assert (listing.royalty_rate_bp is not None) == (fee in (FeeModel.ROYALTY, FeeModel.ENTRY_FEE_ROYALTY))
        assert listing.upfront_price_minor == listing.upfront_minor
        assert listing.currency == "CNY" and listing.licence_kinds
        if listing.lump_sum_minor:
            assert 20_000_00 <= listing.lump_sum_minor <= 5_000_000_00 and listing.lump_sum_minor % 100 == 0
        if listing.royalty_rate_bp:
            assert 100 <= listing.royalty_rate_bp <= 800
        if listing.open_licence:
            assert listing.licence_kinds == ["non_exclusive"]
        if listing.donation_quota:
            assert listing.owner.slug == "northern-power-group" and fee == FeeModel.FREE


def test_rows_go_to_the_right_owners(demo_orgs):
    load("--limit", "200")
    chinese_owners = set(Patent.objects.filter(language__startswith="zh").values_list("owner__slug", flat=True))
    assert chinese_owners and chinese_owners <= {"zgc-materials-institute", "south-china-tech-university",
                                                 "northern-power-group"}
    nasa = Patent.objects.filter(office="NASA")
    assert set(nasa.values_list("owner__slug", flat=True)) == {"nasa-technology-transfer"}
    assert not Patent.objects.filter(owner__slug="nasa-technology-transfer").exclude(office="NASA").exists()


def test_nasa_case_numbers_and_descriptions(demo_orgs, tmp_path):
    nasa_csv = tmp_path / "nasa.csv"
    nasa_csv.write_text(
        "case_number,title,abstract,category,center_code,center\n"
        "GSC-TOPS-35,SpaceCube,\"SpaceCube is an on-board &amp; hybrid data processing system.\","
        "electrical and electronics,GSFC,NASA Goddard Space Flight Center\n", encoding="utf-8")
    patents_csv = tmp_path / "patents.csv"
    patents_csv.write_text("number,title,abstract,cpc_or_ipc,assignee,country,filing_date,lang,source\n",
                           encoding="utf-8")
    load("--patents-csv", str(patents_csv), "--nasa-csv", str(nasa_csv))
    patent = Patent.objects.get()
    assert (patent.office, patent.number, patent.kind) == ("NASA", "GSC-TOPS-35", "")
    assert patent.display_number == "NASA GSC-TOPS-35"
    assert patent.applicants == "National Aeronautics and Space Administration (NASA Goddard Space Flight Center)"
    listing = Listing.objects.get()
    assert listing.description == "SpaceCube is an on-board & hybrid data processing system."
    assert listing.patents.get() == patent and listing.owner.slug == "nasa-technology-transfer"


def _write_patents(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["number", "title", "abstract", "cpc_or_ipc", "assignee", "country", "filing_date", "lang",
                         "source"])
        writer.writerows(rows)


def test_patent_rows_are_normalised(demo_orgs, tmp_path):
    patents_csv, nasa_csv = tmp_path / "p.csv", tmp_path / "n.csv"
    _write_patents(patents_csv, [
        ["EP0473-8766.7", "Dash in an EP application number", "", "", "", "EP", "2004-06-01", "en", "test"],
        ["US10166916", "Grant-dated row", "An abstract&#13; with an entity.", "G08B 21/06;G06Q40/08", "", "US",
         "2019-01-01", "en", "trriley/patents (PatentsView API; date = grant date)"],
        ["US20060288462A1", "An application", "", "A41D 31/00", "", "US", "2005-08-04", "en", "fixtures"],
        ["CN201010110545.X", "一种软件安全漏洞动态检测方法", "", "", "北京理工大学", "CN", "2010-02-09", "zh-Hans", "cn"],
        ["#12", "Broken row", "", "", "", "US", "", "en", "test"],
    ])
    nasa_csv.write_text("case_number,title,abstract,category,center_code,center\n", encoding="utf-8")
    load("--patents-csv", str(patents_csv), "--nasa-csv", str(nasa_csv))
    assert sorted(str(p.display_number) for p in Patent.objects.all()) == [
        "CN 201010110545.X", "EP 04738766.7", "US 10166916", "US 20060288462 A1"]
    granted = Patent.objects.get(number="10166916")
    assert granted.grant_date.isoformat() == "2019-01-01" and granted.filing_date is None
    assert granted.abstract == "An abstract with an entity."
    assert granted.ipc_codes == ["G08B 21/06", "G06Q 40/08"]
    assert set(granted.classifications.values_list("subclass", flat=True)) == {"G08B", "G06Q"}
    assert Patent.objects.get(number="20060288462").legal_status == "pending"
    chinese = Patent.objects.get(office="CN")
    assert chinese.language == "zh-Hans" and chinese.owner.slug != "nasa-technology-transfer"
    assert chinese.expiry_date.isoformat() == "2030-02-09"


def test_drafts_paused_and_expired_patents_for_the_dashboards_and_the_expire_command(demo_orgs):
    load("--limit", "2000", "--no-index")
    states = Counter(Listing.objects.values_list("state", flat=True))
    assert states[ListingState.DRAFT] >= 2 and states[ListingState.PAUSED] >= 1
    assert Listing.objects.filter(owner__slug="zgc-materials-institute",
                                  state__in=[ListingState.DRAFT, ListingState.PAUSED]).exists()
    stale = Listing.objects.filter(state=ListingState.PUBLISHED, patents__legal_status="expired")
    assert stale.exists()
    call_command("expire_listings")
    assert not stale.exists()


def test_needs_the_demo_organisations(db):
    with pytest.raises(CommandError, match="run `manage.py load_demo` first"):
        load("--limit", "5")


def test_load_demo_loads_the_listings_after_its_commit(db, tmp_path, monkeypatch, django_capture_on_commit_callbacks,
                                                       capsys):
    patents_csv, nasa_csv = tmp_path / "p.csv", tmp_path / "n.csv"
    _write_patents(patents_csv, [["CN112345678B", "Lithium battery cathode", "", "H01M 10/052", "", "CN",
                                  "2020-01-01", "en", "test"]])
    nasa_csv.write_text("case_number,title,abstract,category,center_code,center\n"
                        "LEW-TOPS-1,Gear bearings,Text,mechanical and fluid systems,GRC,NASA Glenn\n", encoding="utf-8")
    monkeypatch.setattr(demo, "DEMO_CSV", patents_csv)
    monkeypatch.setattr(demo, "NASA_CSV", nasa_csv)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo")
    assert Listing.objects.count() == 2
    out = capsys.readouterr().out
    assert out.index("Demo logins") < out.index("Demo listings: 2 created")


def test_search_index_is_rebuilt_and_finds_the_demo(demo_orgs):
    load("--limit", "40")
    nasa = Listing.objects.filter(owner__slug="nasa-technology-transfer", state=ListingState.PUBLISHED).first()
    word = max(nasa.title.split(), key=len)
    found = search.search(search.SearchQuery(text=word, per_page=100))
    assert nasa.pk in [hit.listing_id for hit in found.hits]
    assert found.total >= 1
