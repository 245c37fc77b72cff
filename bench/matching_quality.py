"""Matching quality benchmark: does ``matching.scoring.match_text`` rank relevant listings higher than plain
BM25 over the same index?

    .venv/bin/python bench/matching_quality.py              # 100 held-out patents (2 folds of 50)
    .venv/bin/python bench/matching_quality.py --quick      # 30 held-out patents
    .venv/bin/python bench/matching_quality.py --per-query  # also a table of every query's counts

*Labelled set.* The real records of ``listings/data/demo.csv``: only 202 of its 6,678 rows carry
classification codes (all with an abstract); 117 of those share an IPC/CPC main group with another record
(one big biomedical cluster of ~85 — A61K/C07K/C12N — and ~15 small groups). They are split in two folds
(seeded, ordered by main group and dealt alternately, so each cluster is halved). For each fold, its records
are hidden (drafts: not browsable, not in the index) and every other record — the other fold's coded ones
and the 6,476 uncoded ones — is a published listing in the index (``bench.search.build_fixture``: the
search benchmark's data growth, one listing per record; ~3 % drafts/paused and 1 in 40 unverified owners
there are not browsable and not judged). Own SQLite file and index under var/bench/matching-quality/.
Up to 50 queries per fold are scored; a held-out patent with no relevant browsable listing is skipped.

*Needs,* two sets from the same held-out patents, never with codes or keywords (an SME does not know the IPC):
  * ``abstract``  the held-out patent's abstract only (what an SME could write about its problem);
  * ``+titles``   the abstract plus the WIPO titles of the patent's classification codes where the scheme
                  has them (``listings.ipc.short_title``, e.g. "Li-accumulators", "Learning methods"): how
                  an SME that read about its field would put it.
*Relevant* = a browsable listing whose patent shares a main group (e.g. ``G06N 3/00``) with the held-out
patent. Labels are read only when scoring the rankings; the titles are text like any other.

*Systems,* each over the same live index in one run:
  * ``matcher``   ``match_text(abstract, limit=200)`` — the production formula (text part + IPC part, which
                  for a need without codes is only whatever ``scoring`` infers by itself) + business parts.
  * ``bm25``      plain BM25F OR-query over **every** distinct analysed term of the abstract, scored with the
                  index's own per-term BM25 impacts (title ×3) summed — what ``listings.search.search`` does
                  for an OR query, but without its 24-word cut (``MAX_TERMS``), so nothing is truncated.
  * ``search()``  the public API: ``search(SearchQuery(text=" OR ".join(key terms)))``, the matcher's own
                  10 key terms through the normal search ranking (isolates the formula from term choice).

*Metrics.* precision@10 and nDCG@10 (binary gains; ideal DCG from min(10, #relevant)). Two readings:
``strict`` counts every unlabelled listing as not relevant (the 6,476 uncoded records are *unjudged*, many
topically relevant, e.g. 3,522 uncoded neural-network patents; strict favours any system that prefers coded
listings, as the matcher's IPC feedback does); ``judged`` (condensed lists, Sakai 2007) removes unjudged listings from each ranking first and
scores the first 10 judged ones, from the top 200.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.search import build_fixture, read_demo_rows, setup_django  # noqa: E402  (the shared data growth)

FIXTURE_VERSION = 1
HELD_OUT = 100  # queries scored (at most the 117 usable records)
SEED = 2024
DEPTH = 200  # ranking depth fetched per system (match_text's maximum)
K = 10


# --- the labelled set --------------------------------------------------------------------------
def main_groups(row: dict) -> frozenset:
    from listings.numbers import normalise_ipc, split_ipc_list

    out = set()
    for raw in split_ipc_list(row.get("cpc_or_ipc") or ""):
        try:
            code = normalise_ipc(raw)
        except ValueError:
            continue
        if code.group is not None:
            out.add(code.main_group)
    return frozenset(out)


def split_rows(rows: list[dict], seed: int = SEED) -> list[list[int]]:
    """Two folds of held-out row indices. Usable rows (abstract + main groups shared with another record) are
    shuffled, ordered by their first main group and dealt alternately, so each cluster is split in half;
    a row is scored against an index holding every record except its own fold."""
    groups = [main_groups(r) for r in rows]
    counts = Counter(g for gs in groups for g in gs)
    usable = [i for i, r in enumerate(rows)
              if (r.get("abstract") or "").strip() and any(counts[g] > 1 for g in groups[i])]
    random.Random(seed).shuffle(usable)
    usable.sort(key=lambda i: min(groups[i]))  # stable: shuffled within a group
    return [usable[0::2], usable[1::2]]


# --- metrics -----------------------------------------------------------------------------------
def precision_at(ranking: list[int], relevant: set, k: int = K) -> float:
    return sum(1 for lid in ranking[:k] if lid in relevant) / k


def ndcg_at(ranking: list[int], relevant: set, k: int = K) -> float:
    dcg = sum(1 / math.log2(pos + 2) for pos, lid in enumerate(ranking[:k]) if lid in relevant)
    ideal = sum(1 / math.log2(pos + 2) for pos in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def need_texts(row: dict) -> dict:
    """The need sets' texts for one held-out record (see the module docstring)."""
    from listings import ipc
    from listings.numbers import normalise_ipc, split_ipc_list

    titles = []
    for raw in split_ipc_list(row.get("cpc_or_ipc") or ""):
        try:
            code = str(normalise_ipc(raw))
        except ValueError:
            continue
        title = ipc.short_title(code) if ipc.is_known(code) else ""
        if title and title not in titles:
            titles.append(title)
    abstract = row["abstract"]
    return {"abstract": abstract, "+titles": "\n".join([abstract, *titles])}


