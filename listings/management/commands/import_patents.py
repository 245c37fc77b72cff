"""``manage.py import_patents FILE --owner SLUG [--publish] [--mode all-or-nothing|valid-rows]``."""

from __future__ import annotations

import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from tqdm import tqdm

from listings import importer
from listings.models import ImportMode
from marketplace.actions import ActionError
from marketplace.models import Organisation

MAX_PRINTED = 1000


class Command(BaseCommand):
    help = (
        "Import patents for an organisation from CSV (UTF-8), JSON Lines or Excel (.xlsx). Columns: number, title "
        "(required), abstract, claims, cpc_or_ipc (or ipc; ';'-separated), assignee/applicants, inventors, "
        "country (default office), office, filing_date, grant_date, expiry_date (YYYY-MM-DD), legal_status, "
        "lang (en, zh-Hans, zh-Hant), source. Re-importing a file updates the same patents."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .csv, .jsonl or .xlsx file.")
        parser.add_argument("--owner", required=True, help="Short name (slug) of the owner organisation.")
        parser.add_argument("--publish", action="store_true",
                            help="Publish each patent as its own listing with the owner's default terms "
                                 "(verified patent-holding organisations only).")
        parser.add_argument("--mode", choices=ImportMode.values, default=ImportMode.ALL_OR_NOTHING,
                            help="all-or-nothing (default): import nothing if any row fails; "
                                 "valid-rows: import the valid rows and report the others.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing.")

    def handle(self, *args, file, owner, publish, mode, dry_run, **options):
        organisation = Organisation.objects.filter(slug=owner).first()
        if organisation is None:
            raise CommandError(_("No organisation has the short name “%(slug)s”.") % {"slug": owner})
        if not os.path.isfile(file):
            raise CommandError(_("No such file: %(file)s") % {"file": file})
        bars: dict[str, tqdm] = {}
        show = options.get("verbosity", 1) >= 1

        def progress(stage, done, total):
            if not show:
                return
            bar = bars.get(stage)
            if bar is None:
                for other in bars.values():
                    other.close()
                bar = bars[stage] = tqdm(total=total or None, desc=f"{importer.stage_label(stage):<22}",
                                         unit=" rows" if stage in ("reading", "validating") else "",
                                         file=sys.stderr, disable=None, leave=True)
            if total and bar.total != total:
                bar.total = total
            bar.n = done
            bar.refresh()

        started = time.monotonic()
        try:
            result = importer.import_file(
                file, owner=organisation, publish=publish, mode=mode, dry_run=dry_run, progress=progress,
                context={"file": os.path.basename(file), "command": "import_patents"},
            )
        except ActionError as exc:
            raise CommandError(str(exc)) from None
        finally:
            for bar in bars.values():
                bar.close()
        elapsed = time.monotonic() - started

        for problem in result.problems[:MAX_PRINTED]:
            if problem.level == "warning":
                self.stderr.write(self.style.WARNING(_("warning: %(problem)s") % {"problem": problem}))
            else:
                self.stdout.write(str(problem))
        if len(result.problems) > MAX_PRINTED:
            self.stdout.write(_("… and %(count)s more problems.") % {"count": len(result.problems) - MAX_PRINTED})

        if dry_run:
            message = _("Checked %(total)s rows in %(seconds).1f s: %(valid)s valid, %(bad)s with errors. "
                        "Nothing was written (--dry-run).") % {
                "total": result.total_rows, "valid": result.valid_rows, "bad": result.error_rows, "seconds": elapsed}
            if result.errors or result.message:
                raise CommandError(result.message or message)
            self.stdout.write(self.style.SUCCESS(message))
            return
        if not result.imported or not result.succeeded:
            hint = ""
            if result.errors and mode == ImportMode.ALL_OR_NOTHING and result.valid_rows:
                hint = " " + _("Fix them, or use --mode valid-rows to import the %(count)s valid rows.") % {
                    "count": result.valid_rows}
            raise CommandError((result.message or _("Nothing was imported.")) + hint)
        line = _("Imported %(file)s in %(seconds).1f s: %(summary)s") % {
            "file": os.path.basename(file), "seconds": elapsed, "summary": result.summary()}
        if result.errors:
            line += " " + ngettext("%(count)s row with errors was skipped.", "%(count)s rows with errors were skipped.",
                                   result.error_rows) % {"count": result.error_rows}
            self.stdout.write(self.style.WARNING(line))
        else:
            self.stdout.write(self.style.SUCCESS(line))
