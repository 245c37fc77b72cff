"""Matching pages, mounted at the site root: ``/match/`` and ``/sme/<slug>/needs/…`` (see ``matching.views``)."""

from matching import views

urlpatterns = [*views.urlpatterns]
