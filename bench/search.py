"""Search benchmark: index build time, query latency (with and without facets), a naive database search for
comparison, similar-listing and update latency, and peak memory — at N listings (default 100,000).

    .venv/bin/python bench/search.py                 # 100,000 listings
    .venv/bin/python bench/search.py --quick         # a 3,000-listing smoke run
    .venv/bin/python bench/search.py --listings 20000 --queries 300

The fixture grows the real records of listings/data/demo.csv (6,678 patents, English and Chinese) to N
listings by varying numbers, dates, owners and terms — never the text. It lives in its own SQLite file and
index directory under var/bench/ (reused by later runs with the same N; --fresh rebuilds it), never in the
user's data. Speed is measured here, not in the unit tests.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import re
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
FIXTURE_VERSION = 1


def setup_django(var_dir: Path) -> None:
    os.environ.setdefault("DEBUG", "true")
    os.environ["VAR_DIR"] = str(var_dir)  # the SQLite file, the index and jieba's cache all live here
    for name in ("DATABASE_URL", "SEARCH_INDEX_DIR", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ["TASKS_MODE"] = "eager"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings"
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    current = peak = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current, peak


# --- fixture ---------------------------------------------------------------------------------
def read_demo_rows() -> list[dict]:
    with open(BASE_DIR / "listings" / "data" / "demo.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def build_fixture(n: int, rows: list[dict], seed: int = 7) -> None:
    from django.db import transaction
    from django.utils import timezone

    from listings.models import FeeModel, Listing, ListingState, Patent, PatentClassification, price_band
    from listings.numbers import normalise_ipc, split_ipc_list
    from marketplace.models import Organisation, OrganisationKind, Province, VerificationStatus

    rng = random.Random(seed)
    now = timezone.now()
    holder_kinds = [OrganisationKind.UNIVERSITY, OrganisationKind.RESEARCH_INSTITUTE,
                    OrganisationKind.STATE_ENTERPRISE, OrganisationKind.ENTERPRISE]
    provinces = [p.value for p in Province]
    orgs = []
    for i in range(400):
        verified = i % 40 != 39  # 1 in 40 owners unverified: their listings are not browsable
        orgs.append(Organisation(
            pk=i + 1, name=f"Bench organisation {i + 1}", slug=f"bench-org-{i + 1}", kind=holder_kinds[i % 4],
            province=provinces[rng.randrange(len(provinces))] if i % 17 else "",
            verification_status=VerificationStatus.VERIFIED if verified else VerificationStatus.PENDING,
            verified_at=now if verified else None,
        ))
    parsed_codes = []
    for row in rows:
        codes = []
        for raw in split_ipc_list(row["cpc_or_ipc"]):
            try:
                code = normalise_ipc(raw)
            except ValueError:
                continue
            if str(code) not in {str(c) for c in codes}:
                codes.append(code)
        parsed_codes.append(codes)
    fee_models = [FeeModel.FREE, FeeModel.LUMP_SUM, FeeModel.ROYALTY, FeeModel.ENTRY_FEE_ROYALTY]
    with transaction.atomic():
        Organisation.objects.bulk_create(orgs, batch_size=500)
        batch = 5000
        for start in range(0, n, batch):
            patents, classes, listings, links = [], [], [], []
            for i in range(start, min(n, start + batch)):
                row = rows[i % len(rows)]
                codes = parsed_codes[i % len(rows)]
                owner = orgs[rng.randrange(len(orgs))]
                office = row["country"] if row["country"] in ("US", "CN", "EP", "WO", "TW") else "CN"
                filing = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(6500))
                patents.append(Patent(
                    pk=i + 1, owner_id=owner.pk, office=office, number=f"{10_000_000 + i}", kind="B",
                    title=row["title"], abstract=row["abstract"], applicants=row["assignee"],
                    ipc_codes=[str(c) for c in codes], language=row["lang"] or "en", filing_date=filing,
                    source="bench",
                ))
                for position, code in enumerate(codes):
                    classes.append(PatentClassification(
                        patent_id=i + 1, code=str(code), section=code.section, ipc_class=code.ipc_class,
                        subclass=code.subclass, main_group=code.main_group, position=position,
                    ))
                fee = fee_models[rng.randrange(4)]
                lump = entry = royalty = None
                if fee == FeeModel.LUMP_SUM:
                    lump = rng.choice([5_000_00, 20_000_00, 80_000_00, 300_000_00, 2_000_000_00])
                    lump += rng.randrange(100) * 100
                if fee == FeeModel.ENTRY_FEE_ROYALTY:
                    entry = rng.choice([2_000_00, 50_000_00, 500_000_00]) + rng.randrange(100) * 100
                if fee in (FeeModel.ROYALTY, FeeModel.ENTRY_FEE_ROYALTY):
                    royalty = rng.choice([100, 250, 350, 500, 800])
                upfront = lump or entry or 0
                state = ListingState.PUBLISHED if rng.random() > 0.03 else rng.choice([ListingState.DRAFT,
                                                                                      ListingState.PAUSED])
                published = now - dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
                kinds = rng.choice([(False, False, True, False), (True, False, False, False),
                                    (False, True, True, False), (False, False, True, True), (True, True, True, True)])
                listings.append(Listing(
                    pk=i + 1, owner_id=owner.pk, title=row["title"], description="", state=state,
                    published_at=published if state != ListingState.DRAFT else None, state_changed_at=published,
                    fee_model=fee, lump_sum_minor=lump, entry_fee_minor=entry, royalty_rate_bp=royalty,
                    offers_exclusive=kinds[0], offers_sole=kinds[1], offers_non_exclusive=kinds[2],
                    offers_assignment=kinds[3], open_licence=rng.random() < 0.12,
                    upfront_price_minor=upfront, idle_declared=rng.random() < 0.3,
                ))
                assert price_band(upfront)
                links.append(Listing.patents.through(listing_id=i + 1, patent_id=i + 1))
            Patent.objects.bulk_create(patents, batch_size=1000)
            PatentClassification.objects.bulk_create(classes, batch_size=2000)
            Listing.objects.bulk_create(listings, batch_size=1000)
            Listing.patents.through.objects.bulk_create(links, batch_size=2000)
            print(f"\r  fixture: {min(n, start + batch):,}/{n:,} listings", end="", flush=True)
    print()


def make_queries(rows: list[dict], count: int, seed: int = 11) -> list[str]:
    """1–4 consecutive words of real titles (Chinese titles: 1–4 consecutive jieba words)."""
    from listings import search

    rng = random.Random(seed)
    queries = []
    while len(queries) < count:
        title = rows[rng.randrange(len(rows))]["title"]
        if search.has_han(title):
            words = [w for w in search._jieba().cut(title) if w.strip()]
            joiner = ""
        else:
            words = [w.strip(",.;:()[]\"'") for w in title.split()]
            words = [w for w in words if w]
            joiner = " "
        if not words:
            continue
        size = rng.randint(1, min(4, len(words)))
        start = rng.randrange(len(words) - size + 1)
        text = joiner.join(words[start:start + size])
        if search._parse(text).empty:  # only stop words
            continue
        queries.append(text)
    return queries


# --- measurements ----------------------------------------------------------------------------
def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(pct / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def time_queries(queries, run) -> tuple[list[float], list]:
    latencies, results = [], []
    for text in queries:
        started = time.perf_counter()
        results.append(run(text))
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, results


def db_search(text: str):
    """A naive database search: every word in the title or an abstract (icontains), newest first,
    COUNT plus the first page of 20."""
    from django.db.models import Q

    from listings.models import Listing

    qs = Listing.objects.browsable()
    words = [w for w in re.split(r"\s+", text) if w] or [text]
    for word in words:
        qs = qs.filter(Q(title__icontains=word) | Q(patents__abstract__icontains=word))
    qs = qs.distinct()
    total = qs.count()
    page = list(qs.order_by("-published_at", "-id").values_list("pk", flat=True)[:20])
    return total, page


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000, help="number of listings (default 100000)")
    parser.add_argument("--queries", type=int, default=240, help="number of queries (at least 200 for p95)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3,000 listings, 60 queries")
    parser.add_argument("--fresh", action="store_true", help="rebuild the database fixture even if present")
    parser.add_argument("--db-queries", type=int, default=None,
                        help="run the database baseline on only the first K queries (default: all)")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the faceted query pass to FILE")
    args = parser.parse_args(argv)
    if args.quick:
        args.listings, args.queries = 3000, 60
    n = args.listings
    var_dir = BASE_DIR / "var" / "bench" / f"search-{n}"
    db_file = var_dir / "patentbridge.sqlite3"
    marker = var_dir / f"fixture-v{FIXTURE_VERSION}.ok"
    if args.fresh or not marker.exists():
        shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True, exist_ok=True)
    setup_django(var_dir)

    from django.core.management import call_command

    from listings import search
    from listings.models import Listing

    print(f"PatentBridge search benchmark — {n:,} listings, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f} (other work on the machine skews the figures)")
    rows = read_demo_rows()
    if not marker.exists():
        # in a child process, so that the memory it takes does not count as the search's peak
        started = time.perf_counter()
        from django.db import connections

        connections.close_all()
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                call_command("migrate", verbosity=0, interactive=False)
                build_fixture(n, rows)
                status = 0
            finally:
                connections.close_all()
                os._exit(status)
        _pid, status = os.waitpid(pid, 0)
        if status:
            print("  building the fixture failed")
            return 1
        marker.write_text("ok\n")
        print(f"  fixture built in {time.perf_counter() - started:.1f} s ({db_file})")
    else:
        print(f"  reusing the fixture in {db_file} (--fresh to rebuild)")
    browsable = Listing.objects.browsable().count()
    _rss, peak_before = rss_mb()

    # 1. index build
    started = time.perf_counter()
    count = search.rebuild_index()
    build_s = time.perf_counter() - started
    assert count == browsable, (count, browsable)
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    stages = [("before indexing", peak_before), ("after rebuild_index", rss_mb()[1])]

    # 2. queries
    queries = make_queries(rows, max(args.queries, 1))
    started = time.perf_counter()
    search.search(search.SearchQuery(text="", facets=True))  # opens the index: per-process state
    open_ms = (time.perf_counter() - started) * 1000

    def with_facets(text):
        return search.search(search.SearchQuery(text=text, facets=True))

    def without_facets(text):
        return search.search(search.SearchQuery(text=text, facets=False))

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cold, results = time_queries(queries, with_facets)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    errors = [r.error for r in results if r.error]
    stages.append(("after the first query pass", rss_mb()[1]))
    bare, _ = time_queries(queries, without_facets)
    warm, _ = time_queries(queries, with_facets)
    filtered, _ = time_queries(queries, lambda t: search.search(search.SearchQuery(
        text=t, facets=True, filters={"fee_model": ["royalty", "lump_sum"]}, sort="newest")))
    every, _ = time_queries(["", "", ""], with_facets)

    stages.append(("after all search passes", rss_mb()[1]))

    # 3. naive database search on the same queries
    db_queries = queries[: args.db_queries] if args.db_queries else queries
    db_lat, _ = time_queries(db_queries, db_search)

    # 4. similar listings, and one update followed by a query
    sample = list(Listing.objects.browsable().order_by("?").values_list("pk", flat=True)[:50])
    mlt, _ = time_queries(sample, lambda pk: search.more_like_this(pk, 5))
    started = time.perf_counter()
    search.update_listings(sample[:1])
    update_ms = (time.perf_counter() - started) * 1000
    after_update, _ = time_queries(queries[:40], with_facets)
    _rss, peak = rss_mb()

    # report
    matched = [r.total for r in results]
    print()
    print(f"  browsable listings indexed      {count:>10,}")
    print(f"  queries (1–4 words of titles)   {len(queries):>10,}   results per query: median "
          f"{statistics.median(matched):,.0f}, max {max(matched):,}; errors: {len(errors)}")
    print()
    print("  | measurement                                   |       p50 |       p95 |       max |")
    print("  |-----------------------------------------------|-----------|-----------|-----------|")

    def line(label, values, unit="ms"):
        print(f"  | {label:<45} | {percentile(values, 50):>6.1f} {unit} | {percentile(values, 95):>6.1f} {unit} "
              f"| {max(values):>6.1f} {unit} |")

    line("search + facets, first pass (cold caches)", cold)
    line("search, no facets (warm)", bare)
    line("search + facets (warm)", warm)
    line("search + facets + filter, sorted newest", filtered)
    line("browse all (empty query) + facets", every)
    line(f"database icontains, count + page ({len(db_queries)} q)", db_lat)
    line("more_like_this (50 listings)", mlt)
    line("search + facets, 40 queries after an update", after_update)
    slowest = sorted(zip(cold, queries, results), key=lambda x: -x[0])[:5]
    print("  slowest queries of the first pass: " + "; ".join(
        f"{text[:40]!r} {ms:.0f} ms ({result.total:,} results)" for ms, text, result in slowest))
    print()
    db_p50, db_p95 = percentile(db_lat, 50), percentile(db_lat, 95)
    print(f"  index build (rebuild_index)      {build_s:>8.1f} s   ({count / build_s:,.0f} listings/s)")
    print(f"  open index (first query)         {open_ms:>8.1f} ms")
    print(f"  update_listings(1 listing)       {update_ms:>8.1f} ms;  the query after it {after_update[0]:.1f} ms")
    print(f"  speed-up over the database       p50 {db_p50 / percentile(cold, 50):>6.0f}×   "
          f"p95 {db_p95 / percentile(cold, 95):>6.0f}×   (cold faceted search vs database)")
    print(f"  peak RSS of this process         {peak:>8.0f} MB  ("
          + ", ".join(f"{label}: {mb:.0f} MB" for label, mb in stages) + ")")
    print(f"  peak RSS of a child process      {children_peak:>8.0f} MB  (index workers; on a fresh run, the fixture "
          "builder)")
    print(f"  load average at the end          {os.getloadavg()[0]:>8.1f}")
    targets = [
        ("p95 with facets ≤ 50 ms (cold pass)", percentile(cold, 95) <= 50),
        ("≥ 20× faster than the database (p50)", db_p50 / percentile(cold, 50) >= 20),
        ("rebuild ≤ 120 s", build_s <= 120),
        ("peak RSS < 500 MB", peak < 500),
    ]
    print()
    if n != 100_000:
        print("  (the targets are for 100,000 listings)")
    for label, ok in targets:
        print(f"  [{'ok' if ok else 'MISSED'}] {label}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
