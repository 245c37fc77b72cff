"""Broken text in an import file is reported where it is: an unclosed CSV quote, a UTF-8 row in a GBK
file (or the reverse), NUL and other control characters."""

import json

import pytest

from listings import importer
from listings.models import Patent

pytestmark = pytest.mark.django_db

HEADER = "number,title,abstract,filing_date\n"


def errors(result):
    return [(p.row, p.column, p.message) for p in result.errors]


def test_an_unclosed_quote_is_reported_where_it_opened_and_nothing_is_imported(import_holder, write_import_file):
    path = write_import_file("quote.csv", HEADER + 'CN201710000001B,"Unclosed title,abs,2019-01-01\n'
                                                  "CN201710000002B,Normal row,abs,2019-01-02\n"
                                                  "CN201710000003B,Another row,abs,2019-01-03\n")
    result = importer.import_file(path, owner=import_holder)
    assert not result.imported and result.created == 0 and Patent.objects.count() == 0
    assert result.message == "The file is not valid CSV: row 2 has a quote that is not closed."
    [(row, column, message)] = errors(result)
    assert (row, column) == (2, "title")
    assert "on line 2 of the file is not closed" in message and "Nothing was imported" in message


def test_an_unclosed_quote_closed_by_a_later_quote_is_found_too(import_holder, write_import_file):
    path = write_import_file("quote.csv", HEADER + 'CN201710000001B,Title,"Unclosed abstract,2019-01-01\n'
                                                  'CN201710000002B,"Quoted, title",abs,2019-01-02\n')
    result = importer.import_file(path, owner=import_holder, mode="valid-rows")
    assert not result.imported and Patent.objects.count() == 0
    assert [(r, c) for r, c, _m in errors(result)] == [(2, "abstract")]


def test_a_quote_that_swallows_a_row_and_is_closed_cleanly_is_found(import_holder, write_import_file):
    # the quote opened in row 2 closes at the end of the next line: a strict reader sees valid CSV
    path = write_import_file("quote.csv", HEADER + 'CN201710000001B,"Unclosed title,abs,2019-01-01\n'
                                                  'CN201710000002B,Normal row,abs,2019-01-02"\n')
    result = importer.import_file(path, owner=import_holder)
    assert not result.imported and [(r, c) for r, c, _m in errors(result)] == [(2, "title")]


def test_real_multiline_values_are_still_fine(import_holder, write_import_file):
    path = write_import_file("ok.csv", HEADER + 'CN201710000001B,"Title","First line\nsecond line, with comma",'
                                                "2019-01-01\nCN201710000002B,Next,abs,2019-01-02\n")
    result = importer.import_file(path, owner=import_holder)
    assert result.succeeded and result.created == 2
    assert Patent.objects.get(number="201710000001").abstract == "First line\nsecond line, with comma"


def test_a_utf8_row_in_a_gbk_file_is_refused_with_its_row_and_column(import_holder, write_import_file):
    data = ("number,title,assignee\n".encode()
            + "CN201710000001B,一种锂电池正极材料,北京理工大学\n".encode("gbk")
            + "CN201710000002B,一种钠离子电池,清华大学\n".encode("utf-8")  # pasted from a UTF-8 file
            + "CN201710000003B,固态电解质,中国科学院\n".encode("gbk"))
    result = importer.import_file(write_import_file("mixed.csv", data), owner=import_holder, mode="valid-rows")
    assert result.imported and result.created == 2
    [(row, column, message)] = errors(result)
    assert (row, column) == (3, "title")
    assert "saved as UTF-8 while the rest of the file is GB18030 (GBK)" in message and "not imported" in message
    titles = set(Patent.objects.values_list("title", flat=True))
    assert titles == {"一种锂电池正极材料", "固态电解质"}  # nothing garbled stored


def test_a_gbk_row_in_a_utf8_file_is_refused_with_its_row_and_column(import_holder, write_import_file):
    data = ("number,title\n".encode()
            + "CN201710000001B,一种锂电池正极材料\n".encode("utf-8")
            + "CN201710000002B,一种钠离子电池\n".encode("utf-8")
            + "CN201710000003B,固态电解质\n".encode("gbk"))
    result = importer.import_file(write_import_file("mixed.csv", data), owner=import_holder, mode="valid-rows")
    assert result.created == 2
    [(row, column, message)] = errors(result)
    assert (row, column) == (4, "title") and "saved as GB18030 (GBK) while the rest of the file is UTF-8" in message


@pytest.mark.parametrize("char, name", [("\x00", "U+0000 NUL"), ("\x1b", "U+001B ESC"), ("\x85", "U+0085")])
def test_control_characters_are_refused_with_row_and_column(import_holder, write_import_file, char, name):
    path = write_import_file("ctl.csv", HEADER + f"CN201710000001B,Good,abs,2019-01-01\n"
                                                 f"CN201710000002B,Bad{char}title,abs,2019-01-02\n")
    result = importer.import_file(path, owner=import_holder, mode="valid-rows")
    assert result.created == 1 and Patent.objects.get().title == "Good"
    [(row, column, message)] = errors(result)
    assert (row, column) == (3, "title")
    assert f"control character {name}" in message and "at character 4" in message and "not imported" in message


def test_tabs_and_line_breaks_are_not_control_problems(import_holder, write_import_file):
    path = write_import_file("ok.csv", HEADER + 'CN201710000001B,Title,"a\tb\r\nc",2019-01-01\n')
    assert importer.import_file(path, owner=import_holder).succeeded


def test_control_characters_in_json_lines_are_refused(import_holder, write_import_file):
    line = json.dumps({"number": "CN201710000001B", "title": "NUL\u0000inside"})
    result = importer.import_file(write_import_file("x.jsonl", line + "\n"), owner=import_holder)
    assert [(r, c) for r, c, _m in errors(result)] == [(1, "title")]

