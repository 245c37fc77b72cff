"""Site-wide views at fixed addresses: the favicon browsers ask for outside ``STATIC_URL``, and the language switch."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views import i18n
from django.views.decorators.http import require_POST, require_safe

from marketplace import actions

FAVICON = settings.BASE_DIR / "static" / "favicon.ico"


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    """``/favicon.ico``: the icon in ``static/`` (pages also link it with ``<link rel=icon>``)."""
    return HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")


@require_POST
def set_language(request):
    """The language switch: Django's ``set_language`` (cookie and redirect), and for a signed-in user also
    their stored language, so that what is written for them later in the background (import messages and
    reports, notifications, emails) is in the language they chose, not the one they signed up with."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if (user.is_authenticated and language in dict(settings.LANGUAGES) and language != user.language
            and response.status_code == 302):
        actions.update_profile(user, full_name=user.full_name, language=language)
    return response
