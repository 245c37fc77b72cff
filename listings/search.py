"""Full-text search over listings with Whoosh (whoosh-reloaded).

Public interface (the rest of the project calls only these):

    update_listings(listing_ids)        add/replace browsable listings, delete the others
    rebuild_index(progress=None) -> int build a new index aside, then swap it in atomically
    search(SearchQuery) -> SearchResults
    more_like_this(listing_id, limit=5) -> list[int]
    stem_word(word), highlight(text, terms, max_chars=None)

For rankers of their own (``matching``), the index term by term, read-only:

    query_terms(text) -> [(term, surface word)]     a text analysed as queries are
    document_terms(*texts) -> set[str]              the terms the index holds for a document of these texts
    listing_terms(listing_id) -> set[str]           ... for a listing (its texts read from the database)
    sub_words(word) -> list[str]                    Chinese sub-words a document may hold for a query word
    with term_index() as index:                     TermIndex of the live version (None: no index),
        index.n_live / corpus_size(term) / doc_frequency(term) / impacts(term) / best_impact(term)
        index.ipc_docs(prefix)
        index.published(docnum) / listing_id(docnum) / docnum(listing_id) / version / generation

How it works
------------
*Storage.* ``settings.SEARCH_INDEX_DIR`` holds index *generations* (``gen-<time>-<random>/``, each a plain
Whoosh index) and a pointer file ``CURRENT`` naming the live one. ``rebuild_index`` builds a complete new
generation beside the live one (for big builds in two forked processes, each reading its share of the
listings from the database and writing one segment) and then replaces ``CURRENT`` with ``os.replace`` —
atomic, so a reader sees the old index or the new one, never a half-built one. Updates that arrive while a
rebuild runs go to the live generation *and* to a pending list that the rebuild replays on the new
generation right after the swap. The generation before the live one is kept (readers in other processes may
still use it); older ones are deleted. Segments are written uncompressed, in separate files (a compound
segment file is read by copying it whole into every process's memory).

*Documents.* One document per browsable listing. A piece of text containing Han characters goes to the
Chinese fields (``title_zh``, ``body_zh``: jieba's "search" tokenizer, after OpenCC ``t2s`` so Traditional
and Simplified meet), any other text to the English ones (``title_en``, ``body_en``: stemming analyzer) —
more reliable than ``Patent.language`` for mixed bundles and titles, and English-only documents never touch
jieba. The body is the listing description plus each patent's abstract, claims and applicants. IPC codes
go to ``ipc`` in a compact form (``h01m10/052``) for prefix matching. Facet values, the publication time and
the upfront price are packed in one column (``fx``); the listing id, the title and the first 400 characters
of description/abstract are stored for hits and snippets (not the whole abstract).

*Queries.* Whoosh stores and reads the index; matching, ranking and counting are done here with Python sets,
dicts and ``Counter`` (C-speed operations), because Whoosh's own collector needs 130–350 ms (p95) for the
common words of this catalogue at 100,000 listings. Per process and per index version we keep: per-document
facet keys and sort keys (decoded once per Whoosh segment, so an update only decodes its new segment), the
field lengths, and an LRU cache of *word → {docnum: BM25 impact}* read straight from the posting blocks
(``WORD_CACHE_POSTINGS`` bounds it). A query is the AND of its words — each word may be in the title
(boosted ×3) or the body, in either language. When nothing has every word, the documents having any of them
match instead, *said so* (``SearchResults.partial`` and ``words``, shown by the browse page and the API) and
ranked by how many of the words they have first (coordination), then by their summed impacts; ``-word``
excludes, ``OR`` switches to any-word matching (ranked by summed impacts alone), quotes and brackets only group (no phrase
search). Patent numbers are not text: ``listings.number_search`` finds them for the browse page.
IPC-looking tokens (``H01M``, ``H01M 10``, ``H01M 10/052``, ``h01m10/052``) become prefix matches on the
codes (a main group ``H01M 10/00`` matches all of group 10). Facet counts are over the whole result set:
one ``Counter`` pass per facet group. Sorted pages walk a precomputed order (dense results) or take the
``nsmallest`` of the result set (sparse ones); relevance takes the ``nlargest`` summed impacts. Only the
page's hits are highlighted, by a small highlighter that stems only candidate words.

*Refreshing.* Each search checks ``CURRENT`` (a ``stat``) and the index's TOC generation (a directory
listing) and opens a fresh reader when either changed. ``Searcher.refresh()`` is not used: in
whoosh-reloaded 2.7.5 a refreshed reader keeps stale deletions and brings back merged-away segments. One
lock serialises searches within a process (the work is CPU-bound under the GIL anyway); writers take a
process lock and Whoosh's file lock, and read the database while holding it, so the last writer wins with
the latest state.

*Failures.* ``search`` never raises: a missing index gives ``SearchResults(error="The search index is being
built; try again in a minute.")``, a query without searchable words (``AND``, ``(((``, ``the``) gives a
friendly message, and an unexpected failure is retried once on a reopened index, then logged and answered
with "Search is not available right now; please try again later.". Queries are cut at ``MAX_QUERY_CHARS``
characters and ``MAX_TERMS`` words; control characters are dropped and full-width letters folded (NFKC).
``SearchUnavailable`` is kept for callers that want to raise it themselves.
"""

from __future__ import annotations

import heapq
import logging
import math
import os
import pickle
import re
import secrets
import shutil
import struct
import threading
import time
import unicodedata
from array import array
from collections import Counter, OrderedDict, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape as _html_escape
from itertools import accumulate, islice, repeat
from operator import add, mul
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from whoosh import analysis as _wa
from whoosh import columns as _wcolumns
from whoosh import fields as _wfields
from whoosh import index as _windex

# Facet names, in display order. Values are the stored codes:
#   ipc_section "H", ipc_class "H01", ipc_subclass "H01M", ipc_main_group "H01M 10/00",
#   fee_model (FeeModel values), licence_kinds (LicenceKind values), owner_kind (OrganisationKind values),
#   province (Province codes), open_licence ("yes"/"no"), price_band (listings.models.PRICE_BANDS names)
FACETS = (
    "ipc_section", "ipc_class", "ipc_subclass", "ipc_main_group", "fee_model", "licence_kinds", "owner_kind",
    "province", "open_licence", "price_band",
)
SORTS = ("relevance", "newest", "price_asc", "price_desc")

log = logging.getLogger(__name__)


class SearchUnavailable(Exception):
    """The index is missing or unreadable (e.g. before the first ``rebuild_index``)."""


@dataclass
class SearchQuery:
    text: str = ""  # free text, English or Chinese; IPC codes/prefixes like "H01M" or "H01M 10/052" work too
    # facet name -> list of accepted values (OR within a facet, AND across facets)
    filters: dict[str, list[str]] = field(default_factory=dict)
    free_only: bool = False
    open_only: bool = False
    price_min_minor: int | None = None  # upfront price range, minor units
    price_max_minor: int | None = None
    sort: str = "relevance"
    page: int = 1  # 1-based
    per_page: int = 20
    facets: bool = True  # compute facet counts
    highlight: bool = True  # compute highlighted snippets for the page's hits


@dataclass
class Hit:
    listing_id: int
    score: float
    title_html: str = ""  # the title with matched terms in <mark>, HTML-escaped otherwise
    snippet_html: str = ""  # a fragment of the abstract/description with <mark>, HTML-escaped otherwise


@dataclass
class SearchResults:
    total: int
    hits: list[Hit]
    # facet name -> [(value, count)] sorted by count desc, only values with count > 0
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    error: str = ""  # a friendly, translated message when the query could not be understood
    page: int = 1
    per_page: int = 20
    # No listing has every word (and IPC code) of the query: the hits have some of them, those with the most
    # first. ``words`` are the query's words as typed (one per word matched), for telling the user.
    partial: bool = False
    words: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --- tuning -------------------------------------------------------------------------------
MAX_QUERY_CHARS = 500  # longer queries are cut
MAX_TERMS = 24  # words (and IPC codes) beyond this are ignored
MAX_PER_PAGE = 100
MAX_RESULT_WINDOW = 10_000  # page * per_page beyond this gives an empty page
TITLE_BOOST = 3.0
BM25_K1, BM25_B = 1.2, 0.75
IPC_SCORE = 2.0  # what matching an IPC prefix adds to the score
SNIPPET_SOURCE_CHARS = 400  # stored per document for snippets
SNIPPET_CHARS = 220
WORD_CACHE_POSTINGS = 1_000_000  # LRU budget of the per-index-version word cache (≈ 100 bytes each)
SEGMENT_WORD_CACHE_POSTINGS = 3_000_000  # LRU budget of the per-segment word cache (12 bytes each)
BUILD_CHUNK = 1000  # listings per database read while indexing
BUILD_LIMITMB = 128  # Whoosh posting pool per writer process
PARALLEL_BUILD_MIN = 4000  # fork worker processes only for builds at least this big
TEXT_FIELDS = (("title_en", TITLE_BOOST), ("body_en", 1.0), ("title_zh", TITLE_BOOST), ("body_zh", 1.0))
_ZH_FIELDS = TEXT_FIELDS[2:]
_MISSING = object()

