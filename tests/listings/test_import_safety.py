"""Workbook bombs: a small .xlsx that unpacks to a huge cell, sheet or row count is refused before it is
parsed, says why, and the import's process stays under 300 MB (measured in a child process)."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from listings import import_safety, importer

ROOT = Path(__file__).resolve().parents[2]
LIMIT_MB = 300

CONTENT_TYPES = ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/>'
                 '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 'spreadsheetml.sheet.main+xml"/>'
                 '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                 'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
ROOT_RELS = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Patents" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'worksheet" Target="worksheets/sheet1.xml"/>'
                 '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'sharedStrings" Target="sharedStrings.xml"/></Relationships>')
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>number</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>title</t></is></c></row>')


def workbook(path, *, title_chars=0, where="shared", sheet_extra="", shared_prefix="", doctype="",
             tail_rows=""):
    """A minimal .xlsx (zipfile, streamed) whose row 2 title holds ``title_chars`` characters."""
    block = b"A" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", doctype + WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet {NS}>{sheet_extra}<sheetData>{HEADER_ROW}<row r="2">'
                        '<c r="A2" t="inlineStr"><is><t>CN201710000001B</t></is></c>'.encode())
            if where == "inline":
                sheet.write(b'<c r="B2" t="inlineStr"><is><t>')
                _stream(sheet, block, title_chars)
                sheet.write(b"</t></is></c>")
            else:
                sheet.write(b'<c r="B2" t="s"><v>0</v></c>')
            sheet.write(f"</row>{tail_rows}</sheetData></worksheet>".encode())
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(f"<sst {NS}>{shared_prefix}<si><t>".encode())
            _stream(strings, block, title_chars if where == "shared" else 1)
            strings.write(b"</t></si></sst>")
    return path


def _stream(handle, block, chars):
    while chars > 0:
        handle.write(block[:chars])
        chars -= len(block)


def run_in_child(path):
    """Read and validate the file in a fresh process; its result and peak RSS (MB).

    The peak is the child's VmHWM (/proc/self/status): its ru_maxrss is not usable here, because
    Linux carries the parent's high-water mark over ``exec`` (a child of a 400 MB pytest process
    reports at least 400 MB)."""
    code = (
        "import json, resource, django; django.setup()\n"
        "from listings import importer\n"
        "from marketplace.models import Organisation\n"
        f"r = importer.import_file({str(path)!r}, owner=Organisation(name='x'), dry_run=True)\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
        "peak = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'message': r.message, 'errors': [str(p) for p in r.errors], 'rows': r.total_rows,"
        " 'rss': peak}))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("where", ["shared", "inline"])
def test_a_small_workbook_with_a_huge_cell_is_refused_cheaply(tmp_path, where, capsys):
    path = workbook(tmp_path / f"bomb-{where}.xlsx", title_chars=300 << 20, where=where)  # 300 MiB of text
    assert path.stat().st_size < 1_100_000  # about 300 KB on disk
    result = run_in_child(path)
    with capsys.disabled():
        print(f"\n[import memory] {where}-string bomb ({path.stat().st_size:,} bytes, 300 MiB cell): "
              f"peak RSS {result['rss']:.0f} MB")
    assert "unpacks to 300 MB; at most" in result["message"] and result["rows"] == 0
    assert result["rss"] <= LIMIT_MB


def test_a_cell_longer_than_excel_allows_is_refused_with_its_place(tmp_path, db):
    path = workbook(tmp_path / "long.xlsx", title_chars=40_000, where="inline")
    with pytest.raises(importer.ImportFileError, match="Cell B2 holds more than 32,767 characters"):
        importer.read_file(path)
    path = workbook(tmp_path / "long-shared.xlsx", title_chars=40_000, where="shared")
    with pytest.raises(importer.ImportFileError, match="shared string 1\\) holds more than 32,767 characters"):
        importer.read_file(path)


def test_a_highly_compressed_part_is_refused(tmp_path):
    path = workbook(tmp_path / "ratio.xlsx", title_chars=30 << 20, where="inline")  # 30 MiB, under the size caps
    with pytest.raises(importer.ImportFileError, match=r"unpacks from .* to 30 MB \(\d[\d,]* times\)"):
        importer.read_file(path)


def test_the_total_size_and_the_number_of_parts_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(import_safety, "MAX_UNCOMPRESSED", 500)
    path = workbook(tmp_path / "total.xlsx", title_chars=10)
    with pytest.raises(importer.ImportFileError, match="The workbook unpacks to .*; at most"):
        importer.read_file(path)
    monkeypatch.setattr(import_safety, "MAX_PARTS", 3)
    with pytest.raises(importer.ImportFileError, match="The workbook has 6 parts; at most 3"):
        importer.read_file(path)


def test_too_many_shared_strings_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(import_safety, "MAX_SHARED_STRINGS", 3)
    path = workbook(tmp_path / "many.xlsx", title_chars=10, shared_prefix="<si><t>a</t></si>" * 5)
    with pytest.raises(importer.ImportFileError, match="more than 3 different texts"):
        importer.read_file(path)


def test_a_doctype_is_refused(tmp_path):
    path = workbook(tmp_path / "dtd.xlsx", title_chars=10,
                    doctype='<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa">]>')
    with pytest.raises(importer.ImportFileError, match="declares a DOCTYPE"):
        importer.read_file(path)


def test_a_sheet_claiming_every_cell_is_read_quickly(tmp_path, db):
    # dimension A1:XFD1048576 and a cell in the last row: openpyxl would pad each row to 16,384 cells
    path = workbook(tmp_path / "tall.xlsx", title_chars=10, where="inline",
                    sheet_extra='<dimension ref="A1:XFD1048576"/>',
                    tail_rows='<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')
    raw = importer.read_file(path)
    assert [row for row, _cells in raw.rows] == [2, 1048576]


def test_a_normal_workbook_is_still_read(tmp_path, db):
    book = openpyxl.Workbook()
    book.active.append(["number", "title", "abstract"])
    book.active.append(["CN201710000001B", "Battery", "x" * 30_000])
    book.save(tmp_path / "ok.xlsx")
    raw = importer.read_file(tmp_path / "ok.xlsx")
    assert raw.rows[0][1]["title"] == "Battery" and len(raw.rows[0][1]["abstract"]) == 30_000


def test_a_damaged_workbook_is_a_clear_error_not_a_crash(tmp_path, db):
    # a shared-string cell pointing past the shared strings: openpyxl raises IndexError
    path = workbook(tmp_path / "damaged.xlsx", title_chars=10, tail_rows='<row r="3"><c r="A3" t="s"><v>99</v></c></row>')
    with pytest.raises(importer.ImportFileError, match="This is not an Excel .xlsx file that can be read"):
        importer.read_file(path)


def test_a_fault_outside_openpyxl_is_not_reported_as_a_damaged_workbook(tmp_path):
    """Only openpyxl's own errors mean a damaged file; an error of the importer's (here its progress callback)
    surfaces as itself instead of telling the user their good workbook cannot be read."""
    book = openpyxl.Workbook()
    book.active.append(["number", "title"])
    for i in range(1001):
        book.active.append([f"CN2017{i:07d}B", "Battery"])
    book.save(tmp_path / "good.xlsx")

    def broken_progress(*args):
        raise TypeError("a bug in the progress callback")

    with pytest.raises(TypeError, match="a bug in the progress callback"):
        importer.read_file(tmp_path / "good.xlsx", progress=broken_progress)


def test_a_workbook_at_the_limits_is_accepted_and_stays_under_300_mb(tmp_path, capsys):
    """1,200 rows whose abstracts are 32,000-character shared strings (~37 MiB of text, just under the
    shared-strings cap, incompressible so that the ratio check passes): read and validated in a child."""
    import base64

    path = tmp_path / "limits.xlsx"
    rows, chars = 1200, 32_000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(f"<sst {NS}>".encode())
            for _ in range(rows):
                strings.write(b"<si><t>" + base64.b64encode(os.urandom(chars * 3 // 4))[:chars] + b"</t></si>")
            strings.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet {NS}><sheetData>{HEADER_ROW[:-6]}'
                        '<c r="C1" t="inlineStr"><is><t>abstract</t></is></c></row>'.encode())
            for i in range(rows):
                r = i + 2
                sheet.write(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>CN{201710000001 + i}B</t></is></c>'
                            f'<c r="B{r}" t="inlineStr"><is><t>Patent {i}</t></is></c>'
                            f'<c r="C{r}" t="s"><v>{i}</v></c></row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
    result = run_in_child(path)
    with capsys.disabled():
        print(f"\n[import memory] accepted workbook at the limits ({path.stat().st_size / 2**20:.0f} MiB file, "
              f"{rows} rows x 32,000 characters): peak RSS {result['rss']:.0f} MB")
    assert result["message"] == "" and result["errors"] == [] and result["rows"] == rows
    assert result["rss"] <= LIMIT_MB
