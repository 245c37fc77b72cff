"""Demo organisations and one login per role. Safe to run again: existing demo data is kept.

Later apps add their demo data (listings, needs, deals) through ``DEMO_STEPS`` hooks.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from marketplace import actions
from marketplace.models import MemberRole, Organisation, OrganisationKind, User, VerificationStatus

DEMO_PASSWORD = "patentbridge-demo"  # demo only; printed at the end of `make demo`

ORGANISATIONS = [
    # slug, name, kind, province, verified, demonstration
    ("zgc-materials-institute", "Zhongguancun Institute of Advanced Materials", OrganisationKind.RESEARCH_INSTITUTE,
     "BJ", True, False),
    ("nasa-technology-transfer", "NASA Technology Transfer Program (demo portfolio)",
     OrganisationKind.RESEARCH_INSTITUTE, "XX", True, False),
    ("south-china-tech-university", "South China University of Science and Technology", OrganisationKind.UNIVERSITY,
     "GD", True, False),
    ("northern-power-group", "Northern Power Equipment Group", OrganisationKind.STATE_ENTERPRISE, "LN", True, True),
    ("lingxi-battery", "Shenzhen Lingxi Battery Technology Co., Ltd.", OrganisationKind.SME, "GD", True, False),
    ("qingshan-agritech", "Hangzhou Qingshan Smart Agriculture Co., Ltd.", OrganisationKind.SME, "ZJ", False, False),
    ("huaxia-ip-services", "Huaxia Patent Services", OrganisationKind.IP_AGENCY, "BJ", True, False),
    ("hengtai-machinery", "Guangzhou Hengtai Machinery Co., Ltd.", OrganisationKind.SME, "GD", True, False),
]

# Registered addresses (fictitious), printed on licence agreements.
ADDRESSES = {
    "zgc-materials-institute": "No. 8 Zhongguancun South Street, Haidian District, Beijing 100081",
    "south-china-tech-university": "No. 381 Wushan Road, Tianhe District, Guangzhou 510641",
    "northern-power-group": "No. 16 Yunfeng North Street, Tiexi District, Shenyang 110021",
    "lingxi-battery": "Building 3, No. 1001 Xueyuan Avenue, Nanshan District, Shenzhen 518055",
    "qingshan-agritech": "No. 99 Wenyi West Road, Yuhang District, Hangzhou 311121",
    "huaxia-ip-services": "Room 1205, No. 27 Zhichun Road, Haidian District, Beijing 100083",
    "hengtai-machinery": "No. 288 Kaichuang Avenue, Huangpu District, Guangzhou 510530",
}

# Registration codes of the (fictitious) demo organisations: unified social credit codes in the real format
# (GB 32100-2015: authority and kind, the division code of the registering office, an organisation code with its
# GB 11714 check, and a valid check character), checked by ``marketplace.uscc``. NASA, outside mainland China, has
# none; it gives another registration number instead.
CREDIT_CODES = {
    "zgc-materials-institute": "121101084000031207",  # 事业单位, Beijing Haidian
    "south-china-tech-university": "124401064551280355",  # 事业单位, Guangzhou Tianhe
    "northern-power-group": "91210100117405191K",  # enterprise, Shenyang
    "lingxi-battery": "91440300MA5D7Q1H23",  # enterprise, Shenzhen
    "qingshan-agritech": "91330110MA2H3K8T5C",  # enterprise, Hangzhou Yuhang
    "huaxia-ip-services": "91110108MA01C4N78K",  # enterprise, Beijing Haidian
    "hengtai-machinery": "91440112MA59B2XK0M",  # enterprise, Guangzhou Huangpu
}
OTHER_REGISTRATION_NUMBERS = {"nasa-technology-transfer": "DEMO-NASA-TTP"}

# email, name, role label, organisation slug (None for platform staff)
USERS = [
    ("staff@patentbridge.demo", "Platform Staff", "platform staff (verifies organisations, admin)", None),
    ("institute@patentbridge.demo", "Li Wei", "research institute (lists patents)", "zgc-materials-institute"),
    ("university@patentbridge.demo", "Chen Jing", "university (lists patents)", "south-china-tech-university"),
    ("donor@patentbridge.demo", "Zhao Min", "demonstration enterprise (donates licences)", "northern-power-group"),
    ("sme@patentbridge.demo", "Wang Fang", "small enterprise (browses and licenses)", "lingxi-battery"),
    ("pending-sme@patentbridge.demo", "Sun Hao", "micro enterprise awaiting verification", "qingshan-agritech"),
    ("agency@patentbridge.demo", "Liu Yang", "IP service agency", "huaxia-ip-services"),
    ("medium@patentbridge.demo", "Huang Lei", "medium enterprise (not eligible for donated licences)",
     "hengtai-machinery"),
]

SME_PROFILES = {
    # Industry: 45 employees, revenue ¥8M -> small
    "lingxi-battery": dict(industry="02", employees=45, annual_revenue_cny=8_000_000, total_assets_cny=5_000_000),
    # Agriculture: revenue ¥300k -> micro
    "qingshan-agritech": dict(industry="01", employees=6, annual_revenue_cny=300_000, total_assets_cny=400_000),
    # Industry: 450 employees, revenue ¥120M -> medium
    "hengtai-machinery": dict(industry="02", employees=450, annual_revenue_cny=120_000_000,
                              total_assets_cny=90_000_000),
}


class Command(BaseCommand):
    help = "Load demo organisations and users (one login per role) and print the logins."

    @transaction.atomic
    def handle(self, *args, **options):
        organisations = {}
        for slug, name, kind, province, verified, demonstration in ORGANISATIONS:
            organisation = Organisation.objects.filter(slug=slug).first()
            if organisation is None:
                organisation = actions.create_organisation(
                    actor=None, name=name, kind=kind, slug=slug, province=province, address=ADDRESSES.get(slug, ""),
                    credit_code=CREDIT_CODES.get(slug, ""), registration_number=OTHER_REGISTRATION_NUMBERS.get(slug, ""),
                )
            if verified and organisation.verification_status == VerificationStatus.PENDING:
                organisation = actions.verify_organisation(
                    organisation, actor=None, note="Demo data", operator=True, notify=False
                )
            if demonstration and not organisation.is_demonstration:
                organisation = actions.set_demonstration(organisation, actor=None, value=True, operator=True)
            if slug in SME_PROFILES and not hasattr(organisation, "sme_profile"):
                actions.save_sme_profile(organisation, actor=None, operator=True, **SME_PROFILES[slug])
            organisations[slug] = organisation

        for email, full_name, _role, slug in USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = actions.create_account(
                    email=email, full_name=full_name, password=DEMO_PASSWORD, staff=slug is None
                )
            if slug is not None:
                actions.add_member(organisations[slug], user=user, role=MemberRole.OWNER, actor=None, operator=True)

        # The demo listings, once the organisations above are committed. Called by name: marketplace
        # never imports listings. Skipped when the transaction rolls back (and in tests' transactions).
        transaction.on_commit(lambda: self._later_steps())

        self.stdout.write(self.style.SUCCESS("Demo logins (password for all: %s):" % DEMO_PASSWORD))
        for email, _name, role, _slug in USERS:
            self.stdout.write(f"  {email:<32} {role}")

    def _later_steps(self):
        # Higher layers' demo data, by command name (marketplace does not import them).
        call_command("load_demo_listings", stdout=self.stdout, stderr=self.stderr)
        call_command("load_demo_needs", stdout=self.stdout, stderr=self.stderr)
        call_command("load_demo_deals", stdout=self.stdout, stderr=self.stderr)
        call_command("load_demo_agreements", stdout=self.stdout, stderr=self.stderr)
