"""Labels of the audit codes written by negotiations' actions (registered in ``NegotiationsConfig.ready``)."""

from django.utils.translation import gettext_lazy as _

from marketplace import activity

LABELS = {
    "deal.opened": _("Deal room opened"),
    "deal.negotiating": _("Deal back in negotiation"),
    "deal.agreed": _("Deal agreed"),
    "deal.signing": _("Deal out for signature"),
    "deal.awaiting_payment": _("Deal awaiting payment"),
    "deal.completed": _("Deal completed"),
    "deal.declined": _("Deal declined"),
    "deal.withdrawn": _("Deal withdrawn"),
    "deal.expired": _("Deal expired"),
    "offer.created": _("Term sheet proposed"),
    "offer.accepted": _("Term sheet accepted"),
    "offer.withdrawn": _("Term sheet withdrawn"),
    "offer.expired": _("Term sheet expired"),
    "deal_message.posted": _("Deal message posted"),
    "deal_message.edited": _("Deal message edited"),
    "deal_message.deleted": _("Deal message deleted"),
    "agreement.generated": _("Licence agreement produced"),
    "agreement.failed": _("Licence agreement could not be produced"),
    "agreement.signed": _("Licence agreement signed"),
    "agreement.signature_refused": _("Signature of the licence agreement refused"),
    "agreement.completed": _("Licence agreement signed by both parties"),
    "agreement.voided": _("Licence agreement void"),
    "open_licence.accepted": _("Open licence accepted"),
    "open_licence.signature_refused": _("Open licence signature refused"),
    "donation.claimed": _("Donated licence claimed"),
    "donation.signature_refused": _("Donated licence signature refused"),
}

activity.register(LABELS)
