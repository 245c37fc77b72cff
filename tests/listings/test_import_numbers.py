"""Patent numbers keep every digit the office prints, and every ST.3 office code is accepted
(by listings.numbers and by the importer); a truly unknown code is reported with row and column."""

import re

import pytest

from listings import importer, offices
from listings.models import Patent
from listings.numbers import normalise_number

# Real numbers, one or more of each format in listings/data/demo.csv (copied from the demo data, whose
# sources are listed in listings/data/SOURCE.md), with the canonical form each must get.
REAL_NUMBERS = [
    ("US5535303", "US 5535303"),
    ("US10166916", "US 10166916"),
    ("US6981431B2", "US 6981431 B2"),
    ("US11147202B2", "US 11147202 B2"),
    ("US2020/0102577A1", "US 20200102577 A1"),
    ("US20060288462A1", "US 20060288462 A1"),
    ("USD837248", "US D837248"),
    ("USRE36823", "US RE36823"),
    ("USH0002140H1", "US H0002140 H1"),
    ("USH002215", "US H002215"),
    ("CN201010240908.1", "CN 201010240908.1"),
    ("CN201010110545.X", "CN 201010110545.X"),
    ("CN2011-10312104", "CN 201110312104"),
    ("CN0312-1901", "CN 03121901"),
    ("EP0473-8766.7", "EP 04738766.7"),
    ("EP2687-778", "EP 2687778"),
    ("EP0604-560", "EP 0604560"),
    ("EP1993-903238", "EP 1993903238"),
    ("WOPCT/-US1993/010078", "WO PCT-US1993010078"),
    ("WOPCT/-DE2004/001317", "WO PCT-DE2004001317"),
    ("TWKG-69289075-96a0-4ff2-af9f-927da23b3bc3", "TW KG-69289075-96A0-4FF2-AF9F-927DA23B3BC3"),
]


def digits(text):
    return re.sub(r"\D", "", text)


@pytest.mark.parametrize("raw, canonical", REAL_NUMBERS)
def test_real_numbers_of_every_format_keep_their_digits(raw, canonical):
    parsed = normalise_number(raw)
    assert str(parsed) == canonical
    assert digits(str(parsed)) == digits(raw)  # no digit lost, none added


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("EP0783622B1", "EP 0783622 B1"),  # the EPO's own spelling
        ("EP 783622 B1", "EP 0783622 B1"),  # the same patent written without its leading zero
        ("EP 0 783 622 B1", "EP 0783622 B1"),
        ("EP1234567A1", "EP 1234567 A1"),
        ("JP0012345A", "JP 0012345 A"),
        ("WO0012345A1", "WO 0012345 A1"),  # WO 00/12345
        ("US05521985", "US 5521985"),  # DOCDB's padding is not part of a US number
    ],
)
def test_leading_zeros_are_kept_as_each_office_prints_them(raw, canonical):
    assert str(normalise_number(raw)) == canonical


def test_two_spellings_of_one_ep_patent_are_the_same_patent():
    a, b = normalise_number("EP 783622 B1"), normalise_number("EP0783622B1")
    assert (a.office, a.number) == (b.office, b.number) == ("EP", "0783622")


@pytest.mark.parametrize("code", ["UA", "VN", "BX", "XN", "XV", "EM", "QZ", "IB", "SU", "DD"])
def test_every_st3_code_is_an_office(code):
    assert offices.is_office(code)
    assert normalise_number(f"{code}123456").office == code


def test_the_st3_table_is_complete_and_has_no_unknown_marker():
    codes = offices.codes()
    assert len(codes) >= 235 and {"CN", "US", "EP", "WO", "UA", "AP", "EA", "GC", "OA"} <= codes
    assert "XX" not in codes and "QQ" not in codes
    assert offices.office_name("UA") == "Ukraine"


@pytest.mark.parametrize("text", ["CO2", "MP3", "COVID-19", "GT500"])
def test_short_codes_in_text_are_not_patent_numbers(text):
    with pytest.raises(ValueError):
        normalise_number(text)


# --- the importer ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_ep_number_is_stored_and_printed_with_its_leading_zero(import_holder, write_import_file):
    path = write_import_file("ep.csv", "number,title\nEP 783622 B1,Fuel injector\n")
    result = importer.import_file(path, owner=import_holder)
    assert result.succeeded and result.created == 1
    patent = Patent.objects.get()
    assert (patent.office, patent.number, patent.display_number) == ("EP", "0783622", "EP 0783622 B1")
    # the office's own spelling finds the same patent again
    again = importer.import_file(write_import_file("ep2.csv", "number,title\nEP0783622B1,Fuel injector\n"),
                                 owner=import_holder)
    assert (again.created, again.unchanged) == (0, 1) and Patent.objects.count() == 1


@pytest.mark.django_db
def test_rows_of_every_st3_office_are_imported(import_holder, write_import_file):
    path = write_import_file("ua.csv", "number,title,office\nUA123456C2,Ukrainian patent,UA\n"
                                       "123456,Vietnamese patent,VN\nBX1234567,Benelux,\n")
    result = importer.import_file(path, owner=import_holder)
    assert result.succeeded and not result.errors and result.created == 3
    assert set(Patent.objects.values_list("office", flat=True)) == {"UA", "VN", "BX"}


@pytest.mark.django_db
def test_a_truly_unknown_office_is_reported_with_row_and_column(import_holder, write_import_file):
    path = write_import_file("qq.csv", "Patent Number,title,office\nQQ123456,Unknown office,\n"
                                       "123456,Unknown office column,ZQ\n")
    result = importer.import_file(path, owner=import_holder)
    assert not result.imported
    found = [(p.row, p.column, p.message) for p in result.errors]
    assert found == [
        (2, "Patent Number", 'unknown patent office "QQ" in "QQ123456"'),
        (3, "office", '"ZQ" is not a patent office code (WIPO Standard ST.3, e.g. CN, US, EP)'),
    ]


@pytest.mark.django_db
def test_the_data_fix_gives_stored_ep_numbers_their_leading_zero(import_holder, capsys):
    from django.core.management import call_command

    from marketplace.models import AuditEntry

    old = Patent.objects.create(owner=import_holder, office="EP", number="783622", kind="B1", title="Old row")
    call_command("fix_patent_numbers")
    old.refresh_from_db()
    assert old.display_number == "EP 0783622 B1"
    assert "EP 783622 B1 is now EP 0783622 B1" in capsys.readouterr().out
    assert AuditEntry.objects.filter(action="patent.renumbered", target_id=str(old.pk)).exists()
    call_command("fix_patent_numbers")  # idempotent
    assert "0 renumbered" in capsys.readouterr().out
