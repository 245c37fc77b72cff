"""Load the demo listings (real patent records and the NASA portfolio) for the demo organisations.

``manage.py load_demo`` runs it; safe to run again (rows already loaded are skipped). See ``listings.demo``.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from listings import demo


class Command(BaseCommand):
    help = ("Load the demo patents and listings (listings/data/demo.csv and nasa_portfolio.csv) for the demo "
            "organisations of `load_demo`, then rebuild the search index. Running it again changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, metavar="N",
                            help="At most N rows of each file, spread over the file (for quick tries and tests).")
        parser.add_argument("--patents-csv", type=Path, metavar="PATH",
                            help=f"Patent records (default: {demo.DEMO_CSV.name}, columns as in SOURCE.md).")
        parser.add_argument("--nasa-csv", type=Path, metavar="PATH",
                            help=f"Research-centre portfolio (default: {demo.NASA_CSV.name}).")
        parser.add_argument("--no-index", action="store_true", help="Do not rebuild the search index.")

    def handle(self, *args, limit=None, patents_csv=None, nasa_csv=None, no_index=False, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        paths = {"patents_csv": patents_csv or demo.DEMO_CSV, "nasa_csv": nasa_csv or demo.NASA_CSV}
        for option, path in paths.items():
            if not Path(path).is_file():
                raise CommandError(f"--{option.replace('_', '-')}: no file at {path}")
        verbose = options["verbosity"] >= 2
        try:
            result = demo.load(**paths, limit=limit, rebuild_index=not no_index,
                               echo=self.stdout.write if verbose else None)
        except demo.DemoDataError as exc:
            raise CommandError(str(exc)) from None
        if verbose:
            for problem in result.problems:
                self.stdout.write(f"  skipped {problem}")
        self.stdout.write(self.style.SUCCESS(result.summary()))
