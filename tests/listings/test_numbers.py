"""Patent number and IPC code normalisation: every spelling of one number → one canonical form."""

import pytest

from listings.numbers import normalise_ipc, normalise_number, split_ipc_list


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("CN112345678B", "CN 112345678 B"),
        ("CN 112345678 B", "CN 112345678 B"),
        ("cn112345678b", "CN 112345678 B"),
        ("ZL201010110545.X", "CN 201010110545.X"),
        ("CN201010110545.X", "CN 201010110545.X"),
        ("US 10,123,456 B2", "US 10123456 B2"),
        ("US10123456B2", "US 10123456 B2"),
        ("US 10123456", "US 10123456"),
        ("US05521985", "US 5521985"),
        ("US20060288462A1", "US 20060288462 A1"),
        ("USH0002140H1", "US H0002140 H1"),
        ("USRE45123E", "US RE45123 E"),
        ("EP 1 234 567 A1", "EP 1234567 A1"),
        ("WO 2020/123456 A1", "WO 2020123456 A1"),
        ("TWKG-ba6f9513-5991-435f", "TW KG-BA6F9513-5991-435F"),
        ("EP0473-8766.7", "EP 04738766.7"),
        ("EP1993-903238", "EP 1993903238"),
    ],
)
def test_numbers_normalise_to_one_canonical_form(raw, canonical):
    assert str(normalise_number(raw)) == canonical


def test_same_patent_in_two_spellings_has_the_same_identity():
    a, b = normalise_number("US 10,123,456 B2"), normalise_number("us10123456b1")
    assert (a.office, a.number) == (b.office, b.number)
    assert (a.kind, b.kind) == ("B2", "B1")


def test_office_comes_from_the_country_column_when_missing():
    assert str(normalise_number("112345678 B", default_office="cn")) == "CN 112345678 B"


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("hello", "not a patent number"),
        ("not a number", "not a patent number"),
        ("12345", "not a patent number"),
        ("QQ123456", "unknown patent office 'QQ'"),
    ],
)
def test_bad_numbers_say_what_is_wrong(raw, message):
    with pytest.raises(ValueError, match=message):
        normalise_number(raw)


@pytest.mark.parametrize(
    "raw, canonical, main_group",
    [
        ("H01M 10/052", "H01M 10/052", "H01M 10/00"),
        ("H01M10/052", "H01M 10/052", "H01M 10/00"),
        ("h01m 10 / 052", "H01M 10/052", "H01M 10/00"),
        ("H01M0010052000", "H01M 10/052", "H01M 10/00"),
        ("A01C0005000000", "A01C 5/00", "A01C 5/00"),
        ("G06N 3/08", "G06N 3/08", "G06N 3/00"),
        ("G06N 3/0800", "G06N 3/08", "G06N 3/00"),
        ("Y02E 60/10", "Y02E 60/10", "Y02E 60/00"),
        ("C12N", "C12N", ""),
    ],
)
def test_ipc_codes_normalise(raw, canonical, main_group):
    code = normalise_ipc(raw)
    assert str(code) == canonical
    assert code.main_group == main_group
    assert code.subclass == canonical[:4]
    assert code.ipc_class == canonical[:3]
    assert code.section == canonical[0]


@pytest.mark.parametrize("raw", ["", "H01", "Z01M 10/052", "H01M 10", "H01M-10-052", "battery"])
def test_unknown_ipc_formats_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_ipc(raw)


def test_split_ipc_cell():
    assert split_ipc_list("A41D 31/00;A23G 1/50") == ["A41D 31/00", "A23G 1/50"]
    assert split_ipc_list(" H01M 10/052 | C12N ,") == ["H01M 10/052", "C12N"]
    assert split_ipc_list("") == []
