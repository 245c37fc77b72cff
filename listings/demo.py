"""Demo listings for ``make demo``: real patent records and a real research-centre portfolio.

``load()`` (``manage.py load_demo_listings``; ``manage.py load_demo`` calls it) imports

* ``listings/data/demo.csv`` — 6,678 real patent records (see ``listings/data/SOURCE.md``), read and
  checked by the bulk importer's own rules (``listings.importer.read_file`` / ``validate_rows``);
* ``listings/data/nasa_portfolio.csv`` — 633 NASA technologies offered for licence, which have case
  numbers (``GSC-TOPS-35``) instead of patent numbers. ``listings.numbers`` rejects those, so they are
  stored with office ``NASA`` and the case number as the number, bypassing number normalisation for
  this demo portfolio only;

and offers each patent as its own listing of one of the demo patent holders, with varied terms drawn
from a random generator seeded by the patent number (so a subset gets the same terms as a full load,
and every run gives the same data). Chinese rows go to the Chinese institutions; the demonstration
enterprise (``northern-power-group``) donates some free licences (donation quotas).

This is SEED DATA, written in bulk for speed (``make demo`` runs it every time; per-row actions take
minutes): patents, classifications, listings and their links are bulk-created and the listings are
set to ``published`` directly, without ``publish_listing``'s per-listing audit entries, index tasks and
``listing_published`` signals (no matching fan-out for seed data). Instead each organisation gets ONE
audit entry ``demo.listings_loaded`` with the counts, and the search index is rebuilt once at the end.
The terms still pass ``listings.actions``' terms validation.

Idempotent: a patent that already exists (same office and number) is skipped with its listing, so
running it again changes nothing. A few listings stay in draft or paused (for the owners' dashboards)
and a handful of patents are marked expired while their listings are still published, so that
``manage.py expire_listings`` has something to show.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import math
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from django.db import transaction
from django.utils import timezone

from listings import actions, importer, numbers
from listings.models import (
    FeeModel,
    LegalStatus,
    Listing,
    ListingState,
    Patent,
    PatentClassification,
)
from marketplace import audit
from marketplace.models import Organisation

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_CSV = DATA_DIR / "demo.csv"
NASA_CSV = DATA_DIR / "nasa_portfolio.csv"
SEED = "patentbridge-demo-1"
BATCH = 500  # rows per INSERT (well under SQLite's parameter limit)

ZGC, SCUT, NPG, NASA = ("zgc-materials-institute", "south-china-tech-university", "northern-power-group",
                        "nasa-technology-transfer")
OWNERS = (ZGC, SCUT, NPG, NASA)
NASA_OFFICE = "NASA"  # not a patent office: the demo portfolio's case numbers (see the module docstring)

Printer = Callable[[str], None]


# --- rows -------------------------------------------------------------------------------
@dataclass
class DemoRow:
    office: str
    number: str
    kind: str
    fields: dict  # Patent fields
    ipc: list[numbers.IPCCode] = field(default_factory=list)
    category: str = ""  # NASA technology category
    owner: str = ""  # demo organisation slug, set by assign_owner

    @property
    def key(self) -> tuple[str, str]:
        return self.office, self.number

    @property
    def chinese(self) -> bool:
        return self.fields.get("language", "en").startswith("zh")

    def rng(self, purpose: str) -> random.Random:
        """A generator seeded by the patent number: the same row always gets the same draws."""
        return random.Random(f"{SEED}:{purpose}:{self.office}:{self.number}")


def _sample(items: list, limit: int | None) -> list:
    """``limit`` rows spread evenly over the file (so a small sample still has every language)."""
    if not limit or limit >= len(items):
        return items
    return [items[i * len(items) // limit] for i in range(limit)]


def _clean(text: str) -> str:
    """Source texts carry HTML entities (``&#13;``) and stray whitespace."""
    return re.sub(r"\s+", " ", html.unescape(text or "")).strip()


_APPLICATION_KINDS = {"A", "A1", "A2", "A3", "A9"}


def _legal_status(office: str, kind: str) -> str:
    if office == "WO" or kind in _APPLICATION_KINDS:
        return LegalStatus.PENDING
    return LegalStatus.GRANTED


def _expiry(filing: dt.date | None, today: dt.date) -> dt.date | None:
    """20 years from filing, when still ahead. Older records keep no expiry date (and stay granted) so
    the demo has enough live patents; their real legal status is not in the source data."""
    if filing is None:
        return None
    try:
        expiry = filing.replace(year=filing.year + 20)
    except ValueError:  # 29 February
        expiry = filing.replace(year=filing.year + 20, day=28)
    return expiry if expiry >= today else None


def read_patent_rows(path=DEMO_CSV, limit: int | None = None) -> tuple[list[DemoRow], list[str]]:
    """The patent records, checked by the bulk importer's rules. Returns rows and problems (text)."""
    try:
        raw = importer.read_file(path)
    except importer.ImportFileError as exc:
        with open(path, "rb") as fh:
            if len([line for line in fh.read().splitlines() if line.strip()]) <= 1:
                return [], []  # only a header: nothing to load
        raise DemoDataError(f"{path}: {exc.message}") from None
    raw.rows = _sample(raw.rows, limit)
    valid, problems = importer.validate_rows(raw)
    today = timezone.localdate()
    rows = []
    for r in valid:
        fields = dict(r.fields)
        fields["title"] = _clean(fields["title"])[:500]
        fields["abstract"] = _clean(fields.get("abstract", ""))
        if "grant date" in fields.get("source", ""):  # PatentsView rows: "date = grant date"
            fields["grant_date"] = fields.pop("filing_date", None)
        fields.setdefault("filing_date", None)
        fields["legal_status"] = _legal_status(r.office, r.kind)
        fields["expiry_date"] = _expiry(fields["filing_date"], today)
        rows.append(DemoRow(r.office, r.number, r.kind, fields, list(r.ipc or [])))
    return rows, [str(p) for p in problems if p.level == "error"]


def read_nasa_rows(path=NASA_CSV, limit: int | None = None) -> tuple[list[DemoRow], list[str]]:
    rows, problems, seen = [], [], set()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        records = list(csv.DictReader(fh))
    for line, record in _sample(list(enumerate(records, start=2)), limit):
        case = re.sub(r"\s+", "", record.get("case_number") or "").upper()
        title = _clean(record.get("title", ""))
        if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]{1,63}", case) or not title or case in seen:
            problems.append(f"row {line}: unusable case number {record.get('case_number')!r} or no title")
            continue
        seen.add(case)
        center = _clean(record.get("center", ""))
        rows.append(DemoRow(
            NASA_OFFICE, case, "",
            {
                "title": title[:500], "abstract": _clean(record.get("abstract", "")), "language": "en",
                "applicants": "National Aeronautics and Space Administration" + (f" ({center})" if center else ""),
                "legal_status": LegalStatus.GRANTED, "filing_date": None, "expiry_date": None,
                "source": f"NASA Technology Transfer portfolio, case {case} (public domain)",
            },
            category=_clean(record.get("category", "")).lower(),
            owner=NASA,
        ))
    return rows, problems