# --- text analysis -------------------------------------------------------------------------
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ACCEPTED_ZH = re.compile(r"[\u4E00-\u9FD5]+")  # as jieba.analyse.analyzer
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_init_lock = threading.Lock()
_opencc = None
_jieba_ready = False


def has_han(text: str) -> bool:
    return bool(text) and _HAN.search(text) is not None


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (OpenCC t2s); text without Han characters is returned as is."""
    global _opencc
    if not has_han(text):
        return text
    if _opencc is None:
        with _init_lock:
            if _opencc is None:
                import opencc

                _opencc = opencc.OpenCC("t2s")
    return _opencc.convert(text)


def _jieba():
    """jieba, with its dictionary cache in VAR_DIR/cache (not /tmp). The dictionary loads on first use."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _init_lock:
            if not _jieba_ready:
                cache_dir = Path(getattr(settings, "VAR_DIR", Path(settings.SEARCH_INDEX_DIR).parent)) / "cache"
                try:
                    cache_dir.mkdir(parents=True, exist_ok=True)
                    jieba.dt.tmp_dir = str(cache_dir)
                except OSError:  # read-only VAR_DIR: fall back to jieba's default
                    pass
                jieba.setLogLevel(logging.WARNING)
                _jieba_ready = True
    return jieba


class ChineseTokenizer(_wa.Tokenizer):
    """jieba's whoosh tokenizer (``jieba.analyse.ChineseAnalyzer``), defined here because importing
    ``jieba.analyse`` also loads jieba's TF-IDF table: +1 s and +137 MB per process, unused here.
    Uses ``jieba.tokenize(mode="search")``: overlapping sub-words (锂离子 → 离子, 锂离子)."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = _wa.Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for word, start, end in _jieba().tokenize(value, mode="search"):
            if len(word) <= 1 and not _ACCEPTED_ZH.match(word):
                continue
            token.original = token.text = word
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + start
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


ZH_STOP_WORDS = frozenset(_wa.STOP_WORDS | {"的", "了", "和"})


def english_analyzer():
    return _wa.StemmingAnalyzer()


def chinese_analyzer():
    return (ChineseTokenizer() | _wa.LowercaseFilter() | _wa.StopFilter(stoplist=ZH_STOP_WORDS, minsize=1)
            | _wa.StemFilter(ignore=None, cachesize=50000))


_EN = english_analyzer()
_ZH = chinese_analyzer()


def _codec():
    """Whoosh's codec with uncompressed posting blocks of up to 512 postings: blocks are read whole by
    ``_postings`` (zlib and per-block overhead were a third of the cost of a cold word)."""
    from whoosh.codec.whoosh3 import W3Codec

    return W3Codec(blocklimit=512, compression=0)


def _writer_options() -> dict:
    # Separate segment files, not one compound file: a compound segment is read by copying each of its
    # parts into memory (the whole index, ~95 MB at 100,000 listings, in every process).
    return {"codec": _codec(), "compound": False}


def make_schema():
    en, zh = english_analyzer(), chinese_analyzer()
    return _wfields.Schema(
        id=_wfields.ID(unique=True),
        title_en=_wfields.TEXT(analyzer=en, phrase=False),
        body_en=_wfields.TEXT(analyzer=en, phrase=False),
        title_zh=_wfields.TEXT(analyzer=zh, phrase=False),
        body_zh=_wfields.TEXT(analyzer=zh, phrase=False),
        ipc=_wfields.KEYWORD(lowercase=True),
        fx=_wfields.COLUMN(_wcolumns.VarBytesColumn()),
        st=_wfields.STORED(),
    )


# --- documents -----------------------------------------------------------------------------
_SEP = "\x1f"
_LICENCE_FLAGS = (
    ("offers_exclusive", "exclusive"), ("offers_sole", "sole"), ("offers_non_exclusive", "non_exclusive"),
    ("offers_assignment", "assignment"),
)
_LISTING_COLUMNS = (
    "pk", "title", "description", "fee_model", "open_licence", "offers_exclusive", "offers_sole",
    "offers_non_exclusive", "offers_assignment", "upfront_price_minor", "published_at", "owner__kind",
    "owner__province",
)
_PATENT_COLUMNS = (
    "listing_id", "patent__title", "patent__abstract", "patent__claims", "patent__applicants", "patent__ipc_codes",
)


def ipc_token(code: str) -> str:
    """``H01M 10/052`` → ``h01m10/052`` (the form indexed in the ``ipc`` field)."""
    return code.replace(" ", "").lower()


def _make_doc(row, patents) -> dict:
    from listings.models import price_band

    (pk, title, description, fee, open_licence, o_excl, o_sole, o_nonex, o_assign, price, published_at,
     owner_kind, province) = row
    title = title or ""
    en_body, zh_body, snippet_parts, codes = [], [], [], []

    def put(text):
        if text:
            (zh_body if has_han(text) else en_body).append(text)

    put(description)
    if description:
        snippet_parts.append(description)
    for p_title, abstract, claims, applicants, ipc_codes in patents:
        if p_title and p_title != title:
            put(p_title)
        put(abstract)
        put(claims)
        put(applicants)
        if abstract:
            snippet_parts.append(abstract)
        for code in ipc_codes or ():
            if code not in codes:
                codes.append(code)
    kinds = ",".join(name for (_flag, name), offered in zip(_LICENCE_FLAGS, (o_excl, o_sole, o_nonex, o_assign))
                     if offered)
    price = int(price or 0)
    published = int(published_at.timestamp()) if published_at else 0
    packed = _SEP.join((fee or "", owner_kind or "", province or "", "yes" if open_licence else "no",
                        price_band(price), kinds, ";".join(codes), str(published), str(price), str(pk)))
    snippet = " … ".join(snippet_parts)[:SNIPPET_SOURCE_CHARS]
    doc = {"id": str(pk), "fx": packed.encode("utf-8"), "st": {"l": pk, "t": title, "s": snippet}}
    if has_han(title):
        doc["title_zh"] = to_simplified(title)
    elif title:
        doc["title_en"] = title
    if en_body:
        doc["body_en"] = "\n".join(en_body)
    if zh_body:
        doc["body_zh"] = to_simplified("\n".join(zh_body))
    if codes:
        doc["ipc"] = " ".join(ipc_token(c) for c in codes)
    return doc


def _iter_docs(**listing_filter):
    """Documents of the browsable listings matching ``listing_filter`` (e.g. ``pk__in`` or a pk range).

    Two queries: listings with their owner's facets, then every (listing, patent text) pair."""
    from listings.models import Listing

    rows = list(Listing.objects.browsable().filter(**listing_filter).order_by("pk").values_list(*_LISTING_COLUMNS))
    if not rows:
        return
    through = Listing.patents.through.objects
    if "pk__in" in listing_filter:
        links = through.filter(listing_id__in=[r[0] for r in rows])
    else:
        links = through.filter(listing_id__gte=rows[0][0], listing_id__lte=rows[-1][0])
    patents = defaultdict(list)
    for lid, *pat in links.order_by("listing_id", "id").values_list(*_PATENT_COLUMNS):
        patents[lid].append(pat)
    for row in rows:
        yield row[0], _make_doc(row, patents.get(row[0], ()))


# --- index storage: generations and the CURRENT pointer --------------------------------------
_CURRENT = "CURRENT"
_REBUILDING = "REBUILDING"
_PENDING = "PENDING"
_ADMIN_LOCK = "admin.lock"
_REBUILD_FILE_LOCK = "rebuild.lock"
_WRITE_LOCK = threading.Lock()  # one writer per process (Whoosh's file lock covers other processes)
_REBUILD_LOCK = threading.Lock()


def _base_dir() -> Path:
    return Path(settings.SEARCH_INDEX_DIR)


