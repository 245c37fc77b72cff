"""Who is viewing a listing, for counting one view per visitor and day (``actions.record_view``).

A visitor is the user when logged in, else the client address (``marketplace.throttle.client_ip``,
which honours ``PROXY_COUNT``) with the user agent. Only an HMAC of that, keyed with the day, is
stored. Crawlers and link previews do not count.
"""

from __future__ import annotations

import re
from datetime import date

from django.utils import timezone
from django.utils.crypto import salted_hmac

from marketplace.throttle import client_ip

BOT_USER_AGENT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|curl/|wget/|python-requests|"
    r"python-urllib|httpx|go-http-client|okhttp|java/|libwww|scrapy",
    re.IGNORECASE,
)


def today() -> date:
    return timezone.localdate()


def is_bot(request) -> bool:
    return bool(BOT_USER_AGENT.search(request.META.get("HTTP_USER_AGENT", "")))


def visitor_hash(request, day: date) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        basis = f"user:{user.pk}"
    else:
        basis = f"client:{client_ip(request)}|{request.META.get('HTTP_USER_AGENT', '')[:300]}"
    return salted_hmac(f"listings.visits.{day.isoformat()}", basis, algorithm="sha256").hexdigest()
