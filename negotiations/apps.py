from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NegotiationsConfig(AppConfig):
    name = "negotiations"
    verbose_name = _("Negotiations")

    def ready(self):
        from listings import panels
        from negotiations import activity, notices  # noqa: F401 - registers audit labels and notification renderers
        from negotiations.panels import grant_panel

        panels.register("negotiations.grants", grant_panel)  # the one-step licences on the listing page
