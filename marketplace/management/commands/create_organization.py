from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from marketplace import actions
from marketplace.models import OrganisationKind


class Command(BaseCommand):
    help = "Create an organisation (for operators and scripts) and print its slug."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--kind", required=True, choices=OrganisationKind.values)
        parser.add_argument("--verified", action="store_true", help="Mark it verified at once.")
        parser.add_argument("--slug", help="Short name used in URLs and by other commands.")
        parser.add_argument("--demonstration", action="store_true", help="Designate a demonstration enterprise.")
        parser.add_argument("--province", default="", help="Province code, e.g. BJ, GD.")
        parser.add_argument("--credit-code", default="",
                            help="Unified social credit code (18 characters, GB 32100-2015; its check is verified).")

    def handle(self, *args, name, kind, verified, slug, demonstration, province, credit_code="", **options):
        try:
            with transaction.atomic():
                organisation = self._create(name, kind, slug, province, verified, demonstration, credit_code)
        except actions.ActionError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(organisation.slug)

    def _create(self, name, kind, slug, province, verified, demonstration, credit_code=""):
        organisation = actions.create_organisation(actor=None, name=name, kind=kind, slug=slug, province=province,
                                                   credit_code=credit_code)
        if verified:
            organisation = actions.verify_organisation(
                organisation, actor=None, note="Verified by an operator (create_organization).", operator=True
            )
        if demonstration:
            organisation = actions.set_demonstration(organisation, actor=None, value=True, operator=True)
        return organisation