# --- who owns what ------------------------------------------------------------------------
def assign_owner(row: DemoRow) -> str:
    """Chinese rows to the Chinese institutions; English rows by topic (power and mechanics to the
    power-equipment group, chemistry and materials to the materials institute, computing and
    telecoms to the university), with some spread."""
    if row.owner:
        return row.owner
    rng = row.rng("owner")
    if row.chinese:
        weights = {ZGC: 40, SCUT: 45, NPG: 15}
    else:
        sections = {c.section for c in row.ipc}
        classes = {c.ipc_class for c in row.ipc}
        if sections & {"F"} or classes & {"H01", "H02"}:
            weights = {NPG: 60, ZGC: 25, SCUT: 15}
        elif sections & {"B", "C", "D", "E"}:
            weights = {ZGC: 60, NPG: 20, SCUT: 20}
        elif sections & {"A", "G", "H"}:
            weights = {SCUT: 55, ZGC: 35, NPG: 10}
        else:
            weights = {SCUT: 50, ZGC: 35, NPG: 15}
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- terms ------------------------------------------------------------------------------------
FEE_WEIGHTS = {  # free, lump sum, royalty, entry fee + royalty
    ZGC: (10, 35, 20, 35),
    SCUT: (15, 35, 25, 25),
    NPG: (40, 35, 10, 15),
    NASA: (15, 20, 30, 35),
}
OPEN_LICENCE_SHARE = {ZGC: 0.15, SCUT: 0.30, NPG: 0.10, NASA: 0.0}
IDLE_SHARE = {ZGC: 0.45, SCUT: 0.55, NPG: 0.30, NASA: 0.40}
ROYALTY_BP = (100, 150, 200, 250, 300, 350, 400, 500, 600, 800)
ROYALTY_WEIGHTS = (5, 6, 14, 12, 16, 12, 12, 9, 5, 3)
TERM_MONTHS = (None, 12, 24, 36, 60, 120)
TERM_WEIGHTS = (35, 8, 10, 15, 20, 12)