@contextmanager
def _file_lock(path: Path):
    """An exclusive ``flock`` on ``path`` (between processes, and between threads: each opens the file)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _admin_lock(base: Path):
    """A short cross-process lock around the CURRENT/REBUILDING/PENDING bookkeeping."""
    return _file_lock(base / _ADMIN_LOCK)


_current_cache: dict[str, tuple] = {}


def _read_current(base: Path) -> Path | None:
    path = os.path.join(base, _CURRENT)
    try:
        st = os.stat(path)
        stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
        cached = _current_cache.get(path)
        if cached is not None and cached[0] == stamp:
            name = cached[1]
        else:
            with open(path) as handle:
                name = handle.read().strip()
            _current_cache[path] = (stamp, name)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not name or "/" in name or not (base / name).is_dir():
        return None
    return base / name


def _write_current(base: Path, gen_dir: Path) -> None:
    tmp = base / f".{_CURRENT}.{os.getpid()}.{secrets.token_hex(4)}"
    with open(tmp, "w") as handle:
        handle.write(gen_dir.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, base / _CURRENT)
    try:
        fd = os.open(base, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _new_generation(base: Path) -> Path:
    gen_dir = base / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    gen_dir.mkdir(parents=True)
    _windex.create_in(str(gen_dir), make_schema())
    return gen_dir


def _current_or_create(base: Path) -> Path:
    """The live generation, creating an empty one when there is none (caller holds the admin lock)."""
    gen_dir = _read_current(base)
    if gen_dir is None:
        gen_dir = _new_generation(base)
        _write_current(base, gen_dir)
    return gen_dir


def _open_writer(ix, timeout: float = 60.0):
    from whoosh.index import LockError

    deadline = time.monotonic() + timeout
    while True:
        try:
            return ix.writer(timeout=1.0, delay=0.05, limitmb=32, **_writer_options())
        except LockError:
            if time.monotonic() > deadline:
                raise


# --- writing ---------------------------------------------------------------------------------
def update_listings(listing_ids: list[int]) -> None:
    """Index the browsable listings among ``listing_ids`` and delete the others from the index.

    Thread- and process-safe (one writer at a time, waiting for the lock); creates the index when there is
    none. The database is read while holding the writer lock, so the last writer indexes the latest state."""
    ids = sorted({int(i) for i in listing_ids})
    if not ids:
        return
    base = _base_dir()
    with _WRITE_LOCK:
        with _admin_lock(base):
            gen_dir = _current_or_create(base)
            if (base / _REBUILDING).exists():
                with open(base / _PENDING, "a") as handle:
                    handle.write("".join(f"{i}\n" for i in ids))
        _write_to(gen_dir, ids)


def _write_to(gen_dir: Path, ids: list[int]) -> None:
    ix = _windex.open_dir(str(gen_dir))
    writer = _open_writer(ix)
    try:
        docs = {}
        for start in range(0, len(ids), 500):
            docs.update(_iter_docs(pk__in=ids[start:start + 500]))
        for i in ids:
            writer.delete_by_term("id", str(i))
            if i in docs:
                writer.add_document(**docs[i])
        writer.commit()
    except BaseException:
        writer.cancel()
        raise


def rebuild_index(progress=None) -> int:
    """Index every browsable listing into a new generation, swap it in atomically, return the count.

    ``progress(done, total)`` is called now and then. Builds of at least ``PARALLEL_BUILD_MIN`` listings
    run in two forked processes (one Whoosh segment each), so call this from a command or a task worker, not
    from a threaded web process. Readers keep using the old generation until the swap; updates made
    meanwhile are replayed on the new one. On failure the old index stays live and the error is raised."""
    from django.db import connections

    from listings.models import Listing

    base = _base_dir()
    base.mkdir(parents=True, exist_ok=True)
    with _REBUILD_LOCK, _file_lock(base / _REBUILD_FILE_LOCK):  # one rebuild at a time, across processes
        with _admin_lock(base):
            (base / _REBUILDING).write_text(f"{os.getpid()} {time.time():.0f}\n")
            (base / _PENDING).write_text("")
        gen_dir = None
        try:
            gen_dir = _new_generation(base)
            ids = list(Listing.objects.browsable().order_by("pk").values_list("pk", flat=True))
            total = len(ids)
            chunks = [(ids[i], ids[min(i + BUILD_CHUNK, total) - 1]) for i in range(0, total, BUILD_CHUNK)]
            if progress:
                progress(0, total)
            procs = min(2, os.cpu_count() or 1)
            if total >= PARALLEL_BUILD_MIN and procs > 1 and hasattr(os, "fork"):
                if any(has_han(t) for t in Listing.objects.browsable().values_list("title", flat=True)[:2000]):
                    _jieba().initialize()  # once here, shared copy-on-write by the workers
                for alias in connections:
                    connections[alias].close()
                count = _build_parallel(gen_dir, chunks, procs, total, progress)
            else:
                count = _build_serial(gen_dir, chunks, total, progress)
            with _admin_lock(base):
                _write_current(base, gen_dir)
                pending = (base / _PENDING).read_text().split()
                (base / _PENDING).unlink(missing_ok=True)
                (base / _REBUILDING).unlink(missing_ok=True)
        except BaseException:
            with _admin_lock(base):
                (base / _REBUILDING).unlink(missing_ok=True)
                (base / _PENDING).unlink(missing_ok=True)
            if gen_dir is not None and _read_current(base) != gen_dir:
                shutil.rmtree(gen_dir, ignore_errors=True)
            raise
    if pending:
        update_listings([int(i) for i in pending])
    _remove_old_generations(base, keep=gen_dir)
    return count


def _build_serial(gen_dir: Path, chunks, total, progress) -> int:
    ix = _windex.open_dir(str(gen_dir))
    writer = ix.writer(limitmb=BUILD_LIMITMB, **_writer_options())
    count = 0
    try:
        for lo, hi in chunks:
            for _pk, doc in _iter_docs(pk__gte=lo, pk__lte=hi):
                writer.add_document(**doc)
                count += 1
            if progress:
                progress(min(count, total), total)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return count


def _build_parallel(gen_dir: Path, chunks, procs: int, total: int, progress) -> int:
    """Fork ``procs`` workers; each reads its share of the chunks from the database and writes one Whoosh
    segment (no lock: the parent holds it), then sends back the segment object. The parent commits a TOC
    listing all segments — the same thing ``MpWriter(multisegment=True)`` does, without piping every
    document through the parent."""
    import selectors

    from whoosh.writing import SegmentWriter

    ix = _windex.open_dir(str(gen_dir))
    parent = SegmentWriter(ix)
    workers = []
    try:
        for p in range(procs):
            share = chunks[p::procs]
            if not share:
                continue
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # child
                os.close(read_fd)
                _worker(ix, share, write_fd)  # never returns
            os.close(write_fd)
            workers.append((pid, read_fd))
        segments, done, errors = [], 0, []
        buffers = {fd: b"" for _pid, fd in workers}
        selector = selectors.DefaultSelector()
        for _pid, fd in workers:
            selector.register(fd, selectors.EVENT_READ)
        open_fds = len(workers)
        while open_fds:
            for key, _ in selector.select():
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    selector.unregister(key.fd)
                    open_fds -= 1
                    continue
                buffers[key.fd] += chunk
                # messages: b"P" + 4-byte count, or b"S"/b"E" + 4-byte length + payload
                buf = buffers[key.fd]
                while len(buf) >= 5:
                    kind, size = buf[:1], struct.unpack(">I", buf[1:5])[0]
                    if kind == b"P":
                        done += size
                        buf = buf[5:]
                        if progress:
                            progress(min(done, total), total)
                        continue
                    if len(buf) < 5 + size:
                        break
                    payload, buf = buf[5:5 + size], buf[5 + size:]
                    if kind == b"S":
                        segments.append(pickle.loads(payload))
                    else:
                        errors.append(payload.decode("utf-8", "replace"))
                buffers[key.fd] = buf
        selector.close()
        for pid, fd in workers:
            os.close(fd)
            _pid, status = os.waitpid(pid, 0)
            if status != 0 and not errors:
                errors.append(f"index worker {pid} exited with status {status}")
        workers = []
        if errors:
            raise RuntimeError("rebuilding the search index failed:\n" + "\n".join(errors))
        parent._close_segment()
        parent._commit_toc([s for s in segments if s.doc_count_all()])
        parent._finish()
        return sum(s.doc_count_all() for s in segments)
    except BaseException:
        for pid, fd in workers:
            try:
                os.kill(pid, 15)
                os.waitpid(pid, 0)
            except OSError:
                pass
        if not parent.is_closed:
            parent.cancel()
        raise


def _worker(ix, share, write_fd) -> None:
    import traceback

    from whoosh.writing import SegmentWriter

    import random

    random.seed()  # segment and temp file names come from `random`
    status = 1
    try:
        writer = SegmentWriter(ix, _lk=False, limitmb=BUILD_LIMITMB, **_writer_options())
        for lo, hi in share:
            n = 0
            for _pk, doc in _iter_docs(pk__gte=lo, pk__lte=hi):
                writer.add_document(**doc)
                n += 1
            os.write(write_fd, b"P" + struct.pack(">I", n))
        payload = pickle.dumps(writer._finalize_segment())
        _write_all(write_fd, b"S" + struct.pack(">I", len(payload)) + payload)
        status = 0
    except BaseException:
        message = traceback.format_exc().encode("utf-8")
        try:
            _write_all(write_fd, b"E" + struct.pack(">I", len(message)) + message)
        except OSError:
            pass
    finally:
        os._exit(status)


def _write_all(fd, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _remove_old_generations(base: Path, keep: Path) -> None:
    """Delete generations older than the one before ``keep`` (that one may still be read elsewhere)."""
    gens = sorted((p for p in base.glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    older = [p for p in gens if p != keep]
    for stale in older[:-1]:
        shutil.rmtree(stale, ignore_errors=True)


# --- reading: per-process state --------------------------------------------------------------
_LOCK = threading.RLock()  # searches in one process take turns (the work is CPU-bound under the GIL anyway)
_BYTE_TO_LENGTH = None
_segment_cache: dict[tuple[str, str], "_SegmentData"] = {}


def _byte_to_length_table():
    global _BYTE_TO_LENGTH
    if _BYTE_TO_LENGTH is None:
        from whoosh.util.numeric import byte_to_length

        _BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]
    return _BYTE_TO_LENGTH


# Facets are counted per *group*: each document has one key per group (the group's values together), so a
# result set is counted with one C-level ``Counter`` pass per group, then each distinct key adds its values.
# Few keys exist per group (terms ≈ 100, owner ≈ 150, IPC ≈ distinct code lists), which keeps that loop short.
_GROUPS = ("terms", "owner", "ipc")


def _group_keys(values: list[str]) -> tuple:
    """The packed ``fx`` values → (terms key, owner key, ipc key)."""
    return (values[0], values[3], values[4], values[5]), (values[1], values[2]), values[6]


def _expand_key(group: str, key) -> tuple:
    """A group key → its (facet, value) pairs."""
    if group == "terms":
        fee, open_licence, band, kinds = key
        pairs = [("open_licence", open_licence), ("price_band", band)]
        if fee:
            pairs.append(("fee_model", fee))
        pairs.extend(("licence_kinds", kind) for kind in kinds.split(",") if kind)
        return tuple(pairs)
    if group == "owner":
        kind, province = key
        return tuple(pair for pair in (("owner_kind", kind), ("province", province)) if pair[1])
    return _expand_codes(key)


_FACET_GROUP = {"fee_model": "terms", "open_licence": "terms", "price_band": "terms", "licence_kinds": "terms",
                "owner_kind": "owner", "province": "owner", "ipc_section": "ipc", "ipc_class": "ipc",
                "ipc_subclass": "ipc", "ipc_main_group": "ipc"}


class _SegmentData:
    """Decoded per-document data of one Whoosh segment (immutable, so shared across index versions)."""

    def __init__(self, reader):
        n = reader.doc_count_all()
        self.n = n
        column = reader.column_reader("fx", translate=False)
        key_ids = [{} for _g in _GROUPS]
        self.keys = [[] for _g in _GROUPS]  # per group: the distinct keys in this segment
        self.doc_keys = [[] for _g in _GROUPS]  # per group, per document: index into keys
        self.pub, self.price = [], []
        self.lid = array("q")  # listing id per document (0: an index written before ids were packed in fx)
        self.missing = set()  # documents without data (never expected; treated as deleted)
        for local, raw in enumerate(map(column.__getitem__, range(n))):
            values = bytes(raw).decode("utf-8").split(_SEP) if raw else None
            if not values or len(values) < 9:
                self.missing.add(local)
                values = ["", "", "", "no", "none", "", "", "0", "0"]
            for g, key in enumerate(_group_keys(values)):
                ids = key_ids[g]
                kid = ids.get(key)
                if kid is None:
                    kid = ids[key] = len(self.keys[g])
                    self.keys[g].append(key)
                self.doc_keys[g].append(kid)
            self.pub.append(int(values[7]))
            self.price.append(int(values[8]))
            self.lid.append(int(values[9]) if len(values) > 9 else 0)
        self.lengths = {name: _length_bytes(reader, name, n) for name, _boost in TEXT_FIELDS}
        title_zh, body_zh = self.lengths["title_zh"], self.lengths["body_zh"]
        self.zh_docs = array("i", (d for d in range(n) if title_zh[d] or body_zh[d]))  # documents with Chinese text


def _length_bytes(reader, fieldname, n) -> bytes:
    """The per-document length bytes (Whoosh's 1-byte log encoding) of a field, read in one go."""
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        col = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if col is None:
            return bytes(n)
        raw = bytes(col._dbfile.get(col._basepos, col._count)) if col._count else b""
        return raw + bytes(n - len(raw))
    except AttributeError:  # another codec: the slow, public way
        from whoosh.util.numeric import length_to_byte

        return bytes(length_to_byte(reader.doc_field_length(i, fieldname, 0) or 0) for i in range(n))


class _State:
    """Everything a search needs from one version of the index, built once per version per process."""

    def __init__(self, gen_dir: Path, ix):
        self.gen_dir = gen_dir
        self.ix = ix
        self.toc_generation = ix.latest_generation()
        self.searcher = ix.searcher()
        reader = self.searcher.reader()
        self.reader = reader
        leaves = [(r, o) for r, o in reader.leaf_readers() if r.doc_count_all() and r.segment() is not None]
        self.leaves = []
        key_ids = [{} for _g in _GROUPS]
        self.keys = [[] for _g in _GROUPS]  # per group: distinct keys
        self.doc_keys = [[] for _g in _GROUPS]  # per group, per docnum: index into keys
        pub, price, live, lid = [], [], set(), array("q")
        lengths = {name: [] for name, _b in TEXT_FIELDS}
        for seg_reader, offset in leaves:  # per-segment data is cached: an update only decodes its segment
            key = (str(gen_dir), seg_reader.segment().segment_id())
            data = _segment_cache.get(key)
            if data is None:
                data = _segment_cache[key] = _SegmentData(seg_reader)
            deleted = frozenset(seg_reader.segment().deleted_docs()) if seg_reader.has_deletions() else frozenset()
            self.leaves.append((seg_reader, offset, deleted, key, data))
            for name in lengths:
                lengths[name].append(data.lengths[name])
            for g in range(len(_GROUPS)):
                remap, ids, keys = [], key_ids[g], self.keys[g]
                for key in data.keys[g]:
                    if key not in ids:
                        ids[key] = len(keys)
                        keys.append(key)
                    remap.append(ids[key])
                self.doc_keys[g].extend(map(remap.__getitem__, data.doc_keys[g]))
            pub.extend(data.pub)
            price.extend(data.price)
            lid.extend(data.lid)
            live.update(range(offset, offset + data.n))
            dead = deleted | data.missing
            if dead:
                live.difference_update(offset + d for d in dead)
        self.pub, self.price, self.lid = pub, price, lid
        self.live = frozenset(live)
        self.n_live = len(self.live)
        self.avg_length = {}
        for name, _b in TEXT_FIELDS:
            docs = sum(len(part) - part.count(0) for part in lengths[name]) or 1  # documents having the field
            self.avg_length[name] = max(1.0, reader.field_length(name) / docs)
        self.n_docs = reader.doc_count_all()
        self.expansions = [[None] * len(keys) for keys in self.keys]
        self._orders: dict[str, list[int]] = {}
        self._filter_cache: OrderedDict = OrderedDict()
        self._all_facets = None
        self.words: OrderedDict = OrderedDict()
        self.words_postings = 0
        self.best_impacts: dict[str, float] = {}  # word -> its highest impact (TermIndex.best_impact)
        self.dfs: dict[str, int] = {}  # word -> document frequency
        self._n_live_zh: int | None = None

    def close(self):
        try:
            self.searcher.close()
        except Exception:  # pragma: no cover - closing a reader of a deleted generation
            pass

    # -- sorting orders
    def order(self, sort: str) -> list[int]:
        """Live docnums in ``sort`` order (newest first; price up/down, newest first among equal prices)."""
        cached = self._orders.get(sort)
        if cached is None:
            pub, price = self.pub, self.price
            docs = sorted(self.live, key=lambda d: (-pub[d], -d))
            if sort == "price_asc":
                docs.sort(key=price.__getitem__)
            elif sort == "price_desc":
                docs.sort(key=price.__getitem__, reverse=True)
            cached = self._orders[sort] = docs
        return cached

    def rank(self, sort: str) -> list[int]:
        key = "rank:" + sort
        cached = self._orders.get(key)
        if cached is None:
            cached = [0] * len(self.pub)
            for position, d in enumerate(self.order(sort)):
                cached[d] = position
            self._orders[key] = cached
        return cached

    def expansion(self, g: int, kid: int) -> tuple:
        exp = self.expansions[g][kid]
        if exp is None:
            exp = self.expansions[g][kid] = _expand_key(_GROUPS[g], self.keys[g][kid])
        return exp

    # -- words
    def word(self, text: str) -> dict:
        """{docnum: BM25 impact} of an (analysed) word over the text fields, LRU-cached.

        Built from per-segment entries (``_segment_word``) that outlive index versions, so after an update
        only the new segment is read and the big ones are merged back in (a few ms for a common word)."""
        hit = self.words.get(text)
        if hit is not None:
            self.words.move_to_end(text)
            return hit
        fields = _ZH_FIELDS if has_han(text) else TEXT_FIELDS  # Latin words also occur in Chinese text
        parts, df = [], defaultdict(int)
        for leaf in self.leaves:
            entry = _segment_words.get((leaf[3], text), _MISSING)
            if entry is _MISSING:  # not read yet: look the term up in each field (its df is needed first)
                infos = {name: info for name, _boost in fields
                         if (info := _term_info(leaf[0], name, text)) is not None}
                for name, info in infos.items():
                    df[name] += info.doc_frequency()
                parts.append((leaf, None, infos))
            elif entry is not None:
                for name, count in entry[2].items():
                    df[name] += count
                parts.append((leaf, entry, None))
        n = max(1, self.n_live)
        idfs = {name: max(0.05, math.log(1.0 + (n - count + 0.5) / (count + 0.5))) for name, count in df.items()}
        impacts: dict = {}
        for (seg_reader, offset, deleted, seg_key, data), entry, infos in parts:
            if entry is None:  # read it now; use the fresh {local docnum: impact} dict directly
                fresh = _segment_word(seg_reader, seg_key, data, text, infos, idfs, self.avg_length)
                if fresh is None:
                    continue
                if not offset and not impacts:
                    impacts = fresh
                else:
                    impacts.update(zip(map(offset.__add__, fresh), fresh.values()))
            else:
                ids, values, _df = entry
                impacts.update(zip(map(offset.__add__, ids) if offset else ids, values))
            for docnum in deleted:
                impacts.pop(offset + docnum, None)
        self.words[text] = impacts
        self.words_postings += len(impacts) + 1
        while self.words_postings > WORD_CACHE_POSTINGS and len(self.words) > 1:
            _old, evicted = self.words.popitem(last=False)
            self.words_postings -= len(evicted) + 1
        return impacts

    def ipc_prefix(self, prefix: str) -> dict:
        key = "\x00ipc:" + prefix
        hit = self.words.get(key)
        if hit is not None:
            return hit
        docs = set()
        for sr, off, deleted, _key, _data in self.leaves:
            try:
                terms = list(sr.expand_prefix("ipc", prefix))
            except Exception:
                terms = []
            for term in terms:
                term = term.decode("utf-8") if isinstance(term, bytes) else term
                found = _postings(sr, "ipc", term, deleted)
                if found:
                    docs.update(d + off for d in found[0])
        impacts = dict.fromkeys(docs, IPC_SCORE)
        self.words[key] = impacts
        self.words_postings += len(impacts) + 1
        return impacts

    def doc_frequency(self, text: str) -> int:
        """Postings of the word over the text fields: documents having it, a document with it in both its title
        and its body counted twice (Whoosh's per-field document frequencies summed; memoised for this
        version — a look-up costs ~70 µs)."""
        df = self.dfs.get(text)
        if df is None:
            if len(self.dfs) > WORD_CACHE_POSTINGS:
                self.dfs.clear()
            df = self.dfs[text] = sum(self.reader.doc_frequency(name, text) for name, _b in TEXT_FIELDS)
        return df

    @property
    def n_live_zh(self) -> int:
        """Live documents with Chinese text (counted once per version, from the per-segment lists)."""
        if self._n_live_zh is None:
            count = 0
            for _reader, _offset, deleted, _key, data in self.leaves:
                dead = deleted | data.missing
                count += sum(1 for d in data.zh_docs if d not in dead) if dead else len(data.zh_docs)
            self._n_live_zh = count
        return self._n_live_zh

    def listing_id(self, docnum: int) -> int:
        """The listing id of a document: from the decoded ``fx`` column, or its stored fields (older indexes)."""
        lid = self.lid[docnum] if docnum < len(self.lid) else 0
        if not lid:
            lid = int((self.reader.stored_fields(docnum).get("st") or {}).get("l", 0))
        return lid

    # -- filters
    def filter_set(self, facet: str, values: frozenset) -> frozenset:
        key = (facet, values)
        hit = self._filter_cache.get(key)
        if hit is not None:
            self._filter_cache.move_to_end(key)
            return hit
        g = _GROUPS.index(_FACET_GROUP[facet])
        ok = {kid for kid in range(len(self.keys[g]))
              if any(f == facet and v in values for f, v in self.expansion(g, kid))}
        doc_keys = self.doc_keys[g]
        docs = frozenset(d for d in self.live if doc_keys[d] in ok)
        self._filter_cache[key] = docs
        if len(self._filter_cache) > 16:
            self._filter_cache.popitem(last=False)
        return docs

    def price_set(self, low, high) -> set:
        price = self.price
        low = -1 if low is None else low
        high = float("inf") if high is None else high
        return {d for d in self.live if low <= price[d] <= high}

    # -- facets
    def count_facets(self, docs) -> dict:
        if docs is self.live and self._all_facets is not None:
            return self._all_facets
        counts = defaultdict(int)
        for g, doc_keys in enumerate(self.doc_keys):
            expansions = self.expansions[g]
            for kid, n in Counter(map(doc_keys.__getitem__, docs)).items():
                pairs = expansions[kid]
                if pairs is None:
                    pairs = self.expansion(g, kid)
                for pair in pairs:
                    counts[pair] += n
        result = {name: [] for name in FACETS}
        for (facet, value), n in counts.items():
            result[facet].append((value, n))
        for values in result.values():
            values.sort(key=lambda vn: (-vn[1], vn[0]))
        if docs is self.live:
            self._all_facets = result
        return result


_IPC_FACETS = ("ipc_section", "ipc_class", "ipc_subclass", "ipc_main_group")


def _expand_codes(packed: str) -> tuple:
    """``"H01M 10/052;H01M 4/13"`` → distinct (facet, value) pairs of the four IPC levels."""
    from listings.numbers import normalise_ipc

    pairs = []
    for code in packed.split(";") if packed else ():
        try:
            parsed = normalise_ipc(code)
        except ValueError:
            continue
        for pair in (("ipc_section", parsed.section), ("ipc_class", parsed.ipc_class),
                     ("ipc_subclass", parsed.subclass), ("ipc_main_group", parsed.main_group)):
            if pair[1] and pair not in pairs:
                pairs.append(pair)
    return tuple(pairs)


_segment_words: OrderedDict = OrderedDict()  # (segment key, word) -> (local docnums, impacts) or None
_segment_words_size = [0]


def _segment_word(seg_reader, seg_key, data, text, infos, idfs, avg_length):
    """{local docnum: impact} of a word in one segment (deleted documents included), or None.

    Also cached per segment — segments never change — as (array of docnums, array of impacts, {field: df}),
    with the idf of the index version that first asked (later updates move it by a hair)."""
    combined = None
    dfs = {}
    for name, boost in TEXT_FIELDS:
        info = infos.get(name)
        found = _postings(seg_reader, name, text, None, info) if info is not None else None
        if not found:
            continue
        ids, weights = found
        dfs[name] = len(ids)
        shape = _bm25_shape(avg_length[name])
        lbytes = map(data.lengths[name].__getitem__, ids)  # length byte of each document
        if weights is None:  # every term frequency is 1: row 1 of the table
            cells = map(add, lbytes, repeat(256))
        else:  # row = term frequency (capped), column = length byte
            row_of = {w: min(_MAX_TF, int(w)) * 256 for w in set(weights)}
            cells = map(add, map(row_of.__getitem__, weights), lbytes)
        values = list(map(mul, map(shape.__getitem__, cells), repeat(boost * idfs[name])))
        if combined is None:
            combined = dict(zip(ids, values))
        else:
            get = combined.get
            combined.update(zip(ids, map(add, map(get, ids, repeat(0.0)), values)))
    entry = None if combined is None else (array("i", combined.keys()), array("d", combined.values()), dfs)
    key = (seg_key, text)
    _segment_words[key] = entry
    _segment_words_size[0] += 1 + (len(entry[0]) if entry else 0)
    while _segment_words_size[0] > SEGMENT_WORD_CACHE_POSTINGS and len(_segment_words) > 1:
        _drop_segment_word(next(iter(_segment_words)))
    return combined


_MAX_TF = 32  # BM25 saturates long before: higher term frequencies count as 32
_shapes: dict[float, list] = {}


def _bm25_shape(avg: float) -> list:
    """BM25's tf × length factor for every (term frequency ≤ 32, Whoosh length byte), flattened
    (index = tf * 256 + byte), for one average field length: impacts become table look-ups."""
    table = _shapes.get(avg)
    if table is None:
        b2l = _byte_to_length_table()
        k1, b = BM25_K1, BM25_B
        norms = [k1 * (1 - b + b * b2l[lb] / avg) for lb in range(256)]
        table = [tf * (k1 + 1) / (tf + norm) for tf in range(_MAX_TF + 1) for norm in norms]
        if len(_shapes) > 64:
            _shapes.clear()
        _shapes[avg] = table
    return table


def _term_info(seg_reader, fieldname, text):
    """Whoosh's TermInfo (document frequency, where the postings are) of a term in one segment, or None."""
    try:
        return seg_reader.term_info(fieldname, text)
    except Exception:  # TermNotFound
        return None


def _drop_segment_word(key) -> None:
    entry = _segment_words.pop(key)
    _segment_words_size[0] -= 1 + (len(entry[0]) if entry else 0)


def _postings(seg_reader, fieldname, text, deleted, terminfo=None):
    """(local docnums, weights or None when all are 1) of a term in one segment, or None.

    Reads Whoosh's posting blocks directly (ids are delta-coded in each block): about 3× faster than
    iterating a matcher. Falls back to the public matcher API for other codecs."""
    try:
        if terminfo is None:
            terminfo = seg_reader.term_info(fieldname, text)
        postfile = seg_reader._terms._postfile
    except AttributeError:
        try:
            if (fieldname, text) not in seg_reader:
                return None
            matcher = seg_reader.postings(fieldname, text)
        except Exception:
            return None
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return (ids, weights) if ids else None
    except Exception:  # TermNotFound and friends
        return None
    from whoosh.codec.whoosh3 import W3LeafMatcher

    if terminfo.is_inlined():
        ids, weights, _values = terminfo.inlined_postings()
        ids, weights = list(ids), list(weights)
        if all(w == 1.0 for w in weights):
            weights = None
    else:
        offset, length = terminfo.extent()
        matcher = W3LeafMatcher(postfile, offset, length, seg_reader.schema[fieldname].format)
        ids, weights, ones = [], [], True
        while True:
            matcher._read_data()
            data = matcher._data
            ids.extend(accumulate(data[0]))
            w = data[1]
            count = matcher._blocklength
            if w is None:
                weights.extend(repeat(1.0, count))
            elif isinstance(w, float):
                weights.extend(repeat(w, count))
                ones = ones and w == 1.0
            else:
                weights.extend(w)
                ones = False
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
        if ones:
            weights = None
    if deleted:
        if weights is None:
            ids = [d for d in ids if d not in deleted]
        else:
            kept = [(d, w) for d, w in zip(ids, weights) if d not in deleted]
            ids = [d for d, _w in kept]
            weights = [w for _d, w in kept]
    return (ids, weights) if ids else None


class _Holder:
    def __init__(self):
        self.state: _State | None = None
        self.base: Path | None = None


_STATE = _Holder()


def _state() -> _State | None:
    """The state of the live index, reopened when CURRENT or the index's TOC generation changed."""
    base = _base_dir()
    gen_dir = _read_current(base)
    current = _STATE.state
    if gen_dir is None:
        if current is not None:
            current.close()
            _STATE.state = None
        return None
    if current is not None and current.gen_dir == gen_dir and _STATE.base == base:
        try:
            if current.ix.latest_generation() == current.toc_generation:
                return current
        except Exception:  # the generation vanished under us
            pass
    if current is not None:  # its merged word dicts go now (per-segment entries stay): lower peak memory
        current.words.clear()
        current.words_postings = 0
    ix = _windex.open_dir(str(gen_dir))
    state = _State(gen_dir, ix)
    if current is not None:
        current.close()
        live_keys = {leaf[3] for leaf in state.leaves}
        for key in [k for k in _segment_cache if k not in live_keys]:
            del _segment_cache[key]
        for key in [k for k in _segment_words if k[0] not in live_keys]:
            _drop_segment_word(key)
    _STATE.state, _STATE.base = state, base
    return state


# --- query parsing ---------------------------------------------------------------------------
_IPC_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])([A-HYa-hy]\d\d[A-Za-z])(?:\s*(\d{1,4})(?:\s*/\s*(\d{1,6}))?)?(?![0-9A-Za-z])"
)
_RAW_TOKEN = re.compile(r"[^\s\"()\[\]{}]+")
_OPERATORS = {"AND", "OR", "NOT", "&&", "||", "+", "-", "|", "&", "!"}


