"""Demo needs for the demo SMEs, matched at once so `make demo` shows suggestions with reasons.

Idempotent: a need with the same title for the same organisation is not created twice.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from listings.demo import PUSH_DEMO_PATENT
from listings.models import Listing, ListingState
from marketplace.models import Membership, Organisation
from matching import actions
from matching.models import Need

DEMO_NEEDS = {
    "lingxi-battery": [
        dict(
            title="Longer-lasting lithium battery cathodes",
            description=(
                "We assemble lithium-ion battery packs for e-bikes and want a cathode material or coating that "
                "keeps capacity over more charge cycles. We can license a granted patent and need process know-how."
            ),
            keywords="lithium, cathode, battery, electrode",
            ipc_codes=["H01M"],
            budget_minor=20_000_000,  # ¥200,000.00
            province="GD",
        ),
        dict(
            title="锂电池负极材料",
            description="寻找锂离子电池负极材料及其制备方法的专利许可，用于小批量生产。",
            keywords="锂电池, 负极, 电极材料",
            ipc_codes=[],
            budget_minor=None,
            free_or_donated_only=True,
        ),
    ],
    "qingshan-agritech": [
        dict(
            title="Crop monitoring with neural networks",
            description="Image recognition of plant diseases in greenhouses with a neural network on cheap cameras.",
            keywords="neural network, image recognition, plant",
            budget_minor=5_000_000,
        ),
    ],
}


class Command(BaseCommand):
    help = "Create demo needs for the demo SMEs and record their suggestions."

    def handle(self, *args, **options):
        created = suggested = 0
        for slug, needs in DEMO_NEEDS.items():
            organisation = Organisation.objects.filter(slug=slug).first()
            member = Membership.objects.filter(organisation=organisation).select_related("user").first()
            if organisation is None or member is None:
                continue
            for fields in needs:
                need = Need.objects.filter(organisation=organisation, title=fields["title"]).first()
                if need is None:
                    need = actions.create_need(organisation, actor=member.user, **fields)
                    created += 1
                suggested += len(actions.record_suggestions(need))
        self.stdout.write(f"Demo needs: {created} created; {suggested} suggestions recorded.")
        self._push_hint()

    def _push_hint(self):
        """How to see a push alert in the demo: publish the staged draft (``listings.demo.PUSH_DEMO_PATENT``)."""
        office, number = PUSH_DEMO_PATENT
        draft = (Listing.objects.filter(state=ListingState.DRAFT, patents__office=office, patents__number=number)
                 .select_related("owner").first())
        owner = draft and Membership.objects.filter(organisation=draft.owner).select_related("user").first()
        sme = Membership.objects.filter(organisation__slug="lingxi-battery").select_related("user").first()
        if draft is None or owner is None or sme is None:
            return
        self.stdout.write(
            f"To see a push alert: log in as {owner.user.email}, open {settings.SITE_URL}{draft.get_absolute_url()} "
            f"and publish it; {sme.user.email} is notified at once (its battery needs match)."
        )
