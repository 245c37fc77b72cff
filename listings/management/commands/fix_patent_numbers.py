"""``manage.py fix_patent_numbers [--dry-run]``: give stored EP numbers back their leading zeros."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from listings.number_fix import fix_stored_numbers


class Command(BaseCommand):
    help = ("Patent numbers stored before leading zeros were kept lost them (EP 783622 for EP 0783622): "
            "restore them where the office's format says how (EP: 7 digits). Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Say what would change; change nothing.")

    def handle(self, *args, dry_run=False, **options):
        result = fix_stored_numbers(dry_run=dry_run)
        verb = "would become" if dry_run else "is now"
        for before, after in result.renumbered:
            self.stdout.write(f"{before} {verb} {after}")
        for before, after in result.clashes:
            self.stderr.write(f"{before} not changed: {after} already exists (merge the two by hand)")
        self.stdout.write(f"{len(result.renumbered)} renumbered, {len(result.clashes)} left for a person to decide.")