TERRITORIES = {
    ZGC: (("Mainland China", 60), ("Beijing–Tianjin–Hebei region", 20), ("Mainland China, Hong Kong and Macao", 10),
          ("Worldwide", 10)),
    SCUT: (("Mainland China", 50), ("Guangdong–Hong Kong–Macao Greater Bay Area", 25), ("Guangdong Province", 15),
           ("Worldwide", 10)),
    NPG: (("Mainland China", 60), ("Liaoning Province", 15), ("Northeast China", 15), ("Worldwide", 10)),
}
OFFICE_TERRITORIES = {
    "US": (("United States", 60), ("Worldwide", 25), ("United States and Canada", 15)),
    "NASA": (("United States", 70), ("Worldwide", 30)),
    "TW": (("Taiwan region", 65), ("Mainland China and Taiwan region", 20), ("Worldwide", 15)),
    "EP": (("EPC member states", 70), ("Worldwide", 30)),
    "WO": (("Worldwide (national phase countries)", 100),),
}

FIELDS_BY_CODE = (  # most specific first: (code prefix, field of use)
    ("H01M", "Batteries and energy storage"), ("H01L", "Semiconductor devices"), ("H02", "Electric power equipment"),
    ("H04", "Telecommunications"), ("H05", "Electronics manufacturing"), ("H", "Electrical and electronic equipment"),
    ("G06", "Software, data processing and AI systems"), ("G01", "Measurement and testing instruments"),
    ("G08", "Traffic and safety systems"), ("G", "Instruments and control systems"),
    ("A01", "Agriculture and horticulture"), ("A23", "Food processing"), ("A61", "Medical devices and pharmaceuticals"),
    ("A", "Consumer and household products"), ("B60", "Vehicles"), ("B", "Industrial processing and manufacturing"),
    ("C12", "Biotechnology and biopharmaceuticals"), ("C", "Chemicals and advanced materials"),
    ("D", "Textiles and paper"), ("E", "Construction and mining"), ("F", "Mechanical engineering, engines and HVAC"),
)
NASA_FIELDS = {
    "sensors": "Industrial and environmental sensing", "materials and coatings": "Advanced materials and coatings",
    "aerospace": "Aerospace and aviation", "mechanical and fluid systems": "Mechanical and fluid systems",
    "robotics automation and control": "Robotics and industrial automation", "manufacturing": "Advanced manufacturing",
    "information technology and software": "Software and IT services",
    "health medicine and biotechnology": "Medical devices and biotechnology",
    "instrumentation": "Scientific and test instrumentation",
    "power generation and storage": "Power generation and energy storage", "electrical and electronics": "Electronics",
    "optics": "Optics and photonics", "communications": "Communications equipment",
    "environment": "Environmental monitoring and remediation", "propulsion": "Propulsion systems",
}
GENERIC_FIELDS = ("All fields", "All fields except medical devices", "Civil applications only")

DESCRIPTIONS_EN = (
    "The licence includes the patent documents and a half-day technical briefing with the inventors.",
    "Know-how transfer available: process notes, test data and up to 20 hours of engineering support.",
    "Samples or a prototype can be provided for evaluation under a material transfer agreement.",
    "The research team can support pilot production and a joint application for local innovation funding.",
    "",
)
DESCRIPTIONS_ZH = (
    "许可包括专利文件，以及发明人半天的技术讲解。",
    "可提供工艺说明、测试数据，以及不超过20小时的工程技术支持。",
    "可提供样品或样机供评估，需签署材料转让协议。",
    "研发团队可协助中试生产，并可联合申报地方科技创新项目。",
    "",
)
DONATION_EN = ("Free licences donated to eligible small and micro enterprises under the demonstration enterprise "
               "programme; includes one technical consultation.")
