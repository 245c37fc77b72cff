"""Peak memory of a bulk import, each case in its own process (its peak RSS, ru_maxrss).

    .venv/bin/python bench/import_memory.py                 # every case
    .venv/bin/python bench/import_memory.py --bomb-mib 1024 --rows 50000
    .venv/bin/python bench/import_memory.py --cases baseline,bomb-shared

Cases:
* ``baseline`` — Django and the importer loaded, nothing read (the floor of every figure).
* ``bomb-shared`` / ``bomb-inline`` — a ~1 MiB .xlsx whose one cell holds ``--bomb-mib`` MiB (default
  1024) of text, as a shared string / as an inline string in the sheet. Must be refused, cheaply.
* ``bomb-tall`` — a sheet that claims A1:XFD1048576 and names row 1,048,576 (padding and row bombs).
* ``xlsx-big`` — ``--rows`` (default 50,000) real patent rows (listings/data/demo.csv, numbers made
  unique) in a normal workbook: accepted; read, validated and written to a scratch SQLite database.
* ``csv-big`` — the same rows as CSV up to the upload limit (``IMPORT_MAX_UPLOAD_BYTES``, 40 MiB by
  default): read, validated and written.

Files and the scratch database live in var/bench/import_memory/ (never the user's data); set
BENCH_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/bench_imports) to measure on PostgreSQL. The figures
are peak RSS of the whole process in MB; the target is ≤ 300 MB for every accepted upload.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
WORK_DIR = BASE_DIR / "var" / "bench" / "import_memory"
LIMIT_MB = 300

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Patents" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def write_bomb_xlsx(path: Path, mib: int, where: str = "shared") -> None:
    """One header row (number, title) and one data row whose title is ``mib`` MiB of 'A', streamed
    into the zip so that building it needs no memory."""
    block = b"A" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        header = ('<row r="1"><c r="A1" t="inlineStr"><is><t>number</t></is></c>'
                  '<c r="B1" t="inlineStr"><is><t>title</t></is></c></row>')
        number = '<c r="A2" t="inlineStr"><is><t>CN201710000001B</t></is></c>'
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write((SHEET_HEAD + "<sheetData>" + header + '<row r="2">' + number).encode())
            if where == "inline":
                sheet.write(b'<c r="B2" t="inlineStr"><is><t>')
                for _ in range(mib):
                    sheet.write(block)
                sheet.write(b"</t></is></c>")
            else:
                sheet.write(b'<c r="B2" t="s"><v>0</v></c>')
            sheet.write(b"</row></sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                          b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                          b'uniqueCount="1"><si><t>')
            for _ in range(mib if where == "shared" else 0):
                strings.write(block)
            strings.write(b"</t></si></sst>")


def write_tall_xlsx(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                                                 '2006/main"/>')
        archive.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + '<dimension ref="A1:XFD1048576"/><sheetData>'
                         '<row r="1"><c r="A1" t="inlineStr"><is><t>number</t></is></c>'
                         '<c r="B1" t="inlineStr"><is><t>title</t></is></c></row>'
                         '<row r="2"><c r="A2" t="inlineStr"><is><t>CN201710000001B</t></is></c>'
                         '<c r="B2" t="inlineStr"><is><t>Tall</t></is></c></row>'
                         '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
                         "</sheetData></worksheet>")


def demo_rows(count: int):
    with open(BASE_DIR / "listings" / "data" / "demo.csv", newline="", encoding="utf-8") as handle:
        source = [row for row in csv.DictReader(handle) if row["number"].startswith(("US", "CN"))]
    columns = ["number", "title", "abstract", "cpc_or_ipc", "assignee", "country", "filing_date", "lang"]
    for i in range(count):
        row = source[i % len(source)]
        yield [f"CN{300000000 + i}B", row["title"], row["abstract"], row["cpc_or_ipc"], row["assignee"], "CN",
               row["filing_date"], row["lang"]] if i else columns


def write_big_xlsx(path: Path, rows: int) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Patents")
    for row in demo_rows(rows + 1):
        sheet.append(row)
    workbook.save(path)


def write_big_csv(path: Path, rows: int, max_bytes: int) -> int:
    sys.path.insert(0, str(BASE_DIR))
    from marketplace import csvsafe

    written = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csvsafe.writer(handle)
        for written, row in enumerate(demo_rows(rows + 1)):
            writer.writerow(row)
            if handle.tell() > max_bytes - 4096:
                break
    return written


# --- the measured child process ------------------------------------------------------------
def peak_rss_kib() -> int:
    """This process's peak RSS: VmHWM on Linux (ru_maxrss would include the parent's high-water mark,
    which Linux carries over ``exec``), ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

