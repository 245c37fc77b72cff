"""Bulk import (listings.importer and manage.py import_patents): formats, the per-row report,
modes, re-imports, publishing."""

import datetime
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from listings import actions as listing_actions
from listings import importer
from listings.models import FeeModel, ImportMode, Listing, ListingState, Patent, PatentClassification
from marketplace.actions import NotAllowed
from marketplace.models import AuditEntry

pytestmark = pytest.mark.django_db

HEADER = "number,title,abstract,cpc_or_ipc,assignee,country,filing_date,lang,source\n"
GOOD_ROWS = (
    'CN112345678B,Lithium battery cathode,A cathode.,H01M 10/052;H01M4/36,"Acme Institute, Beijing",CN,'
    "2019-03-01,en,test\n"
    "US10123456B2,Edible garment,Candy on a string.,A41D 31/00,Candy Co,US,2005-08-04,en,test\n"
    "201010110545.X,一种电池,,C12N,北京理工大学,CN,2010-03-15,zh-Hans,test\n"
)


def run(path, holder, **kwargs):
    return importer.import_file(path, owner=holder, **kwargs)


def problems(result, level="error"):
    return [(p.row, p.column, p.message) for p in result.problems if p.level == level]


# --- the columns of demo.csv, formats ---------------------------------------------------------
def test_demo_csv_columns_are_accepted_as_they_are(import_holder, write_import_file):
    path = write_import_file("demo.csv", HEADER + GOOD_ROWS)
    result = run(path, import_holder)
    assert result.succeeded and not result.problems
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    cathode = Patent.objects.get(office="CN", number="112345678")
    assert cathode.kind == "B" and cathode.owner == import_holder
    assert cathode.ipc_codes == ["H01M 10/052", "H01M 4/36"]
    assert cathode.applicants == "Acme Institute, Beijing"
    assert cathode.filing_date == datetime.date(2019, 3, 1)
    assert cathode.source == "test"
    assert list(cathode.classifications.values_list("subclass", "main_group", "position")) == [
        ("H01M", "H01M 10/00", 0), ("H01M", "H01M 4/00", 1)]
    chinese = Patent.objects.get(office="CN", number="201010110545.X")  # country = default office
    assert chinese.language == "zh-Hans" and chinese.title == "一种电池"
    assert Patent.objects.get(office="US").number == "10123456"


def test_the_first_rows_of_the_real_demo_file_import(import_holder, tmp_path):
    from django.conf import settings

    lines = (settings.BASE_DIR / "listings" / "data" / "demo.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "head.csv"
    path.write_text("\n".join(lines[:40]) + "\n", encoding="utf-8")
    result = run(path, import_holder)
    assert result.succeeded, [str(p) for p in result.problems]
    assert result.created == Patent.objects.count() > 30


def test_headers_are_case_insensitive_trimmed_and_aliases_work(import_holder, write_import_file):
    path = write_import_file("x.csv", " Number ,TITLE, IPC ,Filing Date,Legal_Status,Inventors,Claims\n"
                                      "CN112345678B,Battery,H01M 10/052,2019/03/01,Pending,Li Lei; Han Meimei,1. A thing\n")
    result = run(path, import_holder)
    assert result.succeeded and not result.problems
    patent = Patent.objects.get()
    assert patent.ipc_codes == ["H01M 10/052"]
    assert patent.filing_date == datetime.date(2019, 3, 1)  # YYYY/MM/DD accepted too
    assert patent.legal_status == "pending"
    assert patent.inventors == "Li Lei\nHan Meimei" and patent.claims == "1. A thing"


def test_unknown_columns_are_one_warning_not_an_error(import_holder, write_import_file):
    path = write_import_file("x.csv", "number,title,colour,weight\nCN112345678B,A,red,1\nCN112345679B,B,blue,2\n")
    result = run(path, import_holder)
    assert result.succeeded and result.created == 2
    assert problems(result) == []
    assert problems(result, "warning") == [(1, "", "unknown columns ignored: colour, weight")]


def test_semicolon_separated_csv_with_bom_is_read(import_holder, write_import_file):
    path = write_import_file("x.csv", "\ufeffnumber;title;filing_date\nCN112345678B;Battery;2019-03-01\n")
    assert run(path, import_holder).created == 1


def test_json_lines(import_holder, write_import_file):
    lines = [
        {"number": "CN112345678B", "title": "Battery", "ipc": ["H01M 10/052", "H01M"], "inventors": ["Li", "Han"],
         "filing_date": "2019-03-01"},
        {"number": "US 10,123,456 B2", "title": "Garment", "colour": "red"},
        {},  # line 3: blank object
    ]
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines[:2]) + "\n\nnot json\n"
    path = write_import_file("x.jsonl", text)
    result = run(path, import_holder, mode=ImportMode.VALID_ROWS)
    assert result.created == 2
    assert Patent.objects.get(office="CN").ipc_codes == ["H01M 10/052", "H01M"]
    assert Patent.objects.get(office="CN").inventors == "Li\nHan"
    assert [(p.row, p.unit) for p in result.errors] == [(4, "line")]
    assert str(result.errors[0]).startswith("line 4: not valid JSON")
    assert problems(result, "warning") == [(None, "", "unknown fields ignored: colour")]


