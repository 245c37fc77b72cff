"""Matching pages, mounted at the site root: ``/match/`` and ``/sme/<slug>/needs/…`` (see ``matching.views``),
and licence requests: the owner's inbox ``/owner/<slug>/requests/…`` and the SME's withdraw button
(see ``matching.contact_views``)."""

from matching import contact_views, views

urlpatterns = [*views.urlpatterns, *contact_views.urlpatterns]
