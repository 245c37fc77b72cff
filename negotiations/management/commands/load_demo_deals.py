"""Two demo deals between the demo SME and the demo institute, so `make demo` shows a deal room at work.

    1. a negotiation in its third version (the SME's counter-offer), with the changes visible, waiting for the
       institute: log in as the institute in one browser and as the SME in another to see moves arrive live;
    2. an agreed deal (the institute accepted the SME's first version).

Made through the actions, as users would. Idempotent: a listing that already has a deal with the SME is skipped.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from listings.models import FeeModel, LicenceKind, Listing
from marketplace.models import Membership, Organisation
from negotiations import actions, terms
from negotiations.models import Deal

SME, INSTITUTE = "lingxi-battery", "zgc-materials-institute"
SME_LOGIN, INSTITUTE_LOGIN = "sme@patentbridge.demo", "institute@patentbridge.demo"


def _member(organisation: Organisation, email: str):
    membership = (Membership.objects.filter(organisation=organisation, user__email=email).select_related("user").first()
                  or Membership.objects.filter(organisation=organisation).select_related("user").first())
    return membership.user if membership else None


def _listings(institute: Organisation) -> list[Listing]:
    published = Listing.objects.browsable().filter(owner=institute).order_by("pk")
    batteries = published.filter(Q(patents__ipc_codes__icontains="H01M") | Q(title__icontains="batter")).distinct()
    chosen = list(batteries[:2])
    for listing in published[:6]:
        if len(chosen) >= 2:
            break
        if listing not in chosen:
            chosen.append(listing)
    return chosen


class Command(BaseCommand):
    help = "Create the demo deals between the demo SME and the demo institute (skipped when they exist)."

    def handle(self, *args, **options):
        sme = Organisation.objects.filter(slug=SME).first()
        institute = Organisation.objects.filter(slug=INSTITUTE).first()
        if sme is None or institute is None:
            self.stdout.write("Demo deals skipped: load the demo organisations first.")
            return
        sme_user, institute_user = _member(sme, SME_LOGIN), _member(institute, INSTITUTE_LOGIN)
        listings = _listings(institute)
        if len(listings) < 2 or sme_user is None or institute_user is None:
            self.stdout.write("Demo deals skipped: the institute has fewer than two published listings.")
            return
        negotiating, agreed = listings[:2]
        if not Deal.objects.filter(listing=negotiating, licensee=sme).exists():
            deal = self._negotiation(negotiating, sme, sme_user, institute_user)
            self.stdout.write(self.style.SUCCESS(
                f"Demo deal room {deal.pk} (version 3, waiting for the institute): /deals/{deal.pk}/ — open it as "
                f"{INSTITUTE_LOGIN} in one browser and as {SME_LOGIN} in another (private window); a counter-offer "
                "or message in one appears in the other without reloading."))
        if not Deal.objects.filter(listing=agreed, licensee=sme).exists():
            deal = actions.open_deal(agreed, sme, actor=sme_user,
                                     message="We would like to license this under your published terms.")
            actions.accept_offer(deal, actor=institute_user, version=1)
            self.stdout.write(self.style.SUCCESS(f"Demo deal {deal.pk} agreed, its licence agreement out for "
                                                 f"signature: /deals/{deal.pk}/agreement/"))

    def _negotiation(self, listing, sme, sme_user, institute_user) -> Deal:
        first = terms.defaults_from_listing(listing)
        first.update(licence_kind=LicenceKind.NON_EXCLUSIVE, territory=["CN-GD"], fee_model=FeeModel.LUMP_SUM,
                     lump_sum_minor=first.get("lump_sum_minor") or 8_000_000, entry_fee_minor=0,
                     royalty_rate_bp=0, minimum_annual_royalty_minor=0)
        deal = actions.open_deal(listing, sme, actor=sme_user, terms=first, message=(
            "We assemble battery packs for e-bikes in Shenzhen and would like a non-exclusive licence for "
            "Guangdong. Could we start from a lump sum?"))
        valid = terms.end_of_day(timezone.localdate() + timedelta(days=14))  # as the form sets it
        second = {**first, "fee_model": FeeModel.ENTRY_FEE_ROYALTY, "lump_sum_minor": 0,
                  "entry_fee_minor": 15_000_000, "royalty_rate_bp": 350, "minimum_annual_royalty_minor": 3_000_000,
                  "term_months": 60, "valid_until": valid,
                  "note": "An entry fee and a royalty on net sales spread the cost over the years you sell."}
        actions.make_offer(deal, actor=institute_user, terms=second, expected_version=1)
        actions.post_message(deal, actor=institute_user, body=(
            "Thank you for your interest. We prefer an entry fee plus a royalty; see version 2."))
        third = {**second, "entry_fee_minor": 12_000_000, "royalty_rate_bp": 300,
                 "minimum_annual_royalty_minor": 2_000_000, "term_months": 36, "sublicensing_allowed": False,
                 "note": "A lower entry fee lets us start production this year; three years, then we renew."}
        actions.make_offer(deal, actor=sme_user, terms=third, expected_version=2)
        return deal