@dataclass
class _Parsed:
    words: list[str]  # analysed words to match (AND by default)
    ipc: list[str]  # ipc prefixes ("h01m", "h01m10/", "h01m10/052")
    excluded: list[str]  # analysed words that must not match
    any_word: bool = False  # "OR" in the query
    highlight_terms: set = field(default_factory=set)
    surface: dict = field(default_factory=dict)  # analysed word or IPC prefix -> as typed, for messages

    @property
    def empty(self) -> bool:
        return not (self.words or self.ipc or self.excluded)


def _ipc_prefix(match) -> str:
    from listings.numbers import normalise_ipc

    sub, group, subgroup = match.group(1).lower(), match.group(2), match.group(3)
    if group is None:
        return sub
    if subgroup is None:
        return f"{sub}{int(group)}/"
    try:
        code = normalise_ipc(f"{sub} {group}/{subgroup}")
    except ValueError:
        return f"{sub}{int(group)}/"
    if code.subgroup == "00":
        return f"{sub}{int(group)}/"  # a main group: everything in it
    return ipc_token(str(code))


def _analyse_word(raw: str) -> list[str]:
    """A raw query token → analysed words (English: stemmed; Chinese: t2s + jieba precise cut)."""
    out = []
    if not has_han(raw):
        return [t.text for t in _EN(raw)]
    position = 0
    for match in _HAN_RUN.finditer(raw):
        if match.start() > position:
            out.extend(t.text for t in _EN(raw[position:match.start()]))
        run = to_simplified(match.group())
        for piece in _jieba().cut(run):  # precise mode; documents hold these words and their sub-words
            if piece and piece not in ZH_STOP_WORDS:
                out.append(piece)
        position = match.end()
    if position < len(raw):
        out.extend(t.text for t in _EN(raw[position:]))
    return out


