from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NegotiationsConfig(AppConfig):
    name = "negotiations"
    verbose_name = _("Negotiations")

    def ready(self):
        from negotiations import activity, notices  # noqa: F401 - registers audit labels and notification renderers