DONATION_ZH = "示范企业面向符合条件的小微企业免费许可（专利捐赠），含一次技术咨询。"


def _weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs)
    return rng.choices(values, weights=weights)[0]


def _yuan(rng: random.Random, low: int, high: int, step: int = 5_000) -> int:
    """A round amount in fen, log-uniform between ``low`` and ``high`` yuan."""
    amount = math.exp(rng.uniform(math.log(low), math.log(high)))
    return max(step, round(amount / step) * step) * 100


def _field_of_use(row: DemoRow, rng: random.Random) -> str:
    if rng.random() < 0.45:
        return ""
    if row.category:
        return NASA_FIELDS.get(row.category, row.category.capitalize())
    if row.ipc:
        code = str(row.ipc[0])
        for prefix, name in FIELDS_BY_CODE:
            if code.startswith(prefix):
                return name
    return rng.choice(GENERIC_FIELDS)


# One real record, on the cycle life of lithium-ion battery electrodes, is staged as a free draft of its owner:
# publishing it during the demo shows the push — the demo SME's battery needs are notified at once (the
# hint is printed by matching's load_demo_needs).
PUSH_DEMO_PATENT = ("TW", "KG-284F2584-721D-4090-8934-D5C69DED9E04")
PUSH_DEMO_DESCRIPTION = (  # the record has a title only; its owner describes the offer, as owners do
    "提升锂离子二次电池电极（正极和负极）循环寿命的电极材料处理方法，适用于电动自行车和储能电池组的小批量生产。\n"
    "A treatment of lithium-ion battery electrodes (cathode and anode) that keeps their capacity over many more "
    "charge cycles; suited to small-batch production of e-bike and storage battery packs."
)


def terms_for(row: DemoRow) -> dict:
    """Listing fields (terms, description, idle declaration, donation quota) for one row."""
    rng, owner = row.rng("terms"), row.owner
    fee = rng.choices(
        [FeeModel.FREE, FeeModel.LUMP_SUM, FeeModel.ROYALTY, FeeModel.ENTRY_FEE_ROYALTY], weights=FEE_WEIGHTS[owner]
    )[0]
    if row.key == PUSH_DEMO_PATENT:
        fee = FeeModel.FREE
    open_licence = rng.random() < OPEN_LICENCE_SHARE[owner]
    terms = {
        "offers_non_exclusive": True, "offers_exclusive": False, "offers_sole": False, "offers_assignment": False,
        "fee_model": fee, "currency": "CNY", "open_licence": open_licence,
    }
    scale = 1.5 if owner == NPG else 1.0
    if not open_licence and fee != FeeModel.FREE:
        draw = rng.random()
        if draw < 0.18:
            terms.update(offers_exclusive=True, offers_non_exclusive=rng.random() < 0.4)
            scale *= 2.5
        elif draw < 0.30:
            terms.update(offers_sole=True, offers_non_exclusive=rng.random() < 0.5)
            scale *= 1.8
        elif draw < 0.36:
            terms.update(offers_assignment=True, offers_non_exclusive=False, fee_model=FeeModel.LUMP_SUM)
            scale *= 4
    if terms["fee_model"] == FeeModel.LUMP_SUM:
        high = 150_000 if open_licence else 600_000
        terms["lump_sum_minor"] = min(_yuan(rng, 20_000, high * scale), 5_000_000_00)
    if terms["fee_model"] in (FeeModel.ROYALTY, FeeModel.ENTRY_FEE_ROYALTY):
        terms["royalty_rate_bp"] = rng.choices(ROYALTY_BP, weights=ROYALTY_WEIGHTS)[0]
    if terms["fee_model"] == FeeModel.ENTRY_FEE_ROYALTY:
        terms["entry_fee_minor"] = _yuan(rng, 10_000, 200_000 * scale)
    territories = OFFICE_TERRITORIES.get(row.office) or TERRITORIES[owner]
    terms["territory"] = _weighted(rng, territories)
    terms["term_months"] = (rng.choice((12, 24, 36, 60)) if open_licence
                            else rng.choices(TERM_MONTHS, weights=TERM_WEIGHTS)[0])
    terms["field_of_use"] = _field_of_use(row, rng)
    terms = actions._clean_terms({**Listing().terms_dict(), **terms})
    actions._validate_terms(terms)  # the same rules as every listing: bad seed data fails loudly

    donation = owner == NPG and terms["fee_model"] == FeeModel.FREE and rng.random() < 0.6
    if owner == NASA:
        description = row.fields["abstract"]  # the portfolio's text is the listing's description
    elif donation:
        description = DONATION_ZH if row.chinese else DONATION_EN
    else:
        description = rng.choice(DESCRIPTIONS_ZH if row.chinese else DESCRIPTIONS_EN)
    if row.key == PUSH_DEMO_PATENT:
        description = PUSH_DEMO_DESCRIPTION
    return {
        **terms,
        "title": row.fields["title"],
        "description": description,
        "idle_declared": rng.random() < IDLE_SHARE[owner],
        "donation_quota": rng.choice((5, 10, 20, 30, 50)) if donation else 0,
    }


