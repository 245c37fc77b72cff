"""Licence agreement benchmark: what accepting an offer and the two signatures cost now that the agreement is
made at once. Per deal (default 30), through the real actions in this process, three timings (below).

    accept    ``negotiations.actions.accept_offer`` — which generates the agreement: EN + ZH HTML and one
              bilingual PDF (WeasyPrint), stored
    sign 1    the licensee's ``sign_agreement`` (no PDF work: the stored PDF's hash is checked)
    sign 2    the licensor's ``sign_agreement`` — the signature page and certificate of completion rendered,
              merged after the signed PDF with pypdf, the final PDF stored

Baselines, in the same run on each deal's own agreement content: ``agreement_render.render_texts`` alone (the
HTML only) and ``agreement_render.render_document`` (the PDF alone, from those texts). Printed: p50/p95 in ms
of each, the ratios accept ÷ HTML-only render and sign 2 ÷ sign 1, and the sizes of the signed and final PDFs.

    .venv/bin/python bench/agreements.py                 # 30 deals
    .venv/bin/python bench/agreements.py --deals 5
    .venv/bin/python bench/agreements.py --fresh         # rebuild the fixture

Data: its own SQLite file under var/bench/agreements/ (one institute, one SME and one published listing per
deal, each deal opened by the SME; built once through the actions and kept as a pristine copy; each run
starts from that copy, so every run measures deals that were never accepted; --fresh rebuilds it). Agreement
files go to var/bench/agreements/private/agreements/ (emptied at each run). Signing checks the password with
the project's own hashers, as a real signature does (the password check alone is printed for reference).
One agreement is rendered before timing starts (fonts and templates loaded), outside the figures. Speed is
measured here, not in the unit tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.search import percentile  # noqa: E402

FIXTURE_VERSION = 1
VAR_DIR = BASE_DIR / "var" / "bench" / "agreements"
DATABASE = VAR_DIR / "patentbridge.sqlite3"
PRISTINE = VAR_DIR / f"fixture-v{FIXTURE_VERSION}.sqlite3"
MARKER = VAR_DIR / f"fixture-v{FIXTURE_VERSION}.ok"
AGREEMENTS_DIR = VAR_DIR / "private" / "agreements"
PASSWORD = "bench signing password"
IP_ADDRESS = "203.0.113.7"
USER_AGENT = "Mozilla/5.0 (bench/agreements.py)"


def setup_django() -> None:
    for name in ("DATABASE_URL", "SEARCH_INDEX_DIR", "REDIS_URL", "AGREEMENTS_DIR"):
        os.environ.pop(name, None)
    os.environ.update(DEBUG="true", VAR_DIR=str(VAR_DIR), TASKS_MODE="eager", EMAIL_BACKEND="dummy",
                      LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="marketplace.settings")
    import django

    django.setup()
    from django.conf import settings

    location = Path(settings.STORAGES["agreements"]["OPTIONS"]["location"]).resolve()
    if location != AGREEMENTS_DIR.resolve():
        raise SystemExit(f"agreements storage is {location}, not under {VAR_DIR}; refusing to run")


def _remove_database() -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DATABASE}{suffix}").unlink(missing_ok=True)


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy whatever the journal mode (WAL pages included)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


# --- fixture ---------------------------------------------------------------------------------------
def build_fixture(deals: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.test.utils import override_settings

    from listings import actions as listing_actions
    from marketplace import actions
    from marketplace.models import OrganisationKind
    from negotiations.actions import open_deal

    call_command("migrate", verbosity=0)
    signing_password = make_password(PASSWORD)  # the project's hasher, once: every signatory shares it
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i in range(deals):
            owner = actions.create_account(email=f"licensor{i}@bench.example", full_name=f"Lena Licensor {i}",
                                           password="replaced-below")
            buyer = actions.create_account(email=f"licensee{i}@bench.example", full_name=f"Sam Smallfirm {i}",
                                           password="replaced-below")
            for user in (owner, buyer):
                user.password = signing_password
                user.save(update_fields=["password"])
            institute = actions.create_organisation(actor=owner, name=f"Bench Battery Institute {i}",
                                                    kind=OrganisationKind.RESEARCH_INSTITUTE, province="BJ")
            institute = actions.verify_organisation(institute, actor=None, operator=True, notify=False)
            sme = actions.create_organisation(actor=buyer, name=f"Bench Tiny Cells {i} Ltd",
                                              kind=OrganisationKind.SME, province="GD")
            sme = actions.verify_organisation(sme, actor=None, operator=True, notify=False)
            patent, _ = listing_actions.save_patent(institute, actor=owner, number=f"CN1{i + 20_000_000:08d}B",
                                                    title=f"Cathode coating {i}", ipc_codes=["H01M 4/136"])
            listing = listing_actions.create_listing(
                institute, actor=owner, patents=[patent], title=f"Cathode coating for lithium cells {i}",
                offers_exclusive=False, offers_non_exclusive=True, fee_model="lump_sum",
                lump_sum_minor=10_000_000, territory="Mainland China", term_months=36)
            listing_actions.publish_listing(listing, actor=owner)
            open_deal(listing, sme, actor=buyer)


def prepare(deals: int, fresh: bool) -> None:
    """Start from the pristine fixture (built unless one with at least ``deals`` deals is there)."""
    from unittest import mock

    from django.core.management import call_command
    from django.db import connections

    built = int(MARKER.read_text()) if MARKER.exists() and MARKER.read_text().strip().isdigit() else 0
    if fresh or built < deals or not PRISTINE.exists():
        MARKER.unlink(missing_ok=True)
        _remove_database()
        print(f"  building the fixture ({deals} deals, once) …", flush=True)
        started = time.perf_counter()
        # Search indexing is not what is measured: off while building.
        with mock.patch("listings.search.update_listings", lambda ids: None):
            build_fixture(deals)
        connections.close_all()
        _copy_sqlite(DATABASE, PRISTINE)
        MARKER.write_text(f"{deals}\n")
        print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
    else:
        connections.close_all()
        _copy_sqlite(PRISTINE, DATABASE)
        call_command("migrate", verbosity=0)
    shutil.rmtree(AGREEMENTS_DIR, ignore_errors=True)
    AGREEMENTS_DIR.mkdir(parents=True, exist_ok=True)


# --- measuring -------------------------------------------------------------------------------------
def signatory(organisation):
    return organisation.memberships.select_related("user").order_by("pk").first().user


def sign(agreement, user):
    from negotiations import actions

    return actions.sign_agreement(agreement, actor=user, typed_name=user.full_name, password=PASSWORD,
                                  confirmed=True, ip_address=IP_ADDRESS, user_agent=USER_AGENT)


def warm_up(deal) -> None:
    """Templates, fonts and WeasyPrint loaded once, on content like the first deal's (nothing stored)."""
    from negotiations import agreement_content, agreement_render

    content = agreement_content.build_content(deal, deal.offers.get(version=1), version=1,
                                              template_version=agreement_render.TEMPLATE_VERSION)
    agreement_render.render_document(content, *agreement_render.render_texts(content))