NEED_SETS = ("abstract", "+titles")


# --- the systems -------------------------------------------------------------------------------
def bm25_all_terms(text: str, limit: int = DEPTH) -> list[int]:
    """Plain BM25F, OR over every distinct analysed term, summed index impacts → listing ids."""
    import heapq

    from listings import search

    terms = list(dict.fromkeys(term for term, _w in search.query_terms(text)))
    with search.term_index() as index:
        scores: dict = {}
        for term in terms:
            for doc, value in index.impacts(term).items():
                scores[doc] = scores.get(doc, 0.0) + value
        top = heapq.nlargest(limit, scores, key=lambda d: (scores[d], -d))
        return [index.listing_id(d) for d in top]


def search_key_terms(text: str, limit: int = DEPTH) -> list[int]:
    from listings import search
    from matching.scoring import key_terms

    words = [word for _t, word, _w in key_terms(text)]
    if not words:
        return []
    out: list[int] = []
    for page in range(1, -(-limit // search.MAX_PER_PAGE) + 1):
        found = search.search(search.SearchQuery(text=" OR ".join(words), page=page, per_page=search.MAX_PER_PAGE,
                                                 facets=False, highlight=False))
        out += [hit.listing_id for hit in found.hits]
        if len(found.hits) < search.MAX_PER_PAGE:
            break
    return out[:limit]


def matcher(text: str, limit: int = DEPTH) -> list[int]:
    from matching.scoring import match_text

    return [m.listing_id for m in match_text(text, limit=limit)]


SYSTEMS = (("matcher", matcher), ("bm25", bm25_all_terms), ("search()", search_key_terms))


# --- the run -----------------------------------------------------------------------------------
def prepare(rows, var_dir: Path, fresh: bool) -> None:
    """The fixture database: one listing per record (pk = row index + 1), coded records all published."""
    marker = var_dir / f"fixture-v{FIXTURE_VERSION}-{len(rows)}.ok"
    if fresh or not marker.exists():
        shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True, exist_ok=True)
    setup_django(var_dir)

    from django.core.management import call_command

    if not marker.exists():
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        build_fixture(len(rows), rows)
        marker.write_text("ok\n")
        print(f"  fixture built in {time.perf_counter() - started:.1f} s ({var_dir})")
    else:
        print(f"  reusing the fixture in {var_dir} (--fresh to rebuild)")


def index_fold(rows, fold: list[int]) -> float:
    """Hide the fold's records (drafts: not browsable, not indexed), publish the other coded ones, rebuild."""
    from django.utils import timezone

    from listings import search
    from listings.models import Listing, ListingState

    coded = [i + 1 for i, r in enumerate(rows) if main_groups(r)]
    hidden = [i + 1 for i in fold]
    Listing.objects.filter(pk__in=coded).exclude(pk__in=hidden).update(
        state=ListingState.PUBLISHED, published_at=timezone.now() - timezone.timedelta(days=200))
    Listing.objects.filter(pk__in=hidden).update(state=ListingState.DRAFT, published_at=None)
    started = time.perf_counter()
    search.rebuild_index()
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=HELD_OUT, help="held-out patents (default 100)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 30 held-out patents")
    parser.add_argument("--fresh", action="store_true", help="rebuild the fixture even if present")
    parser.add_argument("--per-query", action="store_true", help="print every query's counts")
    args = parser.parse_args(argv)
    rows = read_demo_rows()
    folds = split_rows(rows)
    limit = 30 if args.quick else args.queries
    var_dir = BASE_DIR / "var" / "bench" / "matching-quality"
    print(f"PatentBridge matching quality — up to {limit} held-out patents in 2 folds of "
          f"{len(folds[0])} + {len(folds[1])}, {len(rows):,} records")
    prepare(rows, var_dir, args.fresh)

    from listings.models import Listing

    groups = {i + 1: main_groups(r) for i, r in enumerate(rows)}  # listing pk -> main groups
    results = {(need_set, name): {"p": [], "ndcg": [], "pj": [], "ndcgj": [], "hits": [], "ms": []}
               for need_set in NEED_SETS for name, _f in SYSTEMS}
    per_query = []
    skipped = 0
    per_fold = -(-limit // 2)
    for f, fold in enumerate(folds):
        build_s = index_fold(rows, fold)
        browsable = set(Listing.objects.browsable().values_list("pk", flat=True))
        judged = {lid for lid, g in groups.items() if g and lid in browsable}
        print(f"  fold {f + 1}: {len(fold)} held out, {len(browsable):,} browsable listings indexed in "
              f"{build_s:.1f} s, {len(judged)} of them coded (judged)")
        scored = 0
        for i in fold:
            if scored >= per_fold:
                break
            row = rows[i]
            relevant = {lid for lid in judged if groups[lid] & main_groups(row)}
            if not relevant:
                skipped += 1
                continue
            scored += 1
            line = {"q": len(per_query) + 1, "patent": row["number"], "groups": ",".join(sorted(main_groups(row))),
                    "relevant": len(relevant)}
            for need_set, text in need_texts(row).items():
                for name, run in SYSTEMS:
                    started = time.perf_counter()
                    ranking = run(text)
                    r = results[(need_set, name)]
                    r["ms"].append((time.perf_counter() - started) * 1000)
                    condensed = [lid for lid in ranking if lid in judged]
                    r["p"].append(precision_at(ranking, relevant))
                    r["ndcg"].append(ndcg_at(ranking, relevant))
                    r["pj"].append(precision_at(condensed, relevant))
                    r["ndcgj"].append(ndcg_at(condensed, relevant))
                    hits = sum(1 for lid in ranking[:K] if lid in relevant)
                    r["hits"].append(hits)
                    line[(need_set, name)] = hits
                    line[(need_set, name, "judged")] = sum(1 for lid in condensed[:K] if lid in relevant)
            per_query.append(line)
    if skipped:
        print(f"  {skipped} held-out patents skipped: their only partners are in the same fold or not browsable")

    relevant_counts = [q["relevant"] for q in per_query]
    print(f"  judged listings (browsable, coded): {len(judged)};  relevant per query: median "
          f"{statistics.median(relevant_counts):.0f}, min {min(relevant_counts)}, max {max(relevant_counts)}")
    buckets = Counter("1" if c == 1 else "2-9" if c < 10 else "10+" for c in relevant_counts)
    print("  queries by number of relevant listings: " + ", ".join(f"{k}: {buckets[k]}" for k in ("1", "2-9", "10+")))
    targets = []
    for need_set in NEED_SETS:
        print()
        print(f"  needs: {need_set} ({len(per_query)} queries)")
        print(f"  | system    | P@10 strict | nDCG@10 strict | P@10 judged | nDCG@10 judged | relevant in top 10 "
              f"| p50 ms |")
        print(f"  |-----------|-------------|----------------|-------------|----------------|--------------------"
              f"|--------|")
        for name, _f in SYSTEMS:
            r = results[(need_set, name)]
            print(f"  | {name:<9} | {statistics.mean(r['p']):>11.3f} | {statistics.mean(r['ndcg']):>14.3f} | "
                  f"{statistics.mean(r['pj']):>11.3f} | {statistics.mean(r['ndcgj']):>14.3f} | "
                  f"{sum(r['hits']):>18} | {statistics.median(r['ms']):>6.1f} |")
        m, b = results[(need_set, "matcher")], results[(need_set, "bm25")]
        for key, label in (("p", "P@10"), ("ndcg", "nDCG@10")):
            mean_m, mean_b = statistics.mean(m[key]), statistics.mean(b[key])
            print(f"  matcher / bm25, {label} strict: {mean_m:.3f} / {mean_b:.3f} = {mean_m / mean_b:.2f}×")
        for key, label in (("ndcg", "nDCG@10 strict"), ("ndcgj", "nDCG@10 judged")):
            wins = sum(1 for x, y in zip(m[key], b[key]) if x > y + 1e-9)
            losses = sum(1 for x, y in zip(m[key], b[key]) if y > x + 1e-9)
            print(f"  matcher vs bm25, {label}: better on {wins} queries, worse on {losses}, "
                  f"tied on {len(per_query) - wins - losses}")
        for key, label in (("p", "P@10 (strict)"), ("ndcg", "nDCG@10 (strict)"), ("pj", "P@10 (judged)"),
                           ("ndcgj", "nDCG@10 (judged)")):
            targets.append((f"{need_set}: matcher beats bm25 on {label}",
                            statistics.mean(m[key]) > statistics.mean(b[key])))
    print()
    if args.per_query:
        print("  per query (relevant in top 10, strict / judged), needs: " + " | ".join(NEED_SETS))
        print("  |   q | patent               | main groups                    | rel | matcher | bm25  | search() |")
        for q in per_query:
            for need_set in NEED_SETS:
                cells = " | ".join(f"{q[(need_set, name)]:>2} / {q[(need_set, name, 'judged')]:>2}"
                                   for name, _f in SYSTEMS)
                print(f"  | {q['q']:>3} | {q['patent'][:20]:<20} | {q['groups'][:30]:<30} | {q['relevant']:>3} | "
                      f"{need_set:<8} | {cells} |")
    else:
        for need_set in NEED_SETS:
            print(f"  per-query counts, {need_set} (relevant/matcher/bm25 in top 10, strict): " + " ".join(
                f"{q['relevant']}/{q[(need_set, 'matcher')]}/{q[(need_set, 'bm25')]}" for q in per_query))
    print()
    for label, ok in targets:
        print(f"  [{'ok' if ok else 'MISSED'}] {label}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
