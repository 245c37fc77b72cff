"""The project's URLs plus a stand-in ``deal_detail`` while the deal room's pages are not merged yet
(notifications link to ``Deal.get_absolute_url``). Used only when ``deal_detail`` does not resolve."""

from django.http import HttpResponse
from django.urls import path

from marketplace.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("deals/<int:pk>/", lambda request, pk: HttpResponse(""), name="deal_detail"),
]
