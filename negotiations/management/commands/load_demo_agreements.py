"""Demo data for agreements, grants and mediation, so `make demo` shows each at work:

    1. the demo deals' agreed deal is out for signature, signed by the institute: the SME signs it;
    2. a signed agreement to download and verify: the SME's licence of a university patent, signed by both;
    3. one open dispute on it (raised by the university), waiting in the staff login's queue, and the demo IP
       agency's member accredited as a mediator, so staff can assign either themselves or the agency;
    4. an open licence of the university, restricted to small and micro enterprises, for the SME to accept;
    5. a donation listing of the demo demonstration enterprise with 2 of 5 places claimed by two small
       enterprises: the demo SME may claim the third, the demo medium-sized enterprise is refused.

Made through the actions, as users would (signatures with the demo password). Idempotent: each step is skipped
when what it makes exists.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db.models import Q

from listings import actions as listing_actions
from listings.models import FeeModel, Listing
from marketplace import actions as org_actions
from marketplace.management.commands.load_demo import DEMO_PASSWORD
from marketplace.models import MemberRole, Organisation, OrganisationKind, User
from negotiations import actions
from negotiations.models import Agreement, AgreementStatus, DealOrigin, DealState, Deal, DonationClaim, Dispute, \
    MediatorAccreditation

SME, INSTITUTE, UNIVERSITY, DONOR, AGENCY = ("lingxi-battery", "zgc-materials-institute",
                                             "south-china-tech-university", "northern-power-group",
                                             "huaxia-ip-services")
DEMO_UA = "PatentBridge demo data"
DONATION_LIST_PRICE = 6_000_000  # ¥60,000.00 in minor units
# Two small enterprises that claimed donated licences before the demo starts (no printed login).
CLAIMANTS = [
    ("demo-claimant-tieling", "Tieling Xinyuan Electric Co., Ltd.", "LN", "tieling@patentbridge.demo", "Gao Jun",
     dict(industry="02", employees=60, annual_revenue_cny=12_000_000, total_assets_cny=8_000_000),
     "91211200MA0XK4RT3U"),
    ("demo-claimant-anshan", "Anshan Lvneng Environmental Equipment Co., Ltd.", "LN", "anshan@patentbridge.demo",
     "Ma Li", dict(industry="02", employees=18, annual_revenue_cny=2_500_000, total_assets_cny=1_800_000),
     "91210300MA0P7B2C50"),
]
STATEMENTS = [
    "We build switchgear cabinets for rural grids in Liaoning and will use the technique in our assembly line.",
    "We retrofit small boilers for village heating; the patent would cut our emissions testing costs.",
]


def _user(email: str):
    return User.objects.filter(email=email).first()


def _sign(agreement: Agreement, user) -> None:
    actions.sign_agreement(agreement, actor=user, typed_name=user.full_name, password=DEMO_PASSWORD, confirmed=True,
                           ip_address="127.0.0.1", user_agent=DEMO_UA)


def _live_agreement(deal: Deal) -> Agreement | None:
    return deal.agreements.filter(status=AgreementStatus.SIGNING).order_by("-version").first()


class Command(BaseCommand):
    help = "Create the demo agreements, open licence, donation and dispute (skipped when they exist)."

    def handle(self, *args, **options):
        orgs = {o.slug: o for o in Organisation.objects.filter(slug__in=[SME, INSTITUTE, UNIVERSITY, DONOR, AGENCY])}
        if len(orgs) < 5:
            self.stdout.write("Demo agreements skipped: load the demo organisations first.")
            return
        sme_user, institute_user = _user("sme@patentbridge.demo"), _user("institute@patentbridge.demo")
        university_user, staff_user = _user("university@patentbridge.demo"), _user("staff@patentbridge.demo")
        self._half_signed(orgs, sme_user, institute_user)
        deal = self._signed(orgs, sme_user, university_user)
        if deal is not None:
            self._dispute(deal, university_user, staff_user, orgs[AGENCY])
        self._open_licence(orgs, university_user)
        self._donation(orgs)

    # 1. the agreed demo deal: the institute has signed, the SME's turn
    def _half_signed(self, orgs, sme_user, institute_user):
        deal = (Deal.objects.filter(licensor=orgs[INSTITUTE], licensee=orgs[SME], state=DealState.SIGNING,
                                    origin=DealOrigin.NEGOTIATED).order_by("pk").first())
        agreement = _live_agreement(deal) if deal else None
        if agreement is None or agreement.signatures.exists():
            return
        _sign(agreement, institute_user)
        self.stdout.write(self.style.SUCCESS(
            f"Demo agreement {agreement.reference} signed by the institute: sign it as sme@patentbridge.demo at "
            f"/deals/{deal.pk}/agreement/"))

    # 2. a fully signed agreement (free licence of a university listing)
    def _signed(self, orgs, sme_user, university_user) -> Deal | None:
        existing = Deal.objects.filter(licensor=orgs[UNIVERSITY], licensee=orgs[SME], origin=DealOrigin.NEGOTIATED,
                                       state=DealState.COMPLETED).first()
        if existing is not None:
            return existing
        listing = (Listing.objects.browsable().filter(owner=orgs[UNIVERSITY], fee_model=FeeModel.FREE,
                                                      open_licence=False, offers_non_exclusive=True)
                   .exclude(deals__licensee=orgs[SME]).order_by("pk").first())
        if listing is None:
            self.stdout.write("Demo signed agreement skipped: the university has no free listing.")
            return None
        deal = actions.open_deal(listing, orgs[SME], actor=sme_user, message=(
            "We would like a non-exclusive licence on your published terms for our pilot line in Shenzhen."))
        deal = actions.accept_offer(deal, actor=university_user, version=1)
        agreement = _live_agreement(deal)
        if agreement is None:
            self.stdout.write("Demo signed agreement skipped: the agreement could not be produced.")
            return None
        _sign(agreement, university_user)
        _sign(agreement, sme_user)
        agreement.refresh_from_db()
        self.stdout.write(self.style.SUCCESS(
            f"Demo signed agreement {agreement.reference}: download it at /deals/{deal.pk}/agreement/ and verify "
            f"it at /agreements/verify/ (SHA-256 {agreement.final_sha256})"))
        return deal

    # 3. an open dispute on the signed licence, and an accredited mediator
    def _dispute(self, deal, university_user, staff_user, agency):
        agency_user = _user("agency@patentbridge.demo")
        if agency_user is not None and not MediatorAccreditation.objects.current().filter(user=agency_user).exists():
            actions.accredit_mediator(agency_user, actor=staff_user, organisation=agency)
        if Dispute.objects.filter(deal=deal).exists():
            return
        dispute = actions.raise_dispute(deal, actor=university_user, category="scope_of_use", statement=(
            "The licence covers the field of use in the agreement only; the licensee's new product brochure "
            "advertises the technique for grid storage as well. We would like to agree the scope with a mediator."))
        self.stdout.write(self.style.SUCCESS(
            f"Demo dispute {dispute.pk} on deal {deal.pk}, waiting for a mediator: /disputes/ as "
            "staff@patentbridge.demo"))

    # 4. an open licence for small and micro enterprises
    def _open_licence(self, orgs, university_user):
        listing = (Listing.objects.browsable().filter(owner=orgs[UNIVERSITY], open_licence=True,
                                                      offers_non_exclusive=True)
                   .filter(Q(fee_model=FeeModel.FREE) | Q(fee_model=FeeModel.LUMP_SUM)).order_by("fee_model", "pk")
                   .first())
        if listing is None:
            self.stdout.write("Demo open licence skipped: the university has no open-licence listing.")
            return
        if not listing.open_licence_sme_only:
            listing = listing_actions.update_listing(listing, actor=university_user, open_licence_sme_only=True)
        self.stdout.write(self.style.SUCCESS(
            f"Demo open licence (small and micro enterprises): /listings/{listing.pk}/ — accept it in one step as "
            "sme@patentbridge.demo"))

    # 5. a donation listing with 2 of 5 places claimed
    def _donation(self, orgs):
        donor = orgs[DONOR]
        donor_user = _user("donor@patentbridge.demo")
        listing = (Listing.objects.browsable().filter(owner=donor, donation_quota__gt=0, donation_claims__isnull=False)
                   .distinct().first()
                   or Listing.objects.browsable().filter(owner=donor, donation_quota__gt=0, fee_model=FeeModel.FREE,
                                                         open_licence=False).order_by("pk").first())
        if listing is None:
            self.stdout.write("Demo donation skipped: the demonstration enterprise has no donation listing.")
            return
        if not listing.donation_claims.exists():
            # Others license it at a list price (¥60,000); small and micro enterprises claim it free: the impact
            # page counts that price as the value the donor forgoes.
            listing = listing_actions.update_listing(listing, actor=donor_user, donation_quota=5,
                                                     fee_model=FeeModel.LUMP_SUM, lump_sum_minor=DONATION_LIST_PRICE)
        for (slug, name, province, email, full_name, profile, code), statement in zip(CLAIMANTS, STATEMENTS):
            organisation, user = self._claimant(slug, name, province, email, full_name, profile, code)
            if DonationClaim.objects.filter(listing=listing, organisation=organisation).exists():
                continue
            actions.claim_donation(listing, organisation, actor=user, statement=statement, typed_name=full_name,
                                   password=DEMO_PASSWORD, confirmed=True, ip_address="127.0.0.1",
                                   user_agent=DEMO_UA)
        claimed = listing.donation_claims.count()
        self.stdout.write(self.style.SUCCESS(
            f"Demo donation: /listings/{listing.pk}/ ({claimed} of {listing.donation_quota} places claimed) — claim "
            "one as sme@patentbridge.demo; medium@patentbridge.demo is refused; the donor's impact page is "
            "/donations/impact/ as donor@patentbridge.demo"))

    def _claimant(self, slug, name, province, email, full_name, profile, code):
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            organisation = org_actions.create_organisation(actor=None, name=name, kind=OrganisationKind.SME,
                                                           slug=slug, province=province, credit_code=code)
            organisation = org_actions.verify_organisation(organisation, actor=None, note="Demo data",
                                                           operator=True, notify=False)
            org_actions.save_sme_profile(organisation, actor=None, operator=True, **profile)
        user = _user(email) or org_actions.create_account(email=email, full_name=full_name, password=DEMO_PASSWORD)
        org_actions.add_member(organisation, user=user, role=MemberRole.OWNER, actor=None, operator=True)
        return Organisation.objects.get(pk=organisation.pk), user
