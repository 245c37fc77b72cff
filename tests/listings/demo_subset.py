"""Real demo rows for tests: ``load_demo_subset(tmp_path, patents=[...], nasa=[...])`` loads the named rows of
``listings/data/demo.csv`` (by their ``number`` column) and ``nasa_portfolio.csv`` (by ``case_number``) through
the demo loader itself (``manage.py load_demo`` then ``load_demo_listings``), indexed, and returns
``{number or case: Listing}``. The rows are the demo's own, so a test proves what a demo user sees."""

from __future__ import annotations

import csv

from django.core.management import call_command

from listings import demo
from listings.models import Listing


def _subset(source, target, column, wanted) -> None:
    with open(source, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if row[column] in wanted]
        fields = reader.fieldnames
    missing = set(wanted) - {row[column] for row in rows}
    assert not missing, f"not in {source.name}: {sorted(missing)}"
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def load_demo_subset(tmp_path, *, patents=(), nasa=()) -> dict[str, Listing]:
    call_command("load_demo")  # organisations; its on-commit listing load does not run in a test transaction
    patents_csv, nasa_csv = tmp_path / "demo-subset.csv", tmp_path / "nasa-subset.csv"
    _subset(demo.DEMO_CSV, patents_csv, "number", set(patents))
    _subset(demo.NASA_CSV, nasa_csv, "case_number", set(nasa))
    call_command("load_demo_listings", "--patents-csv", str(patents_csv), "--nasa-csv", str(nasa_csv))
    found = {}
    for listing in Listing.objects.prefetch_related("patents"):
        for patent in listing.patents.all():
            for key in list(patents) + list(nasa):
                compact = key.replace("-", "").replace(".", "").replace("/", "")
                if (patent.office + patent.number + patent.kind).replace("-", "").replace(".", "") == compact \
                        or (patent.office == "NASA" and patent.number == key):
                    found[key] = listing
    assert set(found) == set(patents) | set(nasa), f"loaded {sorted(found)}"
    return found
