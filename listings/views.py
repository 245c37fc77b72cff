"""Browse and listing pages (being written)."""

from django.http import HttpResponse
from django.urls import path


def browse(request):
    return HttpResponse("")


def listing_detail(request, pk):
    return HttpResponse("")


urlpatterns = [
    path("listings/", browse, name="listing_browse"),
    path("listings/<int:pk>/", listing_detail, name="listing_detail"),
]