def _parse(text: str) -> _Parsed:
    text = unicodedata.normalize("NFKC", text or "")[:MAX_QUERY_CHARS]
    text = _CONTROL.sub(" ", text)
    parsed = _Parsed(words=[], ipc=[], excluded=[])
    for match in _IPC_IN_TEXT.finditer(text):
        prefix = _ipc_prefix(match)
        if prefix not in parsed.ipc:
            parsed.ipc.append(prefix)
            parsed.surface[prefix] = " ".join(match.group(0).upper().split())
    text = _IPC_IN_TEXT.sub(" ", text)
    seen = set()
    for raw in _RAW_TOKEN.findall(text):
        if raw in _OPERATORS:
            if raw in ("OR", "||", "|"):
                parsed.any_word = True
            continue
        negative = raw.startswith("-") and len(raw) > 1
        for word in _analyse_word(raw.strip("-+!&|*?~^:.,;")):
            if not word or (word, negative) in seen:
                continue
            seen.add((word, negative))
            (parsed.excluded if negative else parsed.words).append(word)
            if not negative:
                parsed.highlight_terms.add(word)
                parsed.surface.setdefault(word, word if has_han(word) or has_han(raw) else raw.strip("-+!&|*?~^:.,;"))
    budget = MAX_TERMS
    parsed.ipc = parsed.ipc[:budget]
    budget -= len(parsed.ipc)
    parsed.words = parsed.words[:max(0, budget)]
    budget -= len(parsed.words)
    parsed.excluded = parsed.excluded[:max(0, budget)]
    return parsed


