"""Move listings whose patents expired or lapsed to ``expired`` (and out of search). Run it daily."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from listings import actions


class Command(BaseCommand):
    help = (
        "Expire every draft, published or paused listing that contains an expired or lapsed patent. "
        "Safe to run repeatedly (e.g. daily from cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", dest="today", metavar="YYYY-MM-DD",
            help="Treat this day as today (default: today in the site's time zone).",
        )

    def handle(self, *args, today=None, **options):
        if today:
            try:
                today = date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--date must look like 2025-01-31, not {today!r}") from None
        expired = actions.expire_due_listings(today=today)
        if options["verbosity"] >= 2 and expired:
            self.stdout.write("Expired listing ids: " + ", ".join(str(pk) for pk in expired))
        noun = "listing" if len(expired) == 1 else "listings"
        self.stdout.write(self.style.SUCCESS(f"Expired {len(expired)} {noun}."))
