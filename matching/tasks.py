"""Background work of matching: the fan-out of a newly published listing (see ``matching.push``)."""

from celery import shared_task


@shared_task(name="matching.fan_out_listing")
def fan_out_listing(listing_id: int) -> dict:
    """Suggest a published listing to the needs it matches and notify their SMEs."""
    from matching import push

    result = push.fan_out(listing_id)
    return {"listing": listing_id, "candidates": result.candidates, "matched": result.matched,
            "suggestions": len(result.suggestions), "notifications": result.notifications,
            "seconds": round(result.seconds, 3)}


# The instant-email task of notifications lives in marketplace.notifications; import it so workers register it.
from marketplace import notifications  # noqa: E402,F401