def state_for(row: DemoRow) -> tuple[str, bool]:
    """``(listing state, patent expired?)``: a few drafts and paused listings for the owners'
    dashboards, and a handful of expired patents still listed for ``manage.py expire_listings``."""
    if row.key == PUSH_DEMO_PATENT:
        return ListingState.DRAFT, False
    draw = row.rng("state").random()
    if row.owner in (ZGC, SCUT, NPG):
        if draw < 0.003:
            return ListingState.DRAFT, False
        if draw < 0.005:
            return ListingState.PAUSED, False
        if draw < 0.006 and row.owner != NPG:
            return ListingState.PUBLISHED, True
    return ListingState.PUBLISHED, False


# --- patent packages ----------------------------------------------------------------------------
BUNDLES_PER_OWNER = 2
BUNDLE_SIZE = 4


def _topic(subclass: str) -> str:
    from listings import ipc

    text = re.split(r"[;(]| e\.g\.", ipc.short_title(subclass) or "")[0].strip(" ,")
    return text if len(text) <= 60 else text[:57].rsplit(" ", 1)[0] + "…"


def plan_bundles(rows: list[tuple[DemoRow, Patent]]) -> list[tuple[str, list[Patent], dict]]:
    """A few multi-patent listings ("patent packages") of the Chinese institutions: up to
    ``BUNDLES_PER_OWNER`` per owner, from the largest groups of one applicant's patents in one IPC
    subclass. Returns ``(owner slug, patents, listing fields)``; the patents keep their own listings."""
    groups: dict[tuple[str, str, str], list[tuple[DemoRow, Patent]]] = defaultdict(list)
    for row, patent in rows:
        applicant = (row.fields.get("applicants") or "").split("\n")[0].strip()
        if row.owner in (ZGC, SCUT, NPG) and applicant and row.ipc:
            groups[(row.owner, applicant, row.ipc[0].subclass)].append((row, patent))
    bundles, per_owner, used = [], Counter(), set()
    for (owner, _applicant, subclass), members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(members) < 3 or per_owner[owner] >= BUNDLES_PER_OWNER or (owner, subclass) in used:
            continue
        per_owner[owner] += 1
        used.add((owner, subclass))
        members = sorted(members, key=lambda m: m[1].number)[:BUNDLE_SIZE]
        first = members[0][0]
        rng = first.rng("bundle")
        n = len(members)
        if first.chinese:
            title = f"{subclass} 领域专利包（{n}件）"
            description = f"{n}件同一技术领域的专利打包许可，含技术交底及为期三个月的技术支持。"
        else:
            title = f"Patent package: {n} patents in {subclass} ({_topic(subclass)})"
            description = (f"{n} related patents licensed together, with a technical briefing and three months of "
                           "engineering support.")
        fee = rng.choice([FeeModel.LUMP_SUM, FeeModel.ENTRY_FEE_ROYALTY])
        terms = {
            "offers_non_exclusive": True, "offers_exclusive": rng.random() < 0.5, "fee_model": fee, "currency": "CNY",
            "territory": "Mainland China", "term_months": rng.choice((None, 60, 120)),
        }
        if fee == FeeModel.LUMP_SUM:
            terms["lump_sum_minor"] = _yuan(rng, 300_000, 2_000_000, step=50_000)
        else:
            terms.update(entry_fee_minor=_yuan(rng, 100_000, 500_000, step=10_000),
                         royalty_rate_bp=rng.choice((200, 300, 400)))
        terms = actions._clean_terms({**Listing().terms_dict(), **terms})
        actions._validate_terms(terms)
        bundles.append((owner, [patent for _row, patent in members],
                        {**terms, "title": title[:500], "description": description, "idle_declared": True}))
    return bundles


