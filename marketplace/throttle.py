"""Rate limits for the account forms that send email or create accounts (sign-up, password reset).

Each form is limited twice, per client (its IP address) and per target email address, with a fixed
window counter in Django's cache (Redis when ``REDIS_URL`` is set, so every web process shares the
counts). Keys hold HMACs of the address and IP, never the raw values. Limits come from settings
(``SIGNUP_RATE_PER_CLIENT`` etc., parsed strictly from the environment as ``N/period``).

Counting does not depend on whether an account exists, so a throttled password reset reveals
nothing about the address.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext

KEY_PREFIX = "throttle"


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


def client_ip(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or with ``PROXY_COUNT`` = N trusted proxies in front,
    the address the outermost of them saw (the N-th entry from the right of ``X-Forwarded-For``)."""
    proxies = settings.PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None  # None: no address (as django-axes expects)


def _key(scope: str, kind: str, value: str) -> str:
    digest = salted_hmac(f"{KEY_PREFIX}.{scope}.{kind}", value, algorithm="sha256").hexdigest()[:32]
    return f"{KEY_PREFIX}:{scope}:{kind}:{digest}"


def _count(key: str, limit: Limit) -> bool:
    """Counts one attempt; True while the attempt is within the limit."""
    cache.add(key, 0, timeout=limit.seconds)  # starts the window; no-op when it is running
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.seconds)
        used = 1
    return used <= limit.count


def allow(scope: str, who: str, limit: Limit) -> bool:
    """Counts one attempt of ``scope`` by ``who`` (e.g. a user id) against ``limit``; False once it is exceeded.
    For limits of signed-in actions (deal-room messages), beside the per-client and per-address ones below."""
    return _count(_key(scope, "who", who), limit)


def check(request, scope: str, *, address: str | None) -> Limit | None:
    """Counts an attempt of ``scope`` (``signup``, ``password_reset``) by this client for this address.

    Returns ``None`` when allowed, else the limit that was exceeded (for the message). Every limit is
    counted, so a client that keeps trying stays throttled.
    """
    exceeded = None
    per_client = _limit(scope, "CLIENT")
    if not _count(_key(scope, "client", client_ip(request) or "unknown"), per_client):
        exceeded = per_client
    if address:
        per_address = _limit(scope, "ADDRESS")
        if not _count(_key(scope, "address", address.strip().lower()), per_address):
            exceeded = exceeded or per_address
    return exceeded


def _limit(scope: str, kind: str) -> Limit:
    count, seconds = getattr(settings, f"{scope.upper()}_RATE_PER_{kind}")
    return Limit(count, seconds)


def throttled_response(request, limit: Limit):
    minutes = max(1, -(-limit.seconds // 60))
    message = ngettext(
        "Too many attempts from this connection or for this email address. Please wait up to %(minutes)s minute "
        "and try again.",
        "Too many attempts from this connection or for this email address. Please wait up to %(minutes)s minutes "
        "and try again.",
        minutes,
    ) % {"minutes": minutes}
    response = render(request, "registration/throttled.html", {"message": message}, status=429)
    response["Retry-After"] = str(limit.seconds)
    return response