def _split_unknown_chinese(state: _State, words: list[str]) -> list[str]:
    """A Chinese word the index does not know (the query was cut differently from the document) is
    replaced by its known sub-words (jieba search mode)."""
    out = []
    for word in words:
        if has_han(word) and len(word) > 2 and state.doc_frequency(word) == 0:
            parts = [p for p in sub_words(word) if state.doc_frequency(p) > 0]
            out.extend(parts or [word])  # all known pieces, AND-ed, is strict enough
        else:
            out.append(word)
    return out


# --- searching -------------------------------------------------------------------------------
def search(query: SearchQuery) -> SearchResults:
    """Run a query. Never raises: problems come back as ``SearchResults.error`` (translated)."""
    page = _clamp_int(query.page, 1, 10**6, 1)
    per_page = _clamp_int(query.per_page, 1, MAX_PER_PAGE, 20)
    for attempt in (1, 2):
        try:
            with _LOCK:
                return _search(query, page, per_page)
        except Exception:
            if attempt == 1 and _STATE.state is not None:
                # e.g. a merge removed segment files under us: reopen the index and try once more
                with _LOCK:
                    _STATE.state.close()
                    _STATE.state = None
                continue
            log.exception("search failed for %r", str(query.text or "")[:200])
        return SearchResults(total=0, hits=[], error=_("Search is not available right now; please try again later."),
                             page=page, per_page=per_page)


