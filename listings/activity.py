"""Labels of the audit codes written by listings' actions (registered in ``ListingsConfig.ready``)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "patent.created": _("Patent added"),
    "patent.updated": _("Patent details updated"),
    "patent.renumbered": _("Patent number corrected"),
    "listing.created": _("Listing created"),
    "listing.updated": _("Listing edited"),
    "listing.published": _("Listing published"),
    "listing.paused": _("Listing paused"),
    "listing.withdrawn": _("Listing withdrawn"),
    "listing.licensed_out": _("Listing licensed out"),
    "listing.expired": _("Listing expired"),
    "import_job.queued": _("Patent import started"),
    "demo.listings_loaded": _("Demo listings loaded"),
}
