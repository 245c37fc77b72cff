"""Expire term sheets past their valid-until date and negotiations nobody moved in for DEAL_IDLE_EXPIRY_DAYS.

Safe to run every few minutes (cron) and concurrently: each deal is expired under its row lock, and what is
already expired is not touched again. Deal rooms also expire lazily when they are opened.
"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from negotiations import actions


class Command(BaseCommand):
    help = ("Expire open term sheets past their valid-until time, and negotiations idle for "
            "DEAL_IDLE_EXPIRY_DAYS. Safe to run repeatedly (e.g. every 5 minutes).")

    def add_arguments(self, parser):
        parser.add_argument("--now", metavar="YYYY-MM-DDTHH:MM",
                            help="Treat this moment (site time zone) as now (default: now).")

    def handle(self, *args, now=None, **options):
        if now:
            try:
                parsed = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now must look like 2026-01-31T18:00, not {now!r}") from None
            now = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        done = actions.expire_due(now)
        offers = "term sheet" if done.offers == 1 else "term sheets"
        deals = "negotiation" if done.deals == 1 else "negotiations"
        self.stdout.write(self.style.SUCCESS(f"Expired {done.offers} {offers} and {done.deals} {deals}."))