def test_json_lines_errors_name_the_line_and_field(import_holder, write_import_file):
    path = write_import_file("x.jsonl", '{"number": "CN112345678B", "title": "A", "filing_date": "2019-02-30"}\n')
    result = run(path, import_holder)
    assert [str(p) for p in result.errors] == [
        'line 1, field filing_date: "2019-02-30" is not a date (expected YYYY-MM-DD)']


def _xlsx(path, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_excel_workbook(import_holder, tmp_path):
    path = _xlsx(tmp_path / "patents.xlsx", [
        ["Number", "Title", "Country", "Filing_date", "Grant_date", "cpc_or_ipc"],
        [10123456, "Garment", "US", datetime.datetime(2005, 8, 4), 43466, "A41D 31/00"],  # 43466: an Excel date
        [],  # an empty row is skipped but still counted in the numbering
        ["CN112345678B", "Battery", "CN", "2019-13-01", None, None],
    ])
    result = run(path, import_holder, mode=ImportMode.VALID_ROWS)
    assert result.format == "xlsx" and result.created == 1
    garment = Patent.objects.get()
    assert (garment.office, garment.number) == ("US", "10123456")
    assert garment.filing_date == datetime.date(2005, 8, 4)
    assert garment.grant_date == datetime.date(2019, 1, 1)
    assert problems(result) == [(4, "Filing_date", '"2019-13-01" is not a date (expected YYYY-MM-DD)')]


def test_old_excel_and_unknown_types_are_refused(import_holder, write_import_file):
    result = run(write_import_file("x.xls", b"\xd0\xcf\x11\xe0"), import_holder)
    assert not result.imported and ".xlsx" in result.message
    result = run(write_import_file("x.pdf", b"%PDF-1.4"), import_holder)
    assert not result.imported and "Unknown file type" in result.message


def test_a_file_without_a_number_column_is_refused(import_holder, write_import_file):
    result = run(write_import_file("x.csv", "patent,title\nCN112345678B,A\n"), import_holder)
    assert not result.imported
    assert "no number column" in result.message and "patent, title" in result.message


# --- the per-row report -----------------------------------------------------------------------
def test_each_error_is_reported_with_row_and_column(import_holder, write_import_file):
    path = write_import_file("x.csv", HEADER + "\n".join([
        "CN112345678B,Good,,,,,2019-03-01,en,",  # row 2
        "XX123,Unknown office,,,,,,en,",  # row 3
        "CN112345679B,Bad code,,H01M 10/052;Q99Z,,,,en,",  # row 4
        "CN112345680B,,,,,,,en,",  # row 5: no title
        "cn 112345678 b,Same number again,,,,,,en,",  # row 6: duplicate of row 2
        "CN112345681B,Bad date,,,,,2019-13-01,en,",  # row 7
        "CN112345682B,Bad language,,,,,,fr,",  # row 8
        "CN 12#4,Not a number,,,,,,en,",  # row 9
    ]) + "\n")
    result = run(path, import_holder)
    assert not result.imported and Patent.objects.count() == 0
    assert problems(result) == [
        (3, "number", 'unknown patent office "XX" in "XX123"'),
        (4, "cpc_or_ipc", 'unknown IPC format "Q99Z" (expected e.g. H01M 10/052 or H01M)'),
        (5, "title", "the title is missing"),
        (6, "number", "CN 112345678 B is already in row 2 of this file"),
        (7, "filing_date", '"2019-13-01" is not a date (expected YYYY-MM-DD)'),
        (8, "lang", '"fr" is not a supported language (expected en, zh-Hans or zh-Hant)'),
        (9, "number", '"CN 12#4" is not a patent number (expected e.g. CN 112345678 B or US 10,123,456 B2)'),
    ]
    assert str(result.errors[4]) == 'row 7, column filing_date: "2019-13-01" is not a date (expected YYYY-MM-DD)'
    assert result.error_rows == 7 and result.valid_rows == 1
    assert result.message == "Nothing was imported: 7 rows have errors."


def test_a_row_can_have_several_errors_and_the_header_spelling_is_kept(import_holder, write_import_file):
    path = write_import_file("x.csv", "Number,Title,Legal Status,Grant Date,Filing Date\n"
                                      "CN112345678B,,in limbo,2001-01-01,2003-01-01\n")
    result = run(path, import_holder)
    assert problems(result) == [
        (2, "Title", "the title is missing"),
        (2, "Grant Date", "2001-01-01 is before the filing date 2003-01-01"),
        (2, "Legal Status", '"in limbo" is not a legal status (expected one of: pending, granted, lapsed, expired)'),
    ]


def test_a_file_that_is_not_utf8_is_refused_with_the_place_of_the_bad_byte(import_holder, write_import_file):
    content = (HEADER + "CN112345678B,Good,,,,,,en,\nCN112345679B,Caf\xe9 au lait,,,,,,en,\n").encode("latin-1")
    result = run(write_import_file("x.csv", content), import_holder)
    assert not result.imported and Patent.objects.count() == 0
    assert "file is not UTF-8 (try saving as UTF-8)" in result.message
    assert problems(result) == [(3, "title", result.message)]


def test_a_gb18030_file_is_read_with_a_warning(import_holder, write_import_file):
    content = "number,title,country\n201010110545.X,一种锂电池正极材料及其制备方法,CN\n".encode("gb18030")
    result = run(write_import_file("x.csv", content), import_holder)
    assert result.succeeded
    assert Patent.objects.get().title == "一种锂电池正极材料及其制备方法"
    assert "GB18030" in result.warnings[0].message


def test_a_number_of_another_organisation_is_a_row_error(import_holder, make_org, make_user, write_import_file):
    other = make_org("Other", owner=make_user("other@example.com"), verified=True)
    listing_actions.save_patent(other, actor=None, number="CN112345678B", title="Theirs")
    path = write_import_file("x.csv", "number,title\nCN112345679B,Mine\nCN112345678B,Also mine?\n")
    result = run(path, import_holder)
    assert not result.imported and Patent.objects.filter(owner=import_holder).count() == 0
    assert problems(result) == [(3, "number", "CN 112345678 B is already listed by another organisation")]
    result = run(path, import_holder, mode=ImportMode.VALID_ROWS)
    assert result.imported and result.created == 1 and result.error_rows == 1
    assert Patent.objects.get(number="112345678").title == "Theirs"


# --- modes and re-imports ---------------------------------------------------------------------
def test_all_or_nothing_imports_nothing_and_valid_rows_imports_the_rest(import_holder, write_import_file):
    path = write_import_file("x.csv", "number,title,filing_date\nCN112345678B,A,2019-03-01\n"
                                      "CN112345679B,B,yesterday\nCN112345680B,C,\n")
    result = run(path, import_holder)
    assert not result.imported and Patent.objects.count() == 0 and result.created == 0
    assert not AuditEntry.objects.filter(action__startswith="patent.").exists()
    result = run(path, import_holder, mode=ImportMode.VALID_ROWS)
    assert result.imported and result.succeeded
    assert (result.created, result.error_rows) == (2, 1)
    assert sorted(Patent.objects.values_list("title", flat=True)) == ["A", "C"]


def test_reimport_updates_and_never_duplicates(import_holder, write_import_file):
    path = write_import_file("x.csv", HEADER + GOOD_ROWS)
    first = run(path, import_holder, publish=True)
    assert (first.created, first.published) == (3, 3)
    ids = set(Patent.objects.values_list("pk", flat=True))
    listing_ids = set(Listing.objects.values_list("pk", flat=True))

    again = run(path, import_holder, publish=True)
    assert (again.created, again.updated, again.unchanged, again.published) == (0, 0, 3, 0)
    assert set(Patent.objects.values_list("pk", flat=True)) == ids
    assert set(Listing.objects.values_list("pk", flat=True)) == listing_ids
    assert PatentClassification.objects.count() == 4

    changed = (HEADER + GOOD_ROWS).replace("Lithium battery cathode", "Better cathode").replace(
        "H01M 10/052;H01M4/36", "H01M 4/36")
    result = run(write_import_file("x2.csv", changed), import_holder, publish=True)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    cathode = Patent.objects.get(number="112345678")
    assert cathode.title == "Better cathode" and cathode.ipc_codes == ["H01M 4/36"]
    assert list(cathode.classifications.values_list("code", flat=True)) == ["H01M 4/36"]
    assert cathode.imported_listing.title == "Better cathode"  # the listing follows its patent
    assert Listing.objects.count() == 3 and Patent.objects.count() == 3
    updated = AuditEntry.objects.get(action="patent.updated")
    assert updated.before == {"title": "Lithium battery cathode", "ipc_codes": ["H01M 10/052", "H01M 4/36"]}


def test_columns_absent_from_a_reimport_are_left_alone(import_holder, write_import_file):
    run(write_import_file("x.csv", HEADER + GOOD_ROWS), import_holder)
    run(write_import_file("y.csv", "number,title\nCN112345678B,Lithium battery cathode\n"), import_holder)
    cathode = Patent.objects.get(number="112345678")
    assert cathode.abstract == "A cathode." and cathode.ipc_codes == ["H01M 10/052", "H01M 4/36"]


def test_dry_run_writes_nothing(import_holder, write_import_file):
    result = run(write_import_file("x.csv", HEADER + GOOD_ROWS), import_holder, dry_run=True)
    assert result.valid_rows == 3 and not result.imported and Patent.objects.count() == 0


# --- publishing -------------------------------------------------------------------------------
def test_publish_creates_one_listing_per_patent_with_default_terms(
    import_holder, write_import_file, monkeypatch, django_capture_on_commit_callbacks
):
    listing_actions.save_default_terms(import_holder, actor=None, operator=True, fee_model=FeeModel.LUMP_SUM,
                                       lump_sum_minor=5_000_00, offers_exclusive=True, offers_non_exclusive=False)
    indexed, published = [], []
    monkeypatch.setattr("listings.search.update_listings", lambda ids: indexed.append(sorted(ids)))

    def receiver(sender, listing_id, **kwargs):
        published.append(listing_id)

    listing_actions.listing_published.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = run(write_import_file("x.csv", HEADER + GOOD_ROWS), import_holder, publish=True)
    finally:
        listing_actions.listing_published.disconnect(receiver)
    listings = list(Listing.objects.order_by("pk"))
    assert result.published == len(listings) == 3
    for listing in listings:
        assert listing.state == ListingState.PUBLISHED and listing.published_at is not None
        assert list(listing.patents.all()) == [listing.import_patent]
        assert listing.title == listing.import_patent.title
        assert (listing.fee_model, listing.lump_sum_minor, listing.upfront_price_minor) == ("lump_sum", 500000, 500000)
        assert listing.offers_exclusive and not listing.offers_non_exclusive
    assert indexed == [[listing.pk for listing in listings]]  # ONE index task for all
    assert sorted(published) == [listing.pk for listing in listings]
    completed = AuditEntry.objects.get(action="import.completed")
    assert completed.organisation == import_holder
    assert (completed.after["created"], completed.after["published"]) == (3, 3)
    assert AuditEntry.objects.filter(action="patent.created").count() == 3
    assert AuditEntry.objects.filter(action="listing.published", organisation=import_holder).count() == 3


def test_publish_without_default_terms_is_free_non_exclusive(import_holder, write_import_file):
    run(write_import_file("x.csv", HEADER + GOOD_ROWS), import_holder, publish=True)
    listing = Listing.objects.first()
    assert listing.fee_model == FeeModel.FREE and listing.offers_non_exclusive and listing.upfront_price_minor == 0


def test_expired_patents_are_imported_but_not_published(import_holder, write_import_file):
    path = write_import_file("x.csv", "number,title,legal_status,expiry_date\nCN112345678B,Old,expired,\n"
                                      "CN112345679B,Older,granted,2001-01-01\nCN112345680B,Alive,granted,\n")
    result = run(path, import_holder, publish=True)
    assert (result.created, result.published) == (3, 1)
    assert Listing.objects.get().title == "Alive"
    assert [p.row for p in result.warnings] == [2, 3]


def test_a_draft_imported_listing_is_published_again_but_a_paused_one_stays_paused(import_holder, owner,
                                                                                     write_import_file):
    path = write_import_file("x.csv", HEADER + GOOD_ROWS)
    run(path, import_holder, publish=True)
    first, second, _third = Listing.objects.order_by("pk")
    listing_actions.pause_listing(first, actor=owner)
    Listing.objects.filter(pk=second.pk).update(state=ListingState.DRAFT)
    result = run(path, import_holder, publish=True)
    assert result.published == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == ListingState.PAUSED and second.state == ListingState.PUBLISHED


def test_publish_is_refused_for_an_unverified_owner(unverified_holder, write_import_file):
    path = write_import_file("x.csv", HEADER + GOOD_ROWS)
    with pytest.raises(NotAllowed, match="not verified yet"):
        run(path, unverified_holder, publish=True)
    assert Patent.objects.count() == 0
    assert run(path, unverified_holder).created == 3  # importing without publishing is fine
    assert Listing.objects.count() == 0


# --- the command ------------------------------------------------------------------------------
def test_command_imports_and_reports(import_holder, write_import_file, capsys):
    path = write_import_file("x.csv", HEADER + GOOD_ROWS)
    call_command("import_patents", str(path), "--owner", import_holder.slug, "--publish")
    out = capsys.readouterr().out
    assert "3 created, 0 updated, 0 unchanged. 3 listings published." in out
    assert Listing.objects.count() == 3
    call_command("import_patents", str(path), "--owner", import_holder.slug, "--publish")
    assert "0 created, 0 updated, 3 unchanged." in capsys.readouterr().out


def test_command_prints_the_errors_and_fails_in_all_or_nothing_mode(import_holder, write_import_file, capsys):
    path = write_import_file("x.csv", HEADER + GOOD_ROWS + "CN1,Bad date,,,,,2019-13-01,en,\n")
    with pytest.raises(CommandError, match="Nothing was imported: 1 row has errors.*--mode valid-rows"):
        call_command("import_patents", str(path), "--owner", import_holder.slug)
    assert 'row 5, column filing_date: "2019-13-01" is not a date (expected YYYY-MM-DD)' in capsys.readouterr().out
    assert Patent.objects.count() == 0
    call_command("import_patents", str(path), "--owner", import_holder.slug, "--mode", "valid-rows")
    assert "1 row with errors was skipped" in capsys.readouterr().out
    assert Patent.objects.count() == 3


def test_command_refuses_publishing_for_an_unverified_owner(unverified_holder, write_import_file):
    path = write_import_file("x.csv", HEADER + GOOD_ROWS)
    with pytest.raises(CommandError, match="Pending Institute is not verified yet"):
        call_command("import_patents", str(path), "--owner", unverified_holder.slug, "--publish")
    assert Patent.objects.count() == 0


def test_command_refuses_unknown_owner_and_missing_file(import_holder, write_import_file):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_patents", str(write_import_file("x.csv", HEADER)), "--owner", "nobody")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_patents", "/nonexistent.csv", "--owner", import_holder.slug)


def test_many_rows_are_written_in_bulk(import_holder, write_import_file, django_assert_max_num_queries):
    rows = "".join(f"CN{112000000 + i}B,Patent {i},H01M 10/052;C12N,2019-03-01\n" for i in range(400))
    path = write_import_file("x.csv", "number,title,cpc_or_ipc,filing_date\n" + rows)
    # bulk statements (SQLite takes ~999 parameters per statement, so a few dozen rows each); per-row
    # actions would need thousands of queries
    with django_assert_max_num_queries(60):
        result = run(path, import_holder, publish=True)
    assert (result.created, result.published) == (400, 400)
    assert PatentClassification.objects.count() == 800
    assert Listing.patents.through.objects.count() == 400