def measure(deals: int) -> dict[str, list[float]]:
    from negotiations import actions, agreement_render
    from negotiations.models import AgreementStatus, Deal, DealState

    rows = list(Deal.objects.filter(state=DealState.NEGOTIATING).select_related("licensor", "licensee")
                .order_by("pk")[:deals])
    if len(rows) < deals:
        raise SystemExit(f"the fixture has {len(rows)} open deals, not {deals}; run with --fresh")
    warm_up(rows[0])
    times: dict[str, list[float]] = {k: [] for k in ("accept", "sign1", "sign2", "html", "pdf", "password")}
    probe = signatory(rows[0].licensee)
    for _ in range(5):  # what each signature spends on the password alone (the project's hasher)
        started = time.perf_counter()
        probe.check_password(PASSWORD)
        times["password"].append(time.perf_counter() - started)
    sizes: dict[str, list[float]] = {"signed": [], "final": []}
    for n, deal in enumerate(rows, 1):
        licensor_user, licensee_user = signatory(deal.licensor), signatory(deal.licensee)
        started = time.perf_counter()
        actions.accept_offer(deal, actor=licensor_user, version=1)
        times["accept"].append(time.perf_counter() - started)
        agreement = deal.agreements.order_by("-version").first()
        if agreement is None or agreement.status != AgreementStatus.SIGNING:
            raise SystemExit(f"deal {deal.pk}: no agreement out for signature "
                             f"({agreement.render_error if agreement else 'none made'})")
        content = agreement.content
        started = time.perf_counter()
        html_en, html_zh = agreement_render.render_texts(content)
        times["html"].append(time.perf_counter() - started)
        started = time.perf_counter()
        agreement_render.render_document(content, html_en, html_zh)
        times["pdf"].append(time.perf_counter() - started)
        started = time.perf_counter()
        sign(agreement, licensee_user)
        times["sign1"].append(time.perf_counter() - started)
        started = time.perf_counter()
        sign(agreement, licensor_user)
        times["sign2"].append(time.perf_counter() - started)
        agreement.refresh_from_db()
        if agreement.status != AgreementStatus.SIGNED:
            raise SystemExit(f"deal {deal.pk}: agreement {agreement.reference} is {agreement.status}, not signed")
        sizes["signed"].append(agreement.pdf.size / 1024)
        sizes["final"].append(agreement.final_pdf.size / 1024)
        if n % 10 == 0 or n == deals:
            print(f"  {n}/{deals} deals", flush=True)
    return {**times, **sizes}


def report(results: dict[str, list[float]], deals: int) -> None:
    def ms(key: str, q: float) -> float:
        return percentile(results[key], q) * 1000

    labels = {
        "accept": "accept_offer (agreement: HTML + PDF)",
        "sign1": "sign_agreement, first (no PDF)",
        "sign2": "sign_agreement, second (final PDF)",
        "html": "baseline: render_texts (HTML only)",
        "pdf": "baseline: render_document (PDF only)",
        "password": "reference: check_password (5×)",
    }
    print(f"\nLicence agreements — {deals} deals")
    print(f"  {'':40} {'p50 ms':>9} {'p95 ms':>9}")
    for key, label in labels.items():
        print(f"  {label:40} {ms(key, 50):9.1f} {ms(key, 95):9.1f}")
    print("  ratios (p50 / p95)")
    for label, top, bottom in (("accept ÷ HTML-only render", "accept", "html"),
                               ("accept ÷ PDF-only render", "accept", "pdf"),
                               ("second signature ÷ first signature", "sign2", "sign1")):
        print(f"  {label:40} {ms(top, 50) / ms(bottom, 50):8.1f}× {ms(top, 95) / ms(bottom, 95):8.1f}×")
    print("  PDF sizes (KiB, p50 / max)")
    for key, label in (("signed", "signed PDF (what both sign)"), ("final", "final PDF (+ certificate)")):
        print(f"  {label:40} {percentile(results[key], 50):9.1f} {max(results[key]):9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=30, help="deals accepted and signed (default 30)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the fixture")
    args = parser.parse_args()
    if args.deals < 1:
        parser.error("--deals must be at least 1")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    setup_django()
    prepare(args.deals, args.fresh)
    started = time.perf_counter()
    results = measure(args.deals)
    report(results, args.deals)
    print(f"\n  measured in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
