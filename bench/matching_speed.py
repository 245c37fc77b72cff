"""Matching speed benchmark: one need against N listings (``match_text``), the fan-out of one listing
against M needs (``matching.push.fan_out``) and reverse matching ("SMEs that may want this") over those needs,
each beside a baseline run in the same process:

* one need: plain BM25 over every analysed word of the need text (the quality benchmark's baseline: summed
  index impacts, no key terms, no re-ranking) on the same index and texts;
* fan-out: what it replaces — a search per need (``match_need``), timed over a sample of the needs and
  scaled to all of them.

    .venv/bin/python bench/matching_speed.py              # 100,000 listings, 200 needs; fan-out over 50,000 needs
    .venv/bin/python bench/matching_speed.py --quick      # 3,000 listings, 100 needs; fan-out over 5,000 needs

Listings: the search benchmark's fixture (``bench/search.py``: the real records of listings/data/demo.csv grown
to N listings), reused from var/bench/search-<N>/ when present, built with its functions otherwise. Needs for
the latency pass: a real title plus the first ~200 characters of a real abstract (English or Chinese) — what
an SME types, a little longer than a search query. Needs for the fan-out: M ``Need`` rows bulk-created once
in the same database (marker file; 500 SME organisations with no members, so no notifications are sent),
each a real title with 0–3 of its words as keywords, a third with the record's IPC subclass as interest.
Each fan-out runs in a transaction that is rolled back, so runs are repeatable.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.matching_quality import bm25_all_terms  # noqa: E402  (the plain-BM25 baseline)
from bench.search import (  # noqa: E402  (the shared data growth and helpers)
    FIXTURE_VERSION,
    build_fixture,
    percentile,
    read_demo_rows,
    rss_mb,
    setup_django,
)

NEEDS_VERSION = 1
SME_ORGS = 500
SME_PK_OFFSET = 100_000  # clear of the fixture's organisation ids
NEED_P95_TARGET_MS = 150.0
FAN_OUT_TARGET_S = 10.0


def prepare_listings(n: int) -> Path:
    var_dir = BASE_DIR / "var" / "bench" / f"search-{n}"
    marker = var_dir / f"fixture-v{FIXTURE_VERSION}.ok"
    var_dir.mkdir(parents=True, exist_ok=True)
    setup_django(var_dir)

    from django.core.management import call_command

    from listings import search

    call_command("migrate", verbosity=0, interactive=False)  # the fixture may predate the matching tables
    if not marker.exists():
        started = time.perf_counter()
        build_fixture(n, read_demo_rows())
        marker.write_text("ok\n")
        print(f"  listings fixture built in {time.perf_counter() - started:.1f} s")
    else:
        print(f"  reusing the listings fixture of bench/search.py in {var_dir}")
    with search._LOCK:
        missing = search._state() is None
    if missing:
        started = time.perf_counter()
        search.rebuild_index()
        print(f"  index built in {time.perf_counter() - started:.1f} s")
    return var_dir


def need_texts(rows: list[dict], count: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    texts = []
    while len(texts) < count:
        row = rows[rng.randrange(len(rows))]
        text = "\n".join(p for p in (row["title"], (row["abstract"] or "")[:200]) if p.strip())
        if text.strip():
            texts.append(text)
    return texts


def prepare_needs(var_dir: Path, count: int, rows: list[dict], seed: int = 13) -> None:
    """``count`` active needs of SME organisations (bulk-created once, kept for later runs)."""
    from django.db import transaction

    from listings.numbers import normalise_ipc, split_ipc_list
    from marketplace.models import Organisation, OrganisationKind, VerificationStatus
    from matching.models import Need

    marker = var_dir / f"needs-v{NEEDS_VERSION}-{count}.ok"
    if marker.exists() and Need.objects.filter(organisation_id__gte=SME_PK_OFFSET).count() >= count:
        print(f"  reusing {count:,} bench needs")
        return
    started = time.perf_counter()
    rng = random.Random(seed)
    with transaction.atomic():
        Need.objects.filter(organisation_id__gte=SME_PK_OFFSET).delete()
        Organisation.objects.filter(pk__gte=SME_PK_OFFSET).delete()
        Organisation.objects.bulk_create([
            Organisation(pk=SME_PK_OFFSET + i, name=f"Bench SME {i}", slug=f"bench-sme-{i}", kind=OrganisationKind.SME,
                         verification_status=VerificationStatus.VERIFIED)
            for i in range(SME_ORGS)
        ], batch_size=500)
        needs = []
        for i in range(count):
            row = rows[rng.randrange(len(rows))]
            words = [w.strip(",.;:()") for w in row["title"].split() if len(w) > 3]
            keywords = " ".join(rng.sample(words, min(len(words), rng.randint(0, 3))))
            codes = []
            if rng.random() < 1 / 3:
                for raw in split_ipc_list(row["cpc_or_ipc"])[:1]:
                    try:
                        codes.append(normalise_ipc(raw).subclass)
                    except ValueError:
                        pass
            needs.append(Need(organisation_id=SME_PK_OFFSET + rng.randrange(SME_ORGS), title=row["title"][:300],
                              keywords=keywords, ipc_codes=codes, province=rng.choice(["", "", "GD", "BJ"])))
        Need.objects.bulk_create(needs, batch_size=2000)
    marker.write_text("ok\n")
    print(f"  {count:,} needs bulk-created in {time.perf_counter() - started:.1f} s")


def time_fan_out(listing_ids: list[int]) -> list[tuple[int, float, object]]:
    """(listing id, seconds, result) per fan-out, each rolled back afterwards."""
    from django.db import transaction

    from matching import push

    out = []
    for lid in listing_ids:
        with transaction.atomic():
            started = time.perf_counter()
            result = push.fan_out(lid)
            seconds = time.perf_counter() - started
            transaction.set_rollback(True)
        out.append((lid, seconds, result))
    return out


def time_search_per_need(sample: int, total: int) -> float:
    """The baseline of the fan-out: seconds for ``match_need`` of every one of ``total`` needs, measured over
    ``sample`` of them (a search per need is what the fan-out's inverted pre-filter avoids)."""
    from matching.models import Need
    from matching.scoring import match_need

    needs = list(Need.objects.active().filter(organisation_id__gte=SME_PK_OFFSET).order_by("pk")[:sample])
    started = time.perf_counter()
    for need in needs:
        match_need(need, limit=10)
    return (time.perf_counter() - started) / max(1, len(needs)) * total


def time_reverse(listing_ids: list[int]) -> list[float]:
    """Milliseconds of ``reverse.needs_for_listing`` (the owner's "SMEs that may want this") per listing."""
    from listings.models import Listing
    from matching.reverse import needs_for_listing

    out = []
    for lid in listing_ids:
        listing = Listing.objects.select_related("owner").get(pk=lid)
        started = time.perf_counter()
        needs_for_listing(listing)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _row(label: str, values: list[float], unit: str = "ms") -> str:
    return (f"  | {label:<45} | {percentile(values, 50):>6.1f} {unit} | {percentile(values, 95):>6.1f} {unit} "
            f"| {max(values):>6.1f} {unit} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=200, help="needs timed against the listings (≥ 100)")
    parser.add_argument("--fan-out-needs", type=int, default=50_000)
    parser.add_argument("--fan-outs", type=int, default=5, help="listings fanned out (each timed)")
    parser.add_argument("--baseline-needs", type=int, default=200,
                        help="needs searched one by one for the fan-out's baseline")
    parser.add_argument("--skip-fanout", action="store_true", help="only time one need against the listings")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3,000 listings, 100 needs, 5,000 needs")
    args = parser.parse_args(argv)
    if args.quick:
        args.listings, args.needs, args.fan_out_needs, args.fan_outs = 3000, 100, 5000, 2
        args.baseline_needs = 50
    print(f"PatentBridge matching speed benchmark — {args.listings:,} listings, {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}")
    var_dir = prepare_listings(args.listings)
    rows = read_demo_rows()

    from listings import search
    from listings.models import Listing
    from matching import scoring

    browsable = Listing.objects.browsable().count()
    # per process, once: open the index, load jieba's dictionary (~0.6 s on the first Chinese text)
    search.search(search.SearchQuery(text="", facets=False))
    search.query_terms("锂离子电池")

    # 1. one need against all listings, and the plain-BM25 baseline on the same texts
    texts = need_texts(rows, max(args.needs, 1))
    cold, warm, base, found = [], [], [], []
    for bucket in (cold, warm):
        for text in texts:
            started = time.perf_counter()
            matches = scoring.match_text(text, limit=10)
            bucket.append((time.perf_counter() - started) * 1000)
            if bucket is cold:
                found.append(len(matches))
    for text in texts:
        started = time.perf_counter()
        bm25_all_terms(text, limit=10)
        base.append((time.perf_counter() - started) * 1000)
    slowest = sorted(zip(cold, texts), key=lambda x: -x[0])[:3]
    p95 = percentile(cold, 95)
    need_line = (f"match_text, one need (first pass): p50 {percentile(cold, 50):.1f} ms, p95 {p95:.1f} ms; "
                 f"warm p95 {percentile(warm, 95):.1f} ms; plain BM25 over all words p95 "
                 f"{percentile(base, 95):.1f} ms (matcher / baseline = {p95 / percentile(base, 95):.2f}×)")
    if args.skip_fanout:
        print("  " + need_line)
        return 0

    # 2. fan-out of one listing against many needs, and a search per need as its baseline
    prepare_needs(var_dir, args.fan_out_needs, rows)
    rng = random.Random(3)
    ids = list(Listing.objects.browsable().values_list("pk", flat=True)[:5000])
    sample = rng.sample(ids, min(len(ids), max(1, args.fan_outs)))
    fan = time_fan_out(sample)
    naive = time_search_per_need(args.baseline_needs, args.fan_out_needs)
    # 3. reverse matching of the same listings over the same needs (twice: the first pass analyses the needs)
    reverse_first = time_reverse(sample)
    reverse_warm = time_reverse(sample)
    _rss, peak = rss_mb()

    print()
    print(f"  browsable listings              {browsable:>10,}")
    print(f"  needs timed                     {len(texts):>10,}   matches per need: median "
          f"{statistics.median(found):.0f}, none for {sum(1 for f in found if not f)}")
    print()
    print("  | measurement                                   |       p50 |       p95 |       max |")
    print("  |-----------------------------------------------|-----------|-----------|-----------|")
    print(_row("match_text, one need (first pass)", cold))
    print(_row("match_text, one need (warm)", warm))
    print(_row("baseline: plain BM25 over all words", base))
    print(_row(f"reverse matching over {args.fan_out_needs:,} needs (first)", reverse_first))
    print(_row(f"reverse matching over {args.fan_out_needs:,} needs (warm)", reverse_warm))
    print("  slowest needs: " + "; ".join(f"{t[:40]!r} {ms:.0f} ms" for ms, t in slowest))
    print(f"  matcher / plain BM25 (p95): {p95 / percentile(base, 95):.2f}× — the matcher picks key terms and "
          "re-ranks with the database")
    print()
    print(f"  fan-out (matching.push.fan_out) of one listing against {args.fan_out_needs:,} active needs:")
    for lid, seconds, result in fan:
        print(f"    listing {lid:>7}: {seconds:>6.2f} s  ({result.candidates:,} candidate needs, "
              f"{result.matched:,} matched; rolled back)")
    worst = max(seconds for _l, seconds, _r in fan)
    print(f"  baseline: a search per need (match_need over {args.baseline_needs} needs, scaled to "
          f"{args.fan_out_needs:,}): {naive:.0f} s;  fan-out worst / baseline = {worst / naive:.4f}× "
          f"({naive / worst:,.0f}× faster)")
    print(f"  peak RSS                        {peak:>8.0f} MB")
    print()
    fan_label = f"fan-out of one listing over {args.fan_out_needs:,} needs < {FAN_OUT_TARGET_S:.0f} s (worst)"
    targets = [
        (f"need p95 ≤ {NEED_P95_TARGET_MS:.0f} ms at {browsable:,} listings (first pass): {p95:.1f} ms "
         f"= {p95 / NEED_P95_TARGET_MS:.2f}× the target", p95 <= NEED_P95_TARGET_MS),
        (f"{fan_label}: {worst:.2f} s = {worst / FAN_OUT_TARGET_S:.2f}× the target", worst < FAN_OUT_TARGET_S),
    ]
    for label, ok in targets:
        print(f"  [{'ok' if ok else 'MISSED'}] {label}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
