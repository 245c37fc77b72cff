"""``manage.py send_digests [--dry-run] [--no-progress]``: the daily digest emails.

Every active user whose notification preference is "daily digest" and who has notifications not yet
emailed gets ONE email listing them (in the user's language); those notifications are marked emailed
(claimed, and committed) before the email goes out, and handed back if it cannot be sent. Safe to run daily,
or again after a failure: a notification is only ever in one digest, and a user whose email could not be
sent is reported on stderr (exit status 1) and retried on the next run. ``--dry-run`` only says who would
get what.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from marketplace import notifications


class Command(BaseCommand):
    help = "Email the daily digest of notifications to users who chose it."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Send nothing; list who would get a digest.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args, dry_run=False, no_progress=False, **options):
        from tqdm import tqdm

        users = list(notifications.digest_users())
        sent = items = failed = 0
        bar = tqdm(users, unit="user", disable=no_progress or not users or not sys.stderr.isatty(),
                   file=sys.stderr)
        for user in bar:
            try:
                count = notifications.send_digest(user, dry_run=dry_run)
            except Exception as exc:  # one bad address must not stop the others; its notifications wait
                failed += 1
                self.stderr.write(f"user {user.pk} <{user.email}>: digest not sent: {exc}")
                continue
            if not count:
                continue
            items += count
            sent += 1
            if dry_run:
                self.stdout.write(f"would send {count} notification(s) to {user.email}")
        verb = "would send" if dry_run else "sent"
        self.stdout.write(self.style.SUCCESS(f"{verb} {sent} digest(s) with {items} notification(s)"))
        if failed:
            raise CommandError(f"{failed} digest(s) could not be sent; they will be retried on the next run")
