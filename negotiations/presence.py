"""Who is looking at a deal room right now (so a new message is not also notified to them).

The room's consumer marks a user present on connect and on each heartbeat, absent on disconnect; entries
expire by themselves after ``TTL`` seconds, so a socket that died without closing stops counting soon.
Kept in Django's cache (Redis when ``REDIS_URL`` is set, so every Daphne process shares it).
"""

from __future__ import annotations

from django.core.cache import cache

TTL = 75  # seconds; the room's script sends a heartbeat every 30 s


def _key(deal_id: int, user_id: int) -> str:
    return f"deal-presence:{deal_id}:{user_id}"


def mark_present(deal_id: int, user_id: int) -> None:
    cache.set(_key(deal_id, user_id), 1, timeout=TTL)


def mark_absent(deal_id: int, user_id: int) -> None:
    cache.delete(_key(deal_id, user_id))


def present_user_ids(deal_id: int, user_ids) -> set[int]:
    user_ids = list(user_ids)
    found = cache.get_many([_key(deal_id, uid) for uid in user_ids])
    return {uid for uid in user_ids if _key(deal_id, uid) in found}