# --- loading -----------------------------------------------------------------------------------
@dataclass
class LoadResult:
    created: Counter = field(default_factory=Counter)  # owner slug -> listings created
    published: Counter = field(default_factory=Counter)
    fee_models: dict = field(default_factory=lambda: defaultdict(Counter))  # owner -> fee model -> count
    existing: int = 0  # rows already loaded (skipped)
    conflicts: int = 0  # numbers owned by organisations outside the demo (skipped)
    problems: list[str] = field(default_factory=list)  # rows that could not be read
    indexed: int | None = None  # listings in the rebuilt index; None when not rebuilt
    index_message: str = ""
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.created.values())

    def summary(self) -> str:
        if not self.total:
            text = f"Demo listings: already loaded ({self.existing:,} rows)"
            if self.conflicts or self.problems:
                text += f", {self.conflicts + len(self.problems):,} rows skipped"
            return text + f"; {self.index_message or 'search index up to date'}."
        parts = [f"{slug} {self.created[slug]:,} ({self.published[slug]:,} published)" for slug in OWNERS]
        text = f"Demo listings: {self.total:,} created: " + ", ".join(parts)
        text += f"; {self.existing:,} already loaded"
        if self.conflicts:
            text += f", {self.conflicts:,} numbers owned by other organisations skipped"
        if self.problems:
            text += f", {len(self.problems):,} unreadable rows skipped"
        text += f"; {self.index_message or 'search index unchanged'}; {self.seconds:.1f} s."
        return text


class DemoDataError(Exception):
    """The demo cannot be loaded (missing organisations, an unreadable file); the message says why."""


class MissingOrganisations(DemoDataError):
    pass