def _clamp_int(value, low, high, default):
    try:
        value = int(value)
    except (TypeError, ValueError):
        return default
    return max(low, min(high, value))


def _search(query: SearchQuery, page: int, per_page: int) -> SearchResults:
    state = _state()
    if state is None:
        return SearchResults(total=0, hits=[], error=_("The search index is being built; try again in a minute."),
                             page=page, per_page=per_page)
    parsed = _parse(query.text if isinstance(query.text, str) else "")
    text_given = bool((query.text or "").strip()) if isinstance(query.text, str) else False
    if text_given and parsed.empty:
        return SearchResults(
            total=0, hits=[], page=page, per_page=per_page,
            error=_("Your search has no words we can look for. Try other words, a patent title or an IPC "
                    "code such as H01M."),
        )
    docs, scores, coordination, partial = _match(state, parsed)
    docs = _apply_filters(state, query, docs)
    total = len(docs)
    facets = state.count_facets(docs) if query.facets else {}
    need = page * per_page
    hits: list[Hit] = []
    if need <= MAX_RESULT_WINDOW and total > (page - 1) * per_page:
        sort = query.sort if query.sort in SORTS else "relevance"
        if sort == "relevance" and scores is None:
            sort = "newest"
        top = _top(state, docs, scores, sort, need, coordination)[(page - 1) * per_page:need]
        for docnum, score in top:
            hit = Hit(listing_id=state.listing_id(docnum), score=round(score, 4))
            if query.highlight:
                stored = state.reader.stored_fields(docnum).get("st") or {}
                hit.title_html = highlight(stored.get("t", ""), parsed.highlight_terms)
                hit.snippet_html = highlight(stored.get("s", ""), parsed.highlight_terms, SNIPPET_CHARS)
            hits.append(hit)
    words = [parsed.surface.get(w, w) for w in parsed.words] + [parsed.surface.get(p, p) for p in parsed.ipc]
    return SearchResults(total=total, hits=hits, facets=facets, page=page, per_page=per_page,
                         partial=partial and total > 0, words=words)


def _match(state: _State, parsed: _Parsed):
    """(matching docnums, list of impact dicts or None when nothing is scored, coordination, partial).

    A query is the AND of its words and IPC codes. When no document has them all (``partial``), the documents
    having any of them match instead, and ``coordination`` (docnum → how many of the query's words and codes
    it has) ranks those with more of them first. None when every match has all, and for "OR" queries."""
    coordination, partial = None, False
    if not parsed.words and not parsed.ipc:
        docs = state.live
        scores = None
    else:
        # one group per query word (a Chinese word the index does not know: its known sub-words) or IPC code
        groups = [[state.word(w) for w in _split_unknown_chinese(state, [word])] for word in parsed.words]
        groups += [[state.ipc_prefix(p)] for p in parsed.ipc]
        dicts = [d for group in groups for d in group]
        if parsed.any_word:
            docs = _union(dicts)
        else:
            docs = _intersection(dicts)
            if not docs and len(groups) > 1:
                docs, partial = _union(dicts), True  # nothing has every word: those with most of them, said so
        if partial:
            # only for the fallback: an explicit OR ("a OR b OR c", as matching asks) keeps plain BM25 order,
            # which already rewards having several of the words without letting a frequent one outrank all
            coordination = _coordination(groups)
        scores = dicts
    if parsed.excluded:
        docs = set(docs)
        for word in parsed.excluded:
            docs.difference_update(state.word(word))
    return docs, scores, coordination, partial


def _coordination(groups) -> Counter:
    """docnum → the number of groups (query words) it has; a group of several sub-words counts when the
    document has all of them."""
    counts: Counter = Counter()
    for group in groups:
        counts.update(group[0].keys() if len(group) == 1 else _intersection(group))
    return counts


def _intersection(dicts):
    ordered = sorted(dicts, key=len)
    if not ordered[0]:
        return set()
    found = filter(ordered[1].__contains__, ordered[0]) if len(ordered) > 1 else iter(ordered[0])
    for other in ordered[2:]:
        found = filter(other.__contains__, found)
    return set(found)


def _union(dicts):
    docs = set()
    for d in dicts:
        docs.update(d)
    return docs


def _apply_filters(state: _State, query: SearchQuery, docs):
    sets = []
    filters = dict(query.filters or {})
    if query.free_only:
        filters["fee_model"] = [v for v in filters.get("fee_model", ["free"]) if v == "free"] or ["\x00none"]
    if query.open_only:
        filters["open_licence"] = [v for v in filters.get("open_licence", ["yes"]) if v == "yes"] or ["\x00none"]
    for facet, values in filters.items():
        if facet not in FACETS or values is None:
            continue
        if isinstance(values, str):
            values = [values]
        values = frozenset(str(v) for v in values if v is not None and str(v) != "")
        if not values:
            continue
        sets.append(state.filter_set(facet, values))
    low, high = _price_bound(query.price_min_minor), _price_bound(query.price_max_minor)
    if low is not None or high is not None:
        sets.append(state.price_set(low, high))
    if not sets:
        return docs
    sets.sort(key=len)
    result = set(sets[0]) if docs is state.live else docs & sets[0]  # iterates the smaller of the two
    if not isinstance(result, set):
        result = set(result)
    for other in sets[1:]:
        result.intersection_update(other)
    return result


def _price_bound(value):
    if value is None or value == "":
        return None
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return None


def _top(state: _State, docs, scores, sort: str, need: int, coordination=None) -> list[tuple[int, float]]:
    """The first ``need`` documents in ``sort`` order, with their summed impacts. By relevance, documents
    having more of the query's words (``coordination``, when given) come first, then by summed impacts."""
    if not docs:
        return []
    if sort == "relevance":
        doc_list = list(docs)
        total = None
        for impacts in scores:
            column = map(impacts.get, doc_list, repeat(0.0))
            total = list(column) if total is None else list(map(add, total, column))
        pub = state.pub
        if coordination:
            words = list(map(coordination.__getitem__, doc_list))
            best = heapq.nlargest(need, range(len(doc_list)), key=lambda i: (words[i], total[i]))
            ranked = sorted(((words[i], total[i], doc_list[i]) for i in best),
                            key=lambda wsd: (-wsd[0], -wsd[1], -pub[wsd[2]], wsd[2]))
            return [(d, s) for _w, s, d in ranked]
        best = heapq.nlargest(need, range(len(doc_list)), key=total.__getitem__)
        ranked = sorted(((total[i], doc_list[i]) for i in best), key=lambda sd: (-sd[0], -pub[sd[1]], sd[1]))
        return [(d, s) for s, d in ranked]
    # sorted by a column: walk the precomputed order when the result set is dense, sort it when sparse
    if len(docs) * 16 >= state.n_live:
        order = state.order(sort)
        picked = list(islice(filter(docs.__contains__, order), need))
    else:
        rank = state.rank(sort)
        picked = heapq.nsmallest(need, docs, key=rank.__getitem__)
    if scores:
        return [(d, sum(i.get(d, 0.0) for i in scores)) for d in picked]
    return [(d, 0.0) for d in picked]


# --- highlighting ----------------------------------------------------------------------------
_stem_cache: dict[str, str] = {}


def stem_word(word: str) -> str:
    """The Porter stem the English analyzer gives ``word`` (lower-case), cached; for hot loops that
    analyse text without Whoosh's token chain (the highlighter, matching's fan-out)."""
    found = _stem_cache.get(word)
    if found is None:
        if len(_stem_cache) > 200_000:
            _stem_cache.clear()
        from whoosh.lang.porter import stem

        found = _stem_cache[word] = stem(word)
    return found


