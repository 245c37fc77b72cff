"""The one helper every action uses to write the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
import json

from marketplace.models import AuditEntry, Organisation


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any]:
    # Round-trip through Django's encoder so dates, decimals and lazy strings are stored as text.
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))


def _entry(action: str, actor, target, organisation, before, after) -> AuditEntry:
    if "." not in action:
        raise ValueError(f"audit action names are dotted (e.g. 'organisation.verified'), got {action!r}")
    if organisation is None and isinstance(target, Organisation):
        organisation = target
    return AuditEntry(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        before=_jsonable(before),
        after=_jsonable(after),
    )


def record(
    action: str,
    *,
    actor=None,
    target=None,
    organisation: Organisation | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry. ``action`` is dotted, e.g. ``organisation.verified``.

    Call it inside the action's transaction, after the change, so that the entry and the change
    are committed (or rolled back) together.
    """
    entry = _entry(action, actor, target, organisation, before, after)
    entry.save()
    return entry


def record_many(action: str, entries, *, actor=None, organisation: Organisation | None = None) -> list[AuditEntry]:
    """``record`` for a batch of targets changed by one action at once, in one query: ``entries`` are
    ``(target, before, after)`` triples sharing ``action``, ``actor`` and ``organisation``."""
    return AuditEntry.objects.bulk_create(
        [_entry(action, actor, target, organisation, before, after) for target, before, after in entries])
