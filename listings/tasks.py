"""Background work of listings: keeping the search index in step, bulk imports."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="listings.update_index")
def update_index(listing_ids: list[int], updated: bool = False) -> None:
    """Add browsable listings to the index and remove the others (paused, withdrawn, expired...).

    ``updated``: the listings' content changed; once indexed, ``listing_updated`` is sent for each browsable one."""
    from listings import search
    from listings.actions import listing_updated
    from listings.models import Listing

    search.update_listings(listing_ids)
    if updated:
        for listing_id in Listing.objects.browsable().filter(pk__in=listing_ids).values_list("pk", flat=True):
            for receiver, response in listing_updated.send_robust(sender=Listing, listing_id=listing_id):
                if isinstance(response, Exception):
                    logger.error("listing_updated receiver %r failed for listing %s", receiver, listing_id,
                                 exc_info=response)


# The import job task lives beside the importer; import it so Celery workers register it.
from listings import import_tasks  # noqa: E402,F401
