from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = _("Matching")

    def ready(self):
        from marketplace import activity
        from matching.activity import LABELS

        activity.register(LABELS)
        from matching import notification_texts

        notification_texts.register()
        # The higher app hooks into the lower one's signal: a published listing starts matching's fan-out.
        from listings.actions import listing_published, listing_updated
        from matching.push import on_listing_published

        listing_published.connect(on_listing_published, dispatch_uid="matching.push.on_listing_published")
        # a published listing edited (text, terms, patents): needs it now matches are told; others never twice
        listing_updated.connect(on_listing_published, dispatch_uid="matching.push.on_listing_updated")
