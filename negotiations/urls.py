# Placeholder until the deal room views land (branch "pages" replaces this file).
from django.http import Http404
from django.urls import path


def _not_yet(request, *args, **kwargs):
    raise Http404


urlpatterns = [path("deals/<int:pk>/", _not_yet, name="deal_detail")]
