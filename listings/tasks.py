"""Background work of listings: keeping the search index in step, bulk imports."""

from celery import shared_task


@shared_task(name="listings.update_index")
def update_index(listing_ids: list[int]) -> None:
    """Add browsable listings to the index and remove the others (paused, withdrawn, expired...)."""
    from listings import search

    search.update_listings(listing_ids)


# The import job task lives beside the importer; import it so Celery workers register it.
from listings import import_tasks  # noqa: E402,F401
