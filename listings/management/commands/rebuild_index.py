import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Rebuild the listing search index from the database: a complete new index is built beside the live "
        "one and swapped in atomically, so searches keep working meanwhile."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args, no_progress=False, **options):
        from tqdm import tqdm

        from listings import search

        bar = None

        def progress(done, total):
            nonlocal bar
            if no_progress:
                return
            if bar is None:
                bar = tqdm(total=total, unit="listing", desc="Indexing", file=self.stderr._out, dynamic_ncols=True)
            bar.update(done - bar.n)

        started = time.monotonic()
        try:
            count = search.rebuild_index(progress=progress)
        except Exception as exc:  # a failed build leaves the old index in place
            raise CommandError(f"Rebuilding the search index failed (the previous index is still in use): {exc}")
        finally:
            if bar is not None:
                bar.close()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Indexed {count} listings in {elapsed:.1f} s."))