def highlight(text: str, terms: set, max_chars: int | None = None) -> str:
    """``text`` HTML-escaped, with the words whose analysed form is in ``terms`` wrapped in <mark>.

    With ``max_chars``, a window of about that many characters around the first match (or the start)."""
    if not text:
        return ""
    spans = _match_spans(text, terms) if terms else []
    start, end = 0, len(text)
    if max_chars and len(text) > max_chars:
        first = spans[0][0] if spans else 0
        start = max(0, first - max_chars // 4)
        if start:
            space = text.rfind(" ", 0, start + 1)
            start = space + 1 if space > start - 20 else start
        end = min(len(text), start + max_chars)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > end - 20 else end
    out, position = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(_html_escape(text[position:s]))
        out.append(f"<mark>{_html_escape(text[s:e])}</mark>")
        position = e
    out.append(_html_escape(text[position:end]))
    html = "".join(out)
    if start > 0:
        html = "…" + html
    if end < len(text):
        html += "…"
    return html


_WORD = re.compile(r"\w+(?:\.?\w+)*")  # Whoosh's default tokenizer pattern


def _match_spans(text: str, terms: set) -> list[tuple[int, int]]:
    """Character spans of ``text`` matching analysed ``terms``: Chinese terms by substring (in the
    Simplified form), other words when their stem is a term. Cheap: only words that share a term's first
    letters are stemmed (a Porter stem differs from its word only at the end)."""
    spans = []
    han_terms = [t for t in terms if has_han(t)]
    if han_terms and has_han(text):
        simplified = to_simplified(text)
        if len(simplified) == len(text):  # otherwise offsets would not line up: no Chinese marks
            for term in han_terms:
                start = simplified.find(term)
                while start >= 0:
                    spans.append((start, start + len(term)))
                    start = simplified.find(term, start + len(term))
    latin = [t for t in terms if not has_han(t)]
    if latin:
        prefixes = tuple(t[:-1] if len(t) > 2 else t for t in latin)
        wanted = set(latin)
        for match in _WORD.finditer(text):
            word = match.group().lower()
            if word.startswith(prefixes) and (word in wanted or stem_word(word) in wanted):
                spans.append(match.span())
    if not spans:
        return []
    spans.sort()
    merged = [spans[0]]
    for s, e in spans[1:]:
        if s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


# --- similar listings --------------------------------------------------------------------------
def more_like_this(listing_id: int, limit: int = 5) -> list[int]:
    """Ids of up to ``limit`` browsable listings similar to this one (never itself), best first: see
    ``listings.similar`` (key terms without stop words, text before codes). Never raises."""
    from listings import similar

    try:
        return similar.similar_listings(listing_id, _clamp_int(limit, 1, 100, 5))
    except Exception:
        log.exception("more_like_this failed for listing %s", listing_id)
        return []


# --- term statistics, for rankers outside this module (matching) ---------------------------------
# The public way to read the index term by term: ``query_terms``/``document_terms`` analyse text as the index
# does, and ``term_index()`` lends a read-only view of the live index version (document frequencies, the
# BM25 impacts ``search`` sums, IPC prefixes, listing ids) for one batch of look-ups under the search lock.
_EN_TOKEN = _EN.items[0].expression  # the StemmingAnalyzer's parts, for the fast path of query_terms
_EN_STOP = _EN.items[2]


def _english_terms(text: str, out: list) -> None:
    """StemmingAnalyzer without Whoosh's per-token generator chain (20–50× faster; tested to agree)."""
    stops, minsize = _EN_STOP.stops, _EN_STOP.min
    for match in _EN_TOKEN.finditer(text):
        word = match.group().lower()
        if len(word) < minsize or word in stops:
            continue
        term = stem_word(word)
        if len(term) < 2 or term.isdigit():
            continue
        out.append((term, word))


def query_terms(text: str, max_chars: int = 20_000) -> list[tuple[str, str]]:
    """``text`` → ``[(indexed term, surface word)]`` in order, as a query is analysed: English words stemmed
    (``batteries`` → ``batteri``; stop words, one-letter words and bare numbers dropped), Chinese runs in
    Simplified characters cut by jieba's precise mode (stop words dropped). The surface word is the
    lower-case word as written, for explanations. Text beyond ``max_chars`` is ignored."""
    text = unicodedata.normalize("NFKC", text or "")[:max_chars]
    out: list[tuple[str, str]] = []
    position = 0
    for run in _HAN_RUN.finditer(text):
        if run.start() > position:
            _english_terms(text[position:run.start()], out)
        for word in _jieba().cut(to_simplified(run.group())):  # precise mode, as the query parser does
            if word and word not in ZH_STOP_WORDS:
                out.append((word, word))
        position = run.end()
    if position < len(text):
        _english_terms(text[position:], out)
    return out


def document_terms(*texts: str) -> set[str]:
    """The terms the index holds for a document made of ``texts`` (each piece analysed as ``_make_doc``
    files it: Chinese fields when it has Han characters, English ones otherwise)."""
    out: set[str] = set()
    for text in texts:
        if text:
            analyser = _ZH if has_han(text) else _EN
            out.update(token.text for token in analyser(to_simplified(text)))
    return out


def listing_terms(listing_id: int) -> set[str]:
    """``document_terms`` of the texts ``_make_doc`` indexes for a listing, read from the database (whatever the
    listing's state: a draft's terms are what the index will hold once it is published)."""
    from listings.models import Listing

    texts = list(Listing.objects.filter(pk=listing_id).values_list("title", "description").first() or ())
    for row in Listing.patents.through.objects.filter(listing_id=listing_id).values_list(
            "patent__title", "patent__abstract", "patent__claims", "patent__applicants"):
        texts.extend(row)
    return document_terms(*(t for t in texts if t))


def sub_words(word: str) -> list[str]:
    """The Chinese sub-words (two characters or more) jieba's search mode finds in ``word``, not ``word``
    itself: how documents may hold a word that a query cut as one piece."""
    if not has_han(word) or len(word) < 3:
        return []
    return list(dict.fromkeys(p for p in _jieba().cut_for_search(word) if p != word and len(p) > 1 and has_han(p)))


class TermIndex:
    """A read-only view of one version of the live index, lent by ``term_index()``; valid only inside it.

    Documents are Whoosh document numbers (``docnum``); ``listing_id`` maps them to listings. The dicts
    returned by ``impacts`` are the index's caches: read them, never change them."""

    __slots__ = ("_state", "_open")

    def __init__(self, state: _State):
        self._state = state
        self._open = True

    def _live(self) -> _State:
        if not self._open:
            raise RuntimeError("a TermIndex is only valid inside its term_index() block")
        return self._state

    @property
    def version(self) -> tuple:
        """Identifies the index version (a new one after every update): a key for callers' caches."""
        state = self._live()
        return (str(state.gen_dir), state.toc_generation)

    @property
    def generation(self) -> str:
        """The index generation (changes only with ``rebuild_index``, not with updates)."""
        return str(self._live().gen_dir)

    @property
    def n_live(self) -> int:
        """The number of searchable documents."""
        return self._live().n_live

    def corpus_size(self, term: str) -> int:
        """How many live documents could hold ``term``: those with Chinese text for a Chinese term (Chinese
        records are a minority: a word in half of them is common, however rare in the whole index), all
        documents for any other."""
        state = self._live()
        return state.n_live_zh if has_han(term) else state.n_live

    def doc_frequency(self, term: str) -> int:
        """How often the analysed ``term`` is posted over the text fields: the documents having it, those
        having it in both title and body counted twice (the idf statistic; exact ``len(impacts(term))``
        costs a postings read)."""
        return self._live().doc_frequency(term)

    def impacts(self, term: str) -> dict:
        """``{docnum: BM25 impact}`` of an analysed term (title ×3, body ×1, per language field): the
        numbers ``search`` sums for relevance. Empty when no live document has it."""
        return self._live().word(term)

    def best_impact(self, term: str) -> float:
        """The highest impact of ``term`` in any live document (1.0 when none has it)."""
        state = self._live()
        best = state.best_impacts.get(term)
        if best is None:
            impacts = state.word(term)
            best = max(impacts.values()) if impacts else 1.0
            if len(state.best_impacts) > WORD_CACHE_POSTINGS:
                state.best_impacts.clear()
            state.best_impacts[term] = best = best or 1.0
        return best

    def ipc_docs(self, prefix: str):
        """The docnums having an IPC code that starts with ``prefix`` in the indexed form (``ipc_token``):
        ``h01m`` (subclass), ``h01m10/`` (main group), ``h01m10/052`` (subgroup)."""
        return self._live().ipc_prefix(prefix).keys()

    def published(self, docnum: int) -> int:
        """Publication time of a document's listing, in seconds since the epoch (0: unknown)."""
        return self._live().pub[docnum]

    def listing_id(self, docnum: int) -> int:
        return self._live().listing_id(docnum)

    def docnum(self, listing_id: int) -> int | None:
        """The live document of a listing, or None when the listing is not in this version of the index."""
        state = self._live()
        docnum = state.searcher.document_number(id=str(listing_id))
        return docnum if docnum is not None and docnum in state.live else None


@contextmanager
def term_index():
    """``with term_index() as index:`` the live index for a batch of term look-ups, or ``None`` when there is
    no index yet. Holds the search lock for the block: keep it short, no database queries inside."""
    with _LOCK:
        state = _state()
        view = None if state is None else TermIndex(state)
        try:
            yield view
        finally:
            if view is not None:
                view._open = False