def _chunks(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def load(*, patents_csv=DEMO_CSV, nasa_csv=NASA_CSV, limit: int | None = None, rebuild_index: bool = True,
         echo: Printer | None = None) -> LoadResult:
    """Load the demo listings (see the module docstring). ``limit``: at most this many rows of each
    file, spread over it (tests). Raises ``MissingOrganisations`` before ``manage.py load_demo`` and
    ``DemoDataError`` for a file that cannot be read."""
    started = time.monotonic()
    echo = echo or (lambda message: None)
    result = LoadResult()
    owners = {org.slug: org for org in Organisation.objects.filter(slug__in=OWNERS)}
    missing = [slug for slug in OWNERS if slug not in owners]
    if missing:
        raise MissingOrganisations(
            f"missing demo organisations {', '.join(missing)}: run `manage.py load_demo` first"
        )

    rows: list[DemoRow] = []
    for reader, path in ((read_patent_rows, patents_csv), (read_nasa_rows, nasa_csv)):
        if path:
            file_rows, problems = reader(path, limit)
            rows += file_rows
            result.problems += problems
    for row in rows:
        row.owner = assign_owner(row)

    with transaction.atomic():
        # already loaded (or someone else's number): skip
        existing: dict[tuple[str, str], int] = {}
        by_office: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            by_office[row.office].append(row.number)
        for office, office_numbers in by_office.items():
            for chunk in _chunks(office_numbers):
                existing.update({(office, number): owner_id for number, owner_id in Patent.objects.filter(
                    office=office, number__in=chunk).values_list("number", "owner_id")})
        demo_ids = {org.pk for org in owners.values()}
        new_rows = []
        for row in rows:
            if row.key not in existing:
                new_rows.append(row)
            elif existing[row.key] in demo_ids:
                result.existing += 1
            else:
                result.conflicts += 1

        now = timezone.now()
        today = timezone.localdate()
        patents, listings, plans = [], [], []
        for row in new_rows:
            state, expired = state_for(row)
            fields = dict(row.fields)
            if expired:
                fields["legal_status"] = LegalStatus.EXPIRED
                fields["expiry_date"] = today - dt.timedelta(days=row.rng("expiry").randint(5, 200))
            patents.append(Patent(owner=owners[row.owner], office=row.office, number=row.number, kind=row.kind,
                                  ipc_codes=[str(c) for c in row.ipc], **fields))
            plans.append((row, state))
        for chunk in _chunks(patents, 2000):
            Patent.objects.bulk_create(chunk, batch_size=BATCH)
        echo(f"  {len(patents):,} patents written")
        PatentClassification.objects.bulk_create(
            (PatentClassification(patent=patent, code=str(c), section=c.section, ipc_class=c.ipc_class,
                                  subclass=c.subclass, main_group=c.main_group, position=i)
             for patent, (row, _state) in zip(patents, plans) for i, c in enumerate(row.ipc)),
            batch_size=BATCH,
        )
        for patent, (row, state) in zip(patents, plans):
            listing_fields = terms_for(row)
            rng = row.rng("dates")
            published_at = now - dt.timedelta(days=rng.uniform(0.5, 540)) if state != ListingState.DRAFT else None
            listing = Listing(owner=owners[row.owner], import_patent=patent, state=state, published_at=published_at,
                              state_changed_at=published_at or now,
                              view_count=min(5000, int(rng.paretovariate(1.6) * 8) - 8) if published_at else 0,
                              **listing_fields)
            listing.upfront_price_minor = listing.upfront_minor
            listings.append(listing)
            result.created[row.owner] += 1
            result.fee_models[row.owner][listing.fee_model] += 1
            if state == ListingState.PUBLISHED:
                result.published[row.owner] += 1
        bundles = plan_bundles([(row, patent) for patent, (row, state) in zip(patents, plans)
                                if state == ListingState.PUBLISHED and not patent.legal_status == LegalStatus.EXPIRED])
        for slug, bundle_patents, listing_fields in bundles:
            rng = random.Random(f"{SEED}:bundle:{bundle_patents[0].office}:{bundle_patents[0].number}")
            published_at = now - dt.timedelta(days=rng.uniform(0.5, 180))
            listing = Listing(owner=owners[slug], state=ListingState.PUBLISHED, published_at=published_at,
                              state_changed_at=published_at, view_count=rng.randint(20, 400), **listing_fields)
            listing.upfront_price_minor = listing.upfront_minor
            listings.append(listing)
            result.created[slug] += 1
            result.published[slug] += 1
            result.fee_models[slug][listing.fee_model] += 1
        for chunk in _chunks(listings, 2000):
            Listing.objects.bulk_create(chunk, batch_size=BATCH)
        Through = Listing.patents.through
        links = [Through(listing_id=listing.pk, patent_id=listing.import_patent_id)
                 for listing in listings if listing.import_patent_id]
        bundle_listings = [listing for listing in listings if not listing.import_patent_id]
        links += [Through(listing_id=listing.pk, patent_id=patent.pk)
                  for listing, (_slug, bundle_patents, _fields) in zip(bundle_listings, bundles)
                  for patent in bundle_patents]
        Through.objects.bulk_create(links, batch_size=BATCH)
        echo(f"  {len(listings):,} listings written")

        for slug in OWNERS:
            if result.created[slug]:
                audit.record("demo.listings_loaded", actor=None, target=owners[slug], after={
                    "listings": result.created[slug], "published": result.published[slug],
                    "fee_models": dict(result.fee_models[slug]), "seed_data": True,
                })

    if rebuild_index:
        _refresh_index(result, force=bool(result.total), echo=echo)
    result.seconds = time.monotonic() - started
    return result


def _refresh_index(result: LoadResult, *, force: bool, echo: Printer) -> None:
    """Rebuild the search index after new listings, or when it is missing or out of step."""
    from listings import search

    if not force:
        try:
            found = search.search(search.SearchQuery(per_page=1, sort="newest", facets=False, highlight=False))
            if not found.error and found.total == Listing.objects.browsable().count():
                return
        except NotImplementedError:
            result.index_message = "WARNING: search is not implemented yet: index not rebuilt"
            return
        except search.SearchUnavailable:
            pass
    echo("  rebuilding the search index...")
    started = time.monotonic()
    try:
        result.indexed = search.rebuild_index()
    except NotImplementedError:
        result.index_message = "WARNING: search is not implemented yet: index not rebuilt"
        return
    result.index_message = f"search index rebuilt ({result.indexed:,} listings, {time.monotonic() - started:.1f} s)"
