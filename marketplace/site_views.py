"""Site-wide files that browsers ask for at fixed addresses, outside ``STATIC_URL``."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

FAVICON = settings.BASE_DIR / "static" / "favicon.ico"


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    """``/favicon.ico``: the icon in ``static/`` (pages also link it with ``<link rel=icon>``)."""
    return HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")
