"""Matching pages (being written)."""

urlpatterns = []