def child(path: str, write: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from listings import importer

    out = {"path": os.path.basename(path) if path else ""}
    start = time.monotonic()
    if path:
        if write:
            from marketplace.models import Organisation, OrganisationKind

            owner, _ = Organisation.objects.get_or_create(
                slug="bench-import", defaults={"name": "Bench import institute", "kind": OrganisationKind.RESEARCH_INSTITUTE})
            from listings.models import Patent

            Patent.objects.filter(owner=owner).delete()
        else:
            from marketplace.models import Organisation

            owner = Organisation(name="dry run")
        result = importer.import_file(path, owner=owner, dry_run=not write, mode="valid-rows")
        out.update(rows=result.total_rows, valid=result.valid_rows, created=result.created,
                   errors=len(result.errors), message=result.message[:200])
    out["seconds"] = round(time.monotonic() - start, 1)
    out["peak_rss_mb"] = round(peak_rss_kib() / 1024, 1)
    print(json.dumps(out))


def measure(path: str, write: bool, env: dict) -> dict:
    command = [sys.executable, __file__, "--child", path or ""] + (["--write"] if write else [])
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        return {"path": path, "failed": done.stderr.strip().splitlines()[-1:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["children_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bomb-mib", type=int, default=1024)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--cases", default="baseline,bomb-shared,bomb-inline,bomb-tall,xlsx-big,csv-big")
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.write)
        return

    WORK_DIR.mkdir(parents=True, exist_ok=True)
    # DEBUG off, as in production: with DEBUG on Django keeps the last 9,000 SQL statements (bulk
    # inserts of whole abstracts) in memory, which is not the import's memory
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "bench-only-insecure-secret-key-0123456789abcdef",
           "ALLOWED_HOSTS": "localhost",
           "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{WORK_DIR / 'bench.sqlite3'}")}
    cases = args.cases.split(",")
    if any(case in cases for case in ("xlsx-big", "csv-big")):
        subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), "migrate", "-v", "0"], env=env, check=True)
    for case in cases:
        path, write = "", False
        if case == "bomb-shared" or case == "bomb-inline":
            path = WORK_DIR / f"{case}-{args.bomb_mib}.xlsx"
            if not path.exists():
                write_bomb_xlsx(path, args.bomb_mib, where=case.split("-")[1])
        elif case == "bomb-tall":
            path = WORK_DIR / "bomb-tall.xlsx"
            write_tall_xlsx(path)
        elif case == "xlsx-big":
            path, write = WORK_DIR / f"big-{args.rows}.xlsx", True
            if not path.exists():
                write_big_xlsx(path, args.rows)
        elif case == "csv-big":
            limit = upload_limit()
            path, write = WORK_DIR / f"big-{args.rows}-{limit}.csv", True
            if not path.exists():
                write_big_csv(path, args.rows, limit)
        size = f"{os.path.getsize(path) / 1024 / 1024:.1f} MiB file" if path else "no file"
        result = measure(str(path) if path else "", write, env)
        verdict = "" if "peak_rss_mb" not in result else ("ok" if result["peak_rss_mb"] <= LIMIT_MB else "OVER")
        print(f"{case:12} {size:>16}  {json.dumps(result, ensure_ascii=False)}  {verdict}", flush=True)


def upload_limit() -> int:
    """The import upload limit of the settings (IMPORT_MAX_UPLOAD_BYTES), read in a child process."""
    out = subprocess.run([sys.executable, "-c", "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
                          " 'marketplace.settings'); django.setup(); from django.conf import settings;"
                          " print(settings.IMPORT_MAX_UPLOAD_BYTES)"],
                         env={**os.environ, "DEBUG": "true"}, cwd=BASE_DIR, capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
