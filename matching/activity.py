"""Labels of the audit codes written by matching's actions (registered in ``MatchingConfig.ready``)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "need.created": _("Need created"),
    "need.updated": _("Need edited"),
    "need.deactivated": _("Need closed"),
    "need.suggestions_added": _("New suggestions for a need"),
    "listing.suggestions_pushed": _("Listing suggested to matching needs"),
    "suggestion.pushed": _("Suggestion made"),
    "suggestion.viewed": _("Suggestion viewed"),
    "suggestion.contacted": _("Owner contacted about a suggestion"),
    "suggestion.licensed": _("Suggestion led to a licence"),
    "suggestion.dismissed": _("Suggestion dismissed"),
    "suggestion.saved": _("Suggestion saved"),
    "suggestion.unsaved": _("Suggestion removed from saved"),
    "contact_request.created": _("Licence request sent"),
    "contact_request.open": _("Licence request reopened"),
    "contact_request.replied": _("Licence request answered"),
    "contact_request.declined": _("Licence request declined"),
    "contact_request.withdrawn": _("Licence request withdrawn"),
    "contact_request.closed": _("Licence request closed"),
}
